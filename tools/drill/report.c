/*
 * plugtcp-drill: result lines, the summary, the JSON report, and the
 * expected-results list that makes a fix visible and a regression fail.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report.h"

const char *drill_status_name(drill_status s) {
  switch (s) {
  case DRILL_PASS:
    return "PASS";
  case DRILL_FAIL:
    return "FAIL";
  default:
    return "SKIP";
  }
}

static int status_from_name(const char *s, drill_status *out) {
  if (strcmp(s, "PASS") == 0)
    *out = DRILL_PASS;
  else if (strcmp(s, "FAIL") == 0)
    *out = DRILL_FAIL;
  else if (strcmp(s, "SKIP") == 0)
    *out = DRILL_SKIP;
  else
    return -1;
  return 0;
}

void drill_print_result(FILE *f, const drill_entry *e, int verbose_pass) {
  const drill_result *r = &e->res;

  if (r->status == DRILL_PASS) {
    fprintf(f, "PASS %s\n", e->name);
    (void)verbose_pass;
    return;
  }
  fprintf(f, "%s %s: %s\n", drill_status_name(r->status), e->name, r->reason);
  if (r->status == DRILL_FAIL && r->line > 0) {
    fprintf(f, "     line %d at %.6f s: %s\n", r->line, (double)r->at / 1e9, r->src);
  } else if (r->status == DRILL_FAIL && r->at > 0) {
    fprintf(f, "     at %.6f s\n", (double)r->at / 1e9);
  }
  if (r->status == DRILL_FAIL && r->expected[0] != '\0')
    fprintf(f, "     expected: %s\n", r->expected);
  if (r->status == DRILL_FAIL && r->actual[0] != '\0')
    fprintf(f, "     actual:   %s\n", r->actual);
}

void drill_print_summary(FILE *f, const drill_entry *e, size_t n) {
  size_t pass = 0, fail = 0, skip = 0;

  for (size_t i = 0; i < n; i++) {
    if (e[i].res.status == DRILL_PASS)
      pass++;
    else if (e[i].res.status == DRILL_FAIL)
      fail++;
    else
      skip++;
  }
  fprintf(f, "%zu passed, %zu failed, %zu skipped\n", pass, fail, skip);
}

static void group_key(const char *name, char *buf, size_t cap) {
  size_t n = strcspn(name, "/");
  const char *v = "";

  if (name[n] == '\0')
    n = 0; /* a script at the top: its own group "." */
  if (strstr(name, "-ipv4") != NULL)
    v = " ipv4";
  else if (strstr(name, "-ipv6") != NULL)
    v = " ipv6";
  drill_fmt(buf, cap, "%.*s%s", (int)(n ? n : 1), n ? name : ".", v);
}

void drill_print_groups(FILE *f, const drill_entry *e, size_t n) {
  typedef struct {
    char key[96];
    size_t c[3];
  } group;
  group *g = drill_xcalloc(n + 1, sizeof(group));
  size_t ng = 0;

  for (size_t i = 0; i < n; i++) {
    char key[96];
    size_t j;
    group_key(e[i].name, key, sizeof(key));
    for (j = 0; j < ng; j++)
      if (strcmp(g[j].key, key) == 0)
        break;
    if (j == ng)
      drill_fmt(g[ng++].key, sizeof(g[0].key), "%s", key);
    g[j].c[e[i].res.status]++;
  }
  for (size_t a = 1; a < ng; a++) /* few groups: insertion sort by name */
    for (size_t b = a; b > 0 && strcmp(g[b - 1].key, g[b].key) > 0; b--) {
      group t = g[b];
      g[b] = g[b - 1];
      g[b - 1] = t;
    }
  fprintf(f, "%-28s %6s %6s %6s %6s %7s\n", "group", "pass", "fail", "skip", "total",
          "pass%");
  for (size_t j = 0; j < ng; j++) {
    size_t total = g[j].c[0] + g[j].c[1] + g[j].c[2];
    fprintf(f, "%-28s %6zu %6zu %6zu %6zu %6.1f%%\n", g[j].key, g[j].c[DRILL_PASS],
            g[j].c[DRILL_FAIL], g[j].c[DRILL_SKIP], total,
            total ? 100.0 * (double)g[j].c[DRILL_PASS] / (double)total : 0.0);
  }
  free(g);
}

