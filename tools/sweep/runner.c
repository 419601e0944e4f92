/*
 * plugtcp-sweep: runs commands on the local cores, at most N at a
 * time.  Each child gets /dev/null as stdin and two unlinked temporary
 * files as stdout and stderr, read back when it exits, so a child that
 * writes a lot can never block on a full pipe.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "sweep/sweep.h"

typedef struct slot {
  pid_t pid;
  size_t index;
  int out_fd, err_fd;
} slot;

/* An unlinked temporary file, open for reading and writing. */
static int temp_fd(void) {
  const char *tmp = getenv("TMPDIR");
  char *path;
  int fd;

  if (tmp == NULL || tmp[0] == '\0')
    tmp = "/tmp";
  path = xasprintf("%s/plugtcp-sweep-run.XXXXXX", tmp);
  fd = mkstemp(path);
  if (fd < 0)
    die(1, "cannot make a temporary file in %s: %s", tmp, strerror(errno));
  /* Close-on-exec: a child keeps only the two files dup2 gives it. */
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
    die(1, "fcntl: %s", strerror(errno));
  unlink(path);
  free(path);
  return fd;
}

static char *slurp_fd(int fd, size_t *len) {
  FILE *f;
  char *s;

  if (lseek(fd, 0, SEEK_SET) != 0)
    die(1, "cannot read a run's output back: %s", strerror(errno));
  f = fdopen(fd, "rb");
  if (f == NULL)
    die(1, "cannot read a run's output back: %s", strerror(errno));
  s = read_stream(f, len);
  fclose(f);
  if (s == NULL)
    die(1, "cannot read a run's output back");
  return s;
}

static void launch(slot *s, char *const *argv, size_t index) {
  pid_t pid;

  s->index = index;
  s->out_fd = temp_fd();
  s->err_fd = temp_fd();
  fflush(NULL);
  pid = fork();
  if (pid < 0)
    die(1, "cannot fork: %s", strerror(errno));
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);

    /* dup2 clears close-on-exec on 0, 1 and 2 only. */
    if (in < 0 || dup2(in, STDIN_FILENO) < 0 || dup2(s->out_fd, STDOUT_FILENO) < 0 ||
        dup2(s->err_fd, STDERR_FILENO) < 0)
      _exit(127);
    execvp(argv[0], argv);
    fprintf(stderr, PROG ": cannot run %s: %s\n", argv[0], strerror(errno));
    _exit(127);
  }
  s->pid = pid;
}

size_t run_all(char **const *argv, size_t n, unsigned jobs, int stop_on_usage,
               int progress, run_result *res) {
  slot *slots;
  size_t next = 0, running = 0, done = 0;
  int stopping = 0;

  if (jobs == 0)
    jobs = 1;
  slots = xcalloc(jobs, sizeof(*slots));
  for (size_t i = 0; i < n; i++) {
    memset(&res[i], 0, sizeof(res[i]));
    res[i].status = -1;
  }
  while (running > 0 || (next < n && !stopping)) {
    int wst;
    pid_t pid;
    size_t k;

    while (running < jobs && next < n && !stopping) {
      for (k = 0; k < jobs && slots[k].pid != 0; k++)
        ;
      launch(&slots[k], argv[next], next);
      next++;
      running++;
    }
    do
      pid = waitpid(-1, &wst, 0);
    while (pid < 0 && errno == EINTR);
    if (pid < 0)
      die(1, "waitpid: %s", strerror(errno));
    for (k = 0; k < jobs && slots[k].pid != pid; k++)
      ;
    if (k == jobs)
      continue; /* not one of ours */
    {
      run_result *r = &res[slots[k].index];

      r->exited = WIFEXITED(wst);
      r->status = r->exited ? WEXITSTATUS(wst) : WIFSIGNALED(wst) ? WTERMSIG(wst) : -1;
      r->out = slurp_fd(slots[k].out_fd, &r->outlen);
      r->err = slurp_fd(slots[k].err_fd, &r->errlen);
      if (stop_on_usage && r->exited && r->status == EXIT_USAGE)
        stopping = 1;
    }
    slots[k].pid = 0;
    running--;
    done++;
    if (progress)
      fprintf(stderr, "\r" PROG ": %zu of %zu runs done", done, n);
  }
  if (progress && done > 0)
    fputc('\n', stderr);
  free(slots);
  return done;
}

void run_result_free(run_result *r) {
  free(r->out);
  free(r->err);
  memset(r, 0, sizeof(*r));
}

int run_grid(const grid *g, const char *sim, unsigned jobs, int progress, table *t,
             size_t counts[3]) {
  size_t n = grid_size(g);
  char ***cmds = xcalloc(n, sizeof(*cmds));
  run_result *res = xcalloc(n, sizeof(*res));
  int status = 0;

  counts[0] = counts[1] = counts[2] = 0;
  for (size_t i = 0; i < n; i++)
    cmds[i] = grid_argv(g, sim, i);
  run_all(cmds, n, jobs, 1, progress, res);
  for (size_t i = 0; i < n && status != EXIT_USAGE; i++) {
    run_result *r = &res[i];
    char *line = argv_line(cmds[i]);
    char run[32], err[256];

    snprintf(run, sizeof(run), "%zu", i + 1);
    if (r->exited && r->status == EXIT_USAGE) {
      warn("run %zu was refused: %s", i + 1, line);
      fwrite(r->err, 1, r->errlen, stderr);
      status = EXIT_USAGE;
    } else if (r->exited && (r->status == 0 || r->status == 1)) {
      if (table_add_json(t, run, r->out, r->outlen, err, sizeof(err)) != 0) {
        warn("run %zu printed no JSON summary (%s): %s", i + 1, err, line);
        fwrite(r->err, 1, r->errlen, stderr);
        counts[2]++;
      } else {
        counts[r->status == 0 ? 0 : 1]++;
      }
    } else if (r->exited || r->status >= 0) {
      warn("run %zu %s %d: %s", i + 1,
           r->exited ? "exited with status" : "died of signal", r->status, line);
      fwrite(r->err, 1, r->errlen, stderr);
      counts[2]++;
    }
    free(line);
  }
  for (size_t i = 0; i < n; i++) {
    argv_free(cmds[i]);
    run_result_free(&res[i]);
  }
  free(cmds);
  free(res);
  if (status == 0 && counts[2] > 0)
    status = 1;
  return status;
}
