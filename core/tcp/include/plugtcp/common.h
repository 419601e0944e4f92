/*
 * plugtcp: common types shared by every part of the public API.
 *
 * The core is sans-IO: the caller owns time, memory and randomness, and
 * hands them in.  This header defines how: one time type in nanoseconds,
 * an allocator struct, a randomness callback, addresses, and the error
 * codes every function returns.
 */
#ifndef PLUGTCP_COMMON_H
#define PLUGTCP_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Time                                                                */

/**
 * ptcp_time is an absolute point in time and ptcp_duration a length of
 * time, both in nanoseconds.  The epoch is the caller's: only
 * differences matter to the core.
 */
typedef uint64_t ptcp_time;
typedef uint64_t ptcp_duration;

/** "Not set": a deadline that is not armed, a sample that does not exist. */
#define PTCP_TIME_NONE UINT64_MAX

#define PTCP_NANOSECONDS ((ptcp_duration)1ULL)
#define PTCP_MICROSECONDS ((ptcp_duration)1000ULL)
#define PTCP_MILLISECONDS ((ptcp_duration)1000000ULL)
#define PTCP_SECONDS ((ptcp_duration)1000000000ULL)

/**
 * ptcp_time_add returns |t| + |d|, saturating just below PTCP_TIME_NONE
 * so that a far deadline never wraps into the past or becomes "unset".
 */
static inline ptcp_time ptcp_time_add(ptcp_time t, ptcp_duration d) {
  if (t == PTCP_TIME_NONE || d >= PTCP_TIME_NONE - 1 - t)
    return PTCP_TIME_NONE - 1;
  return t + d;
}

/** ptcp_time_min returns the earlier of two deadlines; NONE loses. */
static inline ptcp_time ptcp_time_min(ptcp_time a, ptcp_time b) {
  return a < b ? a : b;
}

/** A signed byte count or a negative PTCP_ERR_* code. */
typedef ptrdiff_t ptcp_ssize;

/* ------------------------------------------------------------------ */
/* Errors                                                              */

/*
 * Every function that can fail returns 0 (or a length) on success and one
 * of these negative codes on failure.  Codes below PTCP_ERR_FATAL mean the
 * object that returned them can no longer be used safely.
 *
 * Protocol outcomes (a dropped duplicate, a challenge ACK, a RST) are not
 * errors: they are verdicts with a reason (see stack.h).
 */

/* Segment codec, -100 .. -149. */
#define PTCP_ERR_TRUNCATED (-101)    /* shorter than the fixed 20-byte header */
#define PTCP_ERR_DATA_OFFSET (-102)  /* data offset < 5 or beyond the segment */
#define PTCP_ERR_OPT_LEN (-103)      /* option length byte is 0 or 1 */
#define PTCP_ERR_OPT_OVERRUN (-104)  /* option runs past the end of the header */
#define PTCP_ERR_OPT_SIZE (-105)     /* wrong length for the option's kind */
#define PTCP_ERR_OPT_DUP (-106)      /* the same option kind appears twice */
#define PTCP_ERR_CHECKSUM (-107)     /* TCP checksum does not verify */
#define PTCP_ERR_OPT_SPACE (-108)    /* options do not fit in 40 bytes */
#define PTCP_ERR_NOBUF (-109)        /* output buffer too small */

/* IP framing, -150 .. -199. */
#define PTCP_ERR_IP_TRUNCATED (-150) /* shorter than the fixed IP header */
#define PTCP_ERR_IP_VERSION (-151)   /* neither IPv4 nor IPv6 */
#define PTCP_ERR_IP_HDR_LEN (-152)   /* IPv4 IHL < 5 or beyond the packet */
#define PTCP_ERR_IP_TOTAL_LEN (-153) /* total/payload length inconsistent */
#define PTCP_ERR_IP_CHECKSUM (-154)  /* IPv4 header checksum does not verify */
#define PTCP_ERR_IP_FRAGMENT (-155)  /* a fragment: reassembly is not ours */
#define PTCP_ERR_IP_PROTO (-156)     /* the payload is not TCP */
#define PTCP_ERR_IP_EXT_HDR (-157)   /* malformed IPv6 extension header chain */

