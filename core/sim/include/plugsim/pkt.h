/*
 * plugsim: packets and the packet pool.
 *
 * A packet is one IP packet in a fixed-size buffer taken from a pool.
 * Buffers are created on demand, a chunk at a time, up to the pool's
 * limit, and recycled through a free list forever after: once a
 * simulation has reached its peak number of packets in flight it never
 * allocates again.  The limit bounds the memory a runaway simulation can
 * take (a sender that never stops, a queue that never drains).
 *
 * Ownership is single and explicit: whoever holds a psim_pkt * owns it
 * and must pass it on (to a link, to a node) or psim_pkt_free it.  There
 * is no reference count; psim_pkt_dup makes an independent copy from the
 * same pool (a link duplicating a packet, a tap keeping one).
 */
#ifndef PLUGSIM_PKT_H
#define PLUGSIM_PKT_H

#include <plugsim/common.h>
#include <plugsim/sched.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Default buffer size: an MTU-1500 packet plus generous headroom. */
#define PSIM_PKT_BUF_DEFAULT 2048u
/** Default bound on the number of packets that exist at once. */
#define PSIM_POOL_LIMIT_DEFAULT 16384u

typedef struct psim_pool psim_pool;

/**
 * A packet.  |data| and |len| are the packet; the buffer around them is
 * the pool's.  The "owner" fields belong to whoever holds the packet at
 * the moment (a link uses them while the packet is queued or in flight);
 * they are not preserved across owners, and psim_pkt_alloc and
 * psim_pkt_dup hand them out zeroed.
 */
typedef struct psim_pkt {
  uint8_t *data; /* first byte of the packet */
  size_t len;    /* packet length in bytes */

  /* Owner's scratch. */
  struct psim_pkt *next;
  struct psim_pkt *prev;
  psim_event ev;
  ptcp_time at;
  uint64_t tag;
  uint32_t flags;

  /* Private to the pool. */
  uint32_t state;
  psim_pool *pool;
  uint8_t *buf;
} psim_pkt;

/** Pool configuration.  A zeroed struct gives the defaults. */
typedef struct psim_pool_cfg {
  size_t buf_size; /* bytes per buffer; 0: PSIM_PKT_BUF_DEFAULT */
  size_t headroom; /* bytes kept free in front of a new packet's data */
  size_t limit;    /* most packets alive at once; 0: PSIM_POOL_LIMIT_DEFAULT */
  size_t prealloc; /* buffers to create up front (whole chunks of 32, within limit) */
} psim_pool_cfg;

/** Pool counters. */
typedef struct psim_pool_stats {
  uint64_t allocs;    /* packets handed out (alloc, copy-in and dup) */
  uint64_t frees;     /* packets returned */
  uint64_t dups;      /* of |allocs|, made by psim_pkt_dup */
  uint64_t exhausted; /* allocations refused: |limit| packets alive */
  uint64_t too_large; /* allocations refused: longer than the buffer */
  uint64_t nomem;     /* allocations refused: the allocator failed */
  uint64_t bad_frees; /* psim_pkt_free of a packet that was not live */
  size_t in_use;      /* packets alive now */
  size_t peak_in_use; /* most packets alive at once so far */
  size_t buffers;     /* buffers created (alive + on the free list) */
} psim_pool_stats;

/**
 * psim_pool_new creates a pool.  |cfg| may be NULL for the defaults;
 * |mem| may be NULL for ptcp_mem_default() and must outlive the pool.
 * Returns 0, or one of the following negative error codes:
 *   PTCP_ERR_INVALID_ARGUMENT  |ppool| is NULL, |headroom| leaves no
 *                              room for a 20-byte IPv4 header, or
 *                              |prealloc| exceeds |limit|;
 *   PTCP_ERR_NOMEM             out of memory (also for |prealloc|).
 */
int psim_pool_new(psim_pool **ppool, const ptcp_mem *mem, const psim_pool_cfg *cfg);

/**
 * psim_pool_del frees the pool and every buffer it created, including
 * those of packets still held: delete the pool last.  NULL is a no-op.
 */
void psim_pool_del(psim_pool *pool);

/** psim_pool_max_len returns the longest packet a buffer holds. */
size_t psim_pool_max_len(const psim_pool *pool);

/** psim_pool_stats returns the pool's counters. */
const psim_pool_stats *psim_pool_get_stats(const psim_pool *pool);

/**
 * psim_pkt_alloc takes a packet of |len| bytes (contents unspecified)
 * with the configured headroom in front and stores it in |*out|.
 * Returns 0, or one of the following negative error codes (with |*out|
 * set to NULL):
 *   PTCP_ERR_INVALID_ARGUMENT  |pool| or |out| is NULL;
 *   PTCP_ERR_NOBUF             |len| exceeds psim_pool_max_len();
 *   PTCP_ERR_LIMIT             |limit| packets are alive already;
 *   PTCP_ERR_NOMEM             a new chunk of buffers could not be made.
 */
int psim_pkt_alloc(psim_pool *pool, size_t len, psim_pkt **out);

/** psim_pkt_copy_in is psim_pkt_alloc followed by a copy of |len| bytes at |data|. */
int psim_pkt_copy_in(psim_pool *pool, const uint8_t *data, size_t len, psim_pkt **out);

/**
 * psim_pkt_dup copies |pkt| (its bytes and headroom, not its owner
 * fields) into a new packet from the same pool.  Errors as
 * psim_pkt_alloc.
 */
int psim_pkt_dup(const psim_pkt *pkt, psim_pkt **out);

/**
 * psim_pkt_free returns |pkt| to its pool.  NULL is a no-op.  Freeing a
 * packet that is not live is a bug in the caller: debug builds abort
 * (assert), others count it in bad_frees and ignore it.
 */
void psim_pkt_free(psim_pkt *pkt);

/** psim_pkt_headroom returns the free bytes in front of the data. */
size_t psim_pkt_headroom(const psim_pkt *pkt);

/** psim_pkt_tailroom returns the free bytes after the data. */
size_t psim_pkt_tailroom(const psim_pkt *pkt);

/**
 * psim_pkt_push grows the packet by |n| bytes at the front (to prepend a
 * header) and returns the new data pointer, or NULL, leaving the packet
 * unchanged, when the headroom is shorter than |n|.
 */
uint8_t *psim_pkt_push(psim_pkt *pkt, size_t n);

/**
 * psim_pkt_pull removes |n| bytes from the front (to strip a header)
 * and returns the new data pointer, or NULL when the packet is shorter
 * than |n|.
 */
uint8_t *psim_pkt_pull(psim_pkt *pkt, size_t n);

/**
 * psim_pkt_set_len sets the length to |len|, shrinking or growing at the
 * tail (new bytes are unspecified).  Returns 0, or PTCP_ERR_NOBUF when
 * the buffer cannot hold |len| bytes after the current data pointer.
 */
int psim_pkt_set_len(psim_pkt *pkt, size_t len);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_PKT_H */
