/*
 * gen-conn-corpus: writes the seeds of the conn fuzz target (corpus/conn)
 * as scripted sessions in the target's own input format
 * (fuzz/conn_format.h): handshakes both ways, data both ways, loss and
 * retransmission, every close path, RSTs, simultaneous open, and more.
 *
 *   gen-conn-corpus [--check] OUTDIR
 *
 * Each script is run through the harness (fuzz/conn_driver.c) before it
 * is written, and must reach the states and verdicts it is about: a seed
 * that no longer does what its name says fails the tool, so the corpus
 * cannot rot silently when the engine or the format changes.  Output is
 * deterministic.  With --check nothing is written: the tool compares
 * each seed with the file of that name in OUTDIR and fails on a
 * difference (a seed removed by `make fuzz-merge` is not an error).
 *
 * Exit status: 0, 1 when a script misses its goal or a seed is stale,
 * 2 for a usage or I/O error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#include "seed_out.h"
#include "conn_driver.h"
#include "conn_format.h"

/* ------------------------------------------------------------------ */
/* Writing scripts                                                     */

#define S(st) (1u << (PTCP_##st))
#define V(v) (1u << (PTCP_VERDICT_##v))
#define R(r) (1ULL << (PTCP_R_##r))

typedef struct hdr_opts {
  uint8_t flags, cb, sndbuf, rcvbuf, mss, msl, backlog_m1, start, policy[PTCP_SLOT_COUNT];
  uint8_t params[PTCP_SLOT_COUNT][CF_PARAMS_PER_SLOT];
  uint8_t retries, rand, fail_setup;
} hdr_opts;

static void header(cf_buf *b, const hdr_opts *o) {
  uint8_t h[CF_HDR_LEN];

  memset(h, 0, sizeof(h));
  h[0] = o->flags;
  h[1] = o->cb;
  h[2] = o->sndbuf;
  h[3] = o->rcvbuf;
  h[4] = o->mss;
  h[5] = o->msl ? o->msl : 1;            /* MSL 1 s: TIME-WAIT ends soon */
  h[6] = o->retries ? o->retries : 0x75; /* 6 SYN, 8 data retries */
  h[7] = o->backlog_m1 ? o->backlog_m1 : 3;
  h[8] = 9;                        /* 10 challenge ACKs a second */
  h[9] = 12;                       /* 16 connections */
  h[10] = o->start ? o->start : 1; /* start at 1 s */
  h[11] = o->rand;
  h[12] = 0x5a;
  h[13] = o->fail_setup;
  for (int s = 0; s < PTCP_SLOT_COUNT; s++) {
    h[CF_H_POLICY(s)] = o->policy[s];
    memcpy(h + CF_H_POLICY(s) + 1, o->params[s], CF_PARAMS_PER_SLOT);
  }
  cf_put(b, h, sizeof(h));
}

static const hdr_opts plain;

/* SEG options, as a script writes them. */
typedef struct segopt {
  uint16_t window; /* 0: 65535 */
  int zero_window;
  int mss;           /* 0: none, else the value */
  int ws;            /* -1: none */
  int sack_perm, ts; /* ts: 1 = clock + echo */
  int ts_old;        /* TSval 1000 ms in the past */
  int sack_blocks;   /* blocks from SND.UNA + 100 */
  int urgent;
  uint16_t len;
} segopt;

#define O(...) ((segopt){.ws = -1, __VA_ARGS__})

static void seg(cf_buf *b, unsigned tuple, uint8_t flags, unsigned seqbase, int64_t seqd,
                unsigned ackbase, int64_t ackd, segopt o) {
  uint8_t opts = 0;

  cf_u8(b, CF_OP_SEG);
  cf_u8(b, (uint8_t)tuple);
  cf_u8(b, flags);
  cf_rel(b, seqbase, seqd);
  cf_rel(b, ackbase, ackd);
  cf_u16(b, o.zero_window ? 0 : o.window ? o.window : 65535);
  if (o.mss)
    opts |= CF_O_MSS;
  if (o.ws >= 0)
    opts |= CF_O_WS;
  if (o.sack_perm)
    opts |= CF_O_SACK_PERM;
  if (o.ts || o.ts_old)
    opts |= CF_O_TS;
  if (o.sack_blocks)
    opts |= CF_O_SACK;
  if (o.urgent)
    opts |= CF_O_URG;
  cf_u8(b, opts);
  if (o.mss)
    cf_u16(b, (uint16_t)o.mss);
  if (o.ws >= 0)
    cf_u8(b, (uint8_t)o.ws);
  if (o.ts_old) {
    cf_u8(b, CF_TSV_OLD | CF_TSE_ECHO << 2);
    cf_u16(b, 1000);
  } else if (o.ts) {
    cf_u8(b, CF_TSV_CLOCK | CF_TSE_ECHO << 2);
  }
  if (o.sack_blocks) {
    cf_u8(b, (uint8_t)(o.sack_blocks - 1));
    for (int i = 0; i < o.sack_blocks; i++) {
      cf_rel(b, CF_ACK_SND_UNA, 1000 + 2000 * i);
      cf_u16(b, 1000);
    }
  }
  if (o.urgent)
    cf_u16(b, (uint16_t)o.urgent);
  cf_u16(b, o.len);
}

static void user(cf_buf *b, uint8_t op, unsigned slot) {
  cf_u8(b, op);
  cf_u8(b, (uint8_t)slot);
}

static void send_(cf_buf *b, unsigned slot, uint16_t len) {
  user(b, CF_OP_SEND, slot);
  cf_u16(b, len);
}

static void recv_(cf_buf *b, unsigned slot, uint16_t len) {
  user(b, CF_OP_RECV, slot);
  cf_u16(b, len);
}

static void accept_(cf_buf *b, unsigned listener, unsigned slot) {
  cf_u8(b, CF_OP_ACCEPT);
  cf_u8(b, (uint8_t)listener);
  cf_u8(b, (uint8_t)slot);
}

