/*
 * plugtcp-drill: one script against one stack, in virtual time.
 *
 * The stack is sans-IO, so the runner owns the clock: between two events
 * it runs the stack's timers in deadline order and nothing else happens.
 * No thread, no sleep, no timing noise: a run is a pure function of the
 * script, the configuration and the seed.
 *
 * Events, in script order, each at its script time T:
 *   <  segment   timers up to T, then the segment goes in at T;
 *   >  segment   the next emitted segment (timers run until one comes,
 *                or until T + tolerance) must match, at T +- tolerance;
 *   syscall      at T; a blocking call that cannot finish stays pending
 *                and is retried as the stack moves (see syscalls.c);
 *   `command`    sysctl knobs that have a plugtcp meaning are mapped
 *                (see map_sysctl), the rest is counted and ignored;
 *   %{ code }%   "assert tcpi_state == X" is checked, the rest counted.
 *
 * "+t" is relative to the previous event's script time, or to its live
 * time when that event had none ("*").  The tolerance is the script's
 * --tolerance_usecs or the configured share of the gap since the
 * previous event, whichever is larger.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "run.h"

double drill_secs(ptcp_time t) { return (double)(t - DRILL_EPOCH) / 1e9; }

void drill_config_default(drill_config *c) {
  memset(c, 0, sizeof(*c));
  c->seed = 1;
  c->tolerance_percent = 12.5;
  c->df_secure = "rfc9293";
  c->df_insecure = "rfc793";
  c->remote_isn = 0;
}

void drill_trace(drill_run *r, const char *fmt, ...) {
  va_list ap;

  if (r->cfg->trace == NULL)
    return;
  fprintf(r->cfg->trace, "  %10.6f  ", drill_secs(r->now));
  va_start(ap, fmt);
  vfprintf(r->cfg->trace, fmt, ap);
  va_end(ap);
  fputc('\n', r->cfg->trace);
}

int drill_fail(drill_run *r, const drill_event *ev, ptcp_time at, const char *expected,
               const char *actual, const char *fmt, ...) {
  drill_result *res = r->res;
  va_list ap;

  if (r->failed || r->skipped)
    return -1;
  r->failed = 1;
  res->status = DRILL_FAIL;
  va_start(ap, fmt);
  (void)vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
  va_end(ap);
  res->line = ev ? ev->line : 0;
  drill_fmt(res->src, sizeof(res->src), "%s", ev && ev->src ? ev->src : "");
  drill_fmt(res->expected, sizeof(res->expected), "%s", expected ? expected : "");
  drill_fmt(res->actual, sizeof(res->actual), "%s", actual ? actual : "");
  res->at = at - DRILL_EPOCH;
  drill_trace(r, "FAIL: %s", res->reason);
  return -1;
}

int drill_skip(drill_run *r, const char *fmt, ...) {
  va_list ap;

  if (r->failed || r->skipped)
    return -1;
  r->skipped = 1;
  r->res->status = DRILL_SKIP;
  va_start(ap, fmt);
  (void)vsnprintf(r->res->reason, sizeof(r->res->reason), fmt, ap);
  va_end(ap);
  return -1;
}

/* ------------------------------------------------------------------ */
/* Stack callbacks                                                     */

/* xorshift64*, seeded: ISN secrets, ports and TS offsets repeat run
 * after run. */
static int drill_rand(void *ctx, uint8_t *dest, size_t len) {
  uint64_t *s = ctx;

  for (size_t i = 0; i < len; i++) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    dest[i] = (uint8_t)((*s * 0x2545f4914f6cdd1dULL) >> 56);
  }
  return 0;
}

static int on_emit(void *user, const uint8_t *pkt, size_t len) {
  drill_run *r = user;
  drill_out *o;

  if (r->nout == DRILL_MAX_OUT) {
    drill_fail(r, NULL, r->now, NULL, NULL, "more than %d segments emitted",
               DRILL_MAX_OUT);
    return 1;
  }
  o = &r->out[r->nout++];
  o->pkt = malloc(len);
  if (o->pkt == NULL) {
    fprintf(stderr, "plugtcp-drill: out of memory\n");
    exit(3);
  }
  memcpy(o->pkt, pkt, len);
  o->len = len;
  o->at = r->now;
  o->ev = r->cur_ev;
  o->by_call = r->in_call;
  if (r->cfg->trace) {
    char d[256];
    drill_describe_out(r, o, d, sizeof(d));
    drill_trace(r, "emit    %s", d);
  }
  return 0;
}

