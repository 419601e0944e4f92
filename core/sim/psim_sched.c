/*
 * plugsim: the event scheduler, a 4-ary min-heap over (time, sequence)
 * with generation-checked handles.
 *
 * Why 4-ary: a d-ary heap does log_d(n) levels of work per operation;
 * with d = 4 the four children of a node are adjacent in memory (one or
 * two cache lines of 24-byte entries), so sift-down costs fewer cache
 * misses than a binary heap's twice-as-deep walk, while sift-up stays
 * cheap.  The keys live in the heap array itself so that comparisons
 * never chase a pointer into the slot array.
 *
 * Why (time, sequence): same-time events must run in one fixed order or
 * a simulation is not repeatable (fjage issue 426; ns-3 orders its
 * events by (ts, uid) for the same reason).  The sequence number is a
 * 64-bit counter bumped on every insertion, so it never wraps.
 */
#include <stdint.h>

#include <plugsim/sched.h>

enum {
  ARITY = 4,
  /* First allocation: enough for a small simulation without regrowth. */
  INITIAL_CAPACITY = 64,
};

/* Slot indices and heap positions are 32-bit; UINT32_MAX ends the free
 * list, so 2^32 - 2 is the largest usable slot index + 1. */
#define NIL UINT32_MAX
#define MAX_EVENTS ((size_t)UINT32_MAX - 1)

/* An event's payload and bookkeeping.  |pos| is the event's index in the
 * heap while it is pending, and the next free slot while it is free. */
typedef struct slot {
  psim_event_fn fn;
  void *a;
  void *b;
  uint32_t gen;
  uint32_t pos;
} slot;

/* A heap entry: the sort key and the slot it belongs to. */
typedef struct hent {
  ptcp_time at;
  uint64_t seq;
  uint32_t slot;
} hent;

struct psim_sched {
  const ptcp_mem *mem;
  slot *slots;
  hent *heap;
  size_t cap;    /* entries allocated in both arrays */
  size_t nslots; /* slots ever handed out: [0, nslots) are initialised */
  size_t size;   /* pending events: heap[0, size) */
  uint32_t free_head;
  uint64_t next_seq;
  ptcp_time now;
  uint64_t executed;
  int running; /* inside an event callback: no nested runs */
  int stop;    /* psim_sched_stop was called during this run */
  int stop_status;
};

static int hent_less(const hent *x, const hent *y) {
  return x->at < y->at || (x->at == y->at && x->seq < y->seq);
}

/* Places |e| at heap index |i| and records the position in its slot. */
static void heap_set(psim_sched *s, size_t i, hent e) {
  s->heap[i] = e;
  s->slots[e.slot].pos = (uint32_t)i;
}

/* Moves the hole at |i| towards the root until |e| fits, then fills it. */
static inline void sift_up(psim_sched *s, size_t i, hent e) {
  while (i > 0) {
    size_t parent = (i - 1) / ARITY;

    if (!hent_less(&e, &s->heap[parent]))
      break;
    heap_set(s, i, s->heap[parent]);
    i = parent;
  }
  heap_set(s, i, e);
}

/* Moves the hole at |i| towards the leaves until |e| fits, then fills it. */
static inline void sift_down(psim_sched *s, size_t i, hent e) {
  for (;;) {
    size_t first = i * ARITY + 1, last, best;

    if (first >= s->size)
      break;
    last = first + ARITY - 1 < s->size ? first + ARITY - 1 : s->size - 1;
    best = first;
    for (size_t c = first + 1; c <= last; c++)
      if (hent_less(&s->heap[c], &s->heap[best]))
        best = c;
    if (!hent_less(&s->heap[best], &e))
      break;
    heap_set(s, i, s->heap[best]);
    i = best;
  }
  heap_set(s, i, e);
}

/* Puts |e| at index |i| (a hole) wherever it belongs. */
static inline void heap_fix(psim_sched *s, size_t i, hent e) {
  if (i > 0 && hent_less(&e, &s->heap[(i - 1) / ARITY]))
    sift_up(s, i, e);
  else
    sift_down(s, i, e);
}

/* Removes the entry at heap index |i|. */
static void heap_remove(psim_sched *s, size_t i) {
  hent last = s->heap[--s->size];

  if (i < s->size)
    heap_fix(s, i, last);
}

