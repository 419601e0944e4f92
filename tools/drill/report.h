/*
 * plugtcp-drill: reporting.  One line per script, a summary, a JSON
 * report, and the committed list of expected results.
 */
#ifndef PLUGTCP_DRILL_REPORT_H
#define PLUGTCP_DRILL_REPORT_H

#include "drill.h"

typedef struct drill_entry {
  char *name; /* the script, relative to the suite root */
  drill_result res;
} drill_entry;

/* The expected-results list:
 *
 *   # comment
 *   @key   one line saying why      (a reason, referred to below)
 *   path   PASS
 *   path   FAIL   @key              (or FAIL free text)
 *   path   SKIP   @key
 *
 * Every FAIL and SKIP needs a reason. */
typedef struct drill_reason {
  char *key; /* without '@' */
  char *text;
} drill_reason;

typedef struct drill_expect_line {
  char *name;
  drill_status status;
  char *why; /* "@key" or free text */
  int line;
  int seen;
} drill_expect_line;

typedef struct drill_expect {
  drill_reason *reasons;
  unsigned nreasons;
  drill_expect_line *lines;
  unsigned nlines;
} drill_expect;

const char *drill_status_name(drill_status s);

void drill_print_result(FILE *f, const drill_entry *e, int verbose_pass);
void drill_print_summary(FILE *f, const drill_entry *e, size_t n);

/** Prints passed/failed/skipped per top directory and IP version (the
 *  -ipv4/-ipv6 suffix of the script's name). */
void drill_print_groups(FILE *f, const drill_entry *e, size_t n);

/** Writes the JSON report.  Returns 0 or -1 (with errno). */
int drill_write_json(const char *path, const drill_entry *e, size_t n,
                     const drill_config *cfg, const drill_defines *defs,
                     const drill_expect *x);

/** Loads a list.  Returns 0, or -1 with a message in |err|. */
int drill_expect_load(drill_expect *x, const char *path, char *err, size_t errlen);
void drill_expect_free(drill_expect *x);

/** Compares the run with the list; prints every difference to |f|.
 *  |root| locates listed scripts on disk (to tell "not run" from
 *  "gone").  Returns the number of differences. */
unsigned drill_expect_check(drill_expect *x, const drill_entry *e, size_t n,
                            const char *root, FILE *f);

/** Writes a list for this run, keeping the reasons of |old| (may be
 *  NULL) where a script's status did not change. */
int drill_expect_write(const char *path, const drill_expect *old, const drill_entry *e,
                       size_t n);

#endif /* PLUGTCP_DRILL_REPORT_H */
