/*
 * plugtcp-sweep: the command line.  See sweep.h for the modules and
 * tools/plugtcp-sweep.1 for the manual.
 *
 * Exit status: 0 when every run printed its summary (whether or not
 * its scenario's expectation held: that is the "ok" column) and every
 * file was written; 1 when a run died without a summary or a figure
 * could not be drawn; 2 on a usage error, including a run that
 * plugtcp-sim refused as one.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sweep/sweep.h"

static void usage(FILE *f) {
  fputs("Usage: " PROG " [run] [GRID] [-j N] [-o FILE.csv] [-- PLUGTCP-SIM-ARGS]\n"
        "       " PROG " --print-commands [GRID] [-- PLUGTCP-SIM-ARGS]\n"
        "       " PROG " --slurm [GRID] [-j N] [--results DIR] [-- PLUGTCP-SIM-ARGS]\n"
        "       " PROG " csv [-o FILE.csv] FILE.json...\n"
        "       " PROG
        " plot FILE.csv --x COL --y COL [--y COL]... [--by COL] [--out PREFIX]\n"
        "       " PROG " figure NAME [--out DIR] [-j N] [-- PLUGTCP-SIM-ARGS]\n"
        "       " PROG " figure --list\n"
        "Run plugtcp-sim over a grid of policies x link settings x seeds, in parallel,\n"
        "into one CSV row per run; or print the runs for GNU parallel or a Slurm\n"
        "job array; and draw figures with gnuplot (SVG and PNG).\n"
        "\n"
        "Grid (each flag is repeatable; its value is one or more blank-separated\n"
        "values, each a value of the plugtcp-sim flag of the same name; the grid\n"
        "is the product of the flags' values, in the order given, seeds last):\n"
        "  -s, --scenario NAMES  -n, --bytes N...   --conns N...\n"
        "      --rate R...   --delay D...   --queue N...   --loss P...\n"
        "      --burst-loss P,R...   --dup P...   --reorder P...   --corrupt P...\n"
        "      --jitter D...   --delay-profile SHAPE,A,P...   --impair DIR...\n"
        "      --mss N...   --sndbuf N...   --rcvbuf N...   --msl D...\n"
        "      --time-limit D...\n"
        "      --isn SPECS  --rto SPECS  --dupfilter SPECS  --close SPECS  --cc SPECS\n"
        "      --policy SLOT=SPEC...\n"
        "      --seeds LIST       seeds: N or A-B items, e.g. '1-10' (default 1)\n"
        "Running:\n"
        "  -j, --jobs N           at most N runs at a time (default: the online CPUs);\n"
        "                         with --slurm, at most N array tasks at a time\n"
        "  -o, --output FILE      write the CSV to FILE (default: stdout)\n"
        "      --sim PATH         the plugtcp-sim to run (default: the one installed\n"
        "                         next to " PROG ", else $PLUGTCP_SIM, else $PATH)\n"
        "      --print-commands   print one plugtcp-sim command per line instead of\n"
        "                         running them (for GNU parallel: parallel < FILE)\n"
        "      --slurm            print a Slurm job-array script instead: task i runs\n"
        "                         command i and writes DIR/run-<i>.json\n"
        "      --results DIR      --slurm's DIR (default results)\n"
        "  -q, --quiet            no progress and no summary line on stderr\n"
        "  --                     the rest goes to every plugtcp-sim run as is\n"
        "                         (e.g. -- --plugin ./rto_mine.so --impair forward)\n"
        "csv: JSON summaries (plugtcp-sim --json, one per line) to CSV.\n"
        "plot: one panel per --y column against --x, one line per --by value (mean\n"
        "      over the rows with that x, bars from the least to the greatest):\n"
        "      --x COL, --y COL (repeatable), --by COL, --x-mult F, --xlabel TEXT,\n"
        "      --ylabel TEXT (one per --y), --title TEXT, --logx, --logy, --out PREFIX\n"
        "      (writes PREFIX.svg and PREFIX.png; default: the CSV's name), --keep-data\n"
        "      (also PREFIX.dat)\n"
        "figure: one of the documented experiments, from run to picture (see --list):\n"
        "      --out DIR (default .), -j N, --sim PATH, --keep-data (the data too)\n"
        "Both: --plots DIR: the gnuplot scripts (default: installed, or the sources'\n"
        "      tools/plots when run from the build tree)\n"
        "\n"
        "CSV columns: run (the grid point, from 1), then every field of plugtcp-sim's\n"
        "JSON summary in its order, nested objects flattened (link.loss, rtt.mean).\n"
        "Exit status: 0 when every run printed its summary, 1 when one did not or a\n"
        "figure could not be drawn, 2 on a usage error.\n",
        f);
}

/* ---- shared option plumbing ------------------------------------------ */