static void on_error_cb(void *user, ptcp_conn *c, int err) {
  drill_run *r = user;

  drill_trace(r, "connection error: %s", ptcp_strerror(err));
  drill_on_error(r, c, err);
}

/* ------------------------------------------------------------------ */
/* Time                                                                */

void drill_check_pending(drill_run *r) {
  if (!r->pend.active || r->failed || r->skipped)
    return;
  if (drill_pending_try(r))
    return;
  if (r->now > r->pend.deadline_hi) {
    char exp[64];
    drill_fmt(exp, sizeof(exp), "return by %.6f s", drill_secs(r->pend.deadline_hi));
    drill_fail(r, r->pend.ev, r->now, exp, "still blocked", "%s() did not return in time",
               r->pend.ev->sc.name);
  }
}

int drill_advance(drill_run *r, ptcp_time until, int stop_on_packet) {
  unsigned spins = 0;

  while (!r->failed && !r->skipped) {
    ptcp_time d;
    if (stop_on_packet && r->head < r->nout)
      return 0;
    d = ptcp_stack_next_deadline(r->stack);
    if (r->pend.active && r->pend.wake < d)
      d = r->pend.wake; /* a blocked poll() times out */
    if (d == PTCP_TIME_NONE || d > until) {
      if (until > r->now && until != PTCP_TIME_NONE)
        r->now = until;
      drill_check_pending(r);
      return 0;
    }
    if (d > r->now)
      r->now = d;
    else if (++spins > 100000)
      return drill_fail(r, NULL, r->now, NULL, NULL, "a timer keeps firing at %.6f s",
                        drill_secs(r->now));
    if (r->pend.active && r->pend.wake <= r->now)
      r->pend.wake = PTCP_TIME_NONE;
    if (ptcp_stack_on_timer(r->stack, r->now) != 0)
      return drill_fail(r, NULL, r->now, NULL, NULL, "the stack failed in a timer");
    drill_check_pending(r);
  }
  return -1;
}

/* The allowed deviation for an event at |t|. */
static ptcp_duration tolerance_at(drill_run *r, ptcp_time t) {
  ptcp_duration gap = t > r->prev_script ? t - r->prev_script : 0;
  ptcp_duration pct = (ptcp_duration)((double)gap * r->tolerance_percent / 100.0);

  return pct > r->tolerance ? pct : r->tolerance;
}

/* ------------------------------------------------------------------ */
/* Events                                                              */

static int expect_packet(drill_run *r, const drill_event *ev, ptcp_time t,
                         ptcp_time *live) {
  int any = ev->time.kind == TIME_ANY;
  ptcp_duration tol = tolerance_at(r, t);
  ptcp_time lo = any ? 0 : (t > tol ? t - tol : 0);
  ptcp_time hi = any ? PTCP_TIME_NONE - 1 : t + tol;
  char exp[320], act[320], why[256];

  drill_describe_expected(r, &ev->pkt, exp, sizeof(exp));
  for (;;) {
    if (r->failed || r->skipped)
      return -1;
    if (r->head < r->nout) {
      drill_out *o = &r->out[r->head];
      if (drill_match(r, ev, o, why, sizeof(why)) != 0) {
        drill_describe_out(r, o, act, sizeof(act));
        return drill_fail(r, ev, o->at, exp, act, "%s", why);
      }
      if (o->at < lo || o->at > hi) {
        char e2[400], a2[400];
        drill_describe_out(r, o, act, sizeof(act));
        drill_fmt(e2, sizeof(e2), "%s at %.6f s (+-%.6f)", exp, drill_secs(t),
                  (double)tol / 1e9);
        drill_fmt(a2, sizeof(a2), "%s at %.6f s", act, drill_secs(o->at));
        return drill_fail(r, ev, o->at, e2, a2, "segment sent %s",
                          o->at < lo ? "too early" : "too late");
      }
      *live = o->at;
      r->head++;
      if (r->head == r->nout) {
        /* Everything sent so far is matched: start the queue over. */
        for (unsigned i = 0; i < r->nout; i++)
          free(r->out[i].pkt);
        r->head = r->nout = 0;
      }
      return 0;
    }
    {
      ptcp_time d = ptcp_stack_next_deadline(r->stack);
      if (d == PTCP_TIME_NONE || d > hi) {
        char e2[400];
        if (!any && hi > r->now)
          r->now = hi;
        drill_fmt(e2, sizeof(e2), "%s at %.6f s", exp, drill_secs(t));
        return drill_fail(r, ev, r->now, e2, "nothing", "the segment was not sent");
      }
      if (drill_advance(r, d, 1) != 0)
        return -1;
    }
  }
}

