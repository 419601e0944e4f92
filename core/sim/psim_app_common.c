/*
 * plugsim: what every application shares: the content pattern and the
 * sending and checking of pattern streams.
 */
#include <errno.h>
#include <string.h>

#include <plugsim/rng.h>

#include "psim_app_int.h"
#include "psim_node_int.h"

struct psim_pattern {
  const ptcp_mem *mem;
  /* table[i] = pattern(i) for i < PERIOD + SPAN: any offset's next SPAN
   * bytes are contiguous. */
  uint8_t table[PSIM_PATTERN_PERIOD + PSIM_PATTERN_SPAN];
};

int psim_pattern_new(psim_pattern **pp, uint64_t seed, const ptcp_mem *mem) {
  psim_pattern *p;
  psim_rng rng;
  size_t i;

  if (pp == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pp = NULL;
  if (mem == NULL)
    mem = ptcp_mem_default();
  p = mem->malloc(sizeof(*p), mem->user_data);
  if (p == NULL)
    return PTCP_ERR_NOMEM;
  p->mem = mem;
  psim_rng_init(&rng, seed, "app:pattern");
  for (i = 0; i + 8 <= PSIM_PATTERN_PERIOD; i += 8) {
    uint64_t v = psim_rng_u64(&rng);
    memcpy(&p->table[i], &v, 8);
  }
  for (; i < PSIM_PATTERN_PERIOD; i++)
    p->table[i] = (uint8_t)psim_rng_u32(&rng);
  memcpy(&p->table[PSIM_PATTERN_PERIOD], p->table, PSIM_PATTERN_SPAN);
  *pp = p;
  return 0;
}

void psim_pattern_del(psim_pattern *p) {
  if (p != NULL)
    p->mem->free(p, p->mem->user_data);
}

const uint8_t *psim_pattern_span(const psim_pattern *p, uint64_t off) {
  return &p->table[off % PSIM_PATTERN_PERIOD];
}

uint8_t psim_pattern_byte(const psim_pattern *p, uint64_t off) {
  return p->table[off % PSIM_PATTERN_PERIOD];
}

size_t psim_pattern_check(const psim_pattern *p, uint64_t off, const uint8_t *data,
                          size_t len) {
  size_t done = 0;

  while (done < len) {
    size_t n = len - done < PSIM_PATTERN_SPAN ? len - done : PSIM_PATTERN_SPAN;
    const uint8_t *want = psim_pattern_span(p, off + done);

    if (memcmp(data + done, want, n) != 0) {
      for (size_t i = 0; i < n; i++)
        if (data[done + i] != want[i])
          return done + i;
    }
    done += n;
  }
  return len;
}

/* ------------------------------------------------------------------ */
/* Streams                                                             */

int app_stream_pump(app_stream *st) {
  while (st->tx_off < st->tx_limit) {
    uint64_t left = st->tx_limit - st->tx_off;
    size_t n = left < PSIM_PATTERN_SPAN ? (size_t)left : PSIM_PATTERN_SPAN;
    ptcp_ssize rv =
        psim_sock_send(st->sock, psim_pattern_span(st->pat, st->tx_base + st->tx_off), n);

    if (rv == -EAGAIN)
      return 0;
    if (rv < 0)
      return (int)rv;
    st->tx_off += (uint64_t)rv;
    st->stats->bytes_sent += (uint64_t)rv;
    if ((size_t)rv < n)
      return 0; /* full: on_writable follows */
  }
  return 0;
}

ptcp_ssize app_stream_read(app_stream *st, uint8_t *buf, size_t cap) {
  ptcp_ssize total = 0;

  for (;;) {
    ptcp_ssize rv = psim_sock_recv(st->sock, buf, cap);

    if (rv == -EAGAIN)
      break;
    if (rv < 0)
      return rv;
    if (rv == 0) {
      if (!st->eof) {
        st->eof = 1;
        st->stats->eofs++;
      }
      break;
    }
    st->stats->bytes_received += (uint64_t)rv;
    if (st->verify) {
      size_t good =
          psim_pattern_check(st->pat, st->rx_base + st->rx_off, buf, (size_t)rv);
      st->stats->bytes_verified += good;
      if (good < (size_t)rv) {
        st->stats->bytes_bad += (size_t)rv - good;
        if (st->stats->first_bad_offset == UINT64_MAX)
          st->stats->first_bad_offset = st->rx_off + good;
      }
      if (good > 0 && st->hooks != NULL && st->hooks->on_bytes != NULL)
        st->hooks->on_bytes(st->hooks->ctx, good);
    }
    st->rx_off += (uint64_t)rv;
    total += rv;
  }
  return total;
}

void app_stream_fail(app_stream *st, int err) {
  if (st->failed)
    return;
  st->failed = 1;
  st->stats->conns_failed++;
  st->stats->last_error = err;
  if (st->hooks != NULL && st->hooks->on_error != NULL)
    st->hooks->on_error(st->hooks->ctx, st->sock, err);
}

void *app_alloc(psim_node *n, size_t size) {
  const ptcp_mem *mem = psim_node_mem(n);
  return mem->calloc(1, size, mem->user_data);
}

void app_free(psim_node *n, void *p) {
  const ptcp_mem *mem = psim_node_mem(n);
  if (p != NULL)
    mem->free(p, mem->user_data);
}

void app_stats_init(psim_app_stats *st) {
  memset(st, 0, sizeof(*st));
  st->first_bad_offset = UINT64_MAX;
  st->done_at = PTCP_TIME_NONE;
}

void app_done(psim_app_stats *st, const psim_app_hooks *hooks, ptcp_time now) {
  if (st->done_at != PTCP_TIME_NONE)
    return;
  st->done_at = now;
  if (hooks->on_done != NULL)
    hooks->on_done(hooks->ctx);
}
