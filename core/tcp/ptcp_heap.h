/*
 * plugtcp engine: a binary min-heap of deadlines.  Nodes are embedded in
 * the objects they time (connections, TIME-WAIT entries), so arming a
 * timer allocates nothing once the array has grown.  Each object has one
 * node holding its earliest deadline (DESIGN.md §6).
 */
#ifndef PTCP_HEAP_H
#define PTCP_HEAP_H

#include <plugtcp/common.h>

#define PTCP_HEAP_NONE UINT32_MAX

typedef struct ptcp_heap_node {
  ptcp_time at;
  uint32_t idx;     /* position in the heap, PTCP_HEAP_NONE when out */
  uint8_t kind;     /* what embeds it: PCB_CONN or PCB_TW */
} ptcp_heap_node;

typedef struct ptcp_heap {
  ptcp_heap_node **v;
  uint32_t n, cap;
} ptcp_heap;

/* ptcp_heap_set moves |node| to deadline |at| (PTCP_TIME_NONE removes it).
 * Returns 0 or PTCP_ERR_NOMEM (the node then keeps its old place). */
int ptcp_heap_set(ptcp_heap *h, const ptcp_mem *mem, ptcp_heap_node *node, ptcp_time at);

/* ptcp_heap_reserve makes room for |n| nodes, so that ptcp_heap_set of a
 * node cannot fail later.  Returns 0 or PTCP_ERR_NOMEM. */
int ptcp_heap_reserve(ptcp_heap *h, const ptcp_mem *mem, uint32_t n);

/* ptcp_heap_remove takes |node| out if it is in. */
void ptcp_heap_remove(ptcp_heap *h, ptcp_heap_node *node);

static inline ptcp_heap_node *ptcp_heap_top(const ptcp_heap *h) {
  return h->n ? h->v[0] : NULL;
}

void ptcp_heap_free(ptcp_heap *h, const ptcp_mem *mem);

#endif /* PTCP_HEAP_H */