static int parse_sysctl(const char *text, char *name, size_t ncap, long long *value) {
  const char *p = strstr(text, "sysctl");
  const char *eq;
  size_t n;

  if (p == NULL)
    return -1;
  p += 6;
  while (*p == ' ' || *p == '\t')
    p++;
  while (*p == '-') { /* flags: -w, -q */
    while (*p != '\0' && *p != ' ')
      p++;
    while (*p == ' ')
      p++;
  }
  eq = strchr(p, '=');
  if (eq == NULL)
    return -1;
  n = (size_t)(eq - p);
  if (n == 0 || n >= ncap)
    return -1;
  memcpy(name, p, n);
  name[n] = '\0';
  *value = strtoll(eq + 1, NULL, 10);
  return 0;
}

static const char *policy_name(const char *spec, char *buf, size_t cap) {
  const char *c = strchr(spec, ':');
  size_t n = c ? (size_t)(c - spec) : strlen(spec);

  if (n >= cap)
    n = cap - 1;
  memcpy(buf, spec, n);
  buf[n] = '\0';
  return buf;
}

/* The dupfilter for the script's insecure_rst/insecure_syn knobs: RFC
 * 5961 (secure) or RFC 793 (insecure), unless --policy chose one. */
static void set_dupfilter(drill_run *r, int insecure) {
  const char *spec = r->pol[PTCP_SLOT_DUPFILTER];

  if (spec == NULL)
    spec = insecure ? r->cfg->df_insecure : r->cfg->df_secure;
  drill_fmt(r->df_name, sizeof(r->df_name), "%s", spec);
  r->defaults.policy[PTCP_SLOT_DUPFILTER] = r->df_name;
  drill_fmt(r->res->dupfilter, sizeof(r->res->dupfilter), "%s", spec);
}

/* FreeBSD sysctls with a plugtcp meaning.  Returns 1 when mapped. */
static int map_sysctl(drill_run *r, const char *name, long long v) {
  if (strcmp(name, "net.inet.tcp.insecure_rst") == 0 ||
      strcmp(name, "net.inet.tcp.insecure_syn") == 0) {
    if (strcmp(name, "net.inet.tcp.insecure_rst") == 0)
      r->insecure_rst = v != 0;
    else
      r->insecure_syn = v != 0;
    set_dupfilter(r, r->insecure_rst || r->insecure_syn);
    return 1;
  }
  if (strcmp(name, "net.inet.tcp.rfc1323") == 0) {
    r->defaults.timestamps = v != 0;
    r->defaults.window_scaling = v != 0;
    return 1;
  }
  if (strcmp(name, "net.inet.tcp.sack.enable") == 0) {
    r->defaults.sack = v != 0;
    return 1;
  }
  if (strcmp(name, "net.inet.tcp.recvspace") == 0 && v > 0 && v <= (1 << 30)) {
    r->defaults.rcvbuf = (uint32_t)v;
    return 1;
  }
  if (strcmp(name, "net.inet.tcp.sendspace") == 0 && v > 0 && v <= (1 << 30)) {
    r->defaults.sndbuf = (uint32_t)v;
    return 1;
  }
  if (strcmp(name, "net.inet.tcp.keepidle") == 0 && v > 0) {
    r->defaults.keepalive_idle = (ptcp_duration)v * PTCP_MILLISECONDS;
    return 1;
  }
  if (strcmp(name, "net.inet.tcp.keepintvl") == 0 && v > 0) {
    r->defaults.keepalive_interval = (ptcp_duration)v * PTCP_MILLISECONDS;
    return 1;
  }
  if (strcmp(name, "net.inet.tcp.keepcnt") == 0 && v > 0 && v < 256) {
    r->defaults.keepalive_count = (uint8_t)v;
    return 1;
  }
  return 0;
}

