/*
 * plugtcp fuzzing: the input format of the "conn" target, shared by the
 * driver that decodes it (fuzz/conn_driver.c, fuzz/conn_peer.c) and the
 * tools that write it (tools/gen-conn-corpus.c).  One place, so the two
 * cannot drift.
 *
 * An input is a fixed header followed by events until the input ends.
 * Every byte string is a valid input: short fields read as zero, every
 * selector is taken modulo its range, lengths are capped.
 *
 * Header (CF_HDR_LEN bytes):
 *   [0]  CF_H_* flags (IPv6, Nagle off, ...)
 *   [1]  callback actions (CF_CB_*)
 *   [2]  send buffer, index into cf_buf_sizes
 *   [3]  receive buffer, index into cf_buf_sizes
 *   [4]  MSS, index into cf_mss_values
 *   [5]  MSL, index into cf_msl_values
 *   [6]  low nibble: SYN retries - 1 (mod 8); high nibble: data retries - 1
 *   [7]  listener backlog - 1 (mod 4)
 *   [8]  challenge-ACK limit - 1 (mod 16)
 *   [9]  max_conns selector (4 + n mod 13)
 *   [10] start time, index into cf_start_times
 *   [11] randomness: bit 0 the rand callback fails (policies must fail
 *        closed); bits 1-7 and [12] seed the generator
 *   [12] seed
 *   [13] fail the n-th allocation of the set-up (0: none)
 *   [14 + 6k .. 19 + 6k], k = slot (isn, rto, dupfilter, close, cc):
 *        policy selector (0: the built-in default; n: registry entry
 *        n - 1 modulo the slot's count) and five parameter selectors
 *        (cf_param_value), one per declared parameter in table order.
 *
 * Events: an opcode byte (modulo CF_OP_COUNT), then its fields.  Fields
 * written "x:u16" are big-endian; "d" is a delta whose width the mode
 * byte's bits 3-4 give (CF_D_*).
 *
 *   SEG      tuple:u8 flags:u8 seqmode:u8 d ackmode:u8 d window:u16
 *            opts:u8 [mss:u16] [ws:u8] [tsmode:u8 ...] [sack ...]
 *            [urgent:u16] len:u16 [payload bytes if CF_O_DATA]
 *   RAW      mode:u8 len:u16 bytes
 *   SEND     slot:u8 len:u16            (pattern bytes)
 *   RECV     slot:u8 len:u16
 *   SHUTDOWN slot:u8
 *   CLOSE    slot:u8
 *   ABORT    slot:u8
 *   LISTEN   slot:u8 port:u8 backlog:u8 cfg
 *   CONNECT  slot:u8 target:u8 cfg
 *   ACCEPT   listener-slot:u8 slot:u8
 *   ADVANCE  mode:u8 [operand]
 *   FAIL     mode:u8 n:u8               (allocator failures)
 *
 * "cfg" is one byte: 0 for the stack's defaults, otherwise three more
 * follow: toggles (CF_H_* bits), buffers (low nibble send, high nibble
 * receive, as cf_buf_sizes indices) and a policy override (slot 1-4 in
 * the low 3 bits, registry index in the high 5).
 */
#ifndef PTCP_CONN_FORMAT_H
#define PTCP_CONN_FORMAT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

/* ------------------------------------------------------------------ */
/* Header                                                              */

#define CF_HDR_LEN 44u
#define CF_PARAMS_PER_SLOT 5u
#define CF_H_POLICY(slot) (14u + 6u * (unsigned)(slot))

/* Header byte 0 (and the toggles byte of a cfg). */
#define CF_H_V6 0x01u
#define CF_H_NO_NAGLE 0x02u
#define CF_H_NO_TS 0x04u
#define CF_H_NO_SACK 0x08u
#define CF_H_NO_WS 0x10u
#define CF_H_NO_DELACK 0x20u
#define CF_H_KEEPALIVE 0x40u

/* Header byte 1: what the callbacks do on their own (reentrancy). */
#define CF_CB_ACCEPT 0x01u   /* on_accept: accept into a free slot */
#define CF_CB_RECV 0x02u     /* on_readable: read everything */
#define CF_CB_CLOSE 0x04u    /* on_closed: close the handle */
#define CF_CB_SEND 0x08u     /* on_writable: send 512 more bytes */
#define CF_CB_SHUTDOWN 0x10u /* on_peer_fin: shut down our side */

/* Buffer sizes, small ones first so windows fill and close. */
static const uint32_t cf_buf_sizes[16] = {262144, 65536, 16384,   4096, 2048, 1460,
                                          1000,   536,   100,     48,   8,    1,
                                          8192,   32768, 1 << 20, 3000};
static const uint16_t cf_mss_values[8] = {1460, 536, 64, 1220, 9000, 100, 1000, 65495};
static const ptcp_duration cf_msl_values[8] = {
    120 * PTCP_SECONDS,     1 * PTCP_SECONDS,       30 * PTCP_SECONDS,
    10 * PTCP_MILLISECONDS, 1 * PTCP_MILLISECONDS,  60 * PTCP_SECONDS,
    3600 * PTCP_SECONDS,    500 * PTCP_MILLISECONDS};