static void listen_(cf_buf *b, unsigned slot, unsigned port_idx, uint8_t backlog) {
  cf_u8(b, CF_OP_LISTEN);
  cf_u8(b, (uint8_t)slot);
  cf_u8(b, (uint8_t)port_idx);
  cf_u8(b, backlog);
  cf_u8(b, 0);
}

static void connect_(cf_buf *b, unsigned slot, uint8_t target) {
  cf_u8(b, CF_OP_CONNECT);
  cf_u8(b, (uint8_t)slot);
  cf_u8(b, target);
  cf_u8(b, 0);
}

static void adv_ms(cf_buf *b, uint16_t ms) {
  cf_u8(b, CF_OP_ADVANCE);
  cf_u8(b, CF_ADV_MS16);
  cf_u16(b, ms);
}

static void adv_deadline(cf_buf *b) {
  cf_u8(b, CF_OP_ADVANCE);
  cf_u8(b, CF_ADV_DEADLINE);
}

static void adv_sec(cf_buf *b, uint16_t s) {
  cf_u8(b, CF_OP_ADVANCE);
  cf_u8(b, CF_ADV_SEC16);
  cf_u16(b, s);
}

static void fail_(cf_buf *b, uint8_t mode, uint8_t n) {
  cf_u8(b, CF_OP_FAIL);
  cf_u8(b, mode);
  cf_u8(b, n);
}

/* Common openings. */
static const segopt syn_opts = {.mss = 1460, .ws = 7, .sack_perm = 1, .ts = 1};

/* The peer answers the set-up's SYN (tuple 0): ESTABLISHED. */
static void active_open(cf_buf *b) {
  seg(b, 0, PTCP_SYN | PTCP_ACK, CF_SEQ_ABS, 1000, CF_ACK_OUR_MAX, 0, syn_opts);
}

/* A peer on tuple |t| connects to the listener; accepted into |slot|. */
static void passive_open(cf_buf *b, unsigned t, unsigned slot, segopt o) {
  seg(b, t, PTCP_SYN, CF_SEQ_ABS, 7000 + 1000 * t, CF_ACK_ABS, 0, o);
  seg(b, t, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = o.ts));
  accept_(b, 1, slot);
}

/* Peer data on tuple |t|: |len| bytes at its next sequence number. */
static void peer_data(cf_buf *b, unsigned t, uint16_t len, int ts) {
  seg(b, t, PTCP_ACK | PTCP_PSH, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0,
      O(.len = len, .ts = ts));
}

/* The peer acknowledges everything we sent on tuple |t|. */
static void peer_ack(cf_buf *b, unsigned t, int ts) {
  seg(b, t, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = ts));
}

/* ------------------------------------------------------------------ */
/* The scripts                                                         */

typedef struct goal {
  unsigned states;   /* every one of these states is entered */
  unsigned verdicts; /* every one of these verdicts is seen */
  uint64_t reasons;  /* every one of these reasons is seen */
  unsigned timers;   /* every one of these timers fires */
} goal;

typedef struct scenario {
  const char *name;
  void (*write)(cf_buf *b);
  goal want;
} scenario;

static void sc_handshake_active(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  adv_ms(b, 10);
}

static void sc_handshake_passive(cf_buf *b) {
  header(b, &plain);
  passive_open(b, 1, 2, syn_opts);
  adv_ms(b, 10);
}

static void sc_handshake_no_options(cf_buf *b) {
  header(b, &plain);
  seg(b, 0, PTCP_SYN | PTCP_ACK, CF_SEQ_ABS, 1000, CF_ACK_OUR_MAX, 0, O(.window = 8192));
  passive_open(b, 2, 2, O(.window = 4096));
  send_(b, 0, 3000);
  send_(b, 2, 3000);
  peer_ack(b, 0, 0);
  peer_ack(b, 2, 0);
}

static void sc_handshake_ipv6(cf_buf *b) {
  hdr_opts h = plain;
  h.flags = CF_H_V6;
  header(b, &h);
  active_open(b);
  passive_open(b, 1, 2, syn_opts);
  send_(b, 0, 5000);
  peer_data(b, 1, 1000, 1);
  recv_(b, 2, 2000);
  peer_ack(b, 0, 1);
}

static void sc_data_both_ways(cf_buf *b) {
  header(b, &plain);
  passive_open(b, 1, 2, syn_opts);
  peer_data(b, 1, 1400, 1);
  peer_data(b, 1, 1400, 1);
  peer_data(b, 1, 600, 1);
  recv_(b, 2, 4096);
  send_(b, 2, 6000);
  adv_ms(b, 20);
  peer_ack(b, 1, 1);
  send_(b, 2, 20000);
  for (int i = 0; i < 6; i++) {
    adv_ms(b, 20);
    peer_ack(b, 1, 1);
  }
  recv_(b, 2, 4096);
}

static void sc_delayed_ack(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  peer_data(b, 0, 100, 1);
  adv_ms(b, 250);
  peer_data(b, 0, 1400, 1);
  peer_data(b, 0, 1400, 1);
  recv_(b, 0, 4000);
}

static void sc_loss_retransmit(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  send_(b, 0, 3000);
  adv_deadline(b); /* RTO: the first segment again */
  adv_deadline(b); /* and again, backed off */
  peer_ack(b, 0, 1);
  adv_ms(b, 100);
}

static void sc_fast_retransmit(cf_buf *b) {
  hdr_opts h = plain;
  h.flags = CF_H_NO_NAGLE;
  header(b, &h);
  active_open(b);
  send_(b, 0, 14000);
  /* The first segment is lost: three duplicate ACKs, then recovery. */
  for (int i = 0; i < 4; i++)
    seg(b, 0, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_SND_UNA, 0, O(.ts = 1));
  seg(b, 0, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_SND_UNA, 1408, O(.ts = 1)); /* partial */
  peer_ack(b, 0, 1);
  adv_ms(b, 50);
}

