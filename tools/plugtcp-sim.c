/*
 * plugtcp-sim: run plugtcp in the simulator.
 *
 * With no arguments it runs the default experiment (a bulk transfer of
 * 10 MB over a 100 Mbit/s, 10 ms link with 1% loss) and prints a
 * summary; --json prints one JSON object instead.  --help lists every
 * option; tools/plugtcp-sim.1 and docs/sim.md explain them.
 *
 * Exit status: 0 when the scenario's expectation held, 1 when it did not
 * (data lost or corrupted, an expected outcome missing, a hang), 2 on a
 * usage error.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <plugsim/plugsim.h>

#define PROG "plugtcp-sim"
#define DEFAULT_LADDER_ROWS 200u

enum {
  OPT_RATE = 256,
  OPT_DELAY,
  OPT_QUEUE,
  OPT_LOSS,
  OPT_BURST_LOSS,
  OPT_DUP,
  OPT_REORDER,
  OPT_CORRUPT,
  OPT_JITTER,
  OPT_SEED,
  OPT_POLICY,
  OPT_ISN,
  OPT_RTO,
  OPT_DUPFILTER,
  OPT_CLOSE,
  OPT_CC,
  OPT_MSS,
  OPT_SNDBUF,
  OPT_RCVBUF,
  OPT_MSL,
  OPT_PCAP,
  OPT_TRACE,
  OPT_LADDER,
  OPT_LADDER_ROWS,
  OPT_SVG,
  OPT_LIST_POLICIES,
  OPT_LIST_SCENARIOS,
  OPT_IMPAIR,
  OPT_CONNS,
  OPT_TIME_LIMIT,
};

static const struct option long_opts[] = {
    {"scenario", required_argument, NULL, 's'},
    {"bytes", required_argument, NULL, 'n'},
    {"json", no_argument, NULL, 'j'},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"rate", required_argument, NULL, OPT_RATE},
    {"delay", required_argument, NULL, OPT_DELAY},
    {"queue", required_argument, NULL, OPT_QUEUE},
    {"loss", required_argument, NULL, OPT_LOSS},
    {"burst-loss", required_argument, NULL, OPT_BURST_LOSS},
    {"dup", required_argument, NULL, OPT_DUP},
    {"reorder", required_argument, NULL, OPT_REORDER},
    {"corrupt", required_argument, NULL, OPT_CORRUPT},
    {"jitter", required_argument, NULL, OPT_JITTER},
    {"impair", required_argument, NULL, OPT_IMPAIR},
    {"seed", required_argument, NULL, OPT_SEED},
    {"policy", required_argument, NULL, OPT_POLICY},
    {"isn", required_argument, NULL, OPT_ISN},
    {"rto", required_argument, NULL, OPT_RTO},
    {"dupfilter", required_argument, NULL, OPT_DUPFILTER},
    {"close", required_argument, NULL, OPT_CLOSE},
    {"cc", required_argument, NULL, OPT_CC},
    {"mss", required_argument, NULL, OPT_MSS},
    {"sndbuf", required_argument, NULL, OPT_SNDBUF},
    {"rcvbuf", required_argument, NULL, OPT_RCVBUF},
    {"msl", required_argument, NULL, OPT_MSL},
    {"conns", required_argument, NULL, OPT_CONNS},
    {"time-limit", required_argument, NULL, OPT_TIME_LIMIT},
    {"pcap", required_argument, NULL, OPT_PCAP},
    {"trace", required_argument, NULL, OPT_TRACE},
    {"ladder", optional_argument, NULL, OPT_LADDER},
    {"ladder-rows", required_argument, NULL, OPT_LADDER_ROWS},
    {"svg", required_argument, NULL, OPT_SVG},
    {"list-policies", no_argument, NULL, OPT_LIST_POLICIES},
    {"list-scenarios", no_argument, NULL, OPT_LIST_SCENARIOS},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *f) {
  fputs(
      "Usage: " PROG " [OPTION]...\n"
      "Run plugtcp in a deterministic network simulator and check the outcome.\n"
      "With no option: a 10 MB bulk transfer over 100 Mbit/s, 10 ms, 1% loss.\n"
      "\n"
      "Experiment:\n"
      "  -s, --scenario NAME    scenario to run (default bulk; see --list-scenarios)\n"
      "  -n, --bytes N          data size (k, M, G = 10^3.., Ki, Mi, Gi = 2^10..)\n"
      "      --conns N          concurrent connections (scenario many; default 100)\n"
      "      --seed N           run seed (default 1): same seed, same run\n"
      "      --time-limit D     give up after D of simulated time (default 1h)\n"
      "Link (both directions unless --impair says otherwise):\n"
      "      --rate R           100Mbps; units bps, Kbps, Mbps, Gbps; 0: unlimited\n"
      "      --delay D          one-way propagation delay (10ms; ns, us, ms, s)\n"
      "      --queue N          drop-tail queue in packets (100)\n"
      "      --loss P           Bernoulli loss probability, in [0,1] or a percentage\n"
      "      --burst-loss P,R   Gilbert-Elliott loss: P(good->bad), P(bad->good)\n"
      "      --dup P            duplication probability\n"
      "      --reorder P        probability of an extra delay that lets others overtake\n"
      "      --corrupt P        probability of one flipped bit\n"
      "      --jitter D         uniform extra delay in [0, D] (never reorders)\n"
      "      --impair DIR       both, forward (client to server) or reverse\n"
      "TCP:\n"
      "      --policy SLOT=SPEC policy for a slot (repeatable), e.g. "
      "rto=rfc6298:min=200ms\n"
      "      --isn SPEC, --rto SPEC, --dupfilter SPEC, --close SPEC, --cc SPEC\n"
      "                         shorthands for --policy SLOT=SPEC\n"
      "      --mss N            MSS to announce (1460)\n"
      "      --sndbuf N         send buffer bytes (256Ki)\n"
      "      --rcvbuf N         receive buffer bytes (256Ki)\n"
      "      --msl D            maximum segment lifetime (2min); TIME-WAIT is 2 MSL\n"
      "Output:\n"
      "  -j, --json             print one JSON object instead of the summary\n"
      "      --pcap PREFIX      write PREFIX-link0.pcap (arrivals on each link)\n"
      "      --trace FILE       write the JSON-lines event trace ('-': stdout)\n"
      "      --ladder[=abs]     print the ladder diagram of the first connection\n"
      "                         (abs: absolute sequence numbers)\n"
      "      --ladder-rows N    at most N rows (200; 0: all)\n"
      "      --svg FILE         write the ladder diagram as SVG\n"
      "  -q, --quiet            no progress bar (shown on stderr when it is a terminal)\n"
      "      --list-policies    list the policies and their parameters\n"
      "      --list-scenarios   list the scenarios and what each expects\n"
      "  -h, --help             this help\n"
      "  -V, --version          the version\n"
      "\n"
      "Exit status: 0 when the scenario's expectation held, 1 when it did not\n"
      "(data lost or corrupted, an outcome missing, a hang), 2 on a usage error.\n",
      f);
}

static void die_usage(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2), noreturn))
#endif
    ;

static void die_usage(const char *fmt, ...) {
  va_list ap;

  fputs(PROG ": ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\nTry '" PROG " --help' for more information.\n", stderr);
  exit(2);
}

/* ------------------------------------------------------------------ */
/* Values                                                              */

