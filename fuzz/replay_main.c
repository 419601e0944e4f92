/*
 * plugtcp fuzzing: a standalone driver that replays inputs through a
 * harness's LLVMFuzzerTestOneInput without any fuzzing engine, so that
 * `make check` (and the sanitizer build) runs every committed seed and
 * every past crash on each build (OSS-Fuzz "regression testing", see
 * shared/notes/hardening.md §2.3 and §2.6).
 *
 *   replay_<t>                 replays $abs_top_srcdir/corpus/<t>/ and
 *                              $abs_top_srcdir/fuzz/regressions/<t>/
 *   replay_<t> PATH...         replays the given files or directories
 *
 * Each input is copied into a heap block of exactly its size, so that
 * ASan reports a read one byte past the end.  An oracle failure aborts
 * (FUZZ_CHECK), which the test harness reports as a failure.  Hidden
 * files (.keep) and README files are skipped.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_input.h"

#ifndef REPLAY_TARGET
#error "REPLAY_TARGET must name the fuzz target"
#endif

/* Inputs larger than this are not corpus material (max_len is 2048). */
#define REPLAY_MAX_INPUT (1u << 20)

static int replay_file(const char *path, unsigned long *count) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  long size;
  size_t got;

  if (f == NULL) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 ||
      (unsigned long)size > REPLAY_MAX_INPUT || fseek(f, 0, SEEK_SET) != 0) {
    fprintf(stderr, "replay: %s: cannot size it or larger than %u bytes\n", path,
            REPLAY_MAX_INPUT);
    fclose(f);
    return -1;
  }
  /* malloc(0) may return NULL; one spare byte keeps the pointer valid
   * but the harness still only sees |size| bytes. */
  buf = malloc((size_t)size > 0 ? (size_t)size : 1);
  if (buf == NULL) {
    fclose(f);
    return -1;
  }
  got = fread(buf, 1, (size_t)size, f);
  fclose(f);
  if (got != (size_t)size) {
    fprintf(stderr, "replay: %s: short read\n", path);
    free(buf);
    return -1;
  }
  LLVMFuzzerTestOneInput(buf, got);
  free(buf);
  (*count)++;
  return 0;
}

static int skipped_name(const char *name) {
  return name[0] == '.' || strncmp(name, "README", 6) == 0;
}

static int compare_names(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file in |dir|, in name order (deterministic). */
static int replay_dir(const char *dir, unsigned long *count) {
  DIR *d = opendir(dir);
  struct dirent *e;
  char **names = NULL;
  size_t n = 0, cap = 0;
  int status = 0;

  if (d == NULL) {
    fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
    return -1;
  }
  while ((e = readdir(d)) != NULL) {
    if (skipped_name(e->d_name))
      continue;
    if (n == cap) {
      char **grown = realloc(names, (cap = cap ? cap * 2 : 64) * sizeof(*names));
      if (grown == NULL) {
        status = -1;
        break;
      }
      names = grown;
    }
    names[n] = strdup(e->d_name);
    if (names[n] == NULL) {
      status = -1;
      break;
    }
    n++;
  }
  closedir(d);
  if (n > 1)
    qsort(names, n, sizeof(*names), compare_names);
  for (size_t i = 0; i < n; i++) {
    size_t len = strlen(dir) + strlen(names[i]) + 2;
    char *path = malloc(len);
    struct stat st;

    if (path == NULL) {
      status = -1;
    } else {
      snprintf(path, len, "%s/%s", dir, names[i]);
      if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && replay_file(path, count) != 0)
        status = -1;
      free(path);
    }
    free(names[i]);
  }
  free(names);
  return status;
}

static int replay_path(const char *path, unsigned long *count) {
  struct stat st;

  if (stat(path, &st) != 0) {
    fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
    return -1;
  }
  return S_ISDIR(st.st_mode) ? replay_dir(path, count) : replay_file(path, count);
}

int main(int argc, char **argv) {
  const char *top = getenv("abs_top_srcdir");
  unsigned long count = 0;
  int status = 0;

  if (argc > 1) {
    for (int i = 1; i < argc; i++)
      if (replay_path(argv[i], &count) != 0)
        status = 1;
  } else {
    static const char *const dirs[] = {"corpus/" REPLAY_TARGET,
                                       "fuzz/regressions/" REPLAY_TARGET};
    if (top == NULL)
      top = getenv("srcdir");
    if (top == NULL)
      top = ".";
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
      size_t len = strlen(top) + strlen(dirs[i]) + 2;
      char *path = malloc(len);
      if (path == NULL)
        return 1;
      snprintf(path, len, "%s/%s", top, dirs[i]);
      if (replay_dir(path, &count) != 0)
        status = 1;
      free(path);
    }
    /* An empty seed corpus means the test replays nothing: a defect. */
    if (count == 0) {
      fprintf(stderr, "replay: no inputs found under %s\n", top);
      status = 1;
    }
  }
  printf("replay %s: %lu inputs, %s\n", REPLAY_TARGET, count, status ? "FAILED" : "ok");
  return status;
}