static int do_command(drill_run *r, const drill_event *ev) {
  const char *t = ev->text;
  char name[128];
  long long v;

  if (strstr(t, "sysctl") != NULL && parse_sysctl(t, name, sizeof(name), &v) == 0) {
    if (map_sysctl(r, name, v))
      drill_trace(r, "sysctl %s=%lld mapped", name, v);
    else
      r->res->ignored.sysctl++;
    return 0;
  }
  if (strstr(t, "sockstat") != NULL)
    r->res->ignored.sockstat++;
  else if (strstr(t, "tcpdrop") != NULL)
    r->res->ignored.tcpdrop++;
  else
    r->res->ignored.other_command++;
  return 0;
}

int drill_cfg_set(ptcp_conn_cfg *c, const char *key, const char *val) {
  static const struct {
    const char *name;
    size_t off;
    int kind; /* 0: duration, 1: u8, 2: u16, 3: u32 */
  } fields[] = {
      {"mss", offsetof(ptcp_conn_cfg, mss), 2},
      {"rcvbuf", offsetof(ptcp_conn_cfg, rcvbuf), 3},
      {"sndbuf", offsetof(ptcp_conn_cfg, sndbuf), 3},
      {"msl", offsetof(ptcp_conn_cfg, msl), 0},
      {"delack", offsetof(ptcp_conn_cfg, delack), 0},
      {"nagle", offsetof(ptcp_conn_cfg, nagle), 1},
      {"keepalive", offsetof(ptcp_conn_cfg, keepalive), 1},
      {"keepalive_idle", offsetof(ptcp_conn_cfg, keepalive_idle), 0},
      {"keepalive_interval", offsetof(ptcp_conn_cfg, keepalive_interval), 0},
      {"keepalive_count", offsetof(ptcp_conn_cfg, keepalive_count), 1},
      {"syn_retries", offsetof(ptcp_conn_cfg, syn_retries), 1},
      {"data_retries", offsetof(ptcp_conn_cfg, data_retries), 1},
      {"window_scaling", offsetof(ptcp_conn_cfg, window_scaling), 1},
      {"timestamps", offsetof(ptcp_conn_cfg, timestamps), 1},
      {"sack", offsetof(ptcp_conn_cfg, sack), 1},
  };

  for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
    char *p = (char *)c + fields[i].off, *end;
    unsigned long long n;
    if (strcmp(fields[i].name, key) != 0)
      continue;
    if (fields[i].kind == 0) {
      ptcp_duration d;
      if (ptcp_duration_parse(val, &d) != 0)
        return -1;
      memcpy(p, &d, sizeof(d));
      return 0;
    }
    n = strtoull(val, &end, 0);
    if (*end != '\0' || end == val || val[0] == '-')
      return -1;
    if (fields[i].kind == 1 && n <= UINT8_MAX) {
      uint8_t v = (uint8_t)n;
      memcpy(p, &v, 1);
    } else if (fields[i].kind == 2 && n <= UINT16_MAX) {
      uint16_t v = (uint16_t)n;
      memcpy(p, &v, 2);
    } else if (fields[i].kind == 3 && n <= UINT32_MAX) {
      uint32_t v = (uint32_t)n;
      memcpy(p, &v, 4);
    } else {
      return -1;
    }
    return 0;
  }
  return -1;
}

/* ------------------------------------------------------------------ */
/* What the runner cannot run: found before anything runs              */

