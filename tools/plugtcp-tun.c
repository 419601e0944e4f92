/*
 * plugtcp-tun: one libplugtcp stack on a Linux TUN device, talking to
 * the kernel's TCP (or anything routed through the device) in real time.
 *
 *   plugtcp-tun --dev ptun0 --addr 10.77.0.2 --listen 5000 --sink
 *   plugtcp-tun --dev ptun0 --addr 10.77.0.2 --connect 10.77.0.1:5000 \
 *               --source 10M --expect-echo --json
 *
 * The stack gets a real clock (CLOCK_MONOTONIC) and the OS CSPRNG
 * (getrandom).  Optional impairments (--loss, --dup, --reorder, --delay,
 * --corrupt) sit between the TUN and the stack and are libplugsim's link
 * model, since the kernel's netem is not always there.  See
 * plugtcp-tun(1) and docs/tun.md.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include <plugsim/link.h>
#include <plugtcp/plugtcp.h>

#include "tun/tun_app.h"
#include "tun/tun_bridge.h"
#include "tun/tun_dev.h"

#define EXIT_USAGE 2

static const char *prog = "plugtcp-tun";

static void usage(FILE *f) {
  fprintf(
      f,
      "usage: plugtcp-tun --addr IP [--dev NAME] --listen PORT APP [OPTIONS]\n"
      "       plugtcp-tun --addr IP [--dev NAME] --connect IP:PORT APP [OPTIONS]\n"
      "  APP: --echo | --sink | --source N | --send FILE [--expect-echo]\n"
      "\n"
      "Runs one plugtcp stack on a TUN device (IFF_TUN|IFF_NO_PI) with a real\n"
      "clock and the OS CSPRNG.\n"
      "\n"
      "Device:\n"
      "  --dev NAME            TUN device to attach to or create (default ptun0)\n"
      "  --addr IP             the stack's own address (required)\n"
      "  --ifconfig IP/PREFIX  give the kernel's side this IPv4 address, bring it up\n"
      "Server:\n"
      "  --listen PORT         accept connections on PORT\n"
      "  --count N             connections to serve (default 1; 0: until a signal)\n"
      "Client:\n"
      "  --connect IP:PORT     connect to IP:PORT\n"
      "  --count N             connections to make (default 1)\n"
      "  --parallel N          connections open at once (default 1)\n"
      "Applications (each reads and fingerprints what arrives until the peer's FIN):\n"
      "  --echo                send back everything that arrives; FIN after the peer's\n"
      "  --sink                send nothing; FIN after the peer's\n"
      "  --source N            send N pattern bytes, then FIN (and go on reading)\n"
      "  --send FILE           send FILE's bytes, then FIN (and go on reading)\n"
      "  --expect-echo         with --source/--send: what comes back must equal\n"
      "                        what was sent\n"
      "Both:\n"
      "  --abort-after N       abort (RST) once N bytes arrived (0: at once)\n"
      "  --policy SLOT=SPEC    policy for a slot, e.g. rto=rfc6298:min=200ms\n"
      "                        (slots: isn rto dupfilter close cc; repeatable)\n"
      "  --list-policies       list the policies and their parameters\n"
      "  --mss N               MSS to announce (default 1460)\n"
      "  --sndbuf N, --rcvbuf N  buffer sizes (default 256K each)\n"
      "  --msl D               maximum segment lifetime (default 2min): TIME-WAIT is 2 "
      "MSL\n"
      "  --delack D            delayed-ACK time, 0 = ACK every segment (default 200ms)\n"
      "  --no-nagle, --no-sack, --no-timestamps, --no-wscale\n"
      "Impairments between the TUN and the stack, both directions:\n"
      "  --loss P, --dup P, --reorder P, --corrupt P   probabilities (5%% or 0.05)\n"
      "  --delay D             one-way delay each way (e.g. 10ms)\n"
      "  --reorder-delay D     extra delay of a reordered packet (default: --delay, or "
      "1ms)\n"
      "  --seed N              seed of the impairments (default: random, reported)\n"
      "Running:\n"
      "  --timeout D           give up after D (default 60s)\n"
      "  --linger D            keep serving the stack D after the last connection\n"
      "  --ready FILE          create FILE once the stack is listening or connecting\n"
      "  --pcap FILE           capture what crosses the TUN (raw IP, ns timestamps)\n"
      "  --json                print the summary as JSON\n"
      "  --help, --version\n"
      "\n"
      "N takes K, M or G (powers of 1024); D takes ns, us, ms or s (plain = seconds).\n"
      "Exit status: 0 when every connection ended cleanly, 1 otherwise, 2 on usage "
      "errors.\n");
}

/* A wrong flag: say what is wrong, exit 2. */
static void bad(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void bad(const char *fmt, ...) {
  va_list ap;

  fprintf(stderr, "%s: ", prog);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\n%s: try --help\n", prog);
  exit(EXIT_USAGE);
}

/* ------------------------------------------------------------------ */
/* Option values                                                       */

static uint64_t parse_size(const char *opt, const char *s) {
  uint64_t v = 0, mul = 1;
  const char *p = s;

  if (*p < '0' || *p > '9')
    bad("%s wants a byte count (e.g. 10M), not '%s'", opt, s);
  for (; *p >= '0' && *p <= '9'; p++) {
    if (v > (UINT64_MAX - 9) / 10)
      bad("%s: '%s' is too large", opt, s);
    v = v * 10 + (uint64_t)(*p - '0');
  }
  if (*p == 'k' || *p == 'K')
    mul = 1024, p++;
  else if (*p == 'M')
    mul = 1024 * 1024, p++;
  else if (*p == 'G')
    mul = 1024 * 1024 * 1024, p++;
  if (*p != '\0')
    bad("%s wants a byte count with an optional K, M or G, not '%s'", opt, s);
  if (v > UINT64_MAX / mul)
    bad("%s: '%s' is too large", opt, s);
  return v * mul;
}

static uint32_t parse_u32(const char *opt, const char *s, uint32_t lo, uint32_t hi) {
  uint64_t v = parse_size(opt, s);

  if (v < lo || v > hi) {
    char range[64];
    snprintf(range, sizeof(range), "%" PRIu32 "..%" PRIu32, lo, hi);
    fprintf(stderr, "%s: %s must be in %s, not '%s'\n", prog, opt, range, s);
    exit(EXIT_USAGE);
  }
  return (uint32_t)v;
}

static double parse_prob(const char *opt, const char *s) {
  char *end;
  double v;

  errno = 0;
  v = strtod(s, &end);
  if (end == s || errno != 0)
    bad("%s wants a probability (5%% or 0.05), not '%s'", opt, s);
  if (*end == '%') {
    v /= 100.0;
    end++;
  }
  if (*end != '\0' || !(v >= 0.0 && v <= 1.0))
    bad("%s wants a probability between 0 and 1 (or 0%% and 100%%), not '%s'", opt, s);
  return v;
}

static ptcp_duration parse_dur(const char *opt, const char *s) {
  ptcp_duration d;

  if (ptcp_duration_parse(s, &d) != 0)
    bad("%s wants a duration (250ms, 1.5s, 40us), not '%s'", opt, s);
  return d;
}

static ptcp_addr parse_addr(const char *opt, const char *s) {
  ptcp_addr a;

  if (ptcp_addr_parse(&a, s) != 0)
    bad("%s wants an IPv4 or IPv6 address, not '%s'", opt, s);
  return a;
}

/* IP:PORT, or [IPv6]:PORT. */
static void parse_endpoint(const char *opt, const char *s, ptcp_addr *a, uint16_t *port) {
  char host[64];
  const char *colon, *h = s;
  size_t hl;

  if (*s == '[') {
    const char *close = strchr(s, ']');
    if (close == NULL || close[1] != ':')
      bad("%s wants IP:PORT or [IPv6]:PORT, not '%s'", opt, s);
    h = s + 1;
    hl = (size_t)(close - h);
    colon = close + 1;
  } else {
    colon = strrchr(s, ':');
    if (colon == NULL)
      bad("%s wants IP:PORT, not '%s'", opt, s);
    hl = (size_t)(colon - s);
  }
  if (hl == 0 || hl >= sizeof(host))
    bad("%s wants IP:PORT, not '%s'", opt, s);
  memcpy(host, h, hl);
  host[hl] = '\0';
  *a = parse_addr(opt, host);
  *port = (uint16_t)parse_u32(opt, colon + 1, 1, 65535);
}

/* ------------------------------------------------------------------ */
/* Policies                                                            */

static ptcp_registry *builtin_registry(void) {
  ptcp_registry *reg;

  if (ptcp_registry_new(&reg, NULL) != 0 || ptcp_registry_add_builtins(reg) != 0) {
    fprintf(stderr, "%s: cannot build the policy registry\n", prog);
    exit(1);
  }
  return reg;
}

/* --policy SLOT=SPEC, checked the way plugtcp-sim checks it. */
static void parse_policy(const ptcp_registry *reg, const char *arg,
                         const char *policy[PTCP_SLOT_COUNT]) {
  const char *eq = strchr(arg, '=');
  char slot[16], msg[256];
  ptcp_policy_sel sel;
  int s;

  if (eq == NULL || eq == arg || (size_t)(eq - arg) >= sizeof(slot))
    bad("--policy wants SLOT=SPEC (e.g. rto=rfc6298:min=200ms), not '%s'", arg);
  memcpy(slot, arg, (size_t)(eq - arg));
  slot[eq - arg] = '\0';
  s = ptcp_slot_from_name(slot);
  if (s < 0)
    bad("--policy: no slot named '%s'; the slots are isn, rto, dupfilter, close, cc",
        slot);
  if (ptcp_policy_parse(&sel, reg, (ptcp_slot)s, eq + 1, msg, sizeof(msg)) != 0)
    bad("--policy: %s", msg);
  policy[s] = eq + 1;
}

static void list_policies(const ptcp_registry *reg) {
  for (int s = 0; s < PTCP_SLOT_COUNT; s++) {
    printf("%s:\n", ptcp_slot_name((ptcp_slot)s));
    for (size_t i = 0; i < ptcp_registry_count(reg, (ptcp_slot)s); i++) {
      const ptcp_policy_info *p = ptcp_registry_get(reg, (ptcp_slot)s, i);
      printf("  %-10s %s\n", p->name, p->summary);
      for (size_t k = 0; k < p->nparams; k++)
        printf("             %s: %s\n", p->params[k].name, p->params[k].help);
    }
  }
}

/* ------------------------------------------------------------------ */
/* Randomness: the OS CSPRNG                                           */

static int os_random(void *ctx, uint8_t *dest, size_t len) {
  (void)ctx;
  while (len > 0) {
    ssize_t n = getrandom(dest, len, 0);
    if (n < 0) {
      if (errno == EINTR)
        continue;
      return -1;
    }
    dest += n;
    len -= (size_t)n;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Reports                                                             */

typedef struct run_info {
  const char *dev;
  const tun_app_cfg *app;
  ptcp_addr addr;
  const psim_link_dir_cfg *imp;
  int impaired;
  uint64_t seed;
  const char *run_error; /* the run itself failed: timeout, TUN, ... */
  double elapsed;
  const tun_bridge_stats *tun;
  const psim_link_stats *to_stack, *to_kernel;
  ptcp_stack_stats stack;
} run_info;

static const char *app_name(tun_app_kind k) {
  switch (k) {
  case TUN_APP_ECHO:
    return "echo";
  case TUN_APP_SINK:
    return "sink";
  case TUN_APP_SOURCE:
    return "source";
  case TUN_APP_SEND:
    return "send";
  }
  return "?";
}

static int conn_ok(const tun_conn_result *r) {
  return r->finished && r->established && r->err == 0 && r->problem == NULL;
}

static const char *endpoint(char *buf, size_t cap, const ptcp_addr *a, uint16_t port) {
  char ip[64];

  ptcp_addr_format(a, ip, sizeof(ip));
  snprintf(buf, cap, a->family == PTCP_AF_INET6 ? "[%s]:%u" : "%s:%u", ip, port);
  return buf;
}

static double seconds(ptcp_duration d) { return (double)d / (double)PTCP_SECONDS; }

static void json_str(const char *s) {
  if (s == NULL) {
    fputs("null", stdout);
    return;
  }
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static void json_link(const char *name, const psim_link_stats *l) {
  printf(
      "\"%s\":{\"offered\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"duplicated\":%" PRIu64
      ",\"reordered\":%" PRIu64 ",\"corrupted\":%" PRIu64 ",\"delivered\":%" PRIu64 "}",
      name, l->offered, l->lost, l->duplicated, l->reordered, l->corrupted, l->delivered);
}

static void print_json(const run_info *ri, const tun_app *app, int ok) {
  const tun_app_cfg *cfg = ri->app;
  uint64_t tx = 0, rx = 0, rtx = 0;
  unsigned failed = 0;
  char buf[80];

  printf("{\"tool\":\"plugtcp-tun\",\"version\":");
  json_str(ptcp_version());
  printf(",\"mode\":\"%s\",\"app\":\"%s\",\"device\":", cfg->server ? "server" : "client",
         app_name(cfg->kind));
  json_str(ri->dev);
  printf(",\"address\":");
  json_str(ptcp_addr_format(&ri->addr, buf, sizeof(buf)));
  if (cfg->server)
    printf(",\"listen\":%u", cfg->port);
  else {
    printf(",\"connect\":");
    json_str(endpoint(buf, sizeof(buf), &cfg->remote, cfg->port));
  }
  printf(",\"ok\":%s,\"error\":", ok ? "true" : "false");
  json_str(ri->run_error);
  printf(",\"elapsed_s\":%.6f,\"connections\":[", ri->elapsed);
  for (size_t i = 0; i < tun_app_count(app); i++) {
    const tun_conn_result *r = tun_app_result(app, i);
    const ptcp_conn_status *o = &r->open, *l = &r->last;
    if (i > 0)
      putchar(',');
    printf("{\"id\":%u,\"local\":", r->id);
    json_str(r->established ? endpoint(buf, sizeof(buf), &o->local, o->local_port)
                            : NULL);
    printf(",\"remote\":");
    json_str(r->established ? endpoint(buf, sizeof(buf), &o->remote, o->remote_port)
                            : NULL);
    printf(",\"ok\":%s,\"established\":%s,\"finished\":%s,\"final_state\":",
           conn_ok(r) ? "true" : "false", r->established ? "true" : "false",
           r->finished ? "true" : "false");
    json_str(ptcp_state_name(l->state));
    printf(",\"error\":");
    json_str(r->err ? ptcp_err_name(r->err) : NULL);
    printf(",\"problem\":");
    json_str(r->problem);
    printf(",\"aborted\":%s,\"peer_fin\":%s", r->aborted ? "true" : "false",
           r->peer_fin ? "true" : "false");
    printf(",\"bytes_sent\":%" PRIu64 ",\"bytes_received\":%" PRIu64, r->tx_bytes,
           r->rx_bytes);
    printf(",\"sha256_sent\":\"%s\",\"sha256_received\":\"%s\"", r->tx_sha256,
           r->rx_sha256);
    if (r->echo_checked)
      printf(",\"echo_ok\":%s", r->echo_ok ? "true" : "false");
    if (r->echo_checked && !r->echo_ok)
      printf(",\"echo_mismatch_at\":%" PRIu64, r->echo_mismatch_at);
    printf(",\"retransmissions\":%" PRIu64 ",\"timeouts\":%" PRIu64
           ",\"fast_retransmits\":%" PRIu64 ",\"spurious_timeouts\":%" PRIu64
           ",\"segments_in\":%" PRIu64 ",\"segments_out\":%" PRIu64,
           l->retransmits, l->timeouts, l->fast_retransmits, l->spurious_timeouts,
           l->segs_in, l->segs_out);
    if (r->established)
      printf(
          ",\"options\":{\"snd_mss\":%u,\"rcv_mss\":%u,\"wscale\":%s,\"snd_wscale\":%u,"
          "\"rcv_wscale\":%u,\"sack\":%s,\"timestamps\":%s}",
          o->snd_mss, o->rcv_mss, o->wscale_ok ? "true" : "false", o->snd_wscale,
          o->rcv_wscale, o->sack_ok ? "true" : "false", o->ts_ok ? "true" : "false");
    if (l->srtt != PTCP_TIME_NONE && r->established)
      printf(",\"srtt_us\":%" PRIu64, l->srtt / PTCP_MICROSECONDS);
    printf(",\"duration_s\":%.6f}", r->established && r->t_end > r->t_established
                                        ? seconds(r->t_end - r->t_established)
                                        : 0.0);
    tx += r->tx_bytes;
    rx += r->rx_bytes;
    rtx += l->retransmits;
    failed += !conn_ok(r);
  }
  printf("],\"totals\":{\"connections\":%zu,\"failed\":%u,\"bytes_sent\":%" PRIu64
         ",\"bytes_received\":%" PRIu64 ",\"retransmissions\":%" PRIu64 "}",
         tun_app_count(app), failed, tx, rx, rtx);
  printf(",\"tun\":{\"packets_in\":%" PRIu64 ",\"packets_out\":%" PRIu64
         ",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64 ",\"write_drops\":%" PRIu64
         ",\"not_tcp\":%" PRIu64 ",\"oversize\":%" PRIu64 ",\"pool_drops\":%" PRIu64 "}",
         ri->tun->tun_in, ri->tun->tun_out, ri->tun->tun_in_bytes, ri->tun->tun_out_bytes,
         ri->tun->tun_write_drops, ri->tun->not_tcp, ri->tun->oversize,
         ri->tun->pool_drops);
  printf(",\"stack\":{\"packets_in\":%" PRIu64 ",\"packets_out\":%" PRIu64
         ",\"malformed\":%" PRIu64 ",\"time_wait\":%u,\"conns\":%u}",
         ri->stack.packets_in, ri->stack.packets_out, ri->stack.malformed,
         ri->stack.time_wait, ri->stack.conns);
  printf(",\"impairments\":{\"on\":%s,\"seed\":%" PRIu64 ",\"loss\":%g,\"dup\":%g,"
         "\"reorder\":%g,\"corrupt\":%g,\"delay_s\":%g,",
         ri->impaired ? "true" : "false", ri->seed, ri->imp->loss, ri->imp->duplicate,
         ri->imp->reorder, ri->imp->corrupt, seconds(ri->imp->delay));
  json_link("to_stack", ri->to_stack);
  putchar(',');
  json_link("to_kernel", ri->to_kernel);
  printf("}}\n");
}

static void human_bytes(char *buf, size_t cap, uint64_t n) {
  if (n >= 10u * 1024 * 1024)
    snprintf(buf, cap, "%" PRIu64 " B (%.1f MiB)", n, (double)n / 1048576.0);
  else
    snprintf(buf, cap, "%" PRIu64 " B", n);
}

static void print_conn(const tun_conn_result *r) {
  const ptcp_conn_status *o = &r->open, *l = &r->last;
  char a[80], b[80], t[48], x[48];

  human_bytes(t, sizeof(t), r->tx_bytes);
  human_bytes(x, sizeof(x), r->rx_bytes);
  if (r->established)
    printf("  #%u %s <-> %s  %s%s\n", r->id,
           endpoint(a, sizeof(a), &o->local, o->local_port),
           endpoint(b, sizeof(b), &o->remote, o->remote_port), ptcp_state_name(l->state),
           r->aborted ? " (aborted)" : "");
  else
    printf("  #%u not established  %s\n", r->id, ptcp_state_name(l->state));
  printf("     sent %s  sha256 %s\n", t, r->tx_sha256);
  printf("     received %s  sha256 %s%s\n", x, r->rx_sha256,
         r->peer_fin ? "  (and FIN)" : "");
  if (r->established)
    printf("     mss %u/%u  wscale %s  sack %s  timestamps %s  retransmissions %" PRIu64
           " (timeouts %" PRIu64 ", fast %" PRIu64 ")\n",
           o->snd_mss, o->rcv_mss, o->wscale_ok ? "yes" : "no", o->sack_ok ? "yes" : "no",
           o->ts_ok ? "yes" : "no", l->retransmits, l->timeouts, l->fast_retransmits);
  if (r->echo_checked)
    printf("     echo %s\n", r->echo_ok ? "identical" : "DIFFERS");
  if (r->err != 0)
    printf("     error: %s\n", ptcp_strerror(r->err));
  if (r->problem != NULL)
    printf("     problem: %s\n", r->problem);
}

static void print_human(const run_info *ri, const tun_app *app, int ok) {
  const tun_app_cfg *cfg = ri->app;
  size_t n = tun_app_count(app), shown = 0;
  uint64_t tx = 0, rx = 0, rtx = 0;
  unsigned failed = 0;
  char ep[80], t[48], x[48];

  if (cfg->server) {
    char ip[64];
    ptcp_addr_format(&ri->addr, ip, sizeof(ip));
    printf("plugtcp-tun: %s, server on %s port %u (%s): %zu connection(s), %s\n",
           app_name(cfg->kind), ip, cfg->port, ri->dev, n, ok ? "ok" : "FAILED");
  } else {
    printf("plugtcp-tun: %s, client to %s (%s): %zu connection(s), %s\n",
           app_name(cfg->kind), endpoint(ep, sizeof(ep), &cfg->remote, cfg->port),
           ri->dev, n, ok ? "ok" : "FAILED");
  }
  for (size_t i = 0; i < n; i++) {
    const tun_conn_result *r = tun_app_result(app, i);
    tx += r->tx_bytes;
    rx += r->rx_bytes;
    rtx += r->last.retransmits;
    failed += !conn_ok(r);
    /* Long runs: the first few, then only the failures. */
    if (shown < 8 || !conn_ok(r)) {
      print_conn(r);
      shown++;
    }
  }
  if (shown < n)
    printf("  (%zu more, all ok)\n", n - shown);
  human_bytes(t, sizeof(t), tx);
  human_bytes(x, sizeof(x), rx);
  printf("  totals: %u failed, sent %s, received %s, %" PRIu64
         " retransmissions, %.3f s\n",
         failed, t, x, rtx, ri->elapsed);
  if (ri->impaired)
    printf("  impairments (seed %" PRIu64 "): to stack lost %" PRIu64 " dup %" PRIu64
           " reordered %" PRIu64 "; to kernel lost %" PRIu64 " dup %" PRIu64
           " reordered %" PRIu64 "\n",
           ri->seed, ri->to_stack->lost, ri->to_stack->duplicated,
           ri->to_stack->reordered, ri->to_kernel->lost, ri->to_kernel->duplicated,
           ri->to_kernel->reordered);
  if (ri->run_error != NULL)
    printf("  error: %s\n", ri->run_error);
}

/* ------------------------------------------------------------------ */
/* Main                                                                */

enum {
  O_DEV = 256,
  O_ADDR,
  O_IFCONFIG,
  O_LISTEN,
  O_ECHO,
  O_SINK,
  O_SOURCE,
  O_CONNECT,
  O_SEND,
  O_EXPECT_ECHO,
  O_COUNT,
  O_PARALLEL,
  O_ABORT_AFTER,
  O_POLICY,
  O_LIST_POLICIES,
  O_MSS,
  O_SNDBUF,
  O_RCVBUF,
  O_MSL,
  O_DELACK,
  O_NO_NAGLE,
  O_NO_SACK,
  O_NO_TS,
  O_NO_WSCALE,
  O_LOSS,
  O_DUP,
  O_REORDER,
  O_REORDER_DELAY,
  O_CORRUPT,
  O_DELAY,
  O_SEED,
  O_TIMEOUT,
  O_LINGER,
  O_READY,
  O_PCAP,
  O_JSON,
  O_HELP,
  O_VERSION,
};

static const struct option long_opts[] = {
    {"dev", required_argument, NULL, O_DEV},
    {"addr", required_argument, NULL, O_ADDR},
    {"ifconfig", required_argument, NULL, O_IFCONFIG},
    {"listen", required_argument, NULL, O_LISTEN},
    {"echo", no_argument, NULL, O_ECHO},
    {"sink", no_argument, NULL, O_SINK},
    {"source", required_argument, NULL, O_SOURCE},
    {"connect", required_argument, NULL, O_CONNECT},
    {"send", required_argument, NULL, O_SEND},
    {"expect-echo", no_argument, NULL, O_EXPECT_ECHO},
    {"count", required_argument, NULL, O_COUNT},
    {"parallel", required_argument, NULL, O_PARALLEL},
    {"abort-after", required_argument, NULL, O_ABORT_AFTER},
    {"policy", required_argument, NULL, O_POLICY},
    {"list-policies", no_argument, NULL, O_LIST_POLICIES},
    {"mss", required_argument, NULL, O_MSS},
    {"sndbuf", required_argument, NULL, O_SNDBUF},
    {"rcvbuf", required_argument, NULL, O_RCVBUF},
    {"msl", required_argument, NULL, O_MSL},
    {"delack", required_argument, NULL, O_DELACK},
    {"no-nagle", no_argument, NULL, O_NO_NAGLE},
    {"no-sack", no_argument, NULL, O_NO_SACK},
    {"no-timestamps", no_argument, NULL, O_NO_TS},
    {"no-wscale", no_argument, NULL, O_NO_WSCALE},
    {"loss", required_argument, NULL, O_LOSS},
    {"dup", required_argument, NULL, O_DUP},
    {"reorder", required_argument, NULL, O_REORDER},
    {"reorder-delay", required_argument, NULL, O_REORDER_DELAY},
    {"corrupt", required_argument, NULL, O_CORRUPT},
    {"delay", required_argument, NULL, O_DELAY},
    {"seed", required_argument, NULL, O_SEED},
    {"timeout", required_argument, NULL, O_TIMEOUT},
    {"linger", required_argument, NULL, O_LINGER},
    {"ready", required_argument, NULL, O_READY},
    {"pcap", required_argument, NULL, O_PCAP},
    {"json", no_argument, NULL, O_JSON},
    {"help", no_argument, NULL, O_HELP},
    {"version", no_argument, NULL, O_VERSION},
    {NULL, 0, NULL, 0},
};

int main(int argc, char **argv) {
  const char *dev = "ptun0", *ifconfig = NULL, *ready = NULL, *pcap = NULL;
  const char *policy[PTCP_SLOT_COUNT] = {0};
  ptcp_duration timeout = 60 * PTCP_SECONDS, linger = 0;
  int have_addr = 0, have_seed = 0, json = 0, opt, impaired = 0, rv, ok;
  int have_listen = 0, have_connect = 0, have_count = 0;
  uint64_t seed = 0;
  ptcp_registry *reg = builtin_registry();
  ptcp_stack_cfg scfg;
  psim_link_dir_cfg imp;
  tun_bridge_cfg bcfg;
  tun_bridge_hooks hooks;
  tun_app_cfg acfg;
  tun_app *app = NULL;
  tun_bridge *bridge = NULL;
  ptcp_stack *stack = NULL;
  ptcp_addr addr;
  run_info ri;
  char err[256];
  unsigned mtu = 1500;
  ptcp_time t0;
  int fd;

  memset(&acfg, 0, sizeof(acfg));
  memset(&imp, 0, sizeof(imp));
  memset(&addr, 0, sizeof(addr));
  acfg.abort_after = -1;
  acfg.count = 1;
  acfg.parallel = 1;
  ptcp_stack_cfg_default(&scfg);

  while ((opt = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
    switch (opt) {
    case O_DEV:
      dev = optarg;
      break;
    case O_ADDR:
      addr = parse_addr("--addr", optarg);
      have_addr = 1;
      break;
    case O_IFCONFIG:
      if (!tun_cidr_ok(optarg))
        bad("--ifconfig wants an IPv4 ADDRESS/PREFIX (10.77.0.1/24), not '%s'", optarg);
      ifconfig = optarg;
      break;
    case O_LISTEN:
      acfg.server = 1;
      have_listen = 1;
      acfg.port = (uint16_t)parse_u32("--listen", optarg, 1, 65535);
      break;
    case O_ECHO:
    case O_SINK:
      if (acfg.kind != 0)
        bad("choose one application: --echo, --sink, --source or --send");
      acfg.kind = opt == O_ECHO ? TUN_APP_ECHO : TUN_APP_SINK;
      break;
    case O_SOURCE:
      if (acfg.kind != 0)
        bad("choose one application: --echo, --sink, --source or --send");
      acfg.kind = TUN_APP_SOURCE;
      acfg.source_len = parse_size("--source", optarg);
      break;
    case O_SEND:
      if (acfg.kind != 0)
        bad("choose one application: --echo, --sink, --source or --send");
      acfg.kind = TUN_APP_SEND;
      acfg.send_path = optarg;
      break;
    case O_CONNECT:
      have_connect = 1;
      parse_endpoint("--connect", optarg, &acfg.remote, &acfg.port);
      break;
    case O_EXPECT_ECHO:
      acfg.expect_echo = 1;
      break;
    case O_COUNT:
      acfg.count = parse_u32("--count", optarg, 0, 1000000);
      have_count = 1;
      break;
    case O_PARALLEL:
      acfg.parallel = parse_u32("--parallel", optarg, 1, 10000);
      break;
    case O_ABORT_AFTER:
      acfg.abort_after = (int64_t)parse_size("--abort-after", optarg);
      break;
    case O_POLICY:
      parse_policy(reg, optarg, policy);
      break;
    case O_LIST_POLICIES:
      list_policies(reg);
      ptcp_registry_free(reg);
      return 0;
    case O_MSS:
      scfg.conn.mss = (uint16_t)parse_u32("--mss", optarg, 88, 65495);
      break;
    case O_SNDBUF:
      scfg.conn.sndbuf = parse_u32("--sndbuf", optarg, 1024, 1u << 30);
      break;
    case O_RCVBUF:
      scfg.conn.rcvbuf = parse_u32("--rcvbuf", optarg, 1024, 1u << 30);
      break;
    case O_MSL:
      scfg.conn.msl = parse_dur("--msl", optarg);
      break;
    case O_DELACK:
      scfg.conn.delack = parse_dur("--delack", optarg);
      if (scfg.conn.delack > 500 * PTCP_MILLISECONDS)
        bad("--delack must be at most 500ms (RFC 9293 MUST-40), not '%s'", optarg);
      break;
    case O_NO_NAGLE:
      scfg.conn.nagle = 0;
      break;
    case O_NO_SACK:
      scfg.conn.sack = 0;
      break;
    case O_NO_TS:
      scfg.conn.timestamps = 0;
      break;
    case O_NO_WSCALE:
      scfg.conn.window_scaling = 0;
      break;
    case O_LOSS:
      imp.loss = parse_prob("--loss", optarg);
      impaired = 1;
      break;
    case O_DUP:
      imp.duplicate = parse_prob("--dup", optarg);
      impaired = 1;
      break;
    case O_REORDER:
      imp.reorder = parse_prob("--reorder", optarg);
      impaired = 1;
      break;
    case O_REORDER_DELAY:
      imp.reorder_delay = parse_dur("--reorder-delay", optarg);
      break;
    case O_CORRUPT:
      imp.corrupt = parse_prob("--corrupt", optarg);
      impaired = 1;
      break;
    case O_DELAY:
      imp.delay = parse_dur("--delay", optarg);
      impaired = 1;
      break;
    case O_SEED:
      seed = parse_size("--seed", optarg);
      have_seed = 1;
      break;
    case O_TIMEOUT:
      timeout = parse_dur("--timeout", optarg);
      break;
    case O_LINGER:
      linger = parse_dur("--linger", optarg);
      break;
    case O_READY:
      ready = optarg;
      break;
    case O_PCAP:
      pcap = optarg;
      break;
    case O_JSON:
      json = 1;
      break;
    case O_HELP:
      usage(stdout);
      ptcp_registry_free(reg);
      return 0;
    case O_VERSION:
      printf("plugtcp-tun %s\n", ptcp_version());
      ptcp_registry_free(reg);
      return 0;
    default:
      fprintf(stderr, "%s: try --help\n", prog);
      return EXIT_USAGE;
    }
  }
  if (optind < argc)
    bad("unexpected argument '%s'", argv[optind]);
  if (!have_addr)
    bad("--addr IP is required: the address the stack answers to");
  if (have_listen == have_connect)
    bad("give exactly one of --listen PORT and --connect IP:PORT");
  if (acfg.kind == 0)
    bad("%s needs an application: --echo, --sink, --source N or --send FILE",
        acfg.server ? "--listen" : "--connect");
  if (acfg.expect_echo && acfg.kind != TUN_APP_SOURCE && acfg.kind != TUN_APP_SEND)
    bad("--expect-echo checks what --source or --send sent");
  if (!acfg.server && have_count && acfg.count == 0)
    bad("a client's --count must be at least 1");
  if (acfg.remote.family != 0 && acfg.remote.family != addr.family)
    bad("--connect and --addr must be the same IP version");
  acfg.local = addr;
  if (!have_seed && os_random(NULL, (uint8_t *)&seed, sizeof(seed)) != 0) {
    fprintf(stderr, "%s: no randomness from the OS: %s\n", prog, strerror(errno));
    return 1;
  }

  /* The device, then the bridge, then the stack on top. */
  fd = tun_open(dev, &mtu, err, sizeof(err));
  if (fd < 0) {
    fprintf(stderr, "%s: %s\n", prog, err);
    return 1;
  }
  if (ifconfig != NULL && tun_ifconfig(dev, ifconfig, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s: %s\n", prog, err);
    close(fd);
    return 1;
  }
  /* The engine announces mss - 20 over IPv6, so a full segment is
   * mss + 40 bytes of IP packet either way. */
  if ((unsigned)scfg.conn.mss + 40u > mtu)
    fprintf(stderr, "%s: warning: --mss %u does not fit %s's MTU of %u\n", prog,
            scfg.conn.mss, dev, mtu);
  memset(&bcfg, 0, sizeof(bcfg));
  bcfg.fd = fd;
  bcfg.mtu = mtu;
  bcfg.dir = imp;
  bcfg.seed = seed;
  bcfg.pcap_path = pcap;
  rv = tun_bridge_new(&bridge, &bcfg, err, sizeof(err));
  if (rv != 0) {
    fprintf(stderr, "%s: %s\n", prog, err);
    close(fd);
    return 1;
  }
  if (tun_app_new(&app, &acfg, bridge, err, sizeof(err)) != 0) {
    fprintf(stderr, "%s: %s\n", prog, err);
    tun_bridge_del(bridge);
    close(fd);
    return 1;
  }

  scfg.rand = os_random;
  scfg.registry = reg;
  scfg.user = app;
  for (int s = 0; s < PTCP_SLOT_COUNT; s++)
    scfg.policy[s] = policy[s];
  tun_app_callbacks(app, &scfg.callbacks);
  t0 = tun_clock_now();
  rv = ptcp_stack_new(&stack, &scfg, t0);
  if (rv == 0)
    rv = ptcp_stack_add_addr(stack, &addr);
  if (rv != 0) {
    fprintf(stderr, "%s: cannot start the stack: %s\n", prog, ptcp_strerror(rv));
    goto fail;
  }
  tun_bridge_attach(bridge, stack);
  rv = tun_app_start(app, stack, err, sizeof(err));
  if (rv != 0) {
    fprintf(stderr, "%s: %s\n", prog, err);
    goto fail;
  }
  if (ready != NULL) {
    FILE *f = fopen(ready, "w");
    if (f == NULL) {
      fprintf(stderr, "%s: %s: %s\n", prog, ready, strerror(errno));
      goto fail;
    }
    fprintf(f, "%ld\n", (long)getpid());
    fclose(f);
  }

  hooks.ctx = app;
  hooks.tick = tun_app_tick;
  hooks.done = tun_app_done;
  err[0] = '\0';
  rv = tun_bridge_run(bridge, &hooks, ptcp_time_add(t0, timeout),
                      2 * PTCP_SECONDS + 4 * imp.delay, linger, err, sizeof(err));
  tun_app_stop(app);

  memset(&ri, 0, sizeof(ri));
  ri.dev = dev;
  ri.app = &acfg;
  ri.addr = addr;
  ri.imp = &imp;
  ri.impaired = impaired;
  ri.seed = seed;
  ri.elapsed = seconds(tun_clock_now() - t0);
  ri.tun = tun_bridge_get_stats(bridge);
  ri.to_stack = tun_bridge_link_stats(bridge, PSIM_LINK_A);
  ri.to_kernel = tun_bridge_link_stats(bridge, PSIM_LINK_B);
  ptcp_stack_stats_get(stack, &ri.stack);
  if (rv == TUN_RUN_TIMEOUT)
    ri.run_error = "timed out";
  else if (rv == TUN_RUN_INTERRUPTED && !(acfg.server && acfg.count == 0))
    ri.run_error = "interrupted";
  else if (rv < 0)
    ri.run_error = err;
  ok = ri.run_error == NULL;
  for (size_t i = 0; i < tun_app_count(app); i++)
    ok = ok && conn_ok(tun_app_result(app, i));
  if (!acfg.server && tun_app_count(app) < acfg.count)
    ok = 0;
  if (json)
    print_json(&ri, app, ok);
  else
    print_human(&ri, app, ok);
  fflush(stdout);

  ptcp_stack_free(stack);
  tun_app_del(app);
  tun_bridge_del(bridge);
  ptcp_registry_free(reg);
  close(fd);
  return ok ? 0 : 1;

fail:
  ptcp_stack_free(stack);
  tun_app_del(app);
  tun_bridge_del(bridge);
  ptcp_registry_free(reg);
  close(fd);
  return 1;
}
