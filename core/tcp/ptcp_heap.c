/*
 * plugtcp engine: the deadline heap.
 */
#include "ptcp_heap.h"

static void place(ptcp_heap *h, uint32_t i, ptcp_heap_node *n) {
  h->v[i] = n;
  n->idx = i;
}

static void sift_up(ptcp_heap *h, uint32_t i) {
  ptcp_heap_node *n = h->v[i];

  while (i > 0) {
    uint32_t p = (i - 1) / 2;
    if (h->v[p]->at <= n->at)
      break;
    place(h, i, h->v[p]);
    i = p;
  }
  place(h, i, n);
}

static void sift_down(ptcp_heap *h, uint32_t i) {
  ptcp_heap_node *n = h->v[i];

  for (;;) {
    uint32_t l = 2 * i + 1, m;
    if (l >= h->n)
      break;
    m = (l + 1 < h->n && h->v[l + 1]->at < h->v[l]->at) ? l + 1 : l;
    if (h->v[m]->at >= n->at)
      break;
    place(h, i, h->v[m]);
    i = m;
  }
  place(h, i, n);
}

void ptcp_heap_remove(ptcp_heap *h, ptcp_heap_node *node) {
  uint32_t i = node->idx;
  ptcp_heap_node *last;

  if (i == PTCP_HEAP_NONE)
    return;
  node->idx = PTCP_HEAP_NONE;
  last = h->v[--h->n];
  if (i == h->n)
    return;
  place(h, i, last);
  if (i > 0 && h->v[(i - 1) / 2]->at > last->at)
    sift_up(h, i);
  else
    sift_down(h, i);
}

int ptcp_heap_reserve(ptcp_heap *h, const ptcp_mem *mem, uint32_t n) {
  uint32_t cap = h->cap ? h->cap : 64;
  ptcp_heap_node **v;

  if (n <= h->cap)
    return 0;
  while (cap < n)
    cap *= 2;
  v = mem->realloc(h->v, cap * sizeof(*v), mem->user_data);
  if (v == NULL)
    return PTCP_ERR_NOMEM;
  h->v = v;
  h->cap = cap;
  return 0;
}

int ptcp_heap_set(ptcp_heap *h, const ptcp_mem *mem, ptcp_heap_node *node, ptcp_time at) {
  if (at == PTCP_TIME_NONE) {
    ptcp_heap_remove(h, node);
    node->at = at;
    return 0;
  }
  if (node->idx == PTCP_HEAP_NONE) {
    if (h->n == h->cap && ptcp_heap_reserve(h, mem, h->n + 1) != 0)
      return PTCP_ERR_NOMEM;
    node->at = at;
    place(h, h->n++, node);
    sift_up(h, node->idx);
    return 0;
  }
  if (at == node->at)
    return 0;
  if (at < node->at) {
    node->at = at;
    sift_up(h, node->idx);
  } else {
    node->at = at;
    sift_down(h, node->idx);
  }
  return 0;
}

void ptcp_heap_free(ptcp_heap *h, const ptcp_mem *mem) {
  mem->free(h->v, mem->user_data);
  h->v = NULL;
  h->n = h->cap = 0;
}
