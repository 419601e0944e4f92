/*
 * plugsim: the packet pool.  Buffers are carved from chunks allocated
 * through ptcp_mem, recycled LIFO through a free list (the most recently
 * freed buffer is the one most likely still in cache), and all released
 * with the pool.
 */
#include <assert.h>
#include <stdint.h>
#include <string.h>

#include <plugsim/pkt.h>

enum {
  /* Buffers per chunk: few enough that a small simulation does not
   * over-allocate, many enough that growing is rare. */
  CHUNK_PKTS = 32,
  /* The shortest packet a pool must be able to hold: an IPv4 header. */
  MIN_PACKET = 20,
  /* Buffer slots are rounded to this so every psim_pkt is aligned for
   * any member type. */
  SLOT_ALIGN = 16,
};

/* Distinct, unlikely values, so that freeing a stray pointer or a packet
 * twice is recognised. */
#define STATE_FREE 0x46524545u /* "FREE" */
#define STATE_LIVE 0x4c495645u /* "LIVE" */

typedef struct chunk {
  struct chunk *next;
  size_t npkts;
  /* Followed by npkts slots of slot_size bytes. */
} chunk;

struct psim_pool {
  const ptcp_mem *mem;
  size_t buf_size;
  size_t headroom;
  size_t limit;
  size_t slot_size;  /* psim_pkt + buffer, rounded to SLOT_ALIGN */
  size_t chunk_head; /* the chunk header, rounded to SLOT_ALIGN */
  chunk *chunks;
  psim_pkt *free_list;
  psim_pool_stats stats;
};

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

/* Creates a chunk of up to CHUNK_PKTS buffers, within the limit, and puts
 * them on the free list. */
static int add_chunk(psim_pool *p) {
  size_t n = p->limit - p->stats.buffers;
  uint8_t *base;
  chunk *c;

  if (n > CHUNK_PKTS)
    n = CHUNK_PKTS;
  c = p->mem->malloc(p->chunk_head + n * p->slot_size, p->mem->user_data);
  if (c == NULL)
    return PTCP_ERR_NOMEM;
  c->next = p->chunks;
  c->npkts = n;
  p->chunks = c;
  base = (uint8_t *)c + p->chunk_head;
  /* Push in reverse so that the free list hands out buffers in address
   * order: friendlier to the cache and easier to read in a debugger. */
  for (size_t i = n; i-- > 0;) {
    psim_pkt *pkt = (psim_pkt *)(void *)(base + i * p->slot_size);

    memset(pkt, 0, sizeof(*pkt));
    pkt->pool = p;
    pkt->buf = (uint8_t *)(pkt + 1);
    pkt->state = STATE_FREE;
    pkt->next = p->free_list;
    p->free_list = pkt;
  }
  p->stats.buffers += n;
  return 0;
}