static int sockopt_named(const drill_event *ev, const char *opt) {
  return ev->kind == EV_SYSCALL &&
         (strcmp(ev->sc.name, "setsockopt") == 0 ||
          strcmp(ev->sc.name, "getsockopt") == 0) &&
         ev->sc.nargs > 2 && ev->sc.args[2].kind == X_WORD &&
         strcmp(ev->sc.args[2].text, opt) == 0;
}

static int prescan(drill_run *r) {
  const drill_script *s = r->script;
  static const struct {
    const char *opt;
    const char *why;
  } unsupported_opts[] = {
      {"TCP_NOOPT", "TCP_NOOPT (a SYN without any option) is not supported"},
      {"TCP_MD5SIG", "TCP MD5 signatures (RFC 2385) are not implemented"},
      {"IP_TOS", "a per-socket IP TOS is not implemented"},
      {"IPV6_TCLASS", "a per-socket IPv6 traffic class is not implemented"},
      {"IP_TTL", "a per-socket IP TTL is not implemented"},
      {"IPV6_UNICAST_HOPS", "a per-socket IPv6 hop limit is not implemented"},
      {"TCP_KEEPINIT",
       "TCP_KEEPINIT (a time limit on connection setup) is not implemented"},
      {"TCP_INFO", "TCP_INFO is not implemented"},
  };
  int insecure = 0;

  if (drill_script_option(s, "udp_encapsulation") != NULL)
    return drill_skip(r,
                      "TCP over UDP encapsulation (RFC 8545 style) is not implemented");
  if (drill_script_option(s, "tcp_md5_secret") != NULL)
    return drill_skip(r, "TCP MD5 signatures (RFC 2385) are not implemented");
  for (unsigned i = 0; i < s->nev; i++) {
    const drill_event *ev = &s->ev[i];
    if (ev->kind == EV_COMMAND && strstr(ev->text, "sysctl") != NULL) {
      char name[128];
      long long v;
      if (parse_sysctl(ev->text, name, sizeof(name), &v) != 0)
        continue;
      if (strcmp(name, "net.inet.tcp.ecn.enable") == 0 && v == 1)
        return drill_skip(r, "ECN (RFC 3168) is not implemented");
      if (strcmp(name, "net.inet.tcp.drop_synfin") == 0 && v != 0)
        return drill_skip(r, "dropping SYN+FIN segments (FreeBSD's drop_synfin) is not "
                             "implemented");
      if (strcmp(name, "net.inet.tcp.rexmit_drop_options") == 0 && v != 0)
        return drill_skip(r, "dropping options from retransmitted SYNs (FreeBSD's "
                             "rexmit_drop_options) is not implemented");
      if ((strcmp(name, "net.inet.tcp.insecure_rst") == 0 ||
           strcmp(name, "net.inet.tcp.insecure_syn") == 0) &&
          v != 0)
        insecure = 1;
    }
    if (ev->kind == EV_SYSCALL)
      for (size_t k = 0; k < sizeof(unsupported_opts) / sizeof(unsupported_opts[0]); k++)
        if (sockopt_named(ev, unsupported_opts[k].opt))
          return drill_skip(r, "%s", unsupported_opts[k].why);
    if (ev->kind == EV_PACKET) {
      const drill_packet *pk = &ev->pkt;
      if (pk->outbound &&
          ((pk->flags & (PTCP_ECE | PTCP_CWR)) || (pk->has_ecn && pk->ecn)))
        return drill_skip(r, "ECN (RFC 3168) is not implemented");
      if (pk->udp_encap)
        return drill_skip(r, "TCP over UDP encapsulation is not implemented");
      for (unsigned k = 0; k < pk->nopts; k++)
        if (pk->opts[k].kind == DOPT_MD5)
          return drill_skip(r, "TCP MD5 signatures (RFC 2385) are not implemented");
    }
  }
  /* The dupfilter each kind of script is judged with must exist. */
  {
    const char *spec = r->pol[PTCP_SLOT_DUPFILTER];
    char nb[PTCP_POLICY_NAME_MAX + 32];
    if (spec == NULL)
      spec = insecure ? r->cfg->df_insecure : r->cfg->df_secure;
    policy_name(spec, nb, sizeof(nb));
    if (ptcp_registry_find(r->reg, PTCP_SLOT_DUPFILTER, nb) == NULL)
      return drill_skip(r, "dupfilter %s not registered", nb);
  }
  for (int k = 0; k < PTCP_SLOT_COUNT; k++) {
    char nb[PTCP_POLICY_NAME_MAX + 32];
    if (r->pol[k] == NULL || k == PTCP_SLOT_DUPFILTER)
      continue;
    policy_name(r->pol[k], nb, sizeof(nb));
    if (ptcp_registry_find(r->reg, (ptcp_slot)k, nb) == NULL)
      return drill_skip(r, "%s %s not registered", ptcp_slot_name((ptcp_slot)k), nb);
  }
  return 0;
}