static unsigned parse_jobs(const char *text) {
  char *end;
  unsigned long v;

  errno = 0;
  v = strtoul(text, &end, 10);
  if (text[0] < '0' || text[0] > '9' || *end != '\0' || errno != 0 || v == 0 || v > 4096)
    die_usage("--jobs: '%s' is not a number from 1 to 4096", text);
  return (unsigned)v;
}

/* The plugtcp-sim to run: --sim, $PLUGTCP_SIM, the one next to us, $PATH. */
static char *resolve_sim(const char *given) {
  const char *env = getenv("PLUGTCP_SIM");
  char *self, *p;

  if (given != NULL) {
    p = find_program(given);
    if (p == NULL)
      die_usage("--sim: '%s' is not an executable program", given);
    return p;
  }
  if (env != NULL && env[0] != '\0') {
    p = find_program(env);
    if (p == NULL)
      die(EXIT_USAGE, "PLUGTCP_SIM='%s' is not an executable program", env);
    return p;
  }
  self = self_dir();
  if (self != NULL) {
    p = xasprintf("%s/plugtcp-sim", self);
    free(self);
    if (access(p, X_OK) == 0)
      return p;
    free(p);
  }
  p = find_program("plugtcp-sim");
  if (p == NULL)
    die(EXIT_USAGE, "cannot find plugtcp-sim: give --sim PATH");
  return p;
}

/* Cuts argv at its first "--": what follows goes to |extra|, and the
 * count before it is returned, for getopt to parse (and permute) alone. */
static int split_extra(int argc, char **argv, strlist *extra) {
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      for (int k = i + 1; k < argc; k++)
        sl_add(extra, argv[k]);
      return i;
    }
  }
  return argc;
}

/* ---- run -------------------------------------------------------------- */

enum {
  O_SEEDS = 256,
  O_SIM,
  O_PRINT,
  O_SLURM,
  O_RESULTS,
  O_POLICY,
  O_AXIS, /* the axes: O_AXIS + index in axis_flags */
};

/* The grid axes: plugtcp-sim's value flags. */
static const char *const axis_flags[] = {
    "scenario",      "bytes",      "conns", "rate",      "delay",   "queue",
    "loss",          "burst-loss", "dup",   "reorder",   "corrupt", "jitter",
    "delay-profile", "impair",     "mss",   "sndbuf",    "rcvbuf",  "msl",
    "time-limit",    "isn",        "rto",   "dupfilter", "close",   "cc",
};
#define NAXIS_FLAGS (sizeof(axis_flags) / sizeof(axis_flags[0]))

static const char *const slots[] = {"isn", "rto", "dupfilter", "close", "cc"};

static void add_policy(grid *g, const char *values) {
  strlist words = {0};
  grid tmp = {0};

  /* Split with the grid's own rule, then route each SLOT=SPEC. */
  grid_add(&tmp, "--policy", values);
  words = tmp.ax[0].values;
  for (size_t i = 0; i < words.n; i++) {
    const char *eq = strchr(words.v[i], '=');
    size_t s;
    char *flag;

    for (s = 0; s < sizeof(slots) / sizeof(slots[0]); s++)
      if (eq != NULL && (size_t)(eq - words.v[i]) == strlen(slots[s]) &&
          strncmp(words.v[i], slots[s], strlen(slots[s])) == 0)
        break;
    if (eq == NULL || eq[1] == '\0' || s == sizeof(slots) / sizeof(slots[0]))
      die_usage("--policy: '%s' is not SLOT=SPEC with a slot isn, rto, dupfilter, close "
                "or cc",
                words.v[i]);
    flag = xasprintf("--%s", slots[s]);
    grid_add(g, flag, eq + 1);
    free(flag);
  }
  grid_free(&tmp);
}