/* Returns slot |i| to the free list; every handle to it goes stale. */
static void slot_release(psim_sched *s, uint32_t i) {
  slot *sl = &s->slots[i];

  sl->fn = NULL;
  sl->a = sl->b = NULL;
  /* Generation 0 is reserved for PSIM_EVENT_NONE. */
  if (++sl->gen == 0)
    sl->gen = 1;
  sl->pos = s->free_head;
  s->free_head = i;
}

/* Grows both arrays to hold at least |want| entries. */
static int grow(psim_sched *s, size_t want) {
  size_t cap = s->cap ? s->cap : INITIAL_CAPACITY;
  slot *slots;
  hent *heap;

  if (want > MAX_EVENTS)
    return PTCP_ERR_LIMIT;
  while (cap < want)
    cap = cap > MAX_EVENTS / 2 ? MAX_EVENTS : cap * 2;
  if (cap <= s->cap)
    return 0;
  if (cap > SIZE_MAX / sizeof(slot))
    return PTCP_ERR_NOMEM;
  /* Both arrays are reallocated before |cap| changes, so a failure of
   * the second leaves a larger first array and a consistent scheduler. */
  slots = s->mem->realloc(s->slots, cap * sizeof(*slots), s->mem->user_data);
  if (slots == NULL)
    return PTCP_ERR_NOMEM;
  s->slots = slots;
  heap = s->mem->realloc(s->heap, cap * sizeof(*heap), s->mem->user_data);
  if (heap == NULL)
    return PTCP_ERR_NOMEM;
  s->heap = heap;
  s->cap = cap;
  return 0;
}

/* Takes a free slot, growing the arrays when none is left. */
static int slot_take(psim_sched *s, uint32_t *out) {
  int rv;

  if (s->free_head != NIL) {
    *out = s->free_head;
    s->free_head = s->slots[*out].pos;
    return 0;
  }
  if (s->nslots == s->cap) {
    if (s->cap == MAX_EVENTS)
      return PTCP_ERR_LIMIT;
    rv = grow(s, s->cap + 1);
    if (rv != 0)
      return rv;
  }
  *out = (uint32_t)s->nslots++;
  s->slots[*out].gen = 1;
  return 0;
}

/* Returns the slot of a handle that is still pending, or NULL. */
static const slot *live_slot(const psim_sched *s, psim_event ev) {
  const slot *sl;

  if (ev.gen == 0 || ev.slot >= s->nslots)
    return NULL;
  sl = &s->slots[ev.slot];
  /* A free slot's generation was bumped when it was freed, so only the
   * handle of the event that occupies it now can match. */
  return sl->gen == ev.gen && sl->fn != NULL ? sl : NULL;
}

