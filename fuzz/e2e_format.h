/*
 * plugtcp fuzzing: the input format of the "e2e" target, shared by the
 * driver that decodes it (fuzz/e2e_driver.c) and the tool that records
 * simulator scenarios as inputs (tools/gen-e2e-corpus.c).
 *
 * Two simulated hosts, A ("client", 10.0.0.1) and B ("server",
 * 10.0.0.2), each a libplugsim node with its own stack, joined by one
 * point-to-point link ("link0").  The input chooses the settings, the
 * applications, the user calls made on sockets of either host, and the
 * fate of every packet the link carries.  Every byte string is a valid
 * input: short fields read as zero, selectors are taken modulo their
 * range, sizes are capped.
 *
 * Header (EF_HDR_LEN bytes):
 *   [0]      EF_H_* flags: stack toggles; bits 6 and 7 both set
 *            (EF_H_TWICE): run the input twice and compare the runs'
 *            digests
 *   [1]      program (EF_PROG_*, modulo EF_PROG_COUNT): the
 *            applications libplugsim runs by themselves
 *   [2..3]   run seed (u16): pattern, ISN secrets, ports, TS offsets
 *   [4]      link: rate index (low nibble, ef_rates), propagation delay
 *            index (high nibble, ef_delays)
 *   [5]      drop-tail queue limit index (ef_queues)
 *   [6]      MSS index (ef_mss)
 *   [7]      A's buffers: send (low nibble), receive (high nibble),
 *            indices into ef_bufs
 *   [8]      B's buffers, likewise
 *   [9]      MSL index (ef_msl)
 *   [10]     SYN retries (low nibble) and data retries (high nibble);
 *            0 keeps the stack's default
 *   [11 + 3k .. 13 + 3k], k = slot (isn, rto, dupfilter, close, cc):
 *            policy selector (0: the built-in default; n: registry
 *            entry n - 1 modulo the slot's count) and two parameter
 *            selectors (cf_param_value), one per declared parameter
 *   [26..29] program bytes (u32, see ef_bytes: most random values are
 *            small, so that most runs are quick)
 *   [30..31] program time 1 (u16 ms): bulk send_at
 *   [32..33] program time 2 (u16 ms): bulk shutdown delay
 *   [34..35] program time 3 (u16 ms): sink read_from; reqresp request
 *            size in bytes (0: 100; at most EF_REQUEST_MAX; all requests
 *            and responses together at most EF_BYTES_MAX)
 *   [36]     program flags (EF_P_*)
 *   [37]     reqresp: connections - 1 (low nibble), rounds - 1 (high)
 *
 * Records follow until the input ends: an opcode byte (low 4 bits,
 * modulo EF_OP_COUNT; bit 4 the host or direction, bits 5-6 the socket
 * slot, bit 7 a variant), then its fields ("x:u16" is big-endian):
 *
 *   WAIT     v:u8        the input's clock moves v units (bits 4-6 pick
 *                        the unit, ef_wait_units); later records happen
 *                        then
 *   FATES    n:u8 fate.. n + 1 fates for the packets the direction
 *                        (bit 4: 0 A -> B, 1 B -> A) sends next
 *   CONNECT  port:u8     socket(), optionally bind(), connect() to the
 *                        other host (EF_C_* bits)
 *   LISTEN   port:u8     socket(), bind(), listen() (port index in bits
 *                        0-1, backlog - 1 in bits 2-4)
 *   ACCEPT   from:u8     accept() on the listener in slot |from| mod 4
 *   SEND     len:u16     send() that many pattern bytes
 *   RECV     len:u16     recv() up to that many bytes
 *   SHUTDOWN how:u8      shutdown(how mod 3); on an empty slot, the next
 *                        connection there shuts down (WR) as soon as it
 *                        is connected or accepted
 *   CLOSE                close(); with the variant bit, abort
 *   AUTO     flags:u8 tx:u16 rx:u16
 *                        what the slot's socket does by itself from its
 *                        callbacks (EF_A_*): read everything, send until
 *                        |tx| bytes, shut down once |tx| are sent and
 *                        |rx| read, accept connections into free slots
 *
 * Time: records are laid on a timeline by the WAITs before them, and
 * each call is a scheduler event at its time, scheduled at set-up in
 * input order.  The input's phase ends at the last record's time
 * (EF_INPUT_TIME_MAX at most); until then each packet that starts
 * transmission takes the next fate of its direction (none left:
 * delivered as sent), and after it the link is perfect.
 *
 * Fate bytes: kind in bits 0-2, parameter p in bits 3-7:
 *   DELIVER  the next p + 1 packets go through untouched
 *   DROP     the next p + 1 packets are lost
 *   DUP      the next p + 1 packets are duplicated
 *   DELAY    this packet takes longer: ef_delay_value(p); p = 30: a
 *            u16 of milliseconds follows, p = 31: a u32 of microseconds
 *            (capped at EF_DELAY_MAX); p = 29: a u16 of milliseconds,
 *            and an intact copy arrives with it
 *   REORDER  this packet takes (p + 1) half one-way delays longer, so
 *            the ones after it overtake it
 *   CORRUPT  bit (p << 8 | next byte) of this packet is flipped
 *   CORDUP   as CORRUPT, and an intact copy follows it
 *   PAUSE    the next (p + 1) * 32 packets go through untouched
 */