/* A count with an optional multiplier: k M G T (10^3n), Ki Mi Gi Ti
 * (2^10n), and an optional B. */
static uint64_t parse_size(const char *flag, const char *text, uint64_t max) {
  char *end;
  unsigned long long v;
  uint64_t mult = 1;

  errno = 0;
  if (text[0] < '0' || text[0] > '9')
    die_usage("%s: '%s' is not a number", flag, text);
  v = strtoull(text, &end, 10);
  if (errno != 0)
    die_usage("%s: '%s' is too large", flag, text);
  if (*end != '\0') {
    static const char units[] = "kMGT";
    const char *u = strchr(units, *end == 'K' ? 'k' : *end);
    if (u == NULL || *end == '\0')
      die_usage("%s: '%s' has an unknown unit (k, M, G, Ki, Mi, Gi)", flag, text);
    int binary = end[1] == 'i';
    for (long i = 0; i <= u - units; i++)
      mult *= binary ? 1024 : 1000;
    end += binary ? 2 : 1;
    if (*end == 'B')
      end++;
    if (*end != '\0')
      die_usage("%s: '%s' has an unknown unit (k, M, G, Ki, Mi, Gi)", flag, text);
  }
  if (v > max / mult)
    die_usage("%s: '%s' is too large (at most %" PRIu64 ")", flag, text, max);
  return (uint64_t)v * mult;
}

