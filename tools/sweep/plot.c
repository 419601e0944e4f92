/*
 * plugtcp-sweep: plots.  The C side aggregates and writes plain data
 * files; the drawing is in the gnuplot scripts of tools/plots, each
 * run twice, for SVG and for PNG.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep/sweep.h"

/* ---- where things are ------------------------------------------------ */

static int is_dir(const char *p) {
  struct stat st;

  return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Both paths name the same directory. */
static int same_dir(const char *a, const char *b) {
  char ra[PATH_MAX], rb[PATH_MAX];

  return realpath(a, ra) != NULL && realpath(b, rb) != NULL && strcmp(ra, rb) == 0;
}

const char *plots_dir(const char *override) {
  static char *found;
  const char *env = getenv("PLUGTCP_PLOTS");
  char *self;

  if (found != NULL)
    return found;
  if (override != NULL) {
    if (!is_dir(override))
      die_usage("--plots: '%s' is not a directory", override);
    found = xstrdup(override);
    return found;
  }
  if (env != NULL && env[0] != '\0') {
    if (!is_dir(env))
      die(EXIT_USAGE, "PLUGTCP_PLOTS='%s' is not a directory", env);
    found = xstrdup(env);
    return found;
  }
  /* Run from the build tree: the scripts are in the source tree. */
  self = self_dir();
  if (self != NULL && same_dir(self, SWEEP_BUILD_TOOLS_DIR) &&
      is_dir(SWEEP_SRC_PLOTS_DIR))
    found = xstrdup(SWEEP_SRC_PLOTS_DIR);
  else if (is_dir(SWEEP_PLOTS_DIR))
    found = xstrdup(SWEEP_PLOTS_DIR);
  free(self);
  if (found == NULL)
    die(1, "no gnuplot scripts in %s; give --plots DIR (tools/plots in the sources)",
        SWEEP_PLOTS_DIR);
  return found;
}

char *gnuplot_path(void) {
  const char *env = getenv("GNUPLOT");

  return find_program(env != NULL && env[0] != '\0' ? env : "gnuplot");
}

char *gp_str(const char *s) {
  strbuf b = {0};

  /* Double quotes: gnuplot reads \n, \\ and \" in them (and keeps
   * '@' and '&' as is, the terminals being noenhanced). */
  sb_addc(&b, '"');
  for (; *s != '\0'; s++) {
    if (*s == '"' || *s == '\\') {
      sb_addc(&b, '\\');
      sb_addc(&b, *s);
    } else if (*s == '\n') {
      sb_add(&b, "\\n");
    } else if ((unsigned char)*s >= 0x20) {
      sb_addc(&b, *s);
    }
  }
  sb_addc(&b, '"');
  return b.s;
}

static int nonempty_file(const char *path) {
  struct stat st;

  return stat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0;
}

int run_gnuplot(const char *gnuplot, const char *script, const strlist *vars,
                const char *out_prefix) {
  static const char *const terms[] = {"svg", "png"};
  const char *dir = plots_dir(NULL);
  char *script_path = xasprintf("%s/%s", dir, script);
  int rv = 0;

  if (access(script_path, R_OK) != 0) {
    warn("cannot read the gnuplot script %s: %s", script_path, strerror(errno));
    free(script_path);
    return -1;
  }
  for (size_t t = 0; t < sizeof(terms) / sizeof(terms[0]) && rv == 0; t++) {
    strbuf e = {0};
    char *out = xasprintf("%s.%s", out_prefix, terms[t]);
    char *q;
    char *argv[5];
    char **cmds[1];
    run_result res;

    q = gp_str(dir);
    sb_printf(&e, "plotsdir=%s; ", q);
    free(q);
    q = gp_str(terms[t]);
    sb_printf(&e, "term=%s; ", q);
    free(q);
    q = gp_str(out);
    sb_printf(&e, "out=%s; ", q);
    free(q);
    for (size_t i = 0; i < vars->n; i++)
      sb_printf(&e, "%s; ", vars->v[i]);
    argv[0] = xstrdup(gnuplot);
    argv[1] = xstrdup("-e");
    argv[2] = e.s;
    argv[3] = xstrdup(script_path);
    argv[4] = NULL;
    cmds[0] = argv;
    unlink(out);
    run_all(cmds, 1, 1, 0, 0, &res);
    if (!res.exited || res.status != 0 || !nonempty_file(out)) {
      warn("gnuplot failed on %s (%s):", script, out);
      fwrite(res.err, 1, res.errlen, stderr);
      rv = -1;
    }
    run_result_free(&res);
    free(argv[0]);
    free(argv[1]);
    free(argv[3]);
    sb_free(&e);
    free(out);
  }
  free(script_path);
  return rv;
}

/* ---- labels ---------------------------------------------------------- */

static const struct {
  const char *col, *label;
} labels[] = {
    {"goodput_mbps", "goodput (Mbit/s)"},
    {"retransmissions", "retransmitted segments"},
    {"spurious_retransmissions", "spurious retransmissions (segments)"},
    {"timeouts", "retransmission timeouts"},
    {"sim_time_s", "simulated time (s)"},
    {"wall_time_s", "wall time (s)"},
    {"segments_sent", "segments sent"},
    {"data_segments_sent", "data segments sent"},
    {"events", "scheduler events"},
    {"bytes_delivered", "bytes delivered"},
    {"rtt.mean", "mean RTT (s)"},
    {"rtt.min", "minimum RTT (s)"},
    {"rtt.max", "maximum RTT (s)"},
    {"rtt.samples", "RTT samples"},
    {"link.loss", "loss probability (each direction)"},
    {"link.delay_s", "one-way delay (s)"},
    {"link.rate_bps", "link rate (bit/s)"},
    {"link.queue", "queue (packets)"},
    {"link.jitter_s", "jitter (s)"},
    {"link.dup", "duplication probability"},
    {"link.reorder", "reordering probability"},
    {"link.corrupt", "corruption probability"},
    {"link_stats.lost", "packets lost"},
    {"link_stats.dropped_queue", "packets dropped by the queue"},
    {"seed", "seed"},
};

const char *column_label(const char *col) {
  for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
    if (strcmp(labels[i].col, col) == 0)
      return labels[i].label;
  return NULL;
}

/* ---- policy spec labels ---------------------------------------------- */

/* name:k=v,k=v -> name and the list of "k=v". */
static char *split_spec(const char *spec, strlist *kv) {
  const char *colon = strchr(spec, ':');
  const char *s;

  if (colon == NULL)
    return xstrdup(spec);
  s = colon + 1;
  while (*s != '\0') {
    const char *comma = strchr(s, ',');
    size_t n = comma != NULL ? (size_t)(comma - s) : strlen(s);
    sl_add_own(kv, xstrndup(s, n));
    s += n;
    if (*s == ',')
      s++;
  }
  return xstrndup(spec, (size_t)(colon - spec));
}

void shorten_specs(strlist *labels_) {
  size_t n = labels_->n;
  char **names = xcalloc(n, sizeof(*names));
  strlist *kvs = xcalloc(n, sizeof(*kvs));

  for (size_t i = 0; i < n; i++)
    names[i] = split_spec(labels_->v[i], &kvs[i]);
  for (size_t i = 0; i < n; i++) {
    strbuf b = {0};
    int first = 1;

    sb_add(&b, names[i]);
    for (size_t k = 0; k < kvs[i].n; k++) {
      const char *kv = kvs[i].v[k];
      int shared = 1;

      /* Dropped when every spec of the same policy has this key=value. */
      for (size_t j = 0; j < n && shared; j++)
        if (strcmp(names[j], names[i]) == 0 && sl_find(&kvs[j], kv) < 0)
          shared = 0;
      if (shared)
        continue;
      sb_addc(&b, first ? ':' : ',');
      sb_add(&b, kv);
      first = 0;
    }
    free(labels_->v[i]);
    labels_->v[i] = b.s;
  }
  for (size_t i = 0; i < n; i++) {
    free(names[i]);
    sl_free(&kvs[i]);
  }
  free(names);
  free(kvs);
}

/* "rto" -> "rto policy", for a key's title. */
static const char *by_title(const char *slot) {
  static char buf[64];

  snprintf(buf, sizeof(buf), "%s policy", slot);
  return buf;
}

/* ---- the table plot -------------------------------------------------- */

typedef struct point {
  double x;
  double *sum, *min, *max;
  size_t *n;
} point;

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;

  return x < y ? -1 : x > y;
}

