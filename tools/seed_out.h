/*
 * plugtcp tools: what the fuzz seed generators (gen-conn-corpus,
 * gen-policy-corpus, gen-e2e-corpus) share: their command line,
 * "[--check] OUTDIR", and writing one seed, or with --check comparing it
 * with the committed file (tests/fuzz-corpus.test).
 */
#ifndef PLUGTCP_TOOLS_SEED_OUT_H
#define PLUGTCP_TOOLS_SEED_OUT_H
#include <stddef.h>
#include <stdint.h>

/**
 * seed_args reads "[--check] OUTDIR" into |*dir| and |*check|.  Returns 0,
 * or 2 (the exit status for a usage error) after saying on stderr, as
 * |prog|, what is wrong.
 */
int seed_args(const char *prog, int argc, char **argv, const char **dir, int *check);

/**
 * seed_put writes the |n| bytes at |p| to |path| or, with |check|,
 * compares them with the file there; a missing file is a difference only
 * when |must_exist| (a seed `make fuzz-merge` may remove is not).
 * Returns 0 (written, or the same), 1 (different or missing; said on
 * stderr) or 2 (the file could not be written; said on stderr).
 */
int seed_put(const char *prog, const char *path, const uint8_t *p, size_t n, int check,
             int must_exist);
#endif /* PLUGTCP_TOOLS_SEED_OUT_H */