static double parse_prob(const char *flag, const char *text) {
  char *end;
  double p;

  errno = 0;
  p = strtod(text, &end);
  if (end == text || errno != 0)
    die_usage("%s: '%s' is not a probability in [0, 1]", flag, text);
  if (*end == '%') {
    p /= 100.0;
    end++;
  }
  if (*end != '\0' || !(p >= 0.0 && p <= 1.0))
    die_usage("%s: '%s' is not a probability in [0, 1] (or a percentage)", flag, text);
  return p;
}

static ptcp_duration parse_dur(const char *flag, const char *text) {
  ptcp_duration d;

  if (ptcp_duration_parse(text, &d) != 0)
    die_usage("%s: '%s' is not a duration (like 10ms, 1.5s, 40us)", flag, text);
  return d;
}

static uint64_t parse_rate(const char *flag, const char *text) {
  static const struct {
    const char *unit;
    double mult;
  } units[] = {{"bps", 1}, {"kbps", 1e3}, {"mbps", 1e6}, {"gbps", 1e9}};
  char *end;
  double v;

  if (strcasecmp(text, "unlimited") == 0 || strcasecmp(text, "inf") == 0)
    return 0;
  errno = 0;
  v = strtod(text, &end);
  if (end == text || errno != 0 || !(v >= 0) || !isfinite(v))
    die_usage("%s: '%s' is not a rate (like 100Mbps; units bps, Kbps, Mbps, Gbps)", flag,
              text);
  if (*end != '\0') {
    size_t i;
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
      if (strcasecmp(end, units[i].unit) == 0)
        break;
    if (i == sizeof(units) / sizeof(units[0]))
      die_usage("%s: '%s' has an unknown unit (bps, Kbps, Mbps, Gbps)", flag, text);
    v *= units[i].mult;
  }
  if (v > 1e15)
    die_usage("%s: '%s' is too fast (at most 1000000Gbps)", flag, text);
  if (v > 0 && v < 1)
    die_usage("%s: '%s' is below 1 bit/s", flag, text);
  return (uint64_t)llround(v);
}

/* ------------------------------------------------------------------ */
/* Policies                                                            */

static ptcp_registry *registry;

static void set_policy(psim_run_cfg *cfg, const char *flag, ptcp_slot slot,
                       const char *spec) {
  ptcp_policy_sel sel;
  char err[256];

  if (ptcp_policy_parse(&sel, registry, slot, spec, err, sizeof(err)) != 0)
    die_usage("%s: %s", flag, err);
  cfg->policy[slot] = spec;
}

