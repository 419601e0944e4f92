/*
 * plugtcp-sweep figure NAME: the experiments of docs/experiments.md,
 * each from its runs to its picture in one command.  Every figure runs
 * plugtcp-sim (in parallel), reads what it needs from the JSON
 * summaries and the JSON-lines traces, writes plain data files and
 * draws them with a script of tools/plots/.
 *
 *   rto-vs-rtt      the RTT samples and the RTO estimate over time, per
 *                   rto policy, on a path whose RTT varies
 *   loss-sweep      goodput, retransmissions and spurious retransmissions
 *                   against the loss rate, per rto policy
 *   close-timeline  both sides' states and the segments between them in
 *                   the time-wait scenario, per close policy
 *
 * The policies are the ones plugtcp-sim --list-policies lists, so a
 * plugin given after "--" (-- --plugin ./rto_mine.so) joins the figure.
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "sweep/sweep.h"

const char *const figure_names[] = {"rto-vs-rtt", "loss-sweep", "close-timeline", NULL};
const char *const figure_summaries[] = {
    "RTT samples and RTO over time per rto policy, on a path whose delay changes "
    "(Jacobson 1988)",
    "goodput, retransmissions and spurious retransmissions against the loss rate, per "
    "rto policy",
    "both sides' states and the segments between them in -s time-wait, per close policy",
    NULL,
};

/* ---- the experiments' settings ---------------------------------------- */

/*
 * rto-vs-rtt: a 6 MB transfer over a 2 Mbit/s path, 50 ms each way,
 * whose forward delay rises by 400 ms for the second half of every 10 s
 * (a square wave: a route change and back), on top of the connection's
 * own queueing in a 30-packet buffer, which varies with its window.  No
 * random loss, so the run is the same for every seed.  Besides the
 * registered policies, rfc793 without its 1 s floor (LBOUND), so that
 * RFC 793's estimator meets Jacobson's on equal terms.
 * docs/experiments.md says why.
 */
static const char *const rto_link[] = {
    "--rate",
    "2Mbps",
    "--delay",
    "50ms",
    "--queue",
    "30",
    "--loss",
    "0",
    "--delay-profile",
    "square,400ms,10s",
    "--impair",
    "forward",
    "--bytes",
    "6M",
    "--msl",
    "1s",
    NULL,
};
static const char *const rto_extra_variant = "rfc793:min=1ms";
/* The classic pair first, then the rest in the registry's order. */
static const char *const rto_first[] = {"rfc793", "rfc793:min=1ms", "jacobson88", NULL};

/* loss-sweep: 5 MB over the default 100 Mbit/s, 10 ms path, random
 * loss from 0.1% to 10% each way (a logarithmic axis), 10 seeds. */
static const char *const loss_values = "0.001 0.002 0.005 0.01 0.02 0.05 0.1";
static const char *const loss_seeds = "1-10";
static const char *const loss_bytes = "5M";

/* close-timeline: the time-wait scenario with an MSL of 5 s, so that a
 * 2 MSL TIME-WAIT fits in the figure next to a 1 s one. */
static const char *const close_args[] = {"-s", "time-wait", "--msl", "5s", NULL};

/* ---- shared ----------------------------------------------------------- */

/* argv of |sim| + |fixed| (NULL-terminated) + |more| (NULL-terminated) +
 * the user's extra arguments. */
static char **build_argv(const figure_opts *o, const char *const *fixed,
                         const char *const *more) {
  strlist a = {0};
  char **argv;

  sl_add(&a, o->sim);
  for (size_t i = 0; fixed != NULL && fixed[i] != NULL; i++)
    sl_add(&a, fixed[i]);
  for (size_t i = 0; more != NULL && more[i] != NULL; i++)
    sl_add(&a, more[i]);
  for (size_t i = 0; i < o->extra.n; i++)
    sl_add(&a, o->extra.v[i]);
  argv = xcalloc(a.n + 1, sizeof(*argv));
  memcpy(argv, a.v, a.n * sizeof(*argv));
  free(a.v);
  return argv;
}