#ifndef PTCP_E2E_FORMAT_H
#define PTCP_E2E_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include <plugtcp/plugtcp.h>

#include "conn_format.h"

/* ------------------------------------------------------------------ */
/* Header                                                              */

#define EF_HDR_LEN 38u
#define EF_PARAMS_PER_SLOT 2u
#define EF_H_POLICY(slot) (11u + 3u * (unsigned)(slot))
#define EF_H_BYTES 26u
#define EF_H_T1 30u
#define EF_H_T2 32u
#define EF_H_T3 34u
#define EF_H_PFLAGS 36u
#define EF_H_COUNT 37u

/* Header byte 0. */
#define EF_H_NO_NAGLE 0x01u
#define EF_H_NO_TS 0x02u
#define EF_H_NO_SACK 0x04u
#define EF_H_NO_WS 0x08u
#define EF_H_NO_DELACK 0x10u
#define EF_H_KEEPALIVE 0x20u
#define EF_H_TWICE 0xc0u /* both bits: a quarter of random inputs */

/* Programs: the libplugsim applications the run starts by itself (user
 * calls from the records come on top, on ports the applications do not
 * use). */
enum {
  EF_PROG_USER = 0, /* none: only user calls */
  EF_PROG_BULK,     /* psim_sink on B port 80 (unless EF_P_NO_SINK), psim_bulk on A */
  EF_PROG_ECHO,     /* psim_echo_server on B port 7, psim_echo_client on A */
  EF_PROG_REQRESP,  /* psim_reqresp_server on B port 80, psim_many on A */
  EF_PROG_COUNT
};

/* Program flags (header byte 36). */
#define EF_P_CLOSE_AT_END 0x01u /* bulk: release the socket at TIME-WAIT or CLOSED */
#define EF_P_BIND_PORT 0x02u    /* bulk: connect from a socket bound to EF_BIND_PORT */
#define EF_P_NO_SINK 0x04u      /* bulk: nobody listens (connection refused) */
#define EF_P_ABORT 0x08u        /* sink: abort after a quarter of the bytes */
#define EF_P_HALF_CLOSE 0x10u   /* echo: the client shuts down after sending */
#define EF_P_HOLD 0x20u         /* reqresp: connections wait for the last one */

#define EF_APP_PORT 80u
#define EF_ECHO_PORT 7u
#define EF_BIND_PORT 40000u
/* What libplugsim's scenarios use: a base 64 KiB into the pattern for
 * the direction from B to A, and 100-byte requests. */
#define EF_BASE_B 65536u
#define EF_REQUEST_DEFAULT 100u
#define EF_REQUEST_MAX 4096u
/* Sockets after the first on a host start this far apart in the pattern. */
#define EF_BASE_STRIDE 7919u

/* Largest program size. */
#define EF_BYTES_MAX 131072u

/* The program size a u32 field gives: the top nibble k picks a ceiling
 * of 16 << k bytes (EF_BYTES_MAX at most), the rest is taken modulo one
 * more than it. */
static inline uint64_t ef_bytes(uint32_t v) {
  uint64_t ceil = (uint64_t)16u << (v >> 28);

  if (ceil > EF_BYTES_MAX)
    ceil = EF_BYTES_MAX;
  return (v & 0x0fffffffu) % (ceil + 1u);
}

/* The field that gives |n| (at most EF_BYTES_MAX) bytes. */
static inline uint32_t ef_bytes_field(uint64_t n) {
  uint32_t k = 0;

  while (((uint64_t)16u << k) < n)
    k++;
  return k << 28 | (uint32_t)n;
}