/* API and protocol, -200 .. -499. */
#define PTCP_ERR_INVALID_ARGUMENT (-201)
#define PTCP_ERR_STATE (-202)          /* not valid in the current state */
#define PTCP_ERR_WOULD_BLOCK (-203)    /* nothing to do now; try later */
#define PTCP_ERR_ADDR_IN_USE (-204)    /* local address and port taken */
#define PTCP_ERR_CONN_REFUSED (-205)   /* peer answered the SYN with RST */
#define PTCP_ERR_CONN_RESET (-206)     /* peer reset the connection */
#define PTCP_ERR_TIMED_OUT (-207)      /* retransmission limit reached */
#define PTCP_ERR_NOT_CONNECTED (-208)  /* no connection yet */
#define PTCP_ERR_CLOSED (-209)         /* sending side already shut down */
#define PTCP_ERR_EXISTS (-210)         /* name or object already present */
#define PTCP_ERR_NOT_FOUND (-211)      /* no such name or object */
#define PTCP_ERR_OPS_INCOMPLETE (-212) /* policy ops miss a required hook */
#define PTCP_ERR_ABI (-213)            /* plugin built for another ABI */
#define PTCP_ERR_ADDR_NOT_AVAIL (-214) /* no ephemeral port or bad address */
#define PTCP_ERR_LIMIT (-215)          /* a configured bound was reached */
#define PTCP_ERR_ABORTED (-216)        /* connection aborted locally */
#define PTCP_ERR_POLICY (-217)         /* a policy refused to initialise */
#define PTCP_ERR_ALREADY (-218)        /* operation already in progress */
#define PTCP_ERR_PLUGIN (-219)         /* not a usable plugin (plugtcp/plugin.h) */

/* -490 .. -499 are reserved for libplugsim (see plugsim/common.h). */

/* Fatal, below -500. */
#define PTCP_ERR_FATAL (-500)
#define PTCP_ERR_NOMEM (-501)
#define PTCP_ERR_CALLBACK_FAILURE (-502)

/**
 * ptcp_strerror returns a static, human-readable description of |err|,
 * or "unknown error" for a value that is not a PTCP_ERR_* code.
 */
const char *ptcp_strerror(int err);

/**
 * ptcp_err_name returns the symbolic name of |err| without the
 * PTCP_ERR_ prefix ("TRUNCATED"), or "UNKNOWN".
 */
const char *ptcp_err_name(int err);

/** ptcp_err_is_fatal returns nonzero when |err| < PTCP_ERR_FATAL. */
int ptcp_err_is_fatal(int err);

/* ------------------------------------------------------------------ */
/* Memory                                                              */

/**
 * A caller-supplied allocator.  Every allocation the library makes goes
 * through one of these; |user_data| is passed back on every call.  All
 * four functions are required.
 */
typedef struct ptcp_mem {
  void *user_data;
  void *(*malloc)(size_t size, void *user_data);
  void (*free)(void *ptr, void *user_data);
  void *(*calloc)(size_t nmemb, size_t size, void *user_data);
  void *(*realloc)(void *ptr, size_t size, void *user_data);
} ptcp_mem;

/** ptcp_mem_default returns an allocator backed by libc. */
const ptcp_mem *ptcp_mem_default(void);

/* ------------------------------------------------------------------ */
/* Randomness                                                          */

/**
 * Fills |len| bytes at |dest| with random bytes.  Returns 0, or nonzero
 * when no randomness is available (which makes the caller fail closed).
 * A real deployment passes the OS CSPRNG; a simulation a seeded stream.
 */
typedef int (*ptcp_rand_fn)(void *ctx, uint8_t *dest, size_t len);

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

#define PTCP_AF_INET 4
#define PTCP_AF_INET6 6

/** An IPv4 or IPv6 address in network byte order.  IPv4 uses bytes[0..3]. */
typedef struct ptcp_addr {
  uint8_t family; /* PTCP_AF_INET or PTCP_AF_INET6 */
  uint8_t bytes[16];
} ptcp_addr;

/** ptcp_addr_v4 returns the IPv4 address a.b.c.d. */
static inline ptcp_addr ptcp_addr_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d) {
  ptcp_addr r = {PTCP_AF_INET, {a, b, c, d}};
  return r;
}

/** ptcp_addr_equal returns nonzero when both addresses are the same. */
int ptcp_addr_equal(const ptcp_addr *a, const ptcp_addr *b);

/**
 * ptcp_addr_parse reads a dotted-quad IPv4 or a textual IPv6 address.
 * Returns 0, or PTCP_ERR_INVALID_ARGUMENT.
 */
int ptcp_addr_parse(ptcp_addr *out, const char *text);

/**
 * ptcp_addr_format writes |a| as text into |buf| (at least 46 bytes for
 * any address) and returns |buf|.
 */
const char *ptcp_addr_format(const ptcp_addr *a, char *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif /* PLUGTCP_COMMON_H */