/* 0, 1 s, 2^32 ms (the 1 ms timestamp clock wraps), 2^62 ns. */
static const ptcp_time cf_start_times[4] = {
    0, PTCP_SECONDS, (ptcp_time)4294967296ULL * PTCP_MILLISECONDS, (ptcp_time)1 << 62};

/* A parameter selector: 0 leaves the default, 1 the minimum, 2 the
 * maximum, anything else a point spread over [min, max]. */
static inline uint64_t cf_param_value(uint8_t sel, uint64_t min, uint64_t max) {
  if (sel == 1)
    return min;
  if (sel == 2 || max <= min)
    return sel == 2 ? max : min;
  return min + (max - min) / 252u * (uint64_t)(sel - 3u);
}

/* Writes to |out| the spec of policy |info| with its first |nsel|
 * parameters chosen by the selector bytes |sel| (0: the default), in
 * the syntax ptcp_policy_parse reads ("name:param=value,..."). */
static inline void cf_policy_spec(char *out, size_t cap, const ptcp_policy_info *info,
                                  const uint8_t *sel, size_t nsel) {
  size_t used = (size_t)snprintf(out, cap, "%s", info->name);
  char sep = ':';

  for (size_t i = 0; i < info->nparams && i < nsel && used < cap; i++) {
    const ptcp_param_desc *pd = &info->params[i];
    uint64_t v;
    char val[48];

    if (sel[i] == 0)
      continue;
    v = cf_param_value(sel[i], pd->min, pd->max);
    switch (pd->type) {
    case PTCP_PARAM_DURATION:
      ptcp_duration_format(val, sizeof(val), v);
      break;
    case PTCP_PARAM_BOOL:
      snprintf(val, sizeof(val), "%s", (sel[i] & 1) ? "on" : "off");
      break;
    default:
      snprintf(val, sizeof(val), "%llu", (unsigned long long)v);
      break;
    }
    used += (size_t)snprintf(out + used, cap - used, "%c%s=%s", sep, pd->name, val);
    sep = ',';
  }
}

/* ------------------------------------------------------------------ */
/* Events                                                              */

enum {
  CF_OP_SEG = 0,
  CF_OP_RAW,
  CF_OP_SEND,
  CF_OP_RECV,
  CF_OP_SHUTDOWN,
  CF_OP_CLOSE,
  CF_OP_ABORT,
  CF_OP_LISTEN,
  CF_OP_CONNECT,
  CF_OP_ACCEPT,
  CF_OP_ADVANCE,
  CF_OP_FAIL,
  CF_OP_COUNT
};

/* Tuples the scripted peer talks on.  0: the connection the set-up
 * opens (peer port 5000); 1-4: peers on ports 40001-40004 to the
 * listener on port 80; 5: port 40005 to port 81 (no listener unless the
 * input makes one); 6-7: later active opens, learned from their SYNs. */
#define CF_TUPLES 8u
#define CF_PEER_PORT_ACTIVE 5000u
#define CF_PEER_PORT_BASE 40000u
#define CF_LISTEN_PORT 80u

/* Handle slots: 0 the set-up's active connection, 1 its listener. */
#define CF_SLOTS 8u

/* Sequence and acknowledgment modes: base in bits 0-2, delta width in
 * bits 3-4, bit 5 negates the delta. */
#define CF_D_NONE 0x00u
#define CF_D_8 0x08u
#define CF_D_16 0x10u
#define CF_D_32 0x18u
#define CF_D_NEG 0x20u

/* SEQ bases: the peer's own next sequence number, the last ACK we sent
 * it (our RCV.NXT as the peer sees it), our RCV.NXT from STATUS, the
 * right edge of the window we offered, the peer's ISN, or absolute. */
enum {
  CF_SEQ_PEER_NXT = 0,
  CF_SEQ_OUR_ACK,
  CF_SEQ_RCV_NXT,
  CF_SEQ_WND_EDGE,
  CF_SEQ_PEER_ISN,
  CF_SEQ_ABS,
  CF_SEQ_BASES
};

/* ACK bases: SND.MAX as seen on the wire, SND.UNA and SND.NXT from
 * STATUS, our ISN + 1, our ISN, or absolute. */
enum {
  CF_ACK_OUR_MAX = 0,
  CF_ACK_SND_UNA,
  CF_ACK_SND_NXT,
  CF_ACK_ISS1,
  CF_ACK_ISS,
  CF_ACK_ABS,
  CF_ACK_BASES
};

/* SEG option byte. */
#define CF_O_MSS 0x01u
#define CF_O_WS 0x02u
#define CF_O_SACK_PERM 0x04u
#define CF_O_TS 0x08u
#define CF_O_SACK 0x10u
#define CF_O_URG 0x20u
#define CF_O_DATA 0x40u   /* payload from the input, not the pattern */
#define CF_O_BADSUM 0x80u /* flip a checksum bit */