/* The names of |slot|'s policies, as plugtcp-sim --list-policies lists
 * them (with the user's --plugin flags, if any). */
static void slot_policies(const figure_opts *o, const char *slot, strlist *out) {
  static const char *const list[] = {"--list-policies", NULL};
  char **argv = build_argv(o, list, NULL);
  char **cmds[1] = {argv};
  run_result r;
  char *header = xasprintf("%s:", slot);
  int in = 0;

  run_all(cmds, 1, 1, 0, 0, &r);
  if (!r.exited || r.status != 0) {
    fwrite(r.err, 1, r.errlen, stderr);
    die(r.exited && r.status == EXIT_USAGE ? EXIT_USAGE : 1,
        "plugtcp-sim --list-policies failed");
  }
  for (char *line = strtok(r.out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
    if (line[0] != ' ') {
      in = strcmp(line, header) == 0;
      continue;
    }
    /* "  name       summary": a policy; deeper lines are its parameters. */
    if (in && line[1] == ' ' && line[2] != ' ') {
      size_t n = strcspn(line + 2, " ");
      sl_add_own(out, xstrndup(line + 2, n));
    }
  }
  if (out->n == 0)
    die(1, "plugtcp-sim --list-policies lists no %s policy", slot);
  free(header);
  run_result_free(&r);
  argv_free(argv);
}

/* Runs |n| commands; every one must print its summary.  Returns 0, or
 * the exit status to give up with. */
static int run_checked(const figure_opts *o, char ***cmds, size_t n, run_result *res) {
  int status = 0;

  run_all(cmds, n, o->jobs, 1, 0, res);
  for (size_t i = 0; i < n; i++) {
    if (res[i].exited && (res[i].status == 0 || res[i].status == 1) &&
        res[i].outlen > 0) {
      if (res[i].status == 1) {
        char *line = argv_line(cmds[i]);
        warn("the scenario's expectation failed (drawn all the same): %s", line);
        free(line);
      }
      continue;
    }
    if (res[i].status < 0 && !res[i].exited)
      continue; /* not run: an earlier one was refused */
    {
      char *line = argv_line(cmds[i]);
      warn("%s %d: %s", res[i].exited ? "exit status" : "signal", res[i].status, line);
      fwrite(res[i].err, 1, res[i].errlen, stderr);
      free(line);
    }
    status = res[i].exited && res[i].status == EXIT_USAGE ? EXIT_USAGE : 1;
  }
  return status;
}

/* The data directory: kept in the output directory, or temporary. */
static char *data_dir(const figure_opts *o, const char *name) {
  char *d;

  if (!o->keep_data)
    return make_temp_dir(name);
  d = xasprintf("%s/%s-data", o->out, name);
  if (make_dirs(d) != 0)
    die(1, "cannot make %s: %s", d, strerror(errno));
  return d;
}

static void done_data(const figure_opts *o, char *dir) {
  if (!o->keep_data)
    remove_tree(dir);
  free(dir);
}

static FILE *open_data(const char *dir, const char *name) {
  char *p = xasprintf("%s/%s", dir, name);
  FILE *f = fopen(p, "w");

  if (f == NULL)
    die(1, "cannot write %s: %s", p, strerror(errno));
  free(p);
  return f;
}

static void close_data(FILE *f) {
  if (fclose(f) != 0)
    die(1, "cannot write a data file: %s", strerror(errno));
}

static double num(const json_flat *j, const char *key) {
  const json_field *f = json_get(j, key);
  double v;

  return f != NULL && parse_double(f->value, &v) == 0 ? v : 0;
}

static const char *str(const json_flat *j, const char *key) {
  const json_field *f = json_get(j, key);

  return f != NULL ? f->value : "";
}

static void add_str_var(strlist *vars, const char *name, const char *value) {
  char *q = gp_str(value);

  sl_add_own(vars, xasprintf("%s=%s", name, q));
  free(q);
}

/* Calls |fn| for each line of |path| that contains |needle| and parses. */
typedef void (*line_fn)(void *ctx, const json_flat *j);

static void each_trace_line(const char *path, const char *const *needles, line_fn fn,
                            void *ctx) {
  FILE *f = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  ssize_t len;
  size_t lineno = 0;

  if (f == NULL)
    die(1, "cannot read the trace %s: %s", path, strerror(errno));
  while ((len = getline(&line, &cap, f)) > 0) {
    int want = 0;
    json_flat j;
    char err[200];

    lineno++;
    for (size_t i = 0; needles[i] != NULL && !want; i++)
      want = strstr(line, needles[i]) != NULL;
    if (!want)
      continue;
    if (json_flatten(line, (size_t)len, &j, err, sizeof(err)) != 0)
      die(1, "%s:%zu: %s", path, lineno, err);
    fn(ctx, &j);
    json_flat_free(&j);
  }
  free(line);
  fclose(f);
}

static int out_dir_ok(const figure_opts *o) {
  if (make_dirs(o->out) != 0) {
    warn("--out: cannot make '%s': %s", o->out, strerror(errno));
    return 0;
  }
  return 1;
}

static int draw(const figure_opts *o, const char *name, const char *script,
                const strlist *vars) {
  char *gp = gnuplot_path();
  char *prefix;
  int rv;

  if (gp == NULL) {
    warn("gnuplot is not installed (Debian: apt-get install gnuplot-nox); %s is not "
         "drawn",
         name);
    return 1;
  }
  prefix = xasprintf("%s/%s", o->out, name);
  rv = run_gnuplot(gp, script, vars, prefix);
  if (rv == 0 && !o->quiet)
    printf("%s.svg\n%s.png\n", prefix, prefix);
  free(prefix);
  free(gp);
  return rv == 0 ? 0 : 1;
}

/* ---- rto-vs-rtt --------------------------------------------------------- */

typedef struct rto_trace {
  FILE *samples, *timeouts;
  double last_rto, min_rtt, max_rtt, max_rto;
  size_t nsamples, ntimeouts;
} rto_trace;

static void rto_line(void *ctx, const json_flat *j) {
  rto_trace *rt = ctx;
  const char *ev = str(j, "ev");
  double t = num(j, "t") / 1e9;

  if (strcmp(str(j, "node"), "client") != 0)
    return;
  if (strcmp(ev, "rtt") == 0) {
    double rtt = num(j, "rtt_ns") / 1e9, rto = num(j, "rto_ns") / 1e9;
    fprintf(rt->samples, "%.9f %.9f %.9f\n", t, rtt, rto);
    if (rtt > rt->max_rtt)
      rt->max_rtt = rtt;
    if (rt->nsamples == 0 || rtt < rt->min_rtt)
      rt->min_rtt = rtt;
    if (rto > rt->max_rto)
      rt->max_rto = rto;
    rt->nsamples++;
  } else if (strcmp(ev, "rto") == 0) {
    rt->last_rto = num(j, "rto_ns") / 1e9;
  } else if (strcmp(ev, "timer") == 0 && (strcmp(str(j, "timer"), "retransmit") == 0 ||
                                          strcmp(str(j, "timer"), "syn") == 0)) {
    fprintf(rt->timeouts, "%.9f %.9f\n", t, rt->last_rto);
    rt->ntimeouts++;
  }
}

static int fig_rto_vs_rtt(const figure_opts *o) {
  static const char *const needles[] = {"\"ev\":\"rtt\"", "\"ev\":\"rto\"",
                                        "\"ev\":\"timer\"", NULL};
  strlist pol = {0}, vars = {0}, names = {0};
  char *dir = data_dir(o, "rto-vs-rtt");
  char ***cmds;
  run_result *res;
  double xmax = 0, ymin = 0, ymax = 0, maxrtt = 0, maxrto = 0;
  int status;

  {
    strlist reg = {0};

    slot_policies(o, "rto", &reg);
    if (sl_find(&reg, "rfc793") >= 0)
      sl_add(&reg, rto_extra_variant);
    for (size_t k = 0; rto_first[k] != NULL; k++)
      if (sl_find(&reg, rto_first[k]) >= 0)
        sl_add(&pol, rto_first[k]);
    for (size_t k = 0; k < reg.n; k++)
      if (sl_find(&pol, reg.v[k]) < 0)
        sl_add(&pol, reg.v[k]);
    sl_free(&reg);
  }
  cmds = xcalloc(pol.n, sizeof(*cmds));
  res = xcalloc(pol.n, sizeof(*res));
  for (size_t i = 0; i < pol.n; i++) {
    char *trace = xasprintf("%s/trace-%zu.jsonl", dir, i + 1);
    const char *more[] = {"-q", "--json", "--rto", pol.v[i], "--trace", trace, NULL};
    cmds[i] = build_argv(o, rto_link, more);
    free(trace);
  }
  status = run_checked(o, cmds, pol.n, res);
  sl_add_own(&vars, xasprintf("np=%zu", pol.n));
  sl_add_own(&vars, xasprintf("array NAME[%zu]", pol.n));
  sl_add_own(&vars, xasprintf("array SUB[%zu]", pol.n));
  for (size_t i = 0; i < pol.n && status == 0; i++) {
    char *trace = xasprintf("%s/trace-%zu.jsonl", dir, i + 1);
    char *name = xasprintf("samples-%zu.dat", i + 1),
         *tname = xasprintf("timeouts-%zu.dat", i + 1);
    rto_trace rt = {open_data(dir, name), open_data(dir, tname), 0, 0, 0, 0, 0, 0};
    json_flat sum;
    char err[200], *q, *sub;

    if (json_flatten(res[i].out, res[i].outlen, &sum, err, sizeof(err)) != 0)
      die(1, "the summary of the %s run: %s", pol.v[i], err);
    fprintf(rt.samples, "# %s: time (s), RTT sample (s), RTO after it (s)\n", pol.v[i]);
    fprintf(rt.timeouts, "# %s: time (s), the RTO that expired (s)\n", pol.v[i]);
    each_trace_line(trace, needles, rto_line, &rt);
    /* gnuplot wants at least one point per file. */
    if (rt.ntimeouts == 0)
      fprintf(rt.timeouts, "NaN NaN\n");
    close_data(rt.samples);
    close_data(rt.timeouts);
    if (!o->keep_data)
      remove(trace);
    if (num(&sum, "sim_time_s") > xmax)
      xmax = num(&sum, "sim_time_s");
    /* The y axis (logarithmic) holds every RTT sample and every RTO up
     * to 4 times the largest sample; higher RTOs leave the panel. */
    if (rt.nsamples > 0 && (ymin == 0 || rt.min_rtt < ymin))
      ymin = rt.min_rtt;
    if (rt.max_rtt > ymax)
      ymax = rt.max_rtt;
    if (rt.max_rto > ymax)
      ymax = rt.max_rto;
    if (rt.max_rto > maxrto)
      maxrto = rt.max_rto;
    sl_add(&names, str(&sum, "policies.rto"));
    sub = xasprintf("%.0f timeouts, %.0f spurious retransmissions, %.0f RTT samples, "
                    "%.2f Mbit/s",
                    num(&sum, "timeouts"), num(&sum, "spurious_retransmissions"),
                    num(&sum, "rtt.samples"), num(&sum, "goodput_mbps"));
    q = gp_str(sub);
    sl_add_own(&vars, xasprintf("SUB[%zu]=%s", i + 1, q));
    free(q);
    free(sub);
    json_flat_free(&sum);
    free(trace);
    free(name);
    free(tname);
  }
  if (status == 0) {
    char *linkdesc;
    strbuf b = {0};

    /* Panel titles: the specs without the parameters every spec of the
     * same policy shares ("rfc793:min=1ms" next to "rfc793:min=1s"). */
    shorten_specs(&names);
    for (size_t i = 0; i < names.n; i++) {
      char *q = gp_str(names.v[i]);
      sl_add_own(&vars, xasprintf("NAME[%zu]=%s", i + 1, q));
      free(q);
    }

    for (size_t k = 0; rto_link[k] != NULL; k++)
      sb_printf(&b, "%s%s", k ? " " : "", rto_link[k]);
    for (size_t k = 0; k < o->extra.n; k++)
      sb_printf(&b, " %s", o->extra.v[k]);
    linkdesc = xasprintf("plugtcp-sim %s", sb_str(&b));
    add_str_var(&vars, "datadir", dir);
    add_str_var(&vars, "command", linkdesc);
    (void)maxrtt;
    sl_add_own(&vars, xasprintf("xmax=%.6f", xmax));
    sl_add_own(&vars, xasprintf("ymin=%.6f", ymin > 0 ? ymin / 1.5 : 0.001));
    sl_add_own(&vars, xasprintf("ymax=%.6f", ymax * 1.5));
    if (out_dir_ok(o))
      status = draw(o, "rto-vs-rtt", "rto-vs-rtt.gp", &vars);
    else
      status = 1;
    free(linkdesc);
    sb_free(&b);
  }
  for (size_t i = 0; i < pol.n; i++) {
    argv_free(cmds[i]);
    run_result_free(&res[i]);
  }
  free(cmds);
  free(res);
  sl_free(&pol);
  sl_free(&vars);
  sl_free(&names);
  done_data(o, dir);
  return status;
}

/* ---- loss-sweep --------------------------------------------------------- */

static int fig_loss_sweep(const figure_opts *o) {
  strlist pol = {0};
  grid g = {0};
  table t = {0};
  plot_spec ps;
  size_t counts[3];
  char *dir = data_dir(o, "loss-sweep");
  char *datafile = xasprintf("%s/loss-sweep.dat", dir);
  int status;

  slot_policies(o, "rto", &pol);
  for (size_t i = 0; i < pol.n; i++)
    grid_add(&g, "--rto", pol.v[i]);
  grid_add(&g, "--loss", loss_values);
  grid_add(&g, "--bytes", loss_bytes);
  grid_add_seeds(&g, loss_seeds);
  for (size_t i = 0; i < o->extra.n; i++)
    sl_add(&g.extra, o->extra.v[i]);
  status = run_grid(&g, o->sim, o->jobs, 0, &t, counts);
  if (status == 0 && counts[1] > 0)
    warn("%zu of %zu runs did not meet their scenario's expectation (drawn all the same)",
         counts[1], grid_size(&g));
  if (status == 0 && o->keep_data) {
    char *csv = xasprintf("%s/loss-sweep.csv", dir);
    FILE *f = fopen(csv, "w");
    if (f == NULL || table_write_csv(&t, f) != 0 || fclose(f) != 0)
      die(1, "cannot write %s", csv);
    free(csv);
  }
  if (status == 0) {
    char *gp = gnuplot_path();
    char *prefix = xasprintf("%s/loss-sweep", o->out);
    char *title = xasprintf(
        "Bulk transfer of %sB over 100 Mbit/s, 10 ms each way, random loss both ways, "
        "per rto policy\nmean of seeds %s; bars from the least to the greatest",
        loss_bytes, loss_seeds);

    memset(&ps, 0, sizeof(ps));
    ps.x = "link.loss";
    ps.x_mult = 100;
    ps.xlabel = "loss probability per packet, each direction (%)";
    sl_add(&ps.y, "goodput_mbps");
    sl_add(&ps.y, "retransmissions");
    sl_add(&ps.y, "spurious_retransmissions");
    sl_add(&ps.ylabels, "goodput (Mbit/s)");
    sl_add(&ps.ylabels, "retransmitted segments");
    sl_add(&ps.ylabels, "spurious retransmissions (segments)");
    ps.by = "policies.rto";
    ps.title = title;
    ps.logx = 1;
    ps.logy = 1u; /* goodput spans two orders of magnitude */
    if (gp == NULL) {
      warn("gnuplot is not installed (Debian: apt-get install gnuplot-nox); loss-sweep "
           "is not drawn");
      status = 1;
    } else if (!out_dir_ok(o) || plot_table(&t, &ps, datafile, prefix, gp) != 0) {
      status = 1;
    } else if (!o->quiet) {
      printf("%s.svg\n%s.png\n", prefix, prefix);
    }
    sl_free(&ps.y);
    sl_free(&ps.ylabels);
    free(title);
    free(prefix);
    free(gp);
  }
  table_free(&t);
  grid_free(&g);
  sl_free(&pol);
  free(datafile);
  done_data(o, dir);
  return status;
}

/* ---- close-timeline ----------------------------------------------------- */

/* RFC 9293's states, in the order of the legend; CLOSED is not drawn. */
static const char *const states[] = {
    "LISTEN",     "SYN-SENT", "SYN-RECEIVED", "ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2",
    "CLOSE-WAIT", "CLOSING",  "LAST-ACK",     "TIME-WAIT",   NULL,
};

static int state_index(const char *name) {
  for (int i = 0; states[i] != NULL; i++)
    if (strcmp(states[i], name) == 0)
      return i + 1;
  return 0; /* CLOSED, or unknown */
}

typedef struct side {
  double since;
  int state;
} side;

typedef struct close_trace {
  FILE *bars, *segs, *lost, *labels;
  /* The label being gathered: segments that leave one side within
   * LABEL_JOIN of each other share one, or they would overprint. */
  strbuf label;
  double label_t, label_x, label_y;
  int label_forward;
  double y_client, y_server, delay, tmax;
  side client, server;
  int server_conn;            /* the server's connection has appeared */
  double time_wait, last_ack; /* seconds the client, the server spent there */
} close_trace;

static void bar(close_trace *ct, side *s, double y, double until) {
  if (s->state > 0 && until > s->since) {
    fprintf(ct->bars, "%.9f %.9f %.3f %d\n", s->since, until, y, s->state);
    if (s == &ct->client && s->state == state_index("TIME-WAIT"))
      ct->time_wait += until - s->since;
    if (s == &ct->server && s->state == state_index("LAST-ACK"))
      ct->last_ack += until - s->since;
  }
}

#define LABEL_JOIN 0.001

static void flush_label(close_trace *ct) {
  if (ct->label.len > 0)
    fprintf(ct->labels, "%.9f %.3f \"%s\"\n", ct->label_x, ct->label_y,
            sb_str(&ct->label));
  sb_free(&ct->label);
}

/* A label at the middle of a segment's arrow. */
static void add_label(close_trace *ct, double t, int forward, double xm, double ym,
                      const char *text) {
  if (ct->label.len > 0 && forward == ct->label_forward && t - ct->label_t < LABEL_JOIN) {
    sb_add(&ct->label, " + ");
    sb_add(&ct->label, text);
    return;
  }
  flush_label(ct);
  sb_add(&ct->label, text);
  ct->label_t = t;
  ct->label_x = xm;
  ct->label_y = ym;
  ct->label_forward = forward;
}

/* tcpdump's letters as RFC 9293's control bits: "S." -> "SYN,ACK". */
static void flag_words(const char *flags, char *buf, size_t cap) {
  static const struct {
    char letter;
    const char *word;
  } bits[] = {{'S', "SYN"}, {'F', "FIN"}, {'R', "RST"}, {'P', "PSH"}, {'.', "ACK"}};
  size_t n = 0;

  buf[0] = '\0';
  for (size_t i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
    if (strchr(flags, bits[i].letter) == NULL)
      continue;
    n += (size_t)snprintf(buf + n, n < cap ? cap - n : 0, "%s%s", n ? "," : "",
                          bits[i].word);
  }
  if (buf[0] == '\0')
    snprintf(buf, cap, "?");
}

static int seg_class(const char *flags) {
  if (strchr(flags, 'R') != NULL)
    return 3;
  if (strchr(flags, 'S') != NULL)
    return 1;
  if (strchr(flags, 'F') != NULL)
    return 2;
  return 4;
}

static void close_line(void *ctx, const json_flat *j) {
  close_trace *ct = ctx;
  const char *ev = str(j, "ev");
  double t = num(j, "t") / 1e9;

  if (t > ct->tmax)
    ct->tmax = t;
  if (json_get(j, "node") != NULL && strcmp(ev, "state") == 0) {
    int is_client = strcmp(str(j, "node"), "client") == 0;
    side *s = is_client ? &ct->client : &ct->server;
    int listener = strcmp(str(j, "remote"), "0.0.0.0:0") == 0;

    /* The server's row: its listener until the connection appears. */
    if (!is_client && listener && ct->server_conn)
      return;
    if (!is_client && !listener)
      ct->server_conn = 1;
    bar(ct, s, is_client ? ct->y_client : ct->y_server, t);
    s->since = t;
    s->state = state_index(str(j, "to"));
    return;
  }
  if (json_get(j, "link") != NULL && (strcmp(ev, "tx") == 0 || strcmp(ev, "drop") == 0)) {
    int forward = strcmp(str(j, "dir"), "a->b") == 0;
    double y0 = forward ? ct->y_client : ct->y_server;
    double y1 = forward ? ct->y_server : ct->y_client;
    const json_field *arr = json_get(j, "arrival");
    const char *flags = str(j, "flags");
    char words[32];

    flag_words(flags, words, sizeof(words));
    if (strcmp(ev, "tx") == 0 && arr != NULL) {
      double ta = num(j, "arrival") / 1e9;
      fprintf(ct->segs, "%.9f %.3f %.9f %.3f %d\n", t, y0, ta - t, y1 - y0,
              seg_class(flags));
      add_label(ct, t, forward, (t + ta) / 2, (y0 + y1) / 2, words);
      if (ta > ct->tmax)
        ct->tmax = ta;
    } else if (strcmp(ev, "drop") == 0) {
      /* Drawn half way, where it is lost. */
      double tl = t + ct->delay / 2;
      char *w = xasprintf("%s lost", words);
      fprintf(ct->lost, "%.9f %.3f %.9f %.3f %d\n", t, y0, tl - t, (y1 - y0) / 2,
              seg_class(flags));
      flush_label(ct);
      add_label(ct, t, forward, tl, y0 + (y1 - y0) / 2, w);
      free(w);
    }
  }
}

static int fig_close_timeline(const figure_opts *o) {
  static const char *const needles[] = {"\"ev\":\"state\"", "\"ev\":\"tx\"",
                                        "\"ev\":\"drop\"", NULL};
  strlist pol = {0}, vars = {0};
  char *dir = data_dir(o, "close-timeline");
  char ***cmds;
  run_result *res;
  double tmax = 0;
  int status;

  slot_policies(o, "close", &pol);
  cmds = xcalloc(pol.n, sizeof(*cmds));
  res = xcalloc(pol.n, sizeof(*res));
  for (size_t i = 0; i < pol.n; i++) {
    char *trace = xasprintf("%s/trace-%s.jsonl", dir, pol.v[i]);
    const char *more[] = {"-q", "--json", "--close", pol.v[i], "--trace", trace, NULL};
    cmds[i] = build_argv(o, close_args, more);
    free(trace);
  }
  status = run_checked(o, cmds, pol.n, res);
  sl_add_own(&vars, xasprintf("np=%zu", pol.n));
  sl_add_own(&vars, xasprintf("array NAME[%zu]", pol.n));
  sl_add_own(&vars, xasprintf("array FATE[%zu]", pol.n));
  for (size_t i = 0; i < pol.n && status == 0; i++) {
    char *trace = xasprintf("%s/trace-%s.jsonl", dir, pol.v[i]);
    char *b = xasprintf("bars-%zu.dat", i + 1), *sg = xasprintf("segs-%zu.dat", i + 1),
         *ls = xasprintf("lost-%zu.dat", i + 1), *lb = xasprintf("labels-%zu.dat", i + 1);
    close_trace ct;
    json_flat sum;
    char err[200], *q, *fate;

    if (json_flatten(res[i].out, res[i].outlen, &sum, err, sizeof(err)) != 0)
      die(1, "the summary of the %s run: %s", pol.v[i], err);
    memset(&ct, 0, sizeof(ct));
    ct.bars = open_data(dir, b);
    ct.segs = open_data(dir, sg);
    ct.lost = open_data(dir, ls);
    ct.labels = open_data(dir, lb);
    /* Policy i's rows, from the top: client above server, 1.5 apart
     * (close-timeline.gp draws the rows at the same places). */
    ct.y_client = 4.0 * (double)(pol.n - 1 - i) + 3;
    ct.y_server = ct.y_client - 1.5;
    ct.delay = num(&sum, "link.delay_s");
    fprintf(ct.bars, "# %s: from (s), to (s), row, state (1 = %s ...)\n", pol.v[i],
            states[0]);
    fprintf(ct.segs,
            "# %s: sent (s), row, flight (s), rows, kind (SYN, FIN, RST, other)\n",
            pol.v[i]);
    fprintf(ct.lost, "# %s: lost segments: sent (s), row, to half way, kind\n", pol.v[i]);
    fprintf(ct.labels, "# %s: the segments' names: time (s), row, text\n", pol.v[i]);
    each_trace_line(trace, needles, close_line, &ct);
    flush_label(&ct);
    /* The states still held at the end. */
    bar(&ct, &ct.client, ct.y_client, ct.tmax);
    bar(&ct, &ct.server, ct.y_server, ct.tmax);
    fprintf(ct.lost, "NaN NaN NaN NaN 4\n");
    close_data(ct.bars);
    close_data(ct.segs);
    close_data(ct.lost);
    close_data(ct.labels);
    if (!o->keep_data)
      remove(trace);
    if (ct.tmax > tmax)
      tmax = ct.tmax;
    q = gp_str(str(&sum, "policies.close"));
    sl_add_own(&vars, xasprintf("NAME[%zu]=%s", i + 1, q));
    free(q);
    fate = xasprintf("TIME-WAIT %.2f s (client), LAST-ACK %.2f s (server), "
                     "retransmissions: %.0f%s",
                     ct.time_wait, ct.last_ack, num(&sum, "retransmissions"),
                     strcmp(str(&sum, "ok"), "true") == 0 ? "" : " (expectation failed)");
    q = gp_str(fate);
    sl_add_own(&vars, xasprintf("FATE[%zu]=%s", i + 1, q));
    free(q);
    free(fate);
    json_flat_free(&sum);
    free(trace);
    free(b);
    free(sg);
    free(ls);
    free(lb);
  }
  if (status == 0) {
    sl_add_own(&vars, xasprintf("array STATE[%d]",
                                (int)(sizeof(states) / sizeof(states[0])) - 1));
    for (size_t k = 0; states[k] != NULL; k++) {
      char *q = gp_str(states[k]);
      sl_add_own(&vars, xasprintf("STATE[%zu]=%s", k + 1, q));
      free(q);
    }
    add_str_var(&vars, "datadir", dir);
    sl_add_own(&vars, xasprintf("tmax=%.6f", tmax));
    if (out_dir_ok(o))
      status = draw(o, "close-timeline", "close-timeline.gp", &vars);
    else
      status = 1;
  }
  for (size_t i = 0; i < pol.n; i++) {
    argv_free(cmds[i]);
    run_result_free(&res[i]);
  }
  free(cmds);
  free(res);
  sl_free(&pol);
  sl_free(&vars);
  done_data(o, dir);
  return status;
}

int figure_make(const char *name, const figure_opts *o) {
  if (strcmp(name, "rto-vs-rtt") == 0)
    return fig_rto_vs_rtt(o);
  if (strcmp(name, "loss-sweep") == 0)
    return fig_loss_sweep(o);
  if (strcmp(name, "close-timeline") == 0)
    return fig_close_timeline(o);
  die_usage("figure: no figure named '%s'", name);
}
