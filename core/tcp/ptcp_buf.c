/*
 * plugtcp engine: rings and reassembly ranges.
 */
#include <string.h>

#include <plugtcp/seq.h>

#include "ptcp_buf.h"

void ptcp_ring_write_at(ptcp_ring *r, uint32_t off, const uint8_t *src, uint32_t n) {
  uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
  uint32_t first = r->cap - pos;

  if (first >= n) {
    memcpy(r->buf + pos, src, n);
  } else {
    memcpy(r->buf + pos, src, first);
    memcpy(r->buf, src + first, n - first);
  }
}

void ptcp_ring_read_at(const ptcp_ring *r, uint32_t off, uint8_t *dst, uint32_t n) {
  uint32_t pos = (uint32_t)(((uint64_t)r->head + off) % r->cap);
  uint32_t first = r->cap - pos;

  if (first >= n) {
    memcpy(dst, r->buf + pos, n);
  } else {
    memcpy(dst, r->buf + pos, first);
    memcpy(dst + first, r->buf, n - first);
  }
}

static void remove_at(ptcp_reasm *r, unsigned i) {
  for (unsigned j = i; j + 1 < r->n; j++) {
    r->start[j] = r->start[j + 1];
    r->end[j] = r->end[j + 1];
    r->stamp[j] = r->stamp[j + 1];
  }
  r->n--;
}

int ptcp_reasm_add(ptcp_reasm *r, uint32_t rcv_nxt, uint32_t s, uint32_t e) {
  uint32_t so = s - rcv_nxt, eo = e - rcv_nxt;
  unsigned i, first = r->n, last = 0, overlaps = 0;

  /* Offsets from RCV.NXT order the ranges: all lie within the window. */
  for (i = 0; i < r->n; i++) {
    uint32_t rs = r->start[i] - rcv_nxt, re = r->end[i] - rcv_nxt;
    if (re < so || rs > eo)
      continue; /* neither overlapping nor adjacent */
    if (overlaps++ == 0)
      first = i;
    last = i;
  }
  r->clock++;
  if (overlaps == 0) {
    if (r->n == PTCP_REASM_MAX)
      return -1;
    for (i = 0; i < r->n && r->start[i] - rcv_nxt < so; i++)
      ;
    for (unsigned j = r->n; j > i; j--) {
      r->start[j] = r->start[j - 1];
      r->end[j] = r->end[j - 1];
      r->stamp[j] = r->stamp[j - 1];
    }
    r->start[i] = s;
    r->end[i] = e;
    r->stamp[i] = r->clock;
    r->n++;
    return 0;
  }
  /* Merge [first, last] with the new range into slot |first|. */
  if (r->start[first] - rcv_nxt > so)
    r->start[first] = s;
  if (r->end[last] - rcv_nxt > eo)
    e = r->end[last];
  r->end[first] = e;
  r->stamp[first] = r->clock;
  for (i = last; i > first; i--)
    remove_at(r, i);
  return 0;
}

uint32_t ptcp_reasm_take(ptcp_reasm *r, uint32_t rcv_nxt) {
  /* One in-order segment may reach past several ranges (a peer may
   * repacketize what it retransmits, RFC 9293 §3.8.6): every range that
   * now starts at or before RCV.NXT is taken, each one extending it. */
  while (r->n > 0 && ptcp_seq_le(r->start[0], rcv_nxt)) {
    rcv_nxt = ptcp_seq_max(r->end[0], rcv_nxt);
    remove_at(r, 0);
  }
  return rcv_nxt;
}

uint32_t ptcp_reasm_bytes(const ptcp_reasm *r) {
  uint32_t n = 0;
  for (unsigned i = 0; i < r->n; i++)
    n += r->end[i] - r->start[i];
  return n;
}

unsigned ptcp_reasm_sack(const ptcp_reasm *r, uint32_t *left, uint32_t *right,
                         unsigned max) {
  uint8_t used[PTCP_REASM_MAX] = {0};
  unsigned k = 0;

  while (k < max && k < r->n) {
    unsigned best = PTCP_REASM_MAX;
    for (unsigned i = 0; i < r->n; i++) {
      /* uint16 clock: compare as a difference from the current clock. */
      if (!used[i] && (best == PTCP_REASM_MAX ||
                       (uint16_t)(r->clock - r->stamp[i]) <
                           (uint16_t)(r->clock - r->stamp[best])))
        best = i;
    }
    used[best] = 1;
    left[k] = r->start[best];
    right[k] = r->end[best];
    k++;
  }
  return k;
}