int plot_table(const table *t, const plot_spec *ps, const char *datafile,
               const char *out_prefix, const char *gnuplot) {
  ptrdiff_t xc = table_col(t, ps->x), bc = -1;
  size_t ny = ps->y.n;
  ptrdiff_t *yc;
  strlist groups = {0}, glabels = {0}, vars = {0};
  FILE *f;
  int rv = 0;

  /* Everything that can be wrong with the request, before allocating. */
  if (xc < 0)
    die_usage("--x: no column named '%s'", ps->x);
  for (size_t k = 0; k < ny; k++)
    if (table_col(t, ps->y.v[k]) < 0)
      die_usage("--y: no column named '%s'", ps->y.v[k]);
  if (ps->by != NULL) {
    bc = table_col(t, ps->by);
    if (bc < 0)
      die_usage("--by: no column named '%s'", ps->by);
  }
  if (t->nrows == 0)
    die(1, "the table has no rows to plot");
  yc = xcalloc(ny, sizeof(*yc));
  for (size_t k = 0; k < ny; k++)
    yc[k] = table_col(t, ps->y.v[k]);
  for (size_t r = 0; r < t->nrows; r++) {
    const char *g = bc >= 0 ? table_cell(t, r, (size_t)bc) : "all";
    if (g == NULL)
      g = "";
    if (sl_find(&groups, g) < 0)
      sl_add(&groups, g);
  }
  f = fopen(datafile, "w");
  if (f == NULL)
    die(1, "cannot write %s: %s", datafile, strerror(errno));
  fprintf(f, "# plugtcp-sweep plot: one block per %s; columns: %s",
          ps->by ? ps->by : "run", ps->x);
  for (size_t k = 0; k < ny; k++)
    fprintf(f, ", %s mean, min, max", ps->y.v[k]);
  fprintf(f, ", runs\n");
  for (size_t g = 0; g < groups.n; g++) {
    double *xs = xcalloc(t->nrows, sizeof(*xs));
    size_t nx = 0, nu = 0;
    point *pts;

    for (size_t r = 0; r < t->nrows; r++) {
      const char *gv = bc >= 0 ? table_cell(t, r, (size_t)bc) : "all";
      double x;
      if (strcmp(gv != NULL ? gv : "", groups.v[g]) != 0)
        continue;
      if (parse_double(table_cell(t, r, (size_t)xc), &x) != 0)
        continue;
      xs[nx++] = x;
    }
    qsort(xs, nx, sizeof(*xs), cmp_double);
    pts = xcalloc(nx ? nx : 1, sizeof(*pts));
    for (size_t i = 0; i < nx; i++) {
      if (nu > 0 && pts[nu - 1].x == xs[i])
        continue;
      pts[nu].x = xs[i];
      pts[nu].sum = xcalloc(ny, sizeof(double));
      pts[nu].min = xcalloc(ny, sizeof(double));
      pts[nu].max = xcalloc(ny, sizeof(double));
      pts[nu].n = xcalloc(ny, sizeof(size_t));
      nu++;
    }
    for (size_t r = 0; r < t->nrows; r++) {
      const char *gv = bc >= 0 ? table_cell(t, r, (size_t)bc) : "all";
      double x;
      size_t i;
      if (strcmp(gv != NULL ? gv : "", groups.v[g]) != 0 ||
          parse_double(table_cell(t, r, (size_t)xc), &x) != 0)
        continue;
      for (i = 0; i < nu && pts[i].x != x; i++)
        ;
      for (size_t k = 0; k < ny; k++) {
        double y;
        if (parse_double(table_cell(t, r, (size_t)yc[k]), &y) != 0)
          continue;
        if (pts[i].n[k] == 0 || y < pts[i].min[k])
          pts[i].min[k] = y;
        if (pts[i].n[k] == 0 || y > pts[i].max[k])
          pts[i].max[k] = y;
        pts[i].sum[k] += y;
        pts[i].n[k]++;
      }
    }
    fprintf(f, "# %s\n", groups.v[g]);
    for (size_t i = 0; i < nu; i++) {
      size_t nmax = 0;
      fprintf(f, "%.9g", pts[i].x * (ps->x_mult != 0 ? ps->x_mult : 1));
      for (size_t k = 0; k < ny; k++) {
        if (pts[i].n[k] == 0)
          fprintf(f, " NaN NaN NaN");
        else
          fprintf(f, " %.9g %.9g %.9g", pts[i].sum[k] / (double)pts[i].n[k],
                  pts[i].min[k], pts[i].max[k]);
        if (pts[i].n[k] > nmax)
          nmax = pts[i].n[k];
      }
      fprintf(f, " %zu\n", nmax);
      free(pts[i].sum);
      free(pts[i].min);
      free(pts[i].max);
      free(pts[i].n);
    }
    fprintf(f, "\n\n");
    free(pts);
    free(xs);
  }
  if (fclose(f) != 0)
    die(1, "cannot write %s: %s", datafile, strerror(errno));

  for (size_t g = 0; g < groups.n; g++)
    sl_add(&glabels, groups.v[g]);
  if (ps->by != NULL && strncmp(ps->by, "policies.", 9) == 0)
    shorten_specs(&glabels);
  {
    char *q = gp_str(datafile);
    sl_add_own(&vars, xasprintf("datafile=%s", q));
    free(q);
  }
  sl_add_own(&vars, xasprintf("ngroups=%zu", groups.n));
  sl_add_own(&vars, xasprintf("ny=%zu", ny));
  sl_add_own(&vars, xasprintf("array G[%zu]", groups.n));
  for (size_t g = 0; g < groups.n; g++) {
    char *q = gp_str(glabels.v[g]);
    sl_add_own(&vars, xasprintf("G[%zu]=%s", g + 1, q));
    free(q);
  }
  sl_add_own(&vars, xasprintf("array YL[%zu]", ny));
  for (size_t k = 0; k < ny; k++) {
    const char *l = k < ps->ylabels.n ? ps->ylabels.v[k] : column_label(ps->y.v[k]);
    char *q = gp_str(l != NULL ? l : ps->y.v[k]);
    sl_add_own(&vars, xasprintf("YL[%zu]=%s", k + 1, q));
    free(q);
  }
  {
    const char *xl = ps->xlabel != NULL ? ps->xlabel : column_label(ps->x);
    char *q = gp_str(xl != NULL ? xl : ps->x);
    sl_add_own(&vars, xasprintf("xlabel=%s", q));
    free(q);
    q = gp_str(ps->title != NULL ? ps->title : "");
    sl_add_own(&vars, xasprintf("title=%s", q));
    free(q);
    q = gp_str(ps->by == NULL                         ? ""
               : strncmp(ps->by, "policies.", 9) == 0 ? by_title(ps->by + 9)
                                                      : ps->by);
    sl_add_own(&vars, xasprintf("keytitle=%s", q));
    free(q);
  }
  sl_add_own(&vars, xasprintf("logx=%d", ps->logx ? 1 : 0));
  sl_add_own(&vars, xasprintf("array LOGY[%zu]", ny));
  for (size_t k = 0; k < ny; k++)
    sl_add_own(&vars, xasprintf("LOGY[%zu]=%d", k + 1, k < 32 && (ps->logy >> k & 1u)));
  if (run_gnuplot(gnuplot, "lines.gp", &vars, out_prefix) != 0)
    rv = -1;
  sl_free(&vars);
  sl_free(&groups);
  sl_free(&glabels);
  free(yc);
  return rv;
}
