/*
 * gen-policy-corpus: writes the seeds of the policy fuzz target
 * (corpus/policy) in its input format (fuzz/fuzz_policy.c): for every
 * registered policy, its canonical spec, and a session of calls to its
 * hooks shaped like a real connection's (an RTT series with timeouts,
 * in-window and out-of-window segments around the wrap point, TIME-WAIT
 * segments, an ACK clock with a loss).
 *
 *   gen-policy-corpus [--check] OUTDIR
 *
 * Every seed is run through the target (LLVMFuzzerTestOneInput, linked
 * in) before it is written, so a seed that breaks a contract fails the
 * tool.  Output is deterministic; --check compares with OUTDIR instead
 * of writing (a seed `make fuzz-merge` removed is not an error).
 * Exit status: 0, 1 for a stale seed, 2 for a usage or I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "seed_out.h"
#include "conn_format.h"
#include "fuzz_input.h"

/* The modes of fuzz_policy.c. */
enum { MODE_SPEC = 0, MODE_ISN, MODE_RTO, MODE_DUPFILTER, MODE_CLOSE, MODE_CC };

static ptcp_registry *reg;
static const char *outdir;
static int check, bad;

/* Runs the seed (an oracle failure aborts here) and writes or checks it. */
static void emit(const char *name, cf_buf *b) {
  char path[4096];

  if (b->oom) {
    fprintf(stderr, "gen-policy-corpus: out of memory\n");
    exit(2);
  }
  LLVMFuzzerTestOneInput(b->p, b->len);
  snprintf(path, sizeof(path), "%s/%s", outdir, name);
  switch (seed_put("gen-policy-corpus", path, b->p, b->len, check, 0)) {
  case 0:
    break;
  case 1:
    bad = 1;
    break;
  default:
    exit(2);
  }
  free(b->p);
  memset(b, 0, sizeof(*b));
}

/* The mode, the policy's index in its slot, and its parameter selectors
 * (0: default; see cf_param_value). */
static void head(cf_buf *b, int mode, size_t index, const uint8_t sel[5]) {
  cf_u8(b, (uint8_t)mode);
  cf_u8(b, (uint8_t)index);
  cf_put(b, sel, CF_PARAMS_PER_SLOT);
}

static const uint8_t defaults[5] = {0, 0, 0, 0, 0};
static const uint8_t extremes[5] = {1, 2, 1, 2, 1};

static void specs(void) {
  static const char *const broken[] = {
      "rfc6298:min=0s",
      "rfc6298:mn=1s",
      "rfc6298:min=1s,min=2s",
      "rfc6298:min=1.5ns",
      "rfc6298:",
      "nosuch",
      "fixed:backoff=maybe",
      "fixed:rto=600s,max=1ms",
      "counter:start=0x",
      "counter:step=4294967296",
      "rfc6298:initial=18446744073709551616ns",
  };
  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    size_t n = ptcp_registry_count(reg, (ptcp_slot)slot);
    for (size_t i = 0; i < n; i++) {
      const ptcp_policy_info *info = ptcp_registry_get(reg, (ptcp_slot)slot, i);
      ptcp_policy_sel sel;
      char text[512], name[128];
      cf_buf b = {0};
      if (ptcp_policy_parse(&sel, reg, (ptcp_slot)slot, info->name, NULL, 0) != 0)
        exit(2);
      ptcp_policy_format(text, sizeof(text), &sel);
      cf_u8(&b, MODE_SPEC);
      cf_u8(&b, (uint8_t)slot);
      cf_put(&b, text, strlen(text));
      snprintf(name, sizeof(name), "spec-%s-%s", ptcp_slot_name((ptcp_slot)slot),
               info->name);
      emit(name, &b);
    }
  }
  for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
    cf_buf b = {0};
    char name[64];
    cf_u8(&b, MODE_SPEC);
    cf_u8(&b, (uint8_t)(strncmp(broken[i], "counter", 7) == 0 ? PTCP_SLOT_ISN
                                                              : PTCP_SLOT_RTO));
    cf_put(&b, broken[i], strlen(broken[i]));
    snprintf(name, sizeof(name), "spec-refused-%zu", i + 1);
    emit(name, &b);
  }
  {
    static const char *const durations[] = {"250ms", "1.5s", "40us",
                                            "100ns", "2",    "0.000000001s"};
    for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
      cf_buf b = {0};
      char name[64];
      cf_u8(&b, MODE_SPEC);
      cf_u8(&b, PTCP_SLOT_RTO);
      cf_put(&b, durations[i], strlen(durations[i]));
      snprintf(name, sizeof(name), "spec-duration-%zu", i + 1);
      emit(name, &b);
    }
  }
}