static void sc_sack_blocks(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  send_(b, 0, 12000);
  seg(b, 0, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_SND_UNA, 0,
      O(.ts = 1, .sack_blocks = 2));
  seg(b, 0, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_SND_UNA, 0,
      O(.ts = 1, .sack_blocks = 3));
  peer_ack(b, 0, 1);
}

static void sc_out_of_order(cf_buf *b) {
  header(b, &plain);
  passive_open(b, 1, 2, syn_opts);
  /* Bytes 1000..1999 first, then 0..999, then 3000..3999, 2000..2999. */
  seg(b, 1, PTCP_ACK, CF_SEQ_RCV_NXT, 1000, CF_ACK_OUR_MAX, 0, O(.len = 1000, .ts = 1));
  seg(b, 1, PTCP_ACK, CF_SEQ_RCV_NXT, 0, CF_ACK_OUR_MAX, 0, O(.len = 1000, .ts = 1));
  seg(b, 1, PTCP_ACK, CF_SEQ_RCV_NXT, 1000, CF_ACK_OUR_MAX, 0, O(.len = 1000, .ts = 1));
  seg(b, 1, PTCP_ACK | PTCP_FIN, CF_SEQ_RCV_NXT, 2000, CF_ACK_OUR_MAX, 0,
      O(.len = 500, .ts = 1));
  seg(b, 1, PTCP_ACK, CF_SEQ_RCV_NXT, 0, CF_ACK_OUR_MAX, 0, O(.len = 2000, .ts = 1));
  recv_(b, 2, 8000);
  recv_(b, 2, 100);
}

static void sc_duplicate_data(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  peer_data(b, 0, 500, 1);
  seg(b, 0, PTCP_ACK, CF_SEQ_RCV_NXT, -500, CF_ACK_OUR_MAX, 0, O(.len = 500, .ts = 1));
  seg(b, 0, PTCP_ACK, CF_SEQ_RCV_NXT, -200, CF_ACK_OUR_MAX, 0, O(.len = 500, .ts = 1));
  seg(b, 0, PTCP_ACK, CF_SEQ_WND_EDGE, 100, CF_ACK_OUR_MAX, 0, O(.len = 100, .ts = 1));
  recv_(b, 0, 2000);
}

