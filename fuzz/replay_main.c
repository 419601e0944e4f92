/*
 * plugtcp fuzzing: the standalone driver.  Linked with a harness instead
 * of libFuzzer, it replays files through LLVMFuzzerTestOneInput, so that
 * `make check` runs every committed corpus and regression input with any
 * compiler.
 *
 *   replay_<target> [FILE|DIR]...
 *
 * With no arguments it replays $srcdir/corpus/<target>/ and
 * $srcdir/fuzz/regressions/<target>/.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef REPLAY_TARGET
#error "REPLAY_TARGET must name the fuzz target"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static unsigned long replayed;

static int replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0;

  if (f == NULL) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  for (;;) {
    size_t n;
    if (len == cap) {
      uint8_t *nb;
      cap = cap ? cap * 2 : 4096;
      nb = realloc(buf, cap);
      if (nb == NULL) {
        fprintf(stderr, "replay: out of memory\n");
        free(buf);
        fclose(f);
        return -1;
      }
      buf = nb;
    }
    n = fread(buf + len, 1, cap - len, f);
    if (n == 0)
      break;
    len += n;
  }
  fclose(f);
  /* An exact-size copy, so a read past the end is caught by ASan. */
  {
    uint8_t *exact = malloc(len ? len : 1);
    if (exact == NULL) {
      free(buf);
      return -1;
    }
    if (len)
      memcpy(exact, buf, len);
    free(buf);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
  }
  replayed++;
  return 0;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file in |dir| in name order, for repeatable runs. */
static int replay_dir(const char *dir, int must_exist) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rv = 0;

  if (d == NULL) {
    if (!must_exist && errno == ENOENT)
      return 0;
    fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
    return -1;
  }
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.' || strcmp(e->d_name, "README.md") == 0)
      continue;
    if (n == cap) {
      char **nn;
      cap = cap ? cap * 2 : 64;
      nn = realloc(names, cap * sizeof(*names));
      if (nn == NULL) {
        rv = -1;
        break;
      }
      names = nn;
    }
    names[n] = malloc(strlen(dir) + strlen(e->d_name) + 2);
    if (names[n] == NULL) {
      rv = -1;
      break;
    }
    sprintf(names[n], "%s/%s", dir, e->d_name);
    n++;
  }
  closedir(d);
  if (names != NULL)
    qsort(names, n, sizeof(*names), cmp_names);
  for (size_t i = 0; i < n; i++) {
    struct stat st;
    if (rv == 0 && stat(names[i], &st) == 0 && S_ISREG(st.st_mode))
      rv = replay_file(names[i]);
    free(names[i]);
  }
  free(names);
  return rv;
}

static int replay_path(const char *path, int must_exist) {
  struct stat st;

  if (stat(path, &st) != 0) {
    if (!must_exist && errno == ENOENT)
      return 0;
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  return S_ISDIR(st.st_mode) ? replay_dir(path, must_exist) : replay_file(path);
}

int main(int argc, char **argv) {
  int rv = 0;

  if (LLVMFuzzerInitialize)
    LLVMFuzzerInitialize(&argc, &argv);
  if (argc > 1) {
    for (int i = 1; i < argc && rv == 0; i++)
      rv = replay_path(argv[i], 1);
  } else {
    const char *srcdir = getenv("srcdir");
    char path[4096];
    if (srcdir == NULL)
      srcdir = ".";
    snprintf(path, sizeof(path), "%s/corpus/%s", srcdir, REPLAY_TARGET);
    rv = replay_path(path, 1);
    if (rv == 0) {
      snprintf(path, sizeof(path), "%s/fuzz/regressions/%s", srcdir, REPLAY_TARGET);
      rv = replay_path(path, 0);
    }
  }
  if (rv != 0)
    return 1;
  printf("replay %s: %lu inputs, no finding\n", REPLAY_TARGET, replayed);
  return 0;
}