static int cmd_run(int argc, char **argv) {
  static struct option opts[NAXIS_FLAGS + 16];
  size_t no = 0;
  grid g = {0};
  const char *sim_given = NULL, *output = NULL, *results = "results";
  unsigned jobs = 0;
  int print = 0, slurm = 0, quiet = 0, opt, status = 0;
  char *sim;
  size_t n, counts[3];
  table t = {0};

  for (size_t i = 0; i < NAXIS_FLAGS; i++)
    opts[no++] = (struct option){axis_flags[i], required_argument, NULL, O_AXIS + (int)i};
  opts[no++] = (struct option){"policy", required_argument, NULL, O_POLICY};
  opts[no++] = (struct option){"seeds", required_argument, NULL, O_SEEDS};
  opts[no++] = (struct option){"seed", required_argument, NULL, O_SEEDS};
  opts[no++] = (struct option){"jobs", required_argument, NULL, 'j'};
  opts[no++] = (struct option){"output", required_argument, NULL, 'o'};
  opts[no++] = (struct option){"sim", required_argument, NULL, O_SIM};
  opts[no++] = (struct option){"print-commands", no_argument, NULL, O_PRINT};
  opts[no++] = (struct option){"slurm", no_argument, NULL, O_SLURM};
  opts[no++] = (struct option){"results", required_argument, NULL, O_RESULTS};
  opts[no++] = (struct option){"quiet", no_argument, NULL, 'q'};
  opts[no++] = (struct option){"help", no_argument, NULL, 'h'};
  opts[no++] = (struct option){"version", no_argument, NULL, 'V'};
  opts[no] = (struct option){NULL, 0, NULL, 0};

  argc = split_extra(argc, argv, &g.extra);
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":s:n:j:o:qhV", opts, NULL)) != -1) {
    switch (opt) {
    case 's':
      grid_add(&g, "--scenario", optarg);
      break;
    case 'n':
      grid_add(&g, "--bytes", optarg);
      break;
    case 'j':
      jobs = parse_jobs(optarg);
      break;
    case 'o':
      output = optarg;
      break;
    case 'q':
      quiet = 1;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    case 'V':
      printf(PROG " (plugtcp) %s\n", PACKAGE_VERSION);
      exit(0);
    case O_SEEDS:
      grid_add_seeds(&g, optarg);
      break;
    case O_SIM:
      sim_given = optarg;
      break;
    case O_PRINT:
      print = 1;
      break;
    case O_SLURM:
      slurm = 1;
      break;
    case O_RESULTS:
      if (optarg[0] == '\0')
        die_usage("--results: the directory name is empty");
      results = optarg;
      break;
    case O_POLICY:
      add_policy(&g, optarg);
      break;
    case ':':
      die_usage("option '%s' needs a value", argv[optind - 1]);
    case '?':
      if (optopt != 0)
        die_usage("unknown option '-%c'", optopt);
      die_usage("unknown option '%s'", argv[optind - 1]);
    default: {
      char *flag = xasprintf("--%s", axis_flags[opt - O_AXIS]);
      grid_add(&g, flag, optarg);
      free(flag);
    }
    }
  }
  if (optind < argc)
    die_usage("unexpected argument '%s' (plugtcp-sim's own flags go after '--')",
              argv[optind]);
  if (print && slurm)
    die_usage("--print-commands and --slurm exclude each other");
  if (output != NULL && (print || slurm))
    die_usage("--output is for the CSV of a run; redirect --%s's output instead",
              print ? "print-commands" : "slurm");
  /* A seed after "--" would override the grid's for every run. */
  for (size_t i = 0; i < g.extra.n; i++)
    if (strcmp(g.extra.v[i], "--seed") == 0 || strncmp(g.extra.v[i], "--seed=", 7) == 0)
      die_usage("'%s' after '--': " PROG " sets each run's seed (use --seeds)",
                g.extra.v[i]);
  sim = resolve_sim(sim_given);
  n = grid_size(&g);

  if (print || slurm) {
    if (print)
      grid_print_commands(&g, sim, stdout);
    else
      grid_print_slurm(&g, sim, jobs, results, stdout);
    free(sim);
    grid_free(&g);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
  }

  if (jobs == 0)
    jobs = online_cpus();
  status = run_grid(&g, sim, jobs, !quiet && isatty(STDERR_FILENO), &t, counts);
  if (status != EXIT_USAGE) {
    FILE *f = stdout;
    char *tmp = NULL;

    if (output != NULL) {
      tmp = xasprintf("%s.tmp", output);
      f = fopen(tmp, "w");
      if (f == NULL)
        die(EXIT_USAGE, "--output: cannot write '%s': %s", tmp, strerror(errno));
    }
    if (table_write_csv(&t, f) != 0 || (output != NULL && fclose(f) != 0))
      die(1, "cannot write the CSV: %s", strerror(errno));
    if (output != NULL && rename(tmp, output) != 0)
      die(1, "cannot rename %s to %s: %s", tmp, output, strerror(errno));
    free(tmp);
    if (!quiet)
      fprintf(stderr,
              PROG ": %zu runs: %zu ok, %zu not ok (see the ok and failures columns), "
                   "%zu without a summary\n",
              n, counts[0], counts[1], counts[2]);
  }
  table_free(&t);
  free(sim);
  grid_free(&g);
  return status;
}