/* isn: the same tuple at later times, other tuples at the same time. */
static void isn_session(cf_buf *b, uint8_t rand_mode) {
  cf_u32(b, 1000000);  /* now */
  cf_u8(b, rand_mode); /* 0: randomness works */
  cf_u16(b, 0x1234);   /* seed */
  /* A new IPv4 tuple 10.0.0.1:80 <- 10.0.0.2:40000, 4 us later. */
  cf_u8(b, 1 | 2);
  cf_u8(b, 4);
  cf_u8(b, 0);
  cf_u16(b, 40000);
  for (int i = 0; i < 4; i++) {
    cf_u8(b, 1); /* a few us later: the same tuple */
    cf_u8(b, (uint8_t)(4 + i * 40));
    cf_u8(b, 0);
  }
  cf_u8(b, 0); /* seconds later */
  cf_u32(b, 3000000);
  cf_u8(b, 0);
  cf_u8(b, 2); /* an IPv6 tuple, random addresses */
  cf_u32(b, 1);
  cf_u8(b, 1 | 6);
  for (int i = 0; i < 32; i++)
    cf_u8(b, (uint8_t)(i * 7));
  cf_u16(b, 443);
}

static void isn_seeds(void) {
  size_t n = ptcp_registry_count(reg, PTCP_SLOT_ISN);
  for (size_t i = 0; i < n; i++) {
    const ptcp_policy_info *info = ptcp_registry_get(reg, PTCP_SLOT_ISN, i);
    char name[128];
    for (uint8_t rm = 0; rm < 2; rm++) {
      cf_buf b = {0};
      head(&b, MODE_ISN, i, rm ? extremes : defaults);
      isn_session(&b, rm);
      snprintf(name, sizeof(name), "isn-%s%s", info->name, rm ? "-no-randomness" : "");
      emit(name, &b);
    }
  }
}

/* rto op: kind, ms to wait, then the sample. */
static void rto_sample(cf_buf *b, uint8_t ms, uint16_t us, int retransmitted, int ts) {
  cf_u8(b, 0);
  cf_u8(b, ms);
  cf_u8(b, (uint8_t)(0 | (ts ? 4 : 0) | (retransmitted ? 8 : 0)));
  cf_u16(b, us);
}

static void rto_seeds(void) {
  size_t n = ptcp_registry_count(reg, PTCP_SLOT_RTO);
  for (size_t i = 0; i < n; i++) {
    const ptcp_policy_info *info = ptcp_registry_get(reg, PTCP_SLOT_RTO, i);
    char name[128];
    cf_buf b = {0};

    /* An RTT series, a timeout run, an ambiguous sample, a good one. */
    head(&b, MODE_RTO, i, defaults);
    cf_u32(&b, 5000);
    for (int k = 0; k < 8; k++)
      rto_sample(&b, 10, (uint16_t)(20000 + 3000 * k), 0, 0);
    for (int k = 0; k < 6; k++) {
      cf_u8(&b, 2);
      cf_u8(&b, 200);
    }
    rto_sample(&b, 1, 50000, 1, 0);
    rto_sample(&b, 1, 50000, 1, 1);
    cf_u8(&b, 3);
    cf_u8(&b, 1);
    cf_u8(&b, 4);
    cf_u8(&b, 1);
    /* A hostile sample near 2^64 ns. */
    cf_u8(&b, 1);
    cf_u8(&b, 1);
    cf_u8(&b, 2);
    cf_u32(&b, 0xffffffff);
    cf_u32(&b, 0xfffffff0);
    snprintf(name, sizeof(name), "rto-%s-series", info->name);
    emit(name, &b);

    head(&b, MODE_RTO, i, extremes);
    cf_u32(&b, 0);
    for (int k = 0; k < 70; k++) {
      cf_u8(&b, 2);
      cf_u8(&b, 255);
    }
    snprintf(name, sizeof(name), "rto-%s-backoff", info->name);
    emit(name, &b);
  }
}