/* Script options for plugtcp's own scripts:
 *   --policy=SLOT=SPEC   e.g. --policy=rto=fixed:rto=500ms (repeatable)
 *   --cfg=KEY=VALUE      a ptcp_conn_cfg field: mss, rcvbuf, sndbuf, msl,
 *                        delack, nagle, syn_retries, data_retries,
 *                        timestamps, window_scaling, sack (repeatable)
 * Returns 0, or -1 when the script failed (a bad option). */
static int script_options(drill_run *r) {
  const drill_script *s = r->script;

  for (int k = 0; k < PTCP_SLOT_COUNT; k++)
    r->pol[k] = r->cfg->policy[k];
  for (unsigned i = 0; i < r->cfg->ncfg; i++) {
    const char *v = r->cfg->cfg[i], *eq = strchr(v, '=');
    char key[32];
    if (eq == NULL || (size_t)(eq - v) >= sizeof(key))
      continue; /* main() checked it */
    memcpy(key, v, (size_t)(eq - v));
    key[eq - v] = '\0';
    (void)drill_cfg_set(&r->defaults, key, eq + 1);
  }
  for (unsigned i = 0; i < s->nopts; i++) {
    const char *v = s->opts[i].value;
    const char *eq = strchr(v, '=');
    char key[32];
    if (strcmp(s->opts[i].name, "policy") != 0 && strcmp(s->opts[i].name, "cfg") != 0)
      continue;
    if (eq == NULL || eq == v || (size_t)(eq - v) >= sizeof(key) || eq[1] == '\0')
      return drill_fail(r, NULL, DRILL_EPOCH, NULL, v, "--%s=%s: expected KEY=VALUE",
                        s->opts[i].name, v);
    memcpy(key, v, (size_t)(eq - v));
    key[eq - v] = '\0';
    if (strlen(eq + 1) >= sizeof(r->socks[0].policy_buf[0]))
      return drill_fail(r, NULL, DRILL_EPOCH, NULL, v, "--%s=%s: the value is too long",
                        s->opts[i].name, v);
    if (strcmp(s->opts[i].name, "policy") == 0) {
      int k = ptcp_slot_from_name(key);
      if (k < 0)
        return drill_fail(r, NULL, DRILL_EPOCH, NULL, v, "--policy: unknown slot '%s'",
                          key);
      r->pol[k] = eq + 1;
    } else if (drill_cfg_set(&r->defaults, key, eq + 1) != 0) {
      return drill_fail(r, NULL, DRILL_EPOCH, NULL, v,
                        "--cfg=%s: unknown key or bad value", v);
    }
  }
  for (int k = PTCP_SLOT_RTO; k < PTCP_SLOT_COUNT; k++)
    if (k != PTCP_SLOT_DUPFILTER)
      r->defaults.policy[k] = r->pol[k];
  return 0;
}

/* ------------------------------------------------------------------ */
/* Set-up                                                              */

static int parse_uint_opt(drill_run *r, const char *name, long long lo, long long hi,
                          long long *out) {
  const char *v = drill_script_option(r->script, name);
  char *end;
  long long x;

  if (v == NULL)
    return 0;
  x = strtoll(v, &end, 10);
  if (*end != '\0' || x < lo || x > hi)
    return drill_fail(r, NULL, DRILL_EPOCH, NULL, v,
                      "--%s=%s is not a number in [%lld, %lld]", name, v, lo, hi);
  *out = x;
  return 1;
}