int psim_pool_new(psim_pool **ppool, const ptcp_mem *mem, const psim_pool_cfg *cfg) {
  static const psim_pool_cfg defaults = {0};
  psim_pool *p;

  if (ppool == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *ppool = NULL;
  if (cfg == NULL)
    cfg = &defaults;
  if (mem == NULL)
    mem = ptcp_mem_default();
  p = mem->calloc(1, sizeof(*p), mem->user_data);
  if (p == NULL)
    return PTCP_ERR_NOMEM;
  p->mem = mem;
  p->buf_size = cfg->buf_size ? cfg->buf_size : PSIM_PKT_BUF_DEFAULT;
  p->headroom = cfg->headroom;
  p->limit = cfg->limit ? cfg->limit : PSIM_POOL_LIMIT_DEFAULT;
  if (p->headroom >= p->buf_size || p->buf_size - p->headroom < MIN_PACKET ||
      cfg->prealloc > p->limit ||
      p->buf_size > (SIZE_MAX - sizeof(psim_pkt)) / 2 / CHUNK_PKTS) {
    mem->free(p, mem->user_data);
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  p->slot_size = round_up(sizeof(psim_pkt) + p->buf_size, SLOT_ALIGN);
  p->chunk_head = round_up(sizeof(chunk), SLOT_ALIGN);
  while (p->stats.buffers < cfg->prealloc) {
    if (add_chunk(p) != 0) {
      psim_pool_del(p);
      return PTCP_ERR_NOMEM;
    }
  }
  *ppool = p;
  return 0;
}

void psim_pool_del(psim_pool *p) {
  chunk *c;

  if (p == NULL)
    return;
  while ((c = p->chunks) != NULL) {
    p->chunks = c->next;
    p->mem->free(c, p->mem->user_data);
  }
  p->mem->free(p, p->mem->user_data);
}

size_t psim_pool_max_len(const psim_pool *p) { return p->buf_size - p->headroom; }

const psim_pool_stats *psim_pool_get_stats(const psim_pool *p) { return &p->stats; }

/* Takes a buffer for a packet of |len| bytes starting at |offset|. */
static int take(psim_pool *p, size_t offset, size_t len, psim_pkt **out) {
  psim_pkt *pkt;
  int rv;

  if (len > p->buf_size - offset) {
    p->stats.too_large++;
    return PTCP_ERR_NOBUF;
  }
  if (p->free_list == NULL) {
    if (p->stats.buffers >= p->limit) {
      p->stats.exhausted++;
      return PTCP_ERR_LIMIT;
    }
    rv = add_chunk(p);
    if (rv != 0) {
      p->stats.nomem++;
      return rv;
    }
  }
  pkt = p->free_list;
  p->free_list = pkt->next;
  pkt->next = pkt->prev = NULL;
  pkt->ev = PSIM_EVENT_NONE;
  pkt->at = 0;
  pkt->tag = 0;
  pkt->flags = 0;
  pkt->state = STATE_LIVE;
  pkt->data = pkt->buf + offset;
  pkt->len = len;
  p->stats.allocs++;
  if (++p->stats.in_use > p->stats.peak_in_use)
    p->stats.peak_in_use = p->stats.in_use;
  *out = pkt;
  return 0;
}

int psim_pkt_alloc(psim_pool *p, size_t len, psim_pkt **out) {
  if (out == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (p == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  return take(p, p->headroom, len, out);
}

int psim_pkt_copy_in(psim_pool *p, const uint8_t *data, size_t len, psim_pkt **out) {
  int rv;

  if (data == NULL && len > 0) {
    if (out != NULL)
      *out = NULL;
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  rv = psim_pkt_alloc(p, len, out);
  if (rv == 0 && len > 0)
    memcpy((*out)->data, data, len);
  return rv;
}

int psim_pkt_dup(const psim_pkt *pkt, psim_pkt **out) {
  int rv;

  if (out == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (pkt == NULL || pkt->state != STATE_LIVE)
    return PTCP_ERR_INVALID_ARGUMENT;
  /* Same offset, so the copy keeps the original's headroom. */
  rv = take(pkt->pool, (size_t)(pkt->data - pkt->buf), pkt->len, out);
  if (rv != 0)
    return rv;
  memcpy((*out)->data, pkt->data, pkt->len);
  pkt->pool->stats.dups++;
  return 0;
}

void psim_pkt_free(psim_pkt *pkt) {
  psim_pool *p;

  if (pkt == NULL)
    return;
  p = pkt->pool;
  assert(pkt->state == STATE_LIVE);
  if (pkt->state != STATE_LIVE) {
    p->stats.bad_frees++;
    return;
  }
  pkt->state = STATE_FREE;
  pkt->data = NULL;
  pkt->len = 0;
  pkt->prev = NULL;
  pkt->next = p->free_list;
  p->free_list = pkt;
  p->stats.frees++;
  p->stats.in_use--;
}

size_t psim_pkt_headroom(const psim_pkt *pkt) { return (size_t)(pkt->data - pkt->buf); }

size_t psim_pkt_tailroom(const psim_pkt *pkt) {
  return pkt->pool->buf_size - psim_pkt_headroom(pkt) - pkt->len;
}

uint8_t *psim_pkt_push(psim_pkt *pkt, size_t n) {
  if (n > psim_pkt_headroom(pkt))
    return NULL;
  pkt->data -= n;
  pkt->len += n;
  return pkt->data;
}

uint8_t *psim_pkt_pull(psim_pkt *pkt, size_t n) {
  if (n > pkt->len)
    return NULL;
  pkt->data += n;
  pkt->len -= n;
  return pkt->data;
}

int psim_pkt_set_len(psim_pkt *pkt, size_t len) {
  if (len > pkt->pool->buf_size - psim_pkt_headroom(pkt))
    return PTCP_ERR_NOBUF;
  pkt->len = len;
  return 0;
}
