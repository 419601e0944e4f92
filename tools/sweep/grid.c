/*
 * plugtcp-sweep: the grid and its commands.  The grid is the product of
 * its axes in the order they were given, the first outermost, with the
 * seeds innermost; point i is always the same command, so a command
 * list printed for GNU parallel or a Slurm array is the list the local
 * runner runs, line i for point i.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"

static axis *find_axis(grid *g, const char *flag) {
  for (size_t i = 0; i < g->nax; i++)
    if (strcmp(g->ax[i].flag, flag) == 0)
      return &g->ax[i];
  if (g->nax == g->capax) {
    g->capax = g->capax ? g->capax * 2 : 8;
    g->ax = xrealloc(g->ax, g->capax * sizeof(*g->ax));
  }
  memset(&g->ax[g->nax], 0, sizeof(g->ax[g->nax]));
  g->ax[g->nax].flag = xstrdup(flag);
  return &g->ax[g->nax++];
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n'; }

void grid_add(grid *g, const char *flag, const char *values) {
  axis *a = NULL;
  const char *s = values;

  while (*s != '\0') {
    const char *start;

    while (is_blank(*s))
      s++;
    if (*s == '\0')
      break;
    start = s;
    while (*s != '\0' && !is_blank(*s))
      s++;
    if (a == NULL)
      a = find_axis(g, flag);
    sl_add_own(&a->values, xstrndup(start, (size_t)(s - start)));
  }
  if (a == NULL)
    die_usage("%s: no value in '%s'", flag, values);
}

static uint64_t parse_seed(const char *text, const char *whole) {
  char *end;
  unsigned long long v;

  if (text[0] < '0' || text[0] > '9')
    die_usage("--seeds: '%s' is not N or A-B (like 1-10)", whole);
  v = strtoull(text, &end, 10);
  if (*end != '\0')
    die_usage("--seeds: '%s' is not N or A-B (like 1-10)", whole);
  return (uint64_t)v;
}

void grid_add_seeds(grid *g, const char *spec) {
  const char *s = spec;
  int any = 0;

  while (*s != '\0') {
    const char *start;
    char *item, *dash;

    while (is_blank(*s))
      s++;
    if (*s == '\0')
      break;
    start = s;
    while (*s != '\0' && !is_blank(*s))
      s++;
    item = xstrndup(start, (size_t)(s - start));
    dash = strchr(item, '-');
    if (dash != NULL) {
      uint64_t a, b;
      *dash = '\0';
      a = parse_seed(item, spec);
      b = parse_seed(dash + 1, spec);
      if (b < a)
        die_usage("--seeds: '%s-%s' is an empty range", item, dash + 1);
      if (b - a >= 1000000)
        die_usage("--seeds: '%s-%s' is more than a million seeds", item, dash + 1);
      for (uint64_t v = a;; v++) {
        sl_add_own(&g->seeds, xasprintf("%llu", (unsigned long long)v));
        if (v == b)
          break;
      }
    } else {
      sl_add_own(&g->seeds,
                 xasprintf("%llu", (unsigned long long)parse_seed(item, spec)));
    }
    free(item);
    any = 1;
  }
  if (!any)
    die_usage("--seeds: no seed in '%s'", spec);
}

size_t grid_size(const grid *g) {
  size_t n = g->seeds.n ? g->seeds.n : 1;

  for (size_t i = 0; i < g->nax; i++) {
    if (g->ax[i].values.n != 0 && n > SIZE_MAX / g->ax[i].values.n)
      die_usage("the grid is too large");
    n *= g->ax[i].values.n;
  }
  return n;
}

char **grid_argv(const grid *g, const char *sim, size_t i) {
  size_t nseeds = g->seeds.n ? g->seeds.n : 1;
  size_t cap = 2 * g->nax + g->extra.n + 8, n = 0;
  char **argv = xcalloc(cap, sizeof(*argv));
  size_t *pick = xcalloc(g->nax ? g->nax : 1, sizeof(*pick));
  size_t seed = i % nseeds;

  i /= nseeds;
  for (size_t k = g->nax; k-- > 0;) {
    pick[k] = i % g->ax[k].values.n;
    i /= g->ax[k].values.n;
  }
  argv[n++] = xstrdup(sim);
  for (size_t k = 0; k < g->nax; k++) {
    argv[n++] = xstrdup(g->ax[k].flag);
    argv[n++] = xstrdup(g->ax[k].values.v[pick[k]]);
  }
  argv[n++] = xstrdup("--seed");
  argv[n++] = xstrdup(g->seeds.n ? g->seeds.v[seed] : "1");
  argv[n++] = xstrdup("-q");
  argv[n++] = xstrdup("--json");
  for (size_t k = 0; k < g->extra.n; k++)
    argv[n++] = xstrdup(g->extra.v[k]);
  argv[n] = NULL;
  free(pick);
  return argv;
}

void argv_free(char **argv) {
  if (argv == NULL)
    return;
  for (char **a = argv; *a != NULL; a++)
    free(*a);
  free(argv);
}

void sh_quote(strbuf *b, const char *arg) {
  static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                             "0123456789-_./:=,%+@";

  if (arg[0] != '\0' && strspn(arg, safe) == strlen(arg)) {
    sb_add(b, arg);
    return;
  }
  /* Single quotes keep everything; a quote itself is '\''. */
  sb_addc(b, '\'');
  for (const char *s = arg; *s != '\0'; s++) {
    if (*s == '\'')
      sb_add(b, "'\\''");
    else
      sb_addc(b, *s);
  }
  sb_addc(b, '\'');
}