static void sc_close_active(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  send_(b, 0, 1000);
  user(b, CF_OP_SHUTDOWN, 0); /* FIN-WAIT-1 */
  peer_ack(b, 0, 1);          /* FIN-WAIT-2 */
  seg(b, 0, PTCP_FIN | PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  adv_ms(b, 500);
  seg(b, 0, PTCP_FIN | PTCP_ACK, CF_SEQ_PEER_ISN, 1, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  adv_deadline(b); /* 2 MSL: CLOSED */
  user(b, CF_OP_CLOSE, 0);
}

static void sc_close_passive(cf_buf *b) {
  header(b, &plain);
  passive_open(b, 1, 2, syn_opts);
  peer_data(b, 1, 300, 1);
  seg(b, 1, PTCP_FIN | PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  recv_(b, 2, 1000);
  recv_(b, 2, 1000); /* end of stream */
  send_(b, 2, 200);
  user(b, CF_OP_CLOSE, 2); /* LAST-ACK */
  adv_ms(b, 10);
  peer_ack(b, 1, 1); /* CLOSED */
}

static void sc_close_simultaneous(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  user(b, CF_OP_SHUTDOWN, 0);
  /* The peer's FIN crosses ours: it does not acknowledge ours yet. */
  seg(b, 0, PTCP_FIN | PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, -1, O(.ts = 1));
  peer_ack(b, 0, 1); /* CLOSING -> TIME-WAIT */
  adv_deadline(b);
}

static void sc_close_fin_ack_together(cf_buf *b) {
  header(b, &plain);
  passive_open(b, 3, 2, syn_opts);
  user(b, CF_OP_SHUTDOWN, 2);
  /* FIN and the ACK of ours in one segment: FIN-WAIT-1 -> TIME-WAIT. */
  seg(b, 3, PTCP_FIN | PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  user(b, CF_OP_CLOSE, 2); /* a compact TIME-WAIT entry */
  seg(b, 3, PTCP_FIN | PTCP_ACK, CF_SEQ_PEER_ISN, 1, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  adv_sec(b, 3);
}

static void sc_close_orphan_fin_wait_2(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  user(b, CF_OP_CLOSE, 0); /* orphaned FIN-WAIT-1 */
  peer_ack(b, 0, 1);       /* FIN-WAIT-2, bounded */
  adv_sec(b, 61);          /* the FIN-WAIT-2 limit */
}

static void sc_close_with_unread_data(cf_buf *b) {
  header(b, &plain);
  passive_open(b, 1, 2, syn_opts);
  peer_data(b, 1, 700, 1);
  user(b, CF_OP_CLOSE, 2); /* unread data: RST */
  peer_data(b, 1, 100, 1); /* nobody is there */
}

static void sc_abort(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  send_(b, 0, 2000);
  user(b, CF_OP_ABORT, 0);
  peer_ack(b, 0, 1);
}

static void policy_header(cf_buf *b, int slot, const char *name, uint8_t p0, uint8_t p1);

/* The stack closes first and sits in TIME-WAIT on tuple 4. */
static void time_wait_on_4(cf_buf *b) {
  passive_open(b, 4, 2, syn_opts);
  user(b, CF_OP_SHUTDOWN, 2);
  peer_ack(b, 4, 1);
  seg(b, 4, PTCP_FIN | PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  user(b, CF_OP_CLOSE, 2);
}

static void sc_time_wait_reopen(cf_buf *b) {
  /* Close policy rfc6191: a SYN may start a new incarnation (RFC 6191
   * §2, falling back to RFC 1122 4.2.2.13's sequence rule). */
  policy_header(b, PTCP_SLOT_CLOSE, "rfc6191", 0, 0);
  time_wait_on_4(b);
  /* A new SYN above the old sequence space reopens the tuple. */
  seg(b, 4, PTCP_SYN, CF_SEQ_PEER_NXT, 100000, CF_ACK_ABS, 0, syn_opts);
  seg(b, 4, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  accept_(b, 1, 3);
  /* An RST in TIME-WAIT is ignored (RFC 1337) on another tuple. */
  passive_open(b, 3, 4, syn_opts);
  user(b, CF_OP_SHUTDOWN, 4);
  seg(b, 3, PTCP_FIN | PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  seg(b, 3, PTCP_RST, CF_SEQ_PEER_NXT, 0, CF_ACK_ABS, 0, O(.ts = 0));
}

/* Close policy rfc9293 (the default): every SYN in TIME-WAIT, even one
 * above RCV.NXT, gets a challenge ACK (RFC 5961 §4) and TIME-WAIT goes
 * on to its end. */
static void sc_time_wait_syn_challenge(cf_buf *b) {
  header(b, &plain);
  time_wait_on_4(b);
  seg(b, 4, PTCP_SYN, CF_SEQ_PEER_NXT, 100000, CF_ACK_ABS, 0, syn_opts);
  seg(b, 4, PTCP_SYN, CF_SEQ_PEER_NXT, -100000, CF_ACK_ABS, 0, syn_opts);
  adv_deadline(b);
}

static void sc_rst_exact(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  seg(b, 0, PTCP_RST, CF_SEQ_RCV_NXT, 0, CF_ACK_ABS, 0, O(.ts = 0));
  send_(b, 0, 10);
  recv_(b, 0, 10);
}

static void sc_rst_in_window_challenge(cf_buf *b) {
  header(b, &plain);
  passive_open(b, 1, 2, syn_opts);
  seg(b, 1, PTCP_RST, CF_SEQ_RCV_NXT, 100, CF_ACK_ABS, 0, O(.ts = 0));
  seg(b, 1, PTCP_RST | PTCP_ACK, CF_SEQ_RCV_NXT, 100000000, CF_ACK_OUR_MAX, 0,
      O(.ts = 0));
  seg(b, 1, PTCP_SYN, CF_SEQ_RCV_NXT, 5, CF_ACK_ABS, 0, O(.ts = 1)); /* RFC 5961 §4 */
  seg(b, 1, PTCP_ACK, CF_SEQ_RCV_NXT, 0, CF_ACK_OUR_MAX, 100000,
      O(.ts = 1)); /* ACK unsent */
  seg(b, 1, PTCP_ACK, CF_SEQ_RCV_NXT, 0, CF_ACK_SND_UNA, -1000000000, O(.ts = 1));
  seg(b, 1, PTCP_RST, CF_SEQ_RCV_NXT, 0, CF_ACK_ABS, 0, O(.ts = 0)); /* exact */
}

static void sc_challenge_ack_limit(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  for (int i = 0; i < 14; i++)
    seg(b, 0, PTCP_RST, CF_SEQ_RCV_NXT, 10 + i, CF_ACK_ABS, 0, O(.ts = 0));
  adv_ms(b, 1100);
  seg(b, 0, PTCP_RST, CF_SEQ_RCV_NXT, 10, CF_ACK_ABS, 0, O(.ts = 0));
}

static void sc_refused(cf_buf *b) {
  header(b, &plain);
  /* An ACK that does not acknowledge our SYN draws a RST; then RST,ACK. */
  seg(b, 0, PTCP_ACK, CF_SEQ_ABS, 5, CF_ACK_OUR_MAX, 10, O(.ts = 0));
  seg(b, 0, PTCP_RST, CF_SEQ_ABS, 5, CF_ACK_ABS, 0, O(.ts = 0));
  seg(b, 0, PTCP_RST | PTCP_ACK, CF_SEQ_ABS, 0, CF_ACK_OUR_MAX, 0, O(.ts = 0));
  recv_(b, 0, 10);
  connect_(b, 0, 0); /* a used connection: refused */
  listen_(b, 0, 1, 4);
}

static void sc_stray_segments(cf_buf *b) {
  header(b, &plain);
  /* Port 81 has no listener: RST for a SYN, RST for an ACK, nothing for
   * a RST; the listener drops a RST and resets an ACK. */
  seg(b, 5, PTCP_SYN, CF_SEQ_ABS, 77, CF_ACK_ABS, 0, O(.ts = 0));
  seg(b, 5, PTCP_ACK, CF_SEQ_ABS, 77, CF_ACK_ABS, 99, O(.ts = 0));
  seg(b, 5, PTCP_RST, CF_SEQ_ABS, 77, CF_ACK_ABS, 0, O(.ts = 0));
  seg(b, 1, PTCP_ACK, CF_SEQ_ABS, 77, CF_ACK_ABS, 99, O(.ts = 0));
  seg(b, 1, PTCP_RST, CF_SEQ_ABS, 77, CF_ACK_ABS, 0, O(.ts = 0));
  seg(b, 1, PTCP_FIN, CF_SEQ_ABS, 77, CF_ACK_ABS, 0, O(.ts = 0));
}

static void sc_simultaneous_open(cf_buf *b) {
  header(b, &plain);
  /* The peer's SYN crosses ours: SYN-SENT -> SYN-RECEIVED, then its
   * SYN,ACK acknowledges ours: ESTABLISHED. */
  seg(b, 0, PTCP_SYN, CF_SEQ_ABS, 3000, CF_ACK_ABS, 0, syn_opts);
  seg(b, 0, PTCP_SYN | PTCP_ACK, CF_SEQ_PEER_ISN, 0, CF_ACK_OUR_MAX, -1, syn_opts);
  send_(b, 0, 500);
  peer_ack(b, 0, 1);
}

static void sc_simultaneous_open_ack(cf_buf *b) {
  header(b, &plain);
  seg(b, 0, PTCP_SYN, CF_SEQ_ABS, 3000, CF_ACK_ABS, 0, O(.mss = 1000));
  seg(b, 0, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = 0));
  peer_data(b, 0, 100, 0);
  recv_(b, 0, 100);
}

static void sc_syn_retransmit_timeout(cf_buf *b) {
  hdr_opts h = plain;
  h.retries = 0x72; /* 3 SYN retries */
  header(b, &h);
  for (int i = 0; i < 5; i++)
    adv_deadline(b);
  recv_(b, 0, 1);
  seg(b, 1, PTCP_SYN, CF_SEQ_ABS, 9000, CF_ACK_ABS, 0, syn_opts);
  seg(b, 1, PTCP_SYN, CF_SEQ_ABS, 9000, CF_ACK_ABS, 0, syn_opts); /* again */
  for (int i = 0; i < 5; i++)
    adv_deadline(b);
}

static void sc_syn_backlog_full(cf_buf *b) {
  hdr_opts h = plain;
  h.backlog_m1 = 0x04; /* backlog 1 */
  header(b, &h);
  for (unsigned t = 1; t <= 4; t++)
    seg(b, t, PTCP_SYN, CF_SEQ_ABS, 1000 * t, CF_ACK_ABS, 0, syn_opts);
  seg(b, 1, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  seg(b, 2, PTCP_SYN, CF_SEQ_ABS, 2000, CF_ACK_ABS, 0, syn_opts);
  accept_(b, 1, 2);
  accept_(b, 1, 3);
}

static void sc_zero_window_persist(cf_buf *b) {
  header(b, &plain);
  seg(b, 0, PTCP_SYN | PTCP_ACK, CF_SEQ_ABS, 1000, CF_ACK_OUR_MAX, 0,
      O(.mss = 1460, .zero_window = 1));
  send_(b, 0, 3000);
  adv_deadline(b); /* a probe */
  seg(b, 0, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_SND_UNA, 0, O(.zero_window = 1));
  adv_deadline(b);
  seg(b, 0, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_SND_UNA, 0, O(.window = 2000));
  peer_ack(b, 0, 0);
  adv_deadline(b);
  peer_ack(b, 0, 0);
}

static void sc_receive_window_full(cf_buf *b) {
  hdr_opts h = plain;
  h.rcvbuf = 4; /* 2048 bytes */
  header(b, &h);
  passive_open(b, 1, 2, O(.mss = 536));
  for (int i = 0; i < 5; i++)
    seg(b, 1, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.len = 536));
  seg(b, 1, PTCP_ACK, CF_SEQ_RCV_NXT, 0, CF_ACK_OUR_MAX, 0, O(.len = 1));
  recv_(b, 2, 600);
  recv_(b, 2, 2000);
  peer_data(b, 1, 536, 0);
}

static void sc_keepalive(cf_buf *b) {
  hdr_opts h = plain;
  h.flags = CF_H_KEEPALIVE;
  header(b, &h);
  active_open(b);
  adv_deadline(b);   /* idle: a probe */
  peer_ack(b, 0, 1); /* alive */
  for (int i = 0; i < 5; i++)
    adv_deadline(b); /* silence: ETIMEDOUT */
  recv_(b, 0, 1);
}

static void sc_urgent_and_odd_flags(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  seg(b, 0, PTCP_ACK | PTCP_URG | PTCP_PSH, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0,
      O(.len = 100, .urgent = 0xffff, .ts = 1));
  seg(b, 0, PTCP_ACK | PTCP_URG, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0,
      O(.len = 10, .urgent = 0, .ts = 1));
  seg(b, 0, 0, CF_SEQ_PEER_NXT, 0, CF_ACK_ABS, 0, O(.len = 10)); /* no flags */
  seg(b, 0, 0xc0 | PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0,
      O(.ts = 1)); /* ECE CWR */
  recv_(b, 0, 500);
}

static void sc_paws_old_timestamp(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  peer_data(b, 0, 100, 1);
  seg(b, 0, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.len = 100, .ts_old = 1));
  recv_(b, 0, 500);
}

static void sc_raw_malformed(cf_buf *b) {
  static const uint8_t opt_len0[] = {0x13, 0x88, 0xc0, 0x00, 0,    0,    0,    1,
                                     0,    0,    0,    0,    0x60, 0x10, 0xff, 0xff,
                                     0,    0,    0,    0,    0x1e, 0x00, 0x00, 0x00};
  static const uint8_t short_hdr[] = {0x9c, 0x41, 0x00, 0x50, 0, 0,   0,
                                      1,    0,    0,    0,    0, 0x40};
  static const uint8_t mss_zero[] = {0x9c, 0x41, 0x00, 0x50, 0,    0,    0x10, 0,
                                     0,    0,    0,    0,    0x60, 0x02, 0xff, 0xff,
                                     0,    0,    0,    0,    0x02, 0x04, 0x00, 0x00};
  header(b, &plain);
  cf_u8(b, CF_OP_RAW);
  cf_u8(b, CF_RAW_TCP_FIXSUM | CF_RAW_PORTS);
  cf_u16(b, sizeof(opt_len0));
  cf_put(b, opt_len0, sizeof(opt_len0));
  cf_u8(b, CF_OP_RAW);
  cf_u8(b, CF_RAW_TCP_NOSUM);
  cf_u16(b, sizeof(short_hdr));
  cf_put(b, short_hdr, sizeof(short_hdr));
  cf_u8(b, CF_OP_RAW);
  cf_u8(b, CF_RAW_TCP_FIXSUM);
  cf_u16(b, sizeof(mss_zero));
  cf_put(b, mss_zero, sizeof(mss_zero)); /* a SYN with MSS 0 to port 80 */
  cf_u8(b, CF_OP_RAW);
  cf_u8(b, CF_RAW_TCP_ASIS);
  cf_u16(b, sizeof(mss_zero));
  cf_put(b, mss_zero, sizeof(mss_zero)); /* checksum not right */
  cf_u8(b, CF_OP_RAW);
  cf_u8(b, CF_RAW_IP);
  cf_u16(b, sizeof(short_hdr));
  cf_put(b, short_hdr, sizeof(short_hdr));
}

static void sc_alloc_failures(cf_buf *b) {
  header(b, &plain);
  active_open(b);
  fail_(b, CF_FAIL_EVENT, 0);
  peer_data(b, 0, 300, 1); /* no receive buffer */
  peer_data(b, 0, 300, 1);
  fail_(b, CF_FAIL_EVENT, 0);
  send_(b, 0, 100); /* no send buffer */
  fail_(b, CF_FAIL_NTH, 1);
  seg(b, 2, PTCP_SYN, CF_SEQ_ABS, 5000, CF_ACK_ABS, 0, syn_opts); /* no connection */
  fail_(b, CF_FAIL_EVENTS, 3);
  connect_(b, 3, 1);
  listen_(b, 4, 2, 2);
  recv_(b, 0, 1000);
  recv_(b, 0, 1000);
}

static void sc_setup_alloc_failure(cf_buf *b) {
  hdr_opts h = plain;
  h.fail_setup = 3;
  header(b, &h);
}

static void sc_no_randomness(cf_buf *b) {
  hdr_opts h = plain;
  h.rand = 1 | (4 << 1); /* randomness fails after 4 draws */
  header(b, &h);
  active_open(b);
  connect_(b, 3, 1);
}

static void sc_listen_connect_more(cf_buf *b) {
  header(b, &plain);
  listen_(b, 2, 1, 2); /* port 81 */
  seg(b, 5, PTCP_SYN, CF_SEQ_ABS, 4000, CF_ACK_ABS, 0, syn_opts);
  seg(b, 5, PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  accept_(b, 2, 3);
  connect_(b, 4, 1); /* to port 5001: tuple 6 */
  seg(b, 6, PTCP_SYN | PTCP_ACK, CF_SEQ_ABS, 8000, CF_ACK_OUR_MAX, 0, syn_opts);
  connect_(b, 5, CF_CONN_BIND_PORT | 2); /* to 5002 from port 7000 */
  connect_(b, 6, CF_CONN_BIND_PORT | 2); /* the same: refused */
  connect_(b, 7, CF_CONN_BAD_ADDR);      /* multicast: refused */
  listen_(b, 7, 0, 1);                   /* port 80 is taken */
  user(b, CF_OP_CLOSE, 1);               /* the listener goes */
  seg(b, 1, PTCP_SYN, CF_SEQ_ABS, 1, CF_ACK_ABS, 0, syn_opts);
}

static void sc_callbacks_reentrant(cf_buf *b) {
  hdr_opts h = plain;
  h.cb = CF_CB_ACCEPT | CF_CB_RECV | CF_CB_CLOSE | CF_CB_SEND | CF_CB_SHUTDOWN;
  h.sndbuf = 3; /* 4096 bytes */
  header(b, &h);
  active_open(b);
  passive_open(b, 1, 2, syn_opts);
  passive_open(b, 2, 3, syn_opts);
  send_(b, 0, 4096);
  peer_ack(b, 0, 1);
  peer_data(b, 1, 1000, 1);
  seg(b, 1, PTCP_FIN | PTCP_ACK, CF_SEQ_PEER_NXT, 0, CF_ACK_OUR_MAX, 0, O(.ts = 1));
  peer_ack(b, 1, 1);
  seg(b, 2, PTCP_RST, CF_SEQ_RCV_NXT, 0, CF_ACK_ABS, 0, O(.ts = 0));
}

/* The registry, to find policies by name: seeds say what they mean even
 * when more policies are registered (the registry is sorted by name). */
static ptcp_registry *reg;

static unsigned policy_index(int slot, const char *name) {
  size_t n = ptcp_registry_count(reg, (ptcp_slot)slot);

  for (size_t i = 0; i < n; i++)
    if (strcmp(ptcp_registry_get(reg, (ptcp_slot)slot, i)->name, name) == 0)
      return (unsigned)i;
  fprintf(stderr, "gen-conn-corpus: no %s policy '%s'\n", ptcp_slot_name((ptcp_slot)slot),
          name);
  exit(2);
}

/* A header that selects policy |name| for |slot| (the selector is the
 * registry index + 1; 0 means the stack's default). */
static void policy_header(cf_buf *b, int slot, const char *name, uint8_t p0, uint8_t p1) {
  hdr_opts h = plain;
  h.policy[slot] = (uint8_t)(policy_index(slot, name) + 1);
  h.params[slot][0] = p0;
  h.params[slot][1] = p1;
  header(b, &h);
}

static void sc_policy_isn_counter(cf_buf *b) {
  policy_header(b, PTCP_SLOT_ISN, "counter", 0, 1); /* step = 0 */
  active_open(b);
  passive_open(b, 1, 2, syn_opts);
  passive_open(b, 2, 3, syn_opts);
}

static void sc_policy_rto_fixed(cf_buf *b) {
  policy_header(b, PTCP_SLOT_RTO, "fixed", 40, 60);
  active_open(b);
  send_(b, 0, 2000);
  for (int i = 0; i < 4; i++)
    adv_deadline(b);
  peer_ack(b, 0, 1);
}

static void sc_policy_cc_none(cf_buf *b) {
  policy_header(b, PTCP_SLOT_CC, "none", 0, 0);
  active_open(b);
  send_(b, 0, 30000);
  peer_ack(b, 0, 1);
}

static void sc_policy_rto_min(cf_buf *b) {
  policy_header(b, PTCP_SLOT_RTO, "rfc6298", 1, 2); /* min 1 ms, max 600 s */
  active_open(b);
  send_(b, 0, 500);
  adv_ms(b, 30);
  peer_ack(b, 0, 1);
  send_(b, 0, 500);
  adv_deadline(b);
  adv_deadline(b);
  peer_ack(b, 0, 1);
}

static void sc_per_connection_settings(cf_buf *b) {
  header(b, &plain);
  cf_u8(b, CF_OP_CONNECT);
  cf_u8(b, 3);
  cf_u8(b, 1); /* port 5001 */
  cf_u8(b, 1); /* own settings: */
  cf_u8(b, CF_H_NO_TS | CF_H_NO_SACK | CF_H_NO_NAGLE);
  cf_u8(b, 0x83); /* send 4096, receive 100 */
  cf_u8(b, (uint8_t)(policy_index(PTCP_SLOT_RTO, "fixed") << 3 | 0)); /* rto fixed */
  seg(b, 6, PTCP_SYN | PTCP_ACK, CF_SEQ_ABS, 500, CF_ACK_OUR_MAX, 0, O(.mss = 200));
  send_(b, 3, 5000);
  peer_data(b, 6, 150, 0);
  peer_ack(b, 6, 0);
}

static const scenario scenarios[] = {
    {"handshake-active",
     sc_handshake_active,
     {S(SYN_SENT) | S(ESTABLISHED), V(ACCEPT), 0, 0}},
    {"handshake-passive",
     sc_handshake_passive,
     {S(SYN_RECEIVED) | S(ESTABLISHED), V(ACCEPT), 0, 0}},
    {"handshake-no-options", sc_handshake_no_options, {S(ESTABLISHED), V(ACCEPT), 0, 0}},
    {"handshake-ipv6", sc_handshake_ipv6, {S(ESTABLISHED), V(ACCEPT), R(IN_ORDER), 0}},
    {"data-both-ways", sc_data_both_ways, {S(ESTABLISHED), V(ACCEPT), R(IN_ORDER), 0}},
    {"delayed-ack",
     sc_delayed_ack,
     {S(ESTABLISHED), V(ACCEPT), R(IN_ORDER), 1u << PTCP_TIMER_DELACK}},
    {"loss-retransmit",
     sc_loss_retransmit,
     {S(ESTABLISHED), V(ACCEPT), 0, 1u << PTCP_TIMER_RETRANSMIT}},
    {"fast-retransmit", sc_fast_retransmit, {S(ESTABLISHED), V(ACCEPT), 0, 0}},
    {"sack-blocks", sc_sack_blocks, {S(ESTABLISHED), V(ACCEPT), 0, 0}},
    {"out-of-order",
     sc_out_of_order,
     {S(ESTABLISHED) | S(CLOSE_WAIT), V(ACCEPT), R(OUT_OF_ORDER) | R(IN_ORDER), 0}},
    {"duplicate-data",
     sc_duplicate_data,
     {S(ESTABLISHED), V(ACK), R(DUPLICATE) | R(PARTIAL_DUPLICATE) | R(OUT_OF_WINDOW), 0}},
    {"close-active",
     sc_close_active,
     {S(FIN_WAIT_1) | S(FIN_WAIT_2) | S(TIME_WAIT) | S(CLOSED), V(ACCEPT) | V(ACK),
      R(TIME_WAIT), 1u << PTCP_TIMER_TIME_WAIT}},
    {"close-passive",
     sc_close_passive,
     {S(CLOSE_WAIT) | S(LAST_ACK) | S(CLOSED), V(ACCEPT), 0, 0}},
    {"close-simultaneous",
     sc_close_simultaneous,
     {S(FIN_WAIT_1) | S(CLOSING) | S(TIME_WAIT) | S(CLOSED), V(ACCEPT), 0, 0}},
    {"close-fin-and-ack",
     sc_close_fin_ack_together,
     {S(FIN_WAIT_1) | S(TIME_WAIT), V(ACCEPT) | V(ACK), R(TIME_WAIT), 0}},
    {"close-orphan-fin-wait-2",
     sc_close_orphan_fin_wait_2,
     {S(FIN_WAIT_1) | S(FIN_WAIT_2) | S(CLOSED), V(ACCEPT), 0,
      1u << PTCP_TIMER_FIN_WAIT_2}},
    {"close-unread-data-rst",
     sc_close_with_unread_data,
     {S(ESTABLISHED) | S(CLOSED), V(ACCEPT) | V(RST), R(LISTEN_ACK), 0}},
    {"abort", sc_abort, {S(ESTABLISHED) | S(CLOSED), V(RST), R(NO_CONNECTION), 0}},
    {"time-wait-reopen",
     sc_time_wait_reopen,
     {S(TIME_WAIT) | S(SYN_RECEIVED), V(ACCEPT) | V(DROP),
      R(TIME_WAIT_REOPEN) | R(TIME_WAIT), 0}},
    {"time-wait-syn-challenge",
     sc_time_wait_syn_challenge,
     {S(TIME_WAIT) | S(CLOSED), V(ACK), R(TIME_WAIT), 1u << PTCP_TIMER_TIME_WAIT}},
    {"rst-exact", sc_rst_exact, {S(ESTABLISHED) | S(CLOSED), V(RESET), R(RST_EXACT), 0}},
    {"rst-syn-ack-checks",
     sc_rst_in_window_challenge,
     {S(ESTABLISHED) | S(CLOSED), V(CHALLENGE) | V(DROP) | V(ACK) | V(RESET),
      R(RST_IN_WINDOW) | R(RST_OUT_OF_WINDOW) | R(SYN_SYNCHRONIZED) | R(ACK_UNSENT) |
          R(ACK_TOO_OLD) | R(RST_EXACT),
      0}},
    {"challenge-ack-limit",
     sc_challenge_ack_limit,
     {S(ESTABLISHED), V(CHALLENGE) | V(DROP), R(CHALLENGE_LIMITED), 0}},
    {"refused",
     sc_refused,
     {S(SYN_SENT) | S(CLOSED), V(RST) | V(DROP) | V(RESET), R(ACK_BAD_SYN_SENT), 0}},
    {"stray-segments",
     sc_stray_segments,
     {0, V(RST) | V(DROP), R(NO_CONNECTION) | R(LISTEN_ACK) | R(LISTEN_BAD), 0}},
    {"simultaneous-open",
     sc_simultaneous_open,
     {S(SYN_SENT) | S(SYN_RECEIVED) | S(ESTABLISHED), V(ACCEPT), 0, 0}},
    {"simultaneous-open-ack",
     sc_simultaneous_open_ack,
     {S(SYN_RECEIVED) | S(ESTABLISHED), V(ACCEPT), R(IN_ORDER), 0}},
    {"syn-retransmit-timeout",
     sc_syn_retransmit_timeout,
     {S(SYN_SENT) | S(CLOSED) | S(SYN_RECEIVED) | S(LISTEN), V(ACK), R(SYN_RETRANSMIT),
      1u << PTCP_TIMER_SYN}},
    {"syn-backlog-full",
     sc_syn_backlog_full,
     {S(SYN_RECEIVED) | S(ESTABLISHED), V(DROP), R(BACKLOG_FULL), 0}},
    {"zero-window-persist",
     sc_zero_window_persist,
     {S(ESTABLISHED), V(ACCEPT), 0, 1u << PTCP_TIMER_PERSIST}},
    {"receive-window-full",
     sc_receive_window_full,
     {S(ESTABLISHED), V(ACCEPT) | V(ACK), R(IN_ORDER), 0}},
    {"keepalive",
     sc_keepalive,
     {S(ESTABLISHED) | S(CLOSED), V(ACCEPT), 0, 1u << PTCP_TIMER_KEEPALIVE}},
    {"urgent-and-odd-flags",
     sc_urgent_and_odd_flags,
     {S(ESTABLISHED), V(ACCEPT) | V(DROP), R(NO_ACK), 0}},
    {"paws-old-timestamp", sc_paws_old_timestamp, {S(ESTABLISHED), V(ACCEPT), 0, 0}},
    {"raw-malformed", sc_raw_malformed, {S(SYN_RECEIVED), V(ACCEPT), 0, 0}},
    {"alloc-failures", sc_alloc_failures, {S(ESTABLISHED), V(ACK), R(NOMEM), 0}},
    {"setup-alloc-failure", sc_setup_alloc_failure, {0, 0, 0, 0}},
    {"no-randomness", sc_no_randomness, {0, 0, 0, 0}},
    {"listen-connect-more",
     sc_listen_connect_more,
     {S(LISTEN) | S(SYN_RECEIVED) | S(ESTABLISHED) | S(SYN_SENT), V(ACCEPT), 0, 0}},
    {"callbacks-reentrant",
     sc_callbacks_reentrant,
     {S(ESTABLISHED) | S(CLOSE_WAIT) | S(LAST_ACK) | S(CLOSED), V(ACCEPT) | V(RESET), 0,
      0}},
    {"policy-isn-counter", sc_policy_isn_counter, {S(ESTABLISHED), V(ACCEPT), 0, 0}},
    {"policy-rto-fixed",
     sc_policy_rto_fixed,
     {S(ESTABLISHED), V(ACCEPT), 0, 1u << PTCP_TIMER_RETRANSMIT}},
    {"policy-cc-none", sc_policy_cc_none, {S(ESTABLISHED), V(ACCEPT), 0, 0}},
    {"policy-rto-bounds",
     sc_policy_rto_min,
     {S(ESTABLISHED), V(ACCEPT), 0, 1u << PTCP_TIMER_RETRANSMIT}},
    {"per-connection-settings",
     sc_per_connection_settings,
     {S(SYN_SENT) | S(ESTABLISHED), V(ACCEPT), R(IN_ORDER), 0}},
};

/* ------------------------------------------------------------------ */

static int missing(const char *name, const char *what, unsigned long long want,
                   unsigned long long got) {
  if ((want & got) == want)
    return 0;
  fprintf(stderr,
          "gen-conn-corpus: %s: does not reach its %s (wanted %#llx, saw %#llx)\n", name,
          what, want, got);
  return 1;
}

int main(int argc, char **argv) {
  const char *dir;
  int check, bad = 0, rv;

  if (seed_args("gen-conn-corpus", argc, argv, &dir, &check) != 0)
    return 2;
  if (ptcp_registry_new(&reg, NULL) != 0 || ptcp_registry_add_builtins(reg) != 0) {
    fprintf(stderr, "gen-conn-corpus: cannot build the policy registry\n");
    return 2;
  }
  for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
    const scenario *sc = &scenarios[i];
    cf_buf b = {0};
    cd_summary s;
    char path[4096];

    sc->write(&b);
    if (b.oom) {
      fprintf(stderr, "gen-conn-corpus: out of memory\n");
      return 2;
    }
    /* Run it: an oracle failure aborts here, which is what we want. */
    cd_run(b.p, b.len, NULL, &s);
    bad |= missing(sc->name, "states", sc->want.states, s.states_seen);
    bad |= missing(sc->name, "verdicts", sc->want.verdicts, s.verdicts_seen);
    bad |= missing(sc->name, "reasons", sc->want.reasons, s.reasons_seen);
    bad |= missing(sc->name, "timers", sc->want.timers, s.timers_seen);
    snprintf(path, sizeof(path), "%s/%s", dir, sc->name);
    rv = seed_put("gen-conn-corpus", path, b.p, b.len, check, 0);
    if (rv == 2) {
      free(b.p);
      return 2;
    }
    bad |= rv;
    free(b.p);
  }
  return bad ? 1 : 0;
}