/* dupfilter op: mode bits, time, the segment and the connection. */
static void df_op(cf_buf *b, uint8_t op, uint8_t flags, int16_t seq, int16_t ack,
                  uint16_t len, uint32_t wnd) {
  cf_u8(b, op);
  if (op & 0x80)
    cf_u16(b, 100);
  else
    cf_u8(b, 50);
  if (op & 0x40) {
    cf_u16(b, 1000);
    cf_u16(b, 1000);
  }
  cf_u8(b, flags);
  cf_u16(b, (uint16_t)seq);
  if (op & 0x20)
    cf_u32(b, 0x80000000u);
  cf_u16(b, (uint16_t)ack);
  cf_u16(b, 65535); /* window (odd: ask for a challenge) */
  cf_u16(b, len);
  if (op & 0x10) {
    cf_u32(b, 100);
    cf_u32(b, 7);
  }
  cf_u8(b, 1); /* ESTABLISHED */
  cf_u32(b, wnd);
  cf_u16(b, 3000);  /* SND.NXT = SND.UNA + 3000 */
  cf_u32(b, 65535); /* max window */
  cf_u32(b, 90);    /* TS.Recent */
  cf_u8(b, 10);
}

static void dupfilter_seeds(void) {
  size_t n = ptcp_registry_count(reg, PTCP_SLOT_DUPFILTER);
  for (size_t i = 0; i < n; i++) {
    const ptcp_policy_info *info = ptcp_registry_get(reg, PTCP_SLOT_DUPFILTER, i);
    char name[128];
    cf_buf b = {0};

    head(&b, MODE_DUPFILTER, i, defaults);
    cf_u32(&b, 1000000000);
    cf_u32(&b, 0xfffff000u);                       /* RCV.NXT just below the wrap */
    cf_u32(&b, 0xffffff00u);                       /* SND.UNA too */
    df_op(&b, 0x00, PTCP_ACK, 0, 0, 500, 8192);    /* in order */
    df_op(&b, 0x00, PTCP_ACK, 8000, 0, 500, 8192); /* straddles the edge */
    df_op(&b, 0x00, PTCP_ACK, -600, 0, 500, 8192); /* old */
    df_op(&b, 0x08, PTCP_ACK, 0, 0, 1, 0);         /* zero window */
    df_op(&b, 0x08, PTCP_ACK, 0, 0, 0, 0);         /* probe-like ACK */
    df_op(&b, 0x01, PTCP_RST, 0, 0, 0, 8192);      /* exact RST */
    df_op(&b, 0x01, PTCP_RST, 100, 0, 0, 8192);    /* in-window RST */
    df_op(&b, 0x00, PTCP_RST, 20000, 0, 0, 8192);  /* outside */
    df_op(&b, 0x02, PTCP_SYN, 10, 0, 0, 8192);     /* SYN */
    df_op(&b, 0x03, PTCP_ACK, 0, 2000, 0, 8192);   /* good ACK */
    df_op(&b, 0x03, PTCP_ACK, 0, 8000, 0, 8192);   /* unsent */
    df_op(&b, 0x03, PTCP_ACK, 0, -30000, 0, 8192); /* too old */
    df_op(&b, 0x14, PTCP_ACK, 0, 0, 100, 8192);    /* with timestamps */
    df_op(&b, 0x40, PTCP_ACK, 0, 0, 100, 8192);    /* moved on */
    df_op(&b, 0xa0, PTCP_ACK, 0, 0, 100, 8192);    /* far away */
    for (int k = 0; k < 15; k++)
      df_op(&b, 0x01, PTCP_RST, 50, 0, 0, 8192); /* challenge limit */
    snprintf(name, sizeof(name), "dupfilter-%s", info->name);
    emit(name, &b);
  }
}