static void set_policy_assign(psim_run_cfg *cfg, const char *text) {
  const char *eq = strchr(text, '=');
  char slot_name[32];
  int slot;

  if (eq == NULL || eq == text || (size_t)(eq - text) >= sizeof(slot_name))
    die_usage("--policy: '%s' is not SLOT=SPEC (like rto=rfc6298:min=200ms)", text);
  memcpy(slot_name, text, (size_t)(eq - text));
  slot_name[eq - text] = '\0';
  slot = ptcp_slot_from_name(slot_name);
  if (slot < 0)
    die_usage("--policy: no slot named '%s' (isn, rto, dupfilter, close, cc)", slot_name);
  set_policy(cfg, "--policy", (ptcp_slot)slot, eq + 1);
}

static int dummy_rand(void *ctx, uint8_t *dest, size_t len) {
  (void)ctx;
  memset(dest, 0x5a, len);
  return 0;
}

static int dummy_emit(void *user, const uint8_t *pkt, size_t len) {
  (void)user;
  (void)pkt;
  (void)len;
  return 0;
}

/* The engine's default policy per slot, as a stack reports them. */
static void default_policies(const char *names[PTCP_SLOT_COUNT]) {
  ptcp_stack_cfg sc;
  ptcp_stack *st;
  ptcp_conn *c;
  ptcp_conn_status cs;

  for (int i = 0; i < PTCP_SLOT_COUNT; i++)
    names[i] = "";
  ptcp_stack_cfg_default(&sc);
  sc.rand = dummy_rand;
  sc.callbacks.emit = dummy_emit;
  sc.registry = registry;
  if (ptcp_stack_new(&st, &sc, 0) != 0)
    return;
  if (ptcp_conn_new(st, NULL, &c) == 0) {
    ptcp_conn_status_get(c, &cs);
    for (int i = 0; i < PTCP_SLOT_COUNT; i++)
      names[i] = cs.policy[i];
  }
  /* The names are the registry's strings: they outlive the stack. */
  ptcp_stack_free(st);
}

static void param_value(char *buf, size_t cap, const ptcp_param_desc *d,
                        const void *params) {
  const uint8_t *p = params;

  if (p == NULL) {
    snprintf(buf, cap, "0");
    return;
  }
  switch (d->type) {
  case PTCP_PARAM_DURATION: {
    ptcp_duration v;
    memcpy(&v, p + d->offset, sizeof(v));
    ptcp_duration_format(buf, cap, v);
    break;
  }
  case PTCP_PARAM_U32: {
    uint32_t v;
    memcpy(&v, p + d->offset, sizeof(v));
    snprintf(buf, cap, "%" PRIu32, v);
    break;
  }
  case PTCP_PARAM_BOOL:
    snprintf(buf, cap, "%s", p[d->offset] ? "on" : "off");
    break;
  default:
    snprintf(buf, cap, "?");
  }
}

static void list_policies(void) {
  const char *defaults[PTCP_SLOT_COUNT];

  default_policies(defaults);
  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    printf("%s:\n", ptcp_slot_name((ptcp_slot)slot));
    for (size_t i = 0; i < ptcp_registry_count(registry, (ptcp_slot)slot); i++) {
      const ptcp_policy_info *p = ptcp_registry_get(registry, (ptcp_slot)slot, i);
      printf("  %-10s %s%s\n", p->name, p->summary,
             strcmp(p->name, defaults[slot]) == 0 ? " (default)" : "");
      for (size_t k = 0; k < p->nparams; k++) {
        const ptcp_param_desc *d = &p->params[k];
        char def[32], lo[32], hi[32];
        param_value(def, sizeof(def), d, p->params_default);
        if (d->type == PTCP_PARAM_DURATION) {
          ptcp_duration_format(lo, sizeof(lo), d->min);
          ptcp_duration_format(hi, sizeof(hi), d->max);
        } else if (d->type == PTCP_PARAM_BOOL) {
          snprintf(lo, sizeof(lo), "off");
          snprintf(hi, sizeof(hi), "on");
        } else {
          snprintf(lo, sizeof(lo), "%" PRIu64, d->min);
          snprintf(hi, sizeof(hi), "%" PRIu64, d->max);
        }
        printf("      %s=%s  [%s .. %s]  %s\n", d->name, def, lo, hi,
               d->help ? d->help : "");
      }
    }
  }
  printf("\nSelect with --policy SLOT=NAME[:KEY=VALUE,...] or --SLOT NAME[:...].\n");
}