char *argv_line(char *const *argv) {
  strbuf b = {0};

  for (size_t i = 0; argv[i] != NULL; i++) {
    if (i > 0)
      sb_addc(&b, ' ');
    sh_quote(&b, argv[i]);
  }
  return b.s != NULL ? b.s : xstrdup("");
}

void grid_free(grid *g) {
  for (size_t i = 0; i < g->nax; i++) {
    free(g->ax[i].flag);
    sl_free(&g->ax[i].values);
  }
  free(g->ax);
  sl_free(&g->seeds);
  sl_free(&g->extra);
  memset(g, 0, sizeof(*g));
}

void grid_print_commands(const grid *g, const char *sim, FILE *f) {
  size_t n = grid_size(g);

  for (size_t i = 0; i < n; i++) {
    char **argv = grid_argv(g, sim, i);
    char *line = argv_line(argv);

    fprintf(f, "%s\n", line);
    free(line);
    argv_free(argv);
  }
}

/* The here-document's end marker: a word no command line can hold, as
 * lines of quoted arguments never consist of it alone. */
#define HEREDOC_END "PLUGTCP_SWEEP_COMMANDS_END"

void grid_print_slurm(const grid *g, const char *sim, unsigned throttle,
                      const char *results, FILE *f) {
  size_t n = grid_size(g);
  strbuf dir = {0};

  sh_quote(&dir, results);
  fprintf(f,
          "#!/bin/sh\n"
          "#SBATCH --job-name=plugtcp-sweep\n"
          "#SBATCH --array=1-%zu",
          n);
  if (throttle > 0)
    fprintf(f, "%%%u", throttle);
  fprintf(f,
          "\n"
          "#SBATCH --ntasks=1\n"
          "#SBATCH --cpus-per-task=1\n"
          "#SBATCH --output=plugtcp-sweep-%%A_%%a.log\n"
          "#\n"
          "# Written by plugtcp-sweep --slurm: %zu plugtcp-sim runs, one per array\n"
          "# task.  Task i runs line i of the list below (the same list and order\n"
          "# as plugtcp-sweep --print-commands) and writes its JSON summary to\n"
          "# %s/run-<i>.json.  Submit with: sbatch <this file>.\n"
          "# Then merge: plugtcp-sweep csv %s/run-*.json > results.csv\n"
          "set -eu\n"
          ": \"${SLURM_ARRAY_TASK_ID:?not a Slurm array task: submit this script with "
          "sbatch}\"\n"
          "task=$SLURM_ARRAY_TASK_ID\n"
          "results=%s\n"
          "cmd=$(sed -n \"${task}p\" <<'" HEREDOC_END "'\n",
          n, results, results, sb_str(&dir));
  grid_print_commands(g, sim, f);
  fprintf(f,
          HEREDOC_END
          "\n"
          ")\n"
          "if [ -z \"$cmd\" ]; then\n"
          "  echo \"plugtcp-sweep: no command for task $task (there are %zu)\" >&2\n"
          "  exit 2\n"
          "fi\n"
          "mkdir -p \"$results\"\n"
          "out=$results/run-$(printf %%06d \"$task\").json\n"
          "# plugtcp-sim exits 1 when a scenario's expectation failed; its summary\n"
          "# (ok: false) is a result all the same.\n"
          "status=0\n"
          "eval \"$cmd\" >\"$out.tmp\" || status=$?\n"
          "if [ \"$status\" -gt 1 ]; then\n"
          "  echo \"plugtcp-sweep: task $task: exit status $status: $cmd\" >&2\n"
          "  rm -f \"$out.tmp\"\n"
          "  exit \"$status\"\n"
          "fi\n"
          "mv \"$out.tmp\" \"$out\"\n",
          n);
  sb_free(&dir);
}