/* Settings the scripts assume about the host, beyond what their
 * sysctls say: FreeBSD's defaults where they are configuration (see
 * docs/conformance.md for each). */
static void host_defaults(drill_run *r) {
  ptcp_conn_cfg *c = &r->defaults;

  ptcp_conn_cfg_default(c);
  c->mss = (uint16_t)(r->mtu - 40); /* IPv4 + TCP headers; IPv6 takes 20 more */
  c->rcvbuf = 65536;                /* net.inet.tcp.recvspace */
  c->sndbuf = 32768;                /* net.inet.tcp.sendspace */
}

static int setup(drill_run *r) {
  const drill_script *s = r->script;
  const char *ipv = drill_script_option(s, "ip_version");
  ptcp_stack_cfg sc;
  long long v;
  int rv;

  r->v6 = ipv != NULL && strcmp(ipv, "ipv6") == 0;
  if (ipv != NULL && !r->v6 && strcmp(ipv, "ipv4") != 0)
    return drill_skip(r, "--ip_version=%s is not supported", ipv);
  r->mtu = 1500;
  rv = parse_uint_opt(r, "mtu", 1, 65535, &v);
  if (rv < 0)
    return -1;
  if (rv > 0)
    r->mtu = (int)v;
  if (r->mtu - 40 < 64 || r->mtu - 40 > 65495)
    return drill_skip(
        r, "an MTU of %d gives an MSS outside the engine's range [64, 65495]", r->mtu);
  r->tolerance = 4000 * DRILL_US; /* packetdrill's default */
  rv = parse_uint_opt(r, "tolerance_usecs", 0, 100000000, &v);
  if (rv < 0)
    return -1;
  if (rv > 0)
    r->tolerance = (ptcp_duration)v * DRILL_US;
  r->tolerance_percent = r->cfg->tolerance_percent;
  rv = parse_uint_opt(r, "tolerance_percent", 0, 100, &v);
  if (rv < 0)
    return -1;
  if (rv > 0)
    r->tolerance_percent = (double)v;

  if (r->v6) {
    ptcp_addr_parse(&r->local, "2001:db8:0:1::1");
    ptcp_addr_parse(&r->remote, "2001:db8:0:2::1");
  } else {
    r->local = ptcp_addr_v4(192, 168, 0, 1);
    r->remote = ptcp_addr_v4(192, 0, 2, 1);
  }
  r->lport = DRILL_LOCAL_PORT;
  r->rport = DRILL_REMOTE_PORT;
  r->rng = r->cfg->seed ? r->cfg->seed : 1;

  host_defaults(r);
  if (script_options(r) != 0)
    return -1;
  set_dupfilter(r, 0);

  if (ptcp_registry_new(&r->reg, NULL) != 0 || ptcp_registry_add_builtins(r->reg) != 0)
    return drill_fail(r, NULL, DRILL_EPOCH, NULL, NULL,
                      "cannot create the policy registry");
  if (prescan(r) != 0)
    return -1;

  ptcp_stack_cfg_default(&sc);
  sc.rand = drill_rand;
  sc.rand_ctx = &r->rng;
  sc.registry = r->reg;
  sc.callbacks.emit = on_emit;
  sc.callbacks.on_error = on_error_cb;
  sc.user = r;
  sc.conn = r->defaults;
  sc.policy[PTCP_SLOT_ISN] = r->pol[PTCP_SLOT_ISN];
  rv = ptcp_stack_new(&r->stack, &sc, DRILL_EPOCH);
  if (rv != 0)
    return drill_fail(r, NULL, DRILL_EPOCH, NULL, ptcp_strerror(rv),
                      "cannot create the stack");
  rv = ptcp_stack_add_addr(r->stack, &r->local);
  if (rv != 0)
    return drill_fail(r, NULL, DRILL_EPOCH, NULL, ptcp_strerror(rv),
                      "cannot add the address");
  r->now = DRILL_EPOCH;
  return 0;
}

/* The script time of |ev|: PTCP_TIME_NONE for "*". */
static ptcp_time event_time(drill_run *r, const drill_event *ev) {
  switch (ev->time.kind) {
  case TIME_ABS:
    return DRILL_EPOCH + (ptcp_time)ev->time.us * DRILL_US;
  case TIME_REL:
    return r->prev_script + (ptcp_time)ev->time.us * DRILL_US;
  default:
    return PTCP_TIME_NONE;
  }
}

