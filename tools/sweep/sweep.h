/*
 * plugtcp-sweep: experiments over plugtcp-sim.  A grid of policies x
 * link settings x seeds becomes one plugtcp-sim command per point; the
 * commands run in parallel on the local cores (or are printed for GNU
 * parallel or a Slurm job array), their JSON summaries become one CSV
 * row each, and gnuplot draws the figures.  tools/plugtcp-sweep.1 and
 * docs/experiments.md describe the command.
 *
 * The modules:
 *   util.c     memory, strings, string lists, files, paths, die()
 *   json.c     a small JSON reader that flattens an object to a.b keys
 *   table.c    the CSV table: columns in first-seen order, RFC 4180
 *   grid.c     axes, the command list, shell quoting, --slurm scripts
 *   runner.c   fork/exec with at most N children at a time
 *   plot.c     aggregation over seeds and the gnuplot calls
 *   figures.c  the documented figures, one command each
 *   main.c     the command line
 */
#ifndef PLUGTCP_SWEEP_H
#define PLUGTCP_SWEEP_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PROG "plugtcp-sweep"
#define EXIT_USAGE 2

/* ---- util.c --------------------------------------------------------- */

/* A wrong flag or value: the message, a hint, exit 2. */
void die_usage(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
/* Anything else that stops the tool: the message, exit |status|. */
void die(int status, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A growing string. */
typedef struct strbuf {
  char *s;
  size_t len, cap;
} strbuf;

void sb_addn(strbuf *b, const char *s, size_t n);
void sb_add(strbuf *b, const char *s);
void sb_addc(strbuf *b, char c);
void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(strbuf *b);
/* The string (never NULL), owned by the buffer. */
const char *sb_str(const strbuf *b);

/* A list of owned strings. */
typedef struct strlist {
  char **v;
  size_t n, cap;
} strlist;

void sl_add(strlist *l, const char *s); /* copies |s| */
void sl_add_own(strlist *l, char *s);   /* takes |s| */
void sl_free(strlist *l);
ptrdiff_t sl_find(const strlist *l, const char *s); /* -1 if absent */

/* Reads the whole file (or stream) into a NUL-terminated buffer. */
char *read_file(const char *path, size_t *len);
char *read_stream(FILE *f, size_t *len);
/* Writes |len| bytes to |path|; 0 or -1 (errno). */
int write_file(const char *path, const char *data, size_t len);
/* mkdir -p; 0 or -1 (errno). */
int make_dirs(const char *path);
/* A fresh directory under $TMPDIR (or /tmp); remove_tree removes it. */
char *make_temp_dir(const char *what);
void remove_tree(const char *path);

/* The directory of the running executable (from /proc/self/exe), or NULL. */
char *self_dir(void);
/* |name| found along $PATH (or |name| itself when it has a '/'), if
 * executable; NULL otherwise. */
char *find_program(const char *name);

/* strtod over the whole string; 0 or -1. */
int parse_double(const char *s, double *out);
/* The online CPUs, at least 1. */
unsigned online_cpus(void);

/* ---- json.c --------------------------------------------------------- */

typedef enum json_kind {
  JSON_NULL,
  JSON_BOOL,
  JSON_NUMBER,
  JSON_STRING,
  JSON_ARRAY, /* kept whole: |value| is the array's JSON text */
} json_kind;

/* One leaf of a flattened object: "link.burst_loss.p" = "0". */
typedef struct json_field {
  char *key;
  char *value; /* strings unescaped; numbers and booleans as written;
                  "" for null; arrays as their JSON text */
  json_kind kind;
} json_field;

typedef struct json_flat {
  json_field *f;
  size_t n, cap;
} json_flat;

/*
 * json_flatten parses the JSON object in |text| (|len| bytes; blanks
 * around it allowed) into |out|, nested objects' keys joined with '.',
 * in document order.  Returns 0, or -1 with a message in |err|.
 */
int json_flatten(const char *text, size_t len, json_flat *out, char *err, size_t errlen);
void json_flat_free(json_flat *j);
/* The value of |key|, or NULL. */
const json_field *json_get(const json_flat *j, const char *key);

/* ---- table.c -------------------------------------------------------- */

/* A CSV table: named columns in first-seen order, rows of cells (NULL:
 * empty). */
typedef struct table {
  strlist cols;
  char ***rows; /* rows[r][c], c < cols.n at the time it was set */
  size_t *rowlen;
  size_t nrows, caprows;
} table;

/* Adds a row; returns its index. */
size_t table_add_row(table *t);
/* Sets row |r|'s cell in column |col| (added when new) to a copy of |v|. */
void table_set(table *t, size_t r, const char *col, const char *v);
/* The cell (NULL when empty) of row |r| in column |c|. */
const char *table_cell(const table *t, size_t r, size_t c);
ptrdiff_t table_col(const table *t, const char *name);
/* Writes |t| as CSV (RFC 4180: a header row, fields quoted when they
 * need it, CRLF-free: lines end in \n).  0 or -1. */
int table_write_csv(const table *t, FILE *f);
/* Reads CSV text into |t| (the first line names the columns).  0, or -1
 * with a message in |err|. */
int table_read_csv(table *t, const char *text, char *err, size_t errlen);
void table_free(table *t);
/* Adds the JSON summary |json| (one object) as a row, after the leading
 * cells "run" = |run|.  0, or -1 with a message in |err|. */
int table_add_json(table *t, const char *run, const char *json, size_t len, char *err,
                   size_t errlen);

/* ---- grid.c --------------------------------------------------------- */

/* One axis of the grid: a plugtcp-sim flag and the values it takes. */
typedef struct axis {
  char *flag; /* "--loss", "--rto", ... ; "--seed" for the seeds */
  strlist values;
} axis;

typedef struct grid {
  axis *ax;
  size_t nax, capax;
  strlist seeds; /* the innermost axis; default "1" */
  strlist extra; /* arguments after "--", given to every run */
} grid;

/* Adds each blank-separated word of |values| to the axis of |flag|
 * (created at the end of the axis order when new). */
void grid_add(grid *g, const char *flag, const char *values);
/* --seeds SPEC: blank-separated N or A-B items. */
void grid_add_seeds(grid *g, const char *spec);
/* The number of points (commands). */
size_t grid_size(const grid *g);
/*
 * grid_argv builds point |i|'s command: |sim|, the axes' flags and
 * values in axis order (seeds last), -q --json, then the extra
 * arguments.  The vector ends with NULL; free it with argv_free.
 */
char **grid_argv(const grid *g, const char *sim, size_t i);
void argv_free(char **argv);
/* Appends |arg| to |b| quoted for a POSIX shell (only when it needs it). */
void sh_quote(strbuf *b, const char *arg);
/* The command as one shell line. */
char *argv_line(char *const *argv);
void grid_free(grid *g);

/* --print-commands: one line per point. */
void grid_print_commands(const grid *g, const char *sim, FILE *f);
/* --slurm: a job-array script whose task i runs line i. */
void grid_print_slurm(const grid *g, const char *sim, unsigned throttle,
                      const char *results, FILE *f);

/* ---- runner.c ------------------------------------------------------- */

/* What one command did. */
typedef struct run_result {
  int exited; /* exited normally (else killed by a signal) */
  int status; /* exit status, or the signal number */
  char *out;  /* its stdout */
  size_t outlen;
  char *err; /* its stderr */
  size_t errlen;
} run_result;

/*
 * run_all runs the |n| commands |argv[i]| with at most |jobs| at a time
 * and fills |res[i]|.  When |stop_on_usage| is set, a command that
 * exits with status 2 stops the launching of new ones (those are left
 * with status -1 and not exited).  |progress|: a line on stderr as runs
 * finish.  Returns the number of commands that ran.
 */
size_t run_all(char **const *argv, size_t n, unsigned jobs, int stop_on_usage,
               int progress, run_result *res);
void run_result_free(run_result *r);

/*
 * run_grid runs every point of |g| with |sim| (at most |jobs| at a
 * time) and adds each summary to |t| as a row, in grid order.  counts:
 * [0] runs whose scenario held, [1] runs whose did not (exit 1, still a
 * row), [2] runs without a summary (reported on stderr).  Returns 0, 1
 * when some run had no summary, or 2 when plugtcp-sim refused a run as
 * a usage error (its message printed; the table is then incomplete).
 */
int run_grid(const grid *g, const char *sim, unsigned jobs, int progress, table *t,
             size_t counts[3]);

/* ---- plot.c --------------------------------------------------------- */

/* Where the gnuplot scripts (tools/plots) are; dies if nowhere. */
const char *plots_dir(const char *override);
/* gnuplot's path, or NULL when it is not installed. */
char *gnuplot_path(void);
/*
 * run_gnuplot renders |script| (a file in plots_dir) into |out_prefix|.svg
 * and .png with the variables in |vars| ("name=value" gnuplot
 * assignments, each a statement).  0, or -1 with gnuplot's complaint
 * printed.
 */
int run_gnuplot(const char *gnuplot, const char *script, const strlist *vars,
                const char *out_prefix);
/* A gnuplot string literal of |s| (double-quoted, newlines as \n). */
char *gp_str(const char *s);

/* The plot of a CSV table: y columns against x, one line per group. */
typedef struct plot_spec {
  const char *x;      /* column */
  strlist y;          /* columns, one panel each */
  const char *by;     /* column that names the lines; NULL: one line */
  double x_mult;      /* x values are multiplied by this (1) */
  const char *xlabel; /* NULL: from the column */
  strlist ylabels;    /* per y; missing ones from the column */
  const char *title;  /* NULL: none */
  int logx;
  unsigned logy; /* bit k: panel k's y axis is logarithmic */
} plot_spec;

/* A label with units for a known summary column, or NULL. */
const char *column_label(const char *col);
/*
 * plot_table aggregates |t| (mean, min and max over the rows of each
 * (group, x)) into |datafile| and renders |out_prefix|.svg and .png
 * with lines.gp.  0, or -1 with a message printed.
 */
int plot_table(const table *t, const plot_spec *ps, const char *datafile,
               const char *out_prefix, const char *gnuplot);
/* Shortens policy specs for labels: drops each key=value that every
 * spec of the same policy shares.  |labels| is changed in place. */
void shorten_specs(strlist *labels);

/* ---- figures.c ------------------------------------------------------ */

typedef struct figure_opts {
  const char *out;   /* directory for the .svg and .png */
  const char *sim;   /* plugtcp-sim */
  const char *plots; /* --plots override, or NULL */
  unsigned jobs;
  int keep_data; /* keep the data files in |out| */
  int quiet;
  strlist extra; /* after "--": given to every plugtcp-sim run */
} figure_opts;

/* The names and one-line descriptions, NULL-terminated. */
extern const char *const figure_names[];
extern const char *const figure_summaries[];
/* Makes figure |name|; returns the exit status. */
int figure_make(const char *name, const figure_opts *o);

#endif /* PLUGTCP_SWEEP_H */