static const uint64_t ef_rates[8] = {100000000u,  10000000u, 1000000u,  0,
                                     1000000000u, 2000000u,  50000000u, 512000u};
static const ptcp_duration ef_delays[8] = {
    10 * PTCP_MILLISECONDS, 1 * PTCP_MILLISECONDS,   100 * PTCP_MILLISECONDS,
    50 * PTCP_MICROSECONDS, 300 * PTCP_MILLISECONDS, 25 * PTCP_MILLISECONDS,
    1 * PTCP_MICROSECONDS,  2 * PTCP_SECONDS};
static const uint32_t ef_queues[4] = {100, 10, 3, 1000};
static const uint16_t ef_mss[8] = {1460, 536, 100, 1220, 9000, 64, 1000, 4000};
/* Buffers: the stack's default first, then small ones so windows close. */
static const uint32_t ef_bufs[16] = {262144, 65536, 16384, 4096,  2048, 1460,  1000, 536,
                                     100,    48,    8192,  32768, 3000, 20000, 1024, 300};
static const ptcp_duration ef_msl[8] = {
    120 * PTCP_SECONDS,      1 * PTCP_SECONDS,  30 * PTCP_SECONDS, 10 * PTCP_MILLISECONDS,
    500 * PTCP_MILLISECONDS, 60 * PTCP_SECONDS, 5 * PTCP_SECONDS,  1 * PTCP_MILLISECONDS};

/* ------------------------------------------------------------------ */
/* Records                                                             */

enum {
  EF_OP_WAIT = 0,
  EF_OP_FATES,
  EF_OP_CONNECT,
  EF_OP_LISTEN,
  EF_OP_ACCEPT,
  EF_OP_SEND,
  EF_OP_RECV,
  EF_OP_SHUTDOWN,
  EF_OP_CLOSE,
  EF_OP_AUTO,
  EF_OP_COUNT
};

#define EF_OP_SIDE 0x10u
#define EF_OP_SLOT_SHIFT 5
#define EF_OP_VARIANT 0x80u
#define EF_SLOTS 4u

/* WAIT units, picked by bits 4-6 of the opcode byte. */
static const ptcp_duration ef_wait_units[8] = {
    PTCP_MILLISECONDS,       10 * PTCP_MILLISECONDS,
    100 * PTCP_MILLISECONDS, PTCP_SECONDS,
    10 * PTCP_SECONDS,       PTCP_MICROSECONDS,
    100 * PTCP_MICROSECONDS, 60 * PTCP_SECONDS};

/* The input's phase lasts at most this long. */
#define EF_INPUT_TIME_MAX (10 * 60 * PTCP_SECONDS)

/* Ports user sockets bind, listen on and connect to. */
static const uint16_t ef_ports[4] = {5000, 6000, 80, 5001};

/* CONNECT port byte: target port index in bits 0-1; bit 2 binds the
 * local port of index bits 3-4 first. */
#define EF_C_BIND 0x04u

/* AUTO flags. */
#define EF_A_READ 0x01u   /* on_readable: read everything */
#define EF_A_PUMP 0x02u   /* send pattern bytes until tx are queued */
#define EF_A_SHUT 0x04u   /* shut down once tx are sent and rx read */
#define EF_A_ACCEPT 0x08u /* a listener accepts into free slots */

/* Most bytes one SEND or RECV moves. */
#define EF_USER_MAX 65535u

/* ------------------------------------------------------------------ */
/* Fates                                                               */

enum {
  EF_F_DELIVER = 0,
  EF_F_DROP,
  EF_F_DUP,
  EF_F_DELAY,
  EF_F_REORDER,
  EF_F_CORRUPT,
  EF_F_CORDUP,
  EF_F_PAUSE,
};

#define EF_FATE(kind, p) ((uint8_t)((kind) | ((p) << 3)))
#define EF_DELAY_DUP_MS16 29u
#define EF_DELAY_MS16 30u
#define EF_DELAY_US32 31u
#define EF_DELAY_MAX (120 * PTCP_SECONDS)
#define EF_PAUSE_UNIT 32u

/* DELAY's p below 29: (1 + p % 5) * 10^(p / 5) microseconds, 1 us to 5 s. */
static inline ptcp_duration ef_delay_value(unsigned p) {
  ptcp_duration unit = PTCP_MICROSECONDS;

  for (unsigned i = 0; i < p / 5u; i++)
    unit *= 10u;
  return (ptcp_duration)(1u + p % 5u) * unit;
}

#endif /* PTCP_E2E_FORMAT_H */