/* ------------------------------------------------------------------ */
/* JSON                                                                */

static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c == '\n')
      fputs("\\n", f);
    else if (c == '\t')
      fputs("\\t", f);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static drill_expect_line *find_mut(drill_expect *x, const char *name) {
  for (unsigned i = 0; x != NULL && i < x->nlines; i++)
    if (strcmp(x->lines[i].name, name) == 0)
      return &x->lines[i];
  return NULL;
}

static const drill_expect_line *find_line(const drill_expect *x, const char *name) {
  for (unsigned i = 0; x != NULL && i < x->nlines; i++)
    if (strcmp(x->lines[i].name, name) == 0)
      return &x->lines[i];
  return NULL;
}

static const char *reason_text(const drill_expect *x, const char *why) {
  if (why == NULL || why[0] != '@')
    return why;
  for (unsigned i = 0; i < x->nreasons; i++)
    if (strcmp(x->reasons[i].key, why + 1) == 0)
      return x->reasons[i].text;
  return why;
}

int drill_write_json(const char *path, const drill_entry *e, size_t n,
                     const drill_config *cfg, const drill_defines *defs,
                     const drill_expect *x) {
  FILE *f = strcmp(path, "-") == 0 ? stdout : fopen(path, "w");
  size_t cnt[3] = {0, 0, 0};

  if (f == NULL)
    return -1;
  fprintf(f, "{\n  \"tool\": \"plugtcp-drill\",\n  \"version\": ");
  json_str(f, ptcp_version());
  fprintf(f, ",\n  \"mode\": \"%s\",\n  \"defines\": [",
          cfg->strict ? "strict" : "portable");
  for (unsigned i = 0; i < defs->n; i++) {
    if (i)
      fputs(", ", f);
    json_str(f, defs->name[i]);
  }
  fprintf(f, "],\n  \"seed\": %llu,\n  \"results\": [\n", (unsigned long long)cfg->seed);
  for (size_t i = 0; i < n; i++) {
    const drill_result *r = &e[i].res;
    const drill_expect_line *l = find_line(x, e[i].name);
    cnt[r->status]++;
    fputs("    {\"script\": ", f);
    json_str(f, e[i].name);
    fprintf(f, ", \"status\": \"%s\"", drill_status_name(r->status));
    if (r->status != DRILL_PASS) {
      fputs(", \"reason\": ", f);
      json_str(f, r->reason);
    }
    if (r->status == DRILL_FAIL) {
      fprintf(f, ", \"line\": %d, \"time\": %.6f, \"source\": ", r->line,
              (double)r->at / 1e9);
      json_str(f, r->src);
      fputs(", \"expected\": ", f);
      json_str(f, r->expected);
      fputs(", \"actual\": ", f);
      json_str(f, r->actual);
    }
    if (r->dupfilter[0]) {
      fputs(", \"dupfilter\": ", f);
      json_str(f, r->dupfilter);
    }
    fprintf(f,
            ", \"ignored\": {\"sysctl\": %u, \"sockstat\": %u, \"tcpdrop\": %u, "
            "\"command\": %u, \"code\": %u, \"sockopt_value\": %u}",
            r->ignored.sysctl, r->ignored.sockstat, r->ignored.tcpdrop,
            r->ignored.other_command, r->ignored.code, r->ignored.sockopt_value);
    if (l != NULL) {
      fprintf(f, ", \"expected_status\": \"%s\"", drill_status_name(l->status));
      if (l->why != NULL) {
        fputs(", \"expected_reason\": ", f);
        json_str(f, reason_text(x, l->why));
      }
    }
    fprintf(f, "}%s\n", i + 1 < n ? "," : "");
  }
  fprintf(
      f, "  ],\n  \"summary\": {\"passed\": %zu, \"failed\": %zu, \"skipped\": %zu}\n}\n",
      cnt[DRILL_PASS], cnt[DRILL_FAIL], cnt[DRILL_SKIP]);
  if (f != stdout && fclose(f) != 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------------------ */
/* The expected-results list                                           */

static char *trim(char *s) {
  char *e;

  while (*s == ' ' || *s == '\t')
    s++;
  e = s + strlen(s);
  while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
    *--e = '\0';
  return s;
}

int drill_expect_load(drill_expect *x, const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "r");
  char buf[2048];
  int lineno = 0;
  unsigned rcap = 0, lcap = 0;

  memset(x, 0, sizeof(*x));
  if (f == NULL) {
    drill_fmt(err, errlen, "%s: %s", path, strerror(errno));
    return -1;
  }
  while (fgets(buf, sizeof(buf), f) != NULL) {
    char *s = trim(buf), *name, *st, *why;
    lineno++;
    if (*s == '\0' || *s == '#')
      continue;
    if (*s == '@') {
      char *sp = s + strcspn(s, " \t");
      if (*sp == '\0') {
        drill_fmt(err, errlen, "%s:%d: reason %s has no text", path, lineno, s);
        goto bad;
      }
      *sp++ = '\0';
      if (x->nreasons == rcap) {
        rcap = rcap ? rcap * 2 : 16;
        x->reasons = realloc(x->reasons, rcap * sizeof(drill_reason));
        if (x->reasons == NULL)
          goto oom;
      }
      x->reasons[x->nreasons].key = drill_strdup(s + 1);
      x->reasons[x->nreasons].text = drill_strdup(trim(sp));
      x->nreasons++;
      continue;
    }
    name = s;
    st = name + strcspn(name, " \t");
    if (*st == '\0') {
      drill_fmt(err, errlen, "%s:%d: expected '<script> <PASS|FAIL|SKIP> [reason]'", path,
                lineno);
      goto bad;
    }
    *st++ = '\0';
    st = trim(st);
    why = st + strcspn(st, " \t");
    if (*why != '\0')
      *why++ = '\0';
    why = trim(why);
    if (x->nlines == lcap) {
      lcap = lcap ? lcap * 2 : 256;
      x->lines = realloc(x->lines, lcap * sizeof(drill_expect_line));
      if (x->lines == NULL)
        goto oom;
    }
    {
      drill_expect_line *l = &x->lines[x->nlines];
      memset(l, 0, sizeof(*l));
      if (status_from_name(st, &l->status) != 0) {
        drill_fmt(err, errlen, "%s:%d: '%s' is not PASS, FAIL or SKIP", path, lineno, st);
        goto bad;
      }
      if (l->status != DRILL_PASS && *why == '\0') {
        drill_fmt(err, errlen, "%s:%d: %s %s needs a reason", path, lineno, name, st);
        goto bad;
      }
      if (find_line(x, name) != NULL) {
        drill_fmt(err, errlen, "%s:%d: %s is listed twice", path, lineno, name);
        goto bad;
      }
      l->name = drill_strdup(name);
      l->why = *why ? drill_strdup(why) : NULL;
      l->line = lineno;
      x->nlines++;
    }
  }
  fclose(f);
  /* Every @key used must be defined. */
  for (unsigned i = 0; i < x->nlines; i++) {
    const char *w = x->lines[i].why;
    if (w != NULL && w[0] == '@' && reason_text(x, w) == w) {
      drill_fmt(err, errlen, "%s:%d: reason %s is not defined", path, x->lines[i].line,
                w);
      drill_expect_free(x);
      return -1;
    }
  }
  return 0;
oom:
  fprintf(stderr, "plugtcp-drill: out of memory\n");
  exit(3);
bad:
  fclose(f);
  drill_expect_free(x);
  return -1;
}

void drill_expect_free(drill_expect *x) {
  for (unsigned i = 0; i < x->nreasons; i++) {
    free(x->reasons[i].key);
    free(x->reasons[i].text);
  }
  for (unsigned i = 0; i < x->nlines; i++) {
    free(x->lines[i].name);
    free(x->lines[i].why);
  }
  free(x->reasons);
  free(x->lines);
  memset(x, 0, sizeof(*x));
}

unsigned drill_expect_check(drill_expect *x, const drill_entry *e, size_t n,
                            const char *root, FILE *f) {
  unsigned diffs = 0;

  for (size_t i = 0; i < n; i++) {
    drill_expect_line *l = find_mut(x, e[i].name);
    drill_status got = e[i].res.status;
    if (l == NULL) {
      fprintf(f, "NOT LISTED %s (%s): add it to the expected list\n", e[i].name,
              drill_status_name(got));
      diffs++;
      continue;
    }
    l->seen = 1;
    if (l->status == got)
      continue;
    diffs++;
    if (l->status == DRILL_PASS)
      fprintf(f, "REGRESSION %s: expected PASS, got %s: %s\n", e[i].name,
              drill_status_name(got), e[i].res.reason);
    else if (got == DRILL_PASS)
      fprintf(f, "NOW PASSES %s (listed %s: %s): record the fix in the list\n", e[i].name,
              drill_status_name(l->status), reason_text(x, l->why));
    else
      fprintf(f, "CHANGED %s: expected %s (%s), got %s: %s\n", e[i].name,
              drill_status_name(l->status), reason_text(x, l->why),
              drill_status_name(got), e[i].res.reason);
  }
  for (unsigned i = 0; i < x->nlines; i++) {
    char path[4096];
    struct stat st;
    if (x->lines[i].seen)
      continue;
    drill_fmt(path, sizeof(path), "%s/%s", root ? root : ".", x->lines[i].name);
    if (stat(path, &st) != 0) {
      fprintf(f, "STALE %s: listed but not in the suite any more\n", x->lines[i].name);
      diffs++;
    }
  }
  return diffs;
}

static int cmp_entry(const void *a, const void *b) {
  return strcmp(((const drill_entry *)a)->name, ((const drill_entry *)b)->name);
}

int drill_expect_write(const char *path, const drill_expect *old, const drill_entry *e,
                       size_t n) {
  FILE *f = fopen(path, "w");
  drill_entry *sorted;

  if (f == NULL)
    return -1;
  sorted = drill_xcalloc(n, sizeof(*sorted));
  memcpy(sorted, e, n * sizeof(*sorted));
  qsort(sorted, n, sizeof(*sorted), cmp_entry);
  fprintf(f, "# plugtcp-drill expected results (format: see docs/conformance.md).\n");
  fprintf(f, "# <script> <PASS|FAIL|SKIP> [@reason or free text]\n\n");
  for (unsigned i = 0; old != NULL && i < old->nreasons; i++)
    fprintf(f, "@%-24s %s\n", old->reasons[i].key, old->reasons[i].text);
  if (old != NULL && old->nreasons > 0)
    fputc('\n', f);
  for (size_t i = 0; i < n; i++) {
    const drill_expect_line *l = find_line(old, sorted[i].name);
    drill_status st = sorted[i].res.status;
    if (st == DRILL_PASS)
      fprintf(f, "%s PASS\n", sorted[i].name);
    else if (l != NULL && l->status == st && l->why != NULL)
      fprintf(f, "%s %s %s\n", sorted[i].name, drill_status_name(st), l->why);
    else
      fprintf(f, "%s %s TODO %s\n", sorted[i].name, drill_status_name(st),
              sorted[i].res.reason);
  }
  free(sorted);
  return fclose(f);
}