int psim_sched_new(psim_sched **psched, const ptcp_mem *mem, ptcp_time start) {
  psim_sched *s;

  if (psched == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *psched = NULL;
  if (start == PTCP_TIME_NONE)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (mem == NULL)
    mem = ptcp_mem_default();
  s = mem->calloc(1, sizeof(*s), mem->user_data);
  if (s == NULL)
    return PTCP_ERR_NOMEM;
  s->mem = mem;
  s->free_head = NIL;
  s->now = start;
  *psched = s;
  return 0;
}

void psim_sched_del(psim_sched *s) {
  if (s == NULL)
    return;
  s->mem->free(s->slots, s->mem->user_data);
  s->mem->free(s->heap, s->mem->user_data);
  s->mem->free(s, s->mem->user_data);
}

int psim_sched_reserve(psim_sched *s, size_t n) {
  if (s == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  /* Links reserve room before every transmission: nearly always there.
   * (A first reservation, even of 0, still allocates the initial room.) */
  if (s->cap != 0 && n <= s->cap)
    return 0;
  return grow(s, n);
}

int psim_sched_at(psim_sched *s, ptcp_time at, psim_event_fn fn, void *a, void *b,
                  psim_event *ev) {
  uint32_t i;
  hent e;
  int rv;

  if (s == NULL || fn == NULL || at == PTCP_TIME_NONE || at < s->now)
    return PTCP_ERR_INVALID_ARGUMENT;
  rv = slot_take(s, &i);
  if (rv != 0)
    return rv;
  s->slots[i].fn = fn;
  s->slots[i].a = a;
  s->slots[i].b = b;
  e.at = at;
  e.seq = s->next_seq++;
  e.slot = i;
  sift_up(s, s->size++, e);
  if (ev != NULL) {
    ev->slot = i;
    ev->gen = s->slots[i].gen;
  }
  return 0;
}

int psim_sched_after(psim_sched *s, ptcp_duration delay, psim_event_fn fn, void *a,
                     void *b, psim_event *ev) {
  if (s == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  return psim_sched_at(s, ptcp_time_add(s->now, delay), fn, a, b, ev);
}

int psim_sched_cancel(psim_sched *s, psim_event ev) {
  const slot *sl;

  if (s == NULL || (sl = live_slot(s, ev)) == NULL)
    return 0;
  heap_remove(s, sl->pos);
  slot_release(s, ev.slot);
  return 1;
}

int psim_sched_reschedule(psim_sched *s, psim_event ev, ptcp_time at) {
  const slot *sl;
  hent e;

  if (s == NULL || at == PTCP_TIME_NONE || at < s->now)
    return PTCP_ERR_INVALID_ARGUMENT;
  if ((sl = live_slot(s, ev)) == NULL)
    return PTCP_ERR_NOT_FOUND;
  e.at = at;
  e.seq = s->next_seq++;
  e.slot = ev.slot;
  heap_fix(s, sl->pos, e);
  return 0;
}

int psim_sched_pending(const psim_sched *s, psim_event ev) {
  return s != NULL && live_slot(s, ev) != NULL;
}

ptcp_time psim_sched_when(const psim_sched *s, psim_event ev) {
  const slot *sl;

  if (s == NULL || (sl = live_slot(s, ev)) == NULL)
    return PTCP_TIME_NONE;
  return s->heap[sl->pos].at;
}

ptcp_time psim_sched_now(const psim_sched *s) { return s->now; }

ptcp_time psim_sched_next(const psim_sched *s) {
  return s->size > 0 ? s->heap[0].at : PTCP_TIME_NONE;
}

size_t psim_sched_size(const psim_sched *s) { return s->size; }

uint64_t psim_sched_executed(const psim_sched *s) { return s->executed; }

void psim_sched_stop(psim_sched *s, int status) {
  if (s == NULL || !s->running)
    return;
  s->stop = 1;
  s->stop_status = status;
}

/* Pops the first event and runs it.  The slot is released before the
 * callback, so the callback sees its own handle as stale and may reuse
 * the slot at once. */
static void fire_first(psim_sched *s) {
  hent e = s->heap[0];
  slot *sl = &s->slots[e.slot];
  psim_event_fn fn = sl->fn;
  void *a = sl->a, *b = sl->b;

  heap_remove(s, 0);
  slot_release(s, e.slot);
  s->now = e.at;
  s->executed++;
  s->running = 1;
  fn(s, e.at, a, b);
  s->running = 0;
}

/* Consumes a stop request; returns 1 if there was one. */
static int take_stop(psim_sched *s, int *status) {
  if (!s->stop)
    return 0;
  s->stop = 0;
  *status = s->stop_status;
  return 1;
}

int psim_sched_step(psim_sched *s) {
  int status;

  if (s->running)
    return PTCP_ERR_STATE;
  if (s->size == 0)
    return 0;
  fire_first(s);
  if (take_stop(s, &status) && status < 0)
    return status;
  return 1;
}

int psim_sched_run_until(psim_sched *s, ptcp_time until) {
  int status;

  if (s->running)
    return PTCP_ERR_STATE;
  if (until == PTCP_TIME_NONE || until < s->now)
    return PTCP_ERR_INVALID_ARGUMENT;
  while (s->size > 0 && s->heap[0].at <= until) {
    fire_first(s);
    if (take_stop(s, &status))
      return status;
  }
  s->now = until;
  return 0;
}

int psim_sched_run(psim_sched *s) {
  int status;

  if (s->running)
    return PTCP_ERR_STATE;
  while (s->size > 0) {
    fire_first(s);
    if (take_stop(s, &status))
      return status;
  }
  return 0;
}