/* ---- csv -------------------------------------------------------------- */

static int cmd_csv(int argc, char **argv) {
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  const char *output = NULL;
  table t = {0};
  size_t run = 0;
  int opt;
  FILE *f = stdout;

  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
    switch (opt) {
    case 'o':
      output = optarg;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    case ':':
      die_usage("csv: option '%s' needs a value", argv[optind - 1]);
    default:
      die_usage("csv: unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind == argc)
    die_usage("csv: give the files of JSON summaries ('-' for stdin)");
  for (int i = optind; i < argc; i++) {
    char *text =
        strcmp(argv[i], "-") == 0 ? read_stream(stdin, NULL) : read_file(argv[i], NULL);
    char *line, *next;
    size_t lineno = 0;

    if (text == NULL)
      die(EXIT_USAGE, "csv: cannot read '%s': %s", argv[i], strerror(errno));
    for (line = text; line != NULL && *line != '\0'; line = next) {
      char err[256], runs[32];
      size_t len;

      next = strchr(line, '\n');
      len = next != NULL ? (size_t)(next - line) : strlen(line);
      if (next != NULL)
        next++;
      lineno++;
      if (strspn(line, " \t\r") >= len)
        continue;
      snprintf(runs, sizeof(runs), "%zu", ++run);
      if (table_add_json(&t, runs, line, len, err, sizeof(err)) != 0) {
        free(text);
        table_free(&t);
        die(1, "csv: %s:%zu: not a JSON summary: %s", argv[i], lineno, err);
      }
    }
    free(text);
  }
  if (output != NULL && (f = fopen(output, "w")) == NULL)
    die(EXIT_USAGE, "csv: --output: cannot write '%s': %s", output, strerror(errno));
  if (table_write_csv(&t, f) != 0 || (output != NULL && fclose(f) != 0))
    die(1, "csv: cannot write the CSV: %s", strerror(errno));
  table_free(&t);
  return 0;
}

/* ---- plot ------------------------------------------------------------- */

enum {
  P_X = 256,
  P_Y,
  P_BY,
  P_XMULT,
  P_XLABEL,
  P_YLABEL,
  P_TITLE,
  P_LOGX,
  P_LOGY,
  P_OUT,
  P_KEEP,
  P_PLOTS
};

static int cmd_plot(int argc, char **argv) {
  static const struct option opts[] = {
      {"x", required_argument, NULL, P_X},
      {"y", required_argument, NULL, P_Y},
      {"by", required_argument, NULL, P_BY},
      {"x-mult", required_argument, NULL, P_XMULT},
      {"xlabel", required_argument, NULL, P_XLABEL},
      {"ylabel", required_argument, NULL, P_YLABEL},
      {"title", required_argument, NULL, P_TITLE},
      {"logx", no_argument, NULL, P_LOGX},
      {"logy", no_argument, NULL, P_LOGY},
      {"out", required_argument, NULL, P_OUT},
      {"keep-data", no_argument, NULL, P_KEEP},
      {"plots", required_argument, NULL, P_PLOTS},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  plot_spec ps;
  const char *csv = NULL, *out = NULL, *plots = NULL;
  int opt, keep = 0, rv;
  char *text, *gp, *prefix, *datafile, *tmpdir = NULL;
  char err[256];
  table t;

  memset(&ps, 0, sizeof(ps));
  ps.x_mult = 1;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (opt) {
    case P_X:
      ps.x = optarg;
      break;
    case P_Y:
      sl_add(&ps.y, optarg);
      break;
    case P_BY:
      ps.by = optarg;
      break;
    case P_XMULT:
      if (parse_double(optarg, &ps.x_mult) != 0 || !(ps.x_mult > 0))
        die_usage("plot: --x-mult: '%s' is not a number above 0", optarg);
      break;
    case P_XLABEL:
      ps.xlabel = optarg;
      break;
    case P_YLABEL:
      sl_add(&ps.ylabels, optarg);
      break;
    case P_TITLE:
      ps.title = optarg;
      break;
    case P_LOGX:
      ps.logx = 1;
      break;
    case P_LOGY:
      ps.logy = ~0u;
      break;
    case P_OUT:
      out = optarg;
      break;
    case P_KEEP:
      keep = 1;
      break;
    case P_PLOTS:
      plots = optarg;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    case ':':
      die_usage("plot: option '%s' needs a value", argv[optind - 1]);
    default:
      die_usage("plot: unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind + 1 != argc)
    die_usage("plot: give one CSV file (from " PROG " run or csv)");
  csv = argv[optind];
  if (ps.x == NULL || ps.y.n == 0)
    die_usage("plot: give --x COL and at least one --y COL");
  if (ps.ylabels.n > ps.y.n)
    die_usage("plot: more --ylabel than --y");
  text = read_file(csv, NULL);
  if (text == NULL)
    die(EXIT_USAGE, "plot: cannot read '%s': %s", csv, strerror(errno));
  rv = table_read_csv(&t, text, err, sizeof(err));
  free(text);
  if (rv != 0)
    die(EXIT_USAGE, "plot: %s: %s", csv, err);
  plots_dir(plots);
  gp = gnuplot_path();
  if (gp == NULL)
    die(1, "plot: gnuplot is not installed (Debian: apt-get install gnuplot-nox)");
  if (out != NULL) {
    prefix = xstrdup(out);
  } else {
    const char *dot = strrchr(csv, '.');
    prefix = dot != NULL && strchr(dot, '/') == NULL ? xstrndup(csv, (size_t)(dot - csv))
                                                     : xstrdup(csv);
  }
  if (keep) {
    datafile = xasprintf("%s.dat", prefix);
  } else {
    tmpdir = make_temp_dir("plot");
    datafile = xasprintf("%s/table.dat", tmpdir);
  }
  rv = plot_table(&t, &ps, datafile, prefix, gp);
  if (rv == 0)
    printf("%s.svg\n%s.png\n", prefix, prefix);
  if (tmpdir != NULL) {
    remove_tree(tmpdir);
    free(tmpdir);
  }
  free(datafile);
  free(prefix);
  free(gp);
  table_free(&t);
  sl_free(&ps.y);
  sl_free(&ps.ylabels);
  return rv == 0 ? 0 : 1;
}

/* ---- figure ----------------------------------------------------------- */

static int cmd_figure(int argc, char **argv) {
  static const struct option opts[] = {
      {"out", required_argument, NULL, 'O'},
      {"jobs", required_argument, NULL, 'j'},
      {"sim", required_argument, NULL, 'S'},
      {"plots", required_argument, NULL, 'P'},
      {"keep-data", no_argument, NULL, 'k'},
      {"list", no_argument, NULL, 'l'},
      {"quiet", no_argument, NULL, 'q'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  figure_opts o;
  const char *sim = NULL, *plots = NULL, *name = NULL;
  int opt, list = 0, rv;
  size_t i;

  memset(&o, 0, sizeof(o));
  o.out = ".";
  argc = split_extra(argc, argv, &o.extra);
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":j:qh", opts, NULL)) != -1) {
    switch (opt) {
    case 'O':
      o.out = optarg;
      break;
    case 'j':
      o.jobs = parse_jobs(optarg);
      break;
    case 'S':
      sim = optarg;
      break;
    case 'P':
      plots = optarg;
      break;
    case 'k':
      o.keep_data = 1;
      break;
    case 'l':
      list = 1;
      break;
    case 'q':
      o.quiet = 1;
      break;
    case 'h':
      usage(stdout);
      exit(0);
    case ':':
      die_usage("figure: option '%s' needs a value", argv[optind - 1]);
    default:
      die_usage("figure: unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    name = argv[optind++];
  if (optind < argc)
    die_usage("figure: unexpected argument '%s' (one figure at a time)", argv[optind]);
  if (list) {
    for (i = 0; figure_names[i] != NULL; i++)
      printf("%-16s %s\n", figure_names[i], figure_summaries[i]);
    sl_free(&o.extra);
    return 0;
  }
  if (name == NULL)
    die_usage("figure: which one? (" PROG " figure --list)");
  for (i = 0; figure_names[i] != NULL && strcmp(figure_names[i], name) != 0; i++)
    ;
  if (figure_names[i] == NULL)
    die_usage("figure: no figure named '%s' (" PROG " figure --list)", name);
  if (o.jobs == 0)
    o.jobs = online_cpus();
  o.plots = plots;
  plots_dir(plots);
  {
    char *s = resolve_sim(sim);
    o.sim = s;
    rv = figure_make(name, &o);
    free(s);
  }
  sl_free(&o.extra);
  return rv;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "csv") == 0)
    return cmd_csv(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "plot") == 0)
    return cmd_plot(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "figure") == 0)
    return cmd_figure(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "run") == 0)
    return cmd_run(argc - 1, argv + 1);
  return cmd_run(argc, argv);
}