static void run_events(drill_run *r) {
  const drill_script *s = r->script;
  ptcp_time last = DRILL_EPOCH;

  r->prev_script = DRILL_EPOCH;
  for (unsigned i = 0; i < s->nev && !r->failed && !r->skipped; i++) {
    const drill_event *ev = &s->ev[i];
    ptcp_time t = event_time(r, ev);
    ptcp_time live = r->now;

    r->cur_ev = i;
    r->res->events++;
    if (ev->kind == EV_PACKET && ev->pkt.outbound) {
      if (expect_packet(r, ev, t, &live) != 0)
        break;
      drill_trace(r, "matched line %d", ev->line);
    } else {
      if (t == PTCP_TIME_NONE)
        t = r->now;
      if (drill_advance(r, t, 0) != 0)
        break;
      live = r->now;
      if (r->cfg->trace)
        drill_trace(r, "line %d: %s", ev->line, ev->src ? ev->src : "");
      switch (ev->kind) {
      case EV_PACKET:
        (void)drill_inject(r, ev);
        break;
      case EV_SYSCALL:
        r->in_call = 1;
        (void)drill_exec_syscall(r, ev);
        r->in_call = 0;
        break;
      case EV_COMMAND:
        (void)do_command(r, ev);
        break;
      case EV_CODE:
        (void)drill_code(r, ev);
        break;
      }
      drill_check_pending(r);
    }
    r->prev_script = ev->time.kind == TIME_ANY ? live : t;
    last = live > last ? live : last;
  }
  if (r->failed || r->skipped)
    return;
  if (r->pend.active) {
    /* Give a blocked call until its deadline to return. */
    if (drill_advance(r, r->pend.deadline_hi, 0) != 0)
      return;
    if (r->pend.active) {
      drill_fail(r, r->pend.ev, r->now, "a return", "still blocked",
                 "%s() never returned", r->pend.ev->sc.name);
      return;
    }
  }
  /* A segment the script did not match is one it did not expect, unless
   * the script's last system call sent it (the FIN of a final close(),
   * say): packetdrill does not look past the last event either. */
  for (unsigned i = r->head; i < r->nout; i++) {
    if (r->out[i].ev + 1 < s->nev || !r->out[i].by_call) {
      char act[320];
      drill_describe_out(r, &r->out[i], act, sizeof(act));
      drill_fail(r, NULL, r->out[i].at, "no segment", act, "unexpected segment");
      return;
    }
    if (r->cfg->trace) {
      char act[320];
      drill_describe_out(r, &r->out[i], act, sizeof(act));
      drill_trace(r, "after the last event: %s", act);
    }
  }
}

void drill_run_script(const char *path, const drill_defines *defs,
                      const drill_config *cfg, drill_result *res) {
  drill_script script;
  drill_run *r;
  char err[512];

  memset(res, 0, sizeof(*res));
  if (drill_parse(&script, path, defs, err, sizeof(err)) != 0) {
    res->status = DRILL_FAIL;
    drill_fmt(res->reason, sizeof(res->reason), "%s", err);
    drill_script_free(&script);
    return;
  }
  r = drill_xcalloc(1, sizeof(*r));
  r->script = &script;
  r->cfg = cfg;
  r->res = res;
  r->last_fd = -1;
  for (unsigned i = 0; i < defs->n; i++)
    if (strcmp(defs->name[i], "FreeBSD") == 0)
      r->defines_freebsd = 1;
  if (cfg->trace)
    fprintf(cfg->trace, "== %s\n", path);
  if (setup(r) == 0)
    run_events(r);
  if (!r->failed && !r->skipped)
    res->status = DRILL_PASS;
  if (r->stack != NULL)
    ptcp_stack_free(r->stack);
  if (r->reg != NULL)
    ptcp_registry_free(r->reg);
  for (unsigned i = 0; i < r->nout; i++)
    free(r->out[i].pkt);
  free(r);
  drill_script_free(&script);
}