/* TS mode byte: TSval in bits 0-1, TSecr in bits 2-3. */
enum { CF_TSV_CLOCK = 0, CF_TSV_ABS, CF_TSV_OLD, CF_TSV_ZERO };
enum { CF_TSE_ECHO = 0, CF_TSE_ABS, CF_TSE_ZERO, CF_TSE_OLD };

/* RAW mode byte: how the bytes go in (bits 0-1), and whether the ports
 * are patched to a tuple (bit 2, tuple in bits 3-5). */
enum {
  CF_RAW_TCP_FIXSUM = 0, /* TCP bytes, checksum made valid, in an IP packet */
  CF_RAW_TCP_NOSUM,      /* TCP bytes, ptcp_stack_input_segment without checking */
  CF_RAW_IP,             /* the bytes are the whole IP packet */
  CF_RAW_TCP_ASIS        /* TCP bytes as they are, checksum checked */
};
#define CF_RAW_PORTS 0x04u

/* ADVANCE modes. */
enum {
  CF_ADV_MS8 = 0,  /* operand u8 milliseconds */
  CF_ADV_MS16,     /* operand u16 milliseconds */
  CF_ADV_DEADLINE, /* to the stack's next deadline */
  CF_ADV_BEFORE,   /* to 1 ns before it */
  CF_ADV_SEC16,    /* operand u16 seconds */
  CF_ADV_MODES
};

/* FAIL modes. */
enum {
  CF_FAIL_NTH = 0, /* fail the n-th allocation from now (n >= 1) */
  CF_FAIL_EVENT,   /* fail every allocation of the next event */
  CF_FAIL_EVENTS,  /* fail every allocation for the next n events */
  CF_FAIL_OFF,
  CF_FAIL_MODES
};

/* CONNECT target byte: peer port in bits 0-1 (5000, 5001, 5002, 80),
 * bit 2 binds a fixed local port first, bit 3 aims at a multicast
 * address (refused), bit 4 binds the local address explicitly. */
#define CF_CONN_BIND_PORT 0x04u
#define CF_CONN_BAD_ADDR 0x08u
#define CF_CONN_BIND_ADDR 0x10u

/* LISTEN port byte selects one of these. */
static const uint16_t cf_listen_ports[4] = {80, 81, 8080, 0};

/* Most bytes one SEG carries, and most bytes of one SEND or RECV. */
#define CF_SEG_MAX 16384u
#define CF_RAW_MAX 2048u
#define CF_USER_MAX 65536u

/* ------------------------------------------------------------------ */
/* Patterns: every byte the peer sends and every byte we send is a     */
/* function of its position, so whatever arrives can be checked.       */

/* The peer's byte at absolute sequence number |seq|. */
static inline uint8_t cf_peer_byte(uint32_t seq) {
  return (uint8_t)((seq * 0x9E3779B1u) >> 24);
}

/* Our byte at stream offset |off| (0 = the first byte after the SYN). */
static inline uint8_t cf_local_byte(uint32_t off) {
  return (uint8_t)(((off * 0x85EBCA77u) >> 24) ^ 0x5au);
}

/* ------------------------------------------------------------------ */
/* Writing inputs (for tools that record sessions)                     */

typedef struct cf_buf {
  uint8_t *p;
  size_t len, cap;
  int oom;
} cf_buf;

static inline void cf_put(cf_buf *b, const void *src, size_t n) {
  /* An empty put may come with a NULL |src|, which memcpy must not see
   * even for 0 bytes (C11 7.24.1). */
  if (b->oom || n == 0)
    return;
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    uint8_t *np;
    while (cap < b->len + n)
      cap *= 2;
    np = (uint8_t *)realloc(b->p, cap);
    if (np == NULL) {
      b->oom = 1;
      return;
    }
    b->p = np;
    b->cap = cap;
  }
  memcpy(b->p + b->len, src, n);
  b->len += n;
}

static inline void cf_u8(cf_buf *b, uint8_t v) { cf_put(b, &v, 1); }

static inline void cf_u16(cf_buf *b, uint16_t v) {
  uint8_t x[2] = {(uint8_t)(v >> 8), (uint8_t)v};
  cf_put(b, x, 2);
}

static inline void cf_u32(cf_buf *b, uint32_t v) {
  uint8_t x[4] = {(uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v};
  cf_put(b, x, 4);
}

/* A mode byte and its delta, in the narrowest width that holds |d|. */
static inline void cf_rel(cf_buf *b, unsigned base, int64_t d) {
  uint8_t neg = d < 0 ? CF_D_NEG : 0;
  uint64_t m = d < 0 ? (uint64_t)(-d) : (uint64_t)d;

  if (m == 0) {
    cf_u8(b, (uint8_t)base);
  } else if (m <= 0xff) {
    cf_u8(b, (uint8_t)(base | CF_D_8 | neg));
    cf_u8(b, (uint8_t)m);
  } else if (m <= 0xffff) {
    cf_u8(b, (uint8_t)(base | CF_D_16 | neg));
    cf_u16(b, (uint16_t)m);
  } else {
    cf_u8(b, (uint8_t)(base | CF_D_32 | neg));
    cf_u32(b, (uint32_t)m);
  }
}

#endif /* PTCP_CONN_FORMAT_H */