static void close_seeds(void) {
  size_t n = ptcp_registry_count(reg, PTCP_SLOT_CLOSE);
  for (size_t i = 0; i < n; i++) {
    const ptcp_policy_info *info = ptcp_registry_get(reg, PTCP_SLOT_CLOSE, i);
    char name[128];
    static const uint8_t tw_flags[] = {
        PTCP_ACK | PTCP_FIN, PTCP_RST,           PTCP_SYN, PTCP_ACK, PTCP_SYN | PTCP_ACK,
        PTCP_ACK | PTCP_PSH, PTCP_RST | PTCP_ACK};
    cf_buf b = {0};

    head(&b, MODE_CLOSE, i, i % 2 ? extremes : defaults);
    cf_u8(&b, 0); /* timers, MSL 120 s */
    cf_u32(&b, 120000000);
    cf_u8(&b, 0); /* timers, MSL 1 us */
    cf_u32(&b, 1);
    for (size_t k = 0; k < sizeof(tw_flags); k++) {
      uint8_t op = (uint8_t)(1 | (k & 1 ? 0x20 : 0) | 0x80 | (k == 2 ? 0 : 0x10));
      cf_u8(&b, op);
      cf_u32(&b, 1000000);
      cf_u8(&b, tw_flags[k]);
      cf_u32(&b, 5000 + (uint32_t)k);
      cf_u32(&b, 9000);
      cf_u16(&b, k == 5 ? 100 : 0);
      if (op & 0x10) {
        cf_u32(&b, 77);
        cf_u32(&b, 66);
      }
      if (!(op & 0x20))
        cf_u32(&b, 4000);
      cf_u32(&b, 9000);
      cf_u32(&b, 70);
      cf_u32(&b, 1000);
      cf_u32(&b, 1000);
    }
    cf_u8(&b, 2); /* close_action with unread data */
    cf_u32(&b, 1);
    cf_u8(&b, PTCP_ESTABLISHED);
    cf_u32(&b, 10);
    cf_u32(&b, 0);
    cf_u32(&b, 0);
    snprintf(name, sizeof(name), "close-%s", info->name);
    emit(name, &b);
  }
}

static void cc_seeds(void) {
  size_t n = ptcp_registry_count(reg, PTCP_SLOT_CC);
  for (size_t i = 0; i < n; i++) {
    const ptcp_policy_info *info = ptcp_registry_get(reg, PTCP_SLOT_CC, i);
    char name[128];
    cf_buf b = {0};

    head(&b, MODE_CC, i, defaults);
    cf_u16(&b, 1460 - 48); /* SMSS 1460 */
    cf_u32(&b, 0);
    for (int k = 0; k < 12; k++) { /* slow start, then avoidance */
      cf_u8(&b, 0);
      cf_u16(&b, (uint16_t)(1460 * (k + 1)));
      cf_u8(&b, 10);
      cf_u16(&b, 1460);
      cf_u16(&b, 20000);
    }
    cf_u8(&b, 2); /* three dupacks: recovery */
    cf_u16(&b, 14600);
    cf_u8(&b, 1);
    cf_u8(&b, 3);
    cf_u16(&b, 14600);
    cf_u8(&b, 1);
    cf_u8(&b, 4); /* a partial ACK */
    cf_u16(&b, 14600);
    cf_u8(&b, 1);
    cf_u16(&b, 2920);
    cf_u8(&b, 5); /* recovery ends */
    cf_u16(&b, 5000);
    cf_u8(&b, 1);
    cf_u8(&b, 6); /* a timeout */
    cf_u16(&b, 7300);
    cf_u8(&b, 200);
    cf_u8(&b, 7 | 0x10); /* idle */
    cf_u16(&b, 0);
    cf_u8(&b, 255);
    cf_u8(&b, 7); /* spurious: undo */
    cf_u16(&b, 0);
    cf_u8(&b, 1);
    cf_u8(&b, 0x80 | 0x40); /* a huge ACK */
    cf_u32(&b, 0xffffffff);
    cf_u8(&b, 1);
    cf_u32(&b, 0xffffffff);
    snprintf(name, sizeof(name), "cc-%s", info->name);
    emit(name, &b);
  }
}

int main(int argc, char **argv) {
  if (seed_args("gen-policy-corpus", argc, argv, &outdir, &check) != 0)
    return 2;
  if (ptcp_registry_new(&reg, NULL) != 0 || ptcp_registry_add_builtins(reg) != 0)
    return 2;
  specs();
  isn_seeds();
  rto_seeds();
  dupfilter_seeds();
  close_seeds();
  cc_seeds();
  ptcp_registry_free(reg);
  return bad ? 1 : 0;
}