static void list_scenarios(void) {
  for (size_t i = 0; i < psim_scenario_count(); i++) {
    const psim_scenario_info *s = psim_scenario_get(i);
    printf("%-19s %s\n", s->name, s->summary);
    printf("%-19s expects: %s\n", "", s->expectation);
    if (s->default_bytes > 0)
      printf("%-19s default --bytes %" PRIu64 "\n", "", s->default_bytes);
  }
}

/* ------------------------------------------------------------------ */
/* Progress                                                            */

typedef struct progress {
  int on;
  double last;
  int drawn;
} progress;

static double wall_now(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_progress(void *ctx, uint64_t done, uint64_t total, ptcp_time now) {
  progress *p = ctx;
  char bar[41];
  unsigned fill;
  double t;

  if (!p->on || total == 0)
    return;
  t = wall_now();
  if (t - p->last < 0.1)
    return;
  p->last = t;
  fill = (unsigned)(done >= total ? 40 : done * 40 / total);
  memset(bar, '#', fill);
  memset(bar + fill, '.', 40 - fill);
  bar[40] = '\0';
  fprintf(stderr, "\r[%s] %3u%%  %.1f of %.1f MB  simulated %.3f s ", bar,
          (unsigned)(done >= total ? 100 : done * 100 / total), (double)done / 1e6,
          (double)total / 1e6, (double)now / 1e9);
  p->drawn = 1;
}

static void progress_clear(progress *p) {
  if (p->drawn)
    fprintf(stderr, "\r%*s\r", 79, "");
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv) {
  psim_run_cfg cfg;
  psim_result res;
  progress prog = {0, 0, 0};
  int json = 0, quiet = 0, ladder = 0, ladder_abs = 0, list_p = 0, list_s = 0, opt;
  size_t ladder_rows = DEFAULT_LADDER_ROWS;
  const char *trace_path = NULL, *svg_path = NULL;
  FILE *trace = NULL;
  char err[512];
  double t0, wall;
  int rv, status;

  if (ptcp_registry_new(&registry, NULL) != 0 ||
      ptcp_registry_add_builtins(registry) != 0) {
    fprintf(stderr, PROG ": cannot build the policy registry\n");
    return 1;
  }
  psim_run_cfg_init(&cfg);
  cfg.registry = registry;
  opterr = 0;
  while ((opt = getopt_long(argc, argv, ":s:n:jqhV", long_opts, NULL)) != -1) {
    switch (opt) {
    case 's':
      if (psim_scenario_find(optarg) == NULL)
        die_usage("--scenario: no scenario named '%s' (see --list-scenarios)", optarg);
      cfg.scenario = optarg;
      break;
    case 'n':
      cfg.bytes = parse_size("--bytes", optarg, UINT64_C(1) << 50);
      cfg.set |= PSIM_SET_BYTES;
      break;
    case 'j':
      json = 1;
      break;
    case 'q':
      quiet = 1;
      break;
    case 'h':
      usage(stdout);
      return 0;
    case 'V':
      printf(PROG " (plugtcp) %s\n", psim_version());
      return 0;
    case OPT_RATE:
      cfg.link.rate_bps = parse_rate("--rate", optarg);
      break;
    case OPT_DELAY:
      cfg.link.delay = parse_dur("--delay", optarg);
      break;
    case OPT_QUEUE:
      cfg.link.queue_limit = (size_t)parse_size("--queue", optarg, 1u << 24);
      break;
    case OPT_LOSS:
      cfg.link.loss = parse_prob("--loss", optarg);
      cfg.set |= PSIM_SET_LOSS;
      break;
    case OPT_BURST_LOSS: {
      const char *comma = strchr(optarg, ',');
      char p[64];
      if (comma == NULL || (size_t)(comma - optarg) >= sizeof(p))
        die_usage("--burst-loss: '%s' is not P,R (like 0.01,0.3)", optarg);
      memcpy(p, optarg, (size_t)(comma - optarg));
      p[comma - optarg] = '\0';
      cfg.link.ge.p = parse_prob("--burst-loss", p);
      cfg.link.ge.r = parse_prob("--burst-loss", comma + 1);
      cfg.link.ge.loss_bad = 1.0;
      if (cfg.link.ge.p > 0 && cfg.link.ge.r == 0)
        die_usage(
            "--burst-loss: R (bad -> good) must be above 0, or the link dies for good");
      break;
    }
    case OPT_DUP:
      cfg.link.duplicate = parse_prob("--dup", optarg);
      break;
    case OPT_REORDER:
      cfg.link.reorder = parse_prob("--reorder", optarg);
      break;
    case OPT_CORRUPT:
      cfg.link.corrupt = parse_prob("--corrupt", optarg);
      break;
    case OPT_JITTER:
      cfg.link.jitter = parse_dur("--jitter", optarg);
      break;
    case OPT_IMPAIR:
      if (strcmp(optarg, "both") == 0)
        cfg.impair = PSIM_IMPAIR_BOTH;
      else if (strcmp(optarg, "forward") == 0)
        cfg.impair = PSIM_IMPAIR_FORWARD;
      else if (strcmp(optarg, "reverse") == 0)
        cfg.impair = PSIM_IMPAIR_REVERSE;
      else
        die_usage("--impair: '%s' is not both, forward or reverse", optarg);
      break;
    case OPT_SEED:
      cfg.seed = parse_size("--seed", optarg, UINT64_MAX);
      break;
    case OPT_POLICY:
      set_policy_assign(&cfg, optarg);
      break;
    case OPT_ISN:
      set_policy(&cfg, "--isn", PTCP_SLOT_ISN, optarg);
      break;
    case OPT_RTO:
      set_policy(&cfg, "--rto", PTCP_SLOT_RTO, optarg);
      break;
    case OPT_DUPFILTER:
      set_policy(&cfg, "--dupfilter", PTCP_SLOT_DUPFILTER, optarg);
      break;
    case OPT_CLOSE:
      set_policy(&cfg, "--close", PTCP_SLOT_CLOSE, optarg);
      break;
    case OPT_CC:
      set_policy(&cfg, "--cc", PTCP_SLOT_CC, optarg);
      break;
    case OPT_MSS:
      cfg.mss = (uint16_t)parse_size("--mss", optarg, 65535);
      if (cfg.mss < 88)
        die_usage("--mss: %u is below 88 (the smallest segment plugtcp sends)",
                  (unsigned)cfg.mss);
      break;
    case OPT_SNDBUF:
      cfg.sndbuf = (uint32_t)parse_size("--sndbuf", optarg, UINT32_MAX);
      if (cfg.sndbuf == 0)
        die_usage("--sndbuf: must be at least 1");
      break;
    case OPT_RCVBUF:
      cfg.rcvbuf = (uint32_t)parse_size("--rcvbuf", optarg, UINT32_MAX);
      if (cfg.rcvbuf == 0)
        die_usage("--rcvbuf: must be at least 1");
      cfg.set |= PSIM_SET_RCVBUF;
      break;
    case OPT_MSL:
      cfg.msl = parse_dur("--msl", optarg);
      if (cfg.msl == 0)
        die_usage("--msl: must be above 0");
      break;
    case OPT_CONNS:
      cfg.conns = (uint32_t)parse_size("--conns", optarg, 480000);
      if (cfg.conns == 0)
        die_usage("--conns: must be at least 1");
      break;
    case OPT_TIME_LIMIT:
      cfg.time_limit = parse_dur("--time-limit", optarg);
      if (cfg.time_limit == 0)
        die_usage("--time-limit: must be above 0");
      break;
    case OPT_PCAP:
      cfg.pcap_prefix = optarg;
      break;
    case OPT_TRACE:
      trace_path = optarg;
      break;
    case OPT_LADDER:
      ladder = 1;
      if (optarg != NULL) {
        if (strcmp(optarg, "abs") != 0)
          die_usage("--ladder: '%s' is not 'abs'", optarg);
        ladder_abs = 1;
      }
      break;
    case OPT_LADDER_ROWS:
      ladder_rows = (size_t)parse_size("--ladder-rows", optarg, SIZE_MAX);
      break;
    case OPT_SVG:
      svg_path = optarg;
      break;
    case OPT_LIST_POLICIES:
      list_p = 1;
      break;
    case OPT_LIST_SCENARIOS:
      list_s = 1;
      break;
    case ':':
      die_usage("option '%s' needs a value", argv[optind - 1]);
      break;
    default:
      if (optopt != 0)
        die_usage("unknown option '-%c'", optopt);
      die_usage("unknown option '%s'", argv[optind - 1]);
    }
  }
  if (optind < argc)
    die_usage("unexpected argument '%s'", argv[optind]);
  if (list_p || list_s) {
    if (list_s)
      list_scenarios();
    if (list_p && list_s)
      putchar('\n');
    if (list_p)
      list_policies();
    ptcp_registry_free(registry);
    return 0;
  }
  if (trace_path != NULL) {
    if (strcmp(trace_path, "-") == 0) {
      if (json)
        die_usage("--trace -: stdout carries the JSON summary; give a file");
      trace = stdout;
    } else if ((trace = fopen(trace_path, "w")) == NULL) {
      die_usage("--trace: cannot write '%s': %s", trace_path, strerror(errno));
    }
    cfg.trace = trace;
  }
  cfg.ladder = ladder || svg_path != NULL;
  prog.on = !quiet && isatty(STDERR_FILENO);
  if (prog.on) {
    cfg.progress = on_progress;
    cfg.ctx = &prog;
  }

  t0 = wall_now();
  rv = psim_run(&cfg, &res, err, sizeof(err));
  wall = wall_now() - t0;
  progress_clear(&prog);
  if (trace != NULL && trace != stdout && fclose(trace) != 0 && rv == 0) {
    snprintf(err, sizeof(err), "--trace: cannot write '%s': %s", trace_path,
             strerror(errno));
    rv = PSIM_ERR_IO;
  }
  if (rv != 0) {
    fprintf(stderr, PROG ": %s\n", err[0] ? err : psim_strerror(rv));
    ptcp_registry_free(registry);
    return rv == PTCP_ERR_NOMEM ? 1 : 2;
  }
  if (ladder && res.ladder != NULL) {
    FILE *lf = json ? stderr : stdout;
    psim_ladder_write_text(res.ladder, lf, ladder_abs ? PSIM_LADDER_ABSOLUTE : 0,
                           ladder_rows);
    fputc('\n', lf);
  }
  if (svg_path != NULL && res.ladder != NULL) {
    FILE *sf = fopen(svg_path, "w");
    if (sf == NULL ||
        psim_ladder_write_svg(res.ladder, sf, ladder_abs ? PSIM_LADDER_ABSOLUTE : 0,
                              ladder_rows) != 0 ||
        fclose(sf) != 0) {
      fprintf(stderr, PROG ": --svg: cannot write '%s': %s\n", svg_path, strerror(errno));
      psim_result_free(&res);
      ptcp_registry_free(registry);
      return 2;
    }
  }
  if (json)
    psim_summary_json(stdout, &res, wall);
  else
    psim_summary_text(stdout, &res, wall);
  status = res.ok ? 0 : 1;
  psim_result_free(&res);
  ptcp_registry_free(registry);
  if (fflush(stdout) != 0)
    return 2;
  return status;
}
