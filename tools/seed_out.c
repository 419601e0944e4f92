/*
 * plugtcp tools: the seed generators' command line and output (see
 * seed_out.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "seed_out.h"

int seed_args(const char *prog, int argc, char **argv, const char **dir, int *check) {
  *dir = NULL;
  *check = 0;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--check") == 0) {
      *check = 1;
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "%s: unknown option '%s'\nusage: %s [--check] OUTDIR\n", prog,
              argv[i], prog);
      return 2;
    } else if (*dir == NULL) {
      *dir = argv[i];
    } else {
      fprintf(stderr, "%s: one output directory only ('%s' is a second)\n", prog,
              argv[i]);
      return 2;
    }
  }
  if (*dir == NULL) {
    fprintf(stderr, "usage: %s [--check] OUTDIR\n", prog);
    return 2;
  }
  return 0;
}

/* Is the file at |path| exactly the |n| bytes at |p|?  |*exists| says
 * whether there is one. */
static int same_file(const char *path, const uint8_t *p, size_t n, int *exists) {
  FILE *f = fopen(path, "rb");
  uint8_t *buf;
  size_t got;
  int same;

  *exists = f != NULL;
  if (f == NULL)
    return 0;
  /* One byte more than expected, so a longer file shows. */
  buf = malloc(n + 1);
  if (buf == NULL) {
    fclose(f);
    return 0;
  }
  got = fread(buf, 1, n + 1, f);
  fclose(f);
  same = got == n && memcmp(buf, p, n) == 0;
  free(buf);
  return same;
}

int seed_put(const char *prog, const char *path, const uint8_t *p, size_t n, int check,
             int must_exist) {
  FILE *f;

  if (check) {
    int exists;

    if (same_file(path, p, n, &exists) || (!exists && !must_exist))
      return 0;
    fprintf(stderr, "%s: %s %s\n", prog, path,
            exists ? "differs from what it writes now" : "is missing");
    return 1;
  }
  f = fopen(path, "wb");
  if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0) {
    fprintf(stderr, "%s: %s: %s\n", prog, path, strerror(errno));
    return 2;
  }
  return 0;
}
