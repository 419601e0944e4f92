/*
 * plugsim: ladder diagrams of one connection, as text in the style of
 * RFC 9293's figures, and as SVG.
 *
 * Recording: link events give each segment's sending (TX), arrival
 * (DELIVER) or loss (DROP); engine events give the states and which
 * segments were retransmissions.  A state change is shown on the row of
 * the segment that caused it (an arrival at the same instant, or a
 * sending that follows it at the same instant); any other becomes a row
 * of its own.
 */
#include <inttypes.h>
#include <string.h>

#include <plugsim/ladder.h>

enum { SIDES = 2, NO_STATE = 0xff, SEG_TEXT = 46, STATE_W = 12, LADDER_QUEUE = 1024 };

enum row_kind { ROW_STATE = 1, ROW_SEG };

/* Parts of a segment a row shows. */
enum { PART_SEND = 1, PART_ARRIVE = 2 };

enum fate { FATE_FLIGHT = 0, FATE_ARRIVED, FATE_LOST, FATE_QDROP };

typedef struct row {
  uint8_t kind;
  uint8_t side;  /* SEG: the sender (0 left, 1 right); STATE: the side */
  uint8_t parts; /* SEG: PART_* */
  uint8_t fate;
  uint8_t st[SIDES]; /* state to print per side, NO_STATE for none */
  uint8_t parsed, flags, rtx, reason;
  uint32_t seq, ack, len;
  uint16_t win;
  uint32_t marks;
  ptcp_time t_send, t_arr;
  int32_t mate; /* SEG: the row with the other part, -1 if this one has both */
} row;

typedef struct flight {
  uint64_t nth;
  uint8_t dir, dup;
  uint32_t row; /* the row showing its sending */
} flight;

typedef struct pending {
  int valid;
  ptcp_time t;
  uint8_t state;
} pending;

struct psim_ladder {
  const ptcp_mem *mem;
  const psim_node *node[SIDES]; /* only compared, never followed: they may be gone */
  char name[SIDES][PSIM_NODE_NAME_MAX + 1];
  ptcp_addr addr[SIDES];
  uint16_t port[SIDES];
  int conn_set;
  uint32_t isn[SIDES];
  int isn_set[SIDES];
  uint8_t cur[SIDES];
  pending pend[SIDES];
  int next_rtx[SIDES];
  /* Packets queued and not yet transmitted, per direction, in order
   * (the link's queue is FIFO): the sender's state and the
   * retransmission flag when the stack emitted them. */
  struct {
    uint64_t nth;
    uint8_t state, rtx;
  } q[SIDES][LADDER_QUEUE];
  unsigned q_head[SIDES], q_len[SIDES];
  row *rows;
  size_t nrows, cap;
  flight *fl;
  size_t nfl, flcap;
  int failed;
};

int psim_ladder_new(psim_ladder **pl, const psim_node *left, const psim_node *right,
                    const ptcp_mem *mem) {
  psim_ladder *l;

  if (pl == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pl = NULL;
  if (left == NULL || right == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (mem == NULL)
    mem = ptcp_mem_default();
  l = mem->calloc(1, sizeof(*l), mem->user_data);
  if (l == NULL)
    return PTCP_ERR_NOMEM;
  l->mem = mem;
  l->node[0] = left;
  l->node[1] = right;
  l->addr[0] = *psim_node_addr(left);
  l->addr[1] = *psim_node_addr(right);
  snprintf(l->name[0], sizeof(l->name[0]), "%s", psim_node_name(left));
  snprintf(l->name[1], sizeof(l->name[1]), "%s", psim_node_name(right));
  l->cur[0] = l->cur[1] = PTCP_CLOSED;
  *pl = l;
  return 0;
}

void psim_ladder_del(psim_ladder *l) {
  if (l == NULL)
    return;
  l->mem->free(l->rows, l->mem->user_data);
  l->mem->free(l->fl, l->mem->user_data);
  l->mem->free(l, l->mem->user_data);
}

size_t psim_ladder_rows(const psim_ladder *l) { return l->nrows; }

/* ------------------------------------------------------------------ */
/* Recording                                                           */

static row *new_row(psim_ladder *l, uint8_t kind) {
  row *r;

  if (l->failed)
    return NULL;
  if (l->nrows == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 64;
    row *nr = l->mem->realloc(l->rows, ncap * sizeof(*nr), l->mem->user_data);
    if (nr == NULL) {
      l->failed = 1;
      return NULL;
    }
    l->rows = nr;
    l->cap = ncap;
  }
  r = &l->rows[l->nrows++];
  memset(r, 0, sizeof(*r));
  r->kind = kind;
  r->st[0] = r->st[1] = NO_STATE;
  r->t_send = r->t_arr = PTCP_TIME_NONE;
  r->mate = -1;
  return r;
}

static void flush_pending(psim_ladder *l, int side) {
  row *r;

  if (!l->pend[side].valid)
    return;
  l->pend[side].valid = 0;
  r = new_row(l, ROW_STATE);
  if (r == NULL)
    return;
  r->side = (uint8_t)side;
  r->st[side] = l->pend[side].state;
  r->t_send = l->pend[side].t;
}

/* Which side sent a packet of this connection; -1 if it is another's. */
static int classify(psim_ladder *l, const uint8_t *data, size_t len, ptcp_seg *seg) {
  ptcp_ip ip;
  int from;

  if (ptcp_packet_parse(&ip, seg, data, len,
                        PTCP_IP_NO_CHECKSUM | PTCP_TCP_NO_CHECKSUM) != 0)
    return -1;
  if (ptcp_addr_equal(&ip.src, &l->addr[0]) && ptcp_addr_equal(&ip.dst, &l->addr[1]))
    from = 0;
  else if (ptcp_addr_equal(&ip.src, &l->addr[1]) && ptcp_addr_equal(&ip.dst, &l->addr[0]))
    from = 1;
  else
    return -1;
  if (!l->conn_set) {
    l->conn_set = 1;
    l->port[from] = seg->src_port;
    l->port[from ^ 1] = seg->dst_port;
  }
  if (seg->src_port != l->port[from] || seg->dst_port != l->port[from ^ 1])
    return -1;
  return from;
}

static flight *find_flight(psim_ladder *l, unsigned dir, uint64_t nth, int dup) {
  for (size_t i = 0; i < l->nfl; i++)
    if (l->fl[i].nth == nth && l->fl[i].dir == dir && l->fl[i].dup == dup)
      return &l->fl[i];
  return NULL;
}

static void drop_flight(psim_ladder *l, flight *f) { *f = l->fl[--l->nfl]; }

static void add_flight(psim_ladder *l, unsigned dir, uint64_t nth, int dup, size_t rowi) {
  if (l->nfl == l->flcap) {
    size_t ncap = l->flcap ? l->flcap * 2 : 32;
    flight *nf = l->mem->realloc(l->fl, ncap * sizeof(*nf), l->mem->user_data);
    if (nf == NULL) {
      l->failed = 1;
      return;
    }
    l->fl = nf;
    l->flcap = ncap;
  }
  l->fl[l->nfl].nth = nth;
  l->fl[l->nfl].dir = (uint8_t)dir;
  l->fl[l->nfl].dup = (uint8_t)dup;
  l->fl[l->nfl].row = (uint32_t)rowi;
  l->nfl++;
}

static void queue_push(psim_ladder *l, unsigned dir, uint64_t nth, uint8_t state,
                       int rtx) {
  unsigned i;

  if (l->q_len[dir] == LADDER_QUEUE) { /* forget the oldest */
    l->q_head[dir] = (l->q_head[dir] + 1) % LADDER_QUEUE;
    l->q_len[dir]--;
  }
  i = (l->q_head[dir] + l->q_len[dir]++) % LADDER_QUEUE;
  l->q[dir][i].nth = nth;
  l->q[dir][i].state = state;
  l->q[dir][i].rtx = (uint8_t)rtx;
}

/* The state and flag recorded when packet |nth| was queued; the current
 * state if it was not seen. */
static void queue_pop(psim_ladder *l, unsigned dir, uint64_t nth, uint8_t *state,
                      int *rtx) {
  *rtx = 0;
  while (l->q_len[dir] > 0) {
    unsigned i = l->q_head[dir];
    uint64_t qn = l->q[dir][i].nth;
    if (qn > nth)
      break;
    l->q_head[dir] = (i + 1) % LADDER_QUEUE;
    l->q_len[dir]--;
    if (qn == nth) {
      *state = l->q[dir][i].state;
      *rtx = l->q[dir][i].rtx;
      return;
    }
  }
}

static void fill_seg(row *r, const ptcp_seg *seg) {
  r->parsed = 1;
  r->flags = seg->flags;
  r->seq = seg->seq;
  r->ack = seg->ack;
  r->win = seg->window;
  r->len = (uint32_t)seg->payload_len;
}

/* A segment starts out from |from| (or is refused by the queue). */
static void on_send(psim_ladder *l, int from, const psim_link_event *ev,
                    const ptcp_seg *seg) {
  row *r;

  uint8_t state = l->cur[from];
  int rtx = 0;

  /* The sender's state and flag when the stack emitted the segment (it
   * may have waited in the queue since). */
  if (ev->kind == PSIM_LINK_EV_DROP) {
    rtx = l->next_rtx[from];
    l->next_rtx[from] = 0;
  } else {
    queue_pop(l, ev->dir, ev->nth, &state, &rtx);
  }
  /* State changes of the other side come first; the sender's own shows
   * on this row if it is the state the segment left in. */
  flush_pending(l, from ^ 1);
  if (l->pend[from].valid && l->pend[from].state != state)
    flush_pending(l, from);
  l->pend[from].valid = 0;
  if ((seg->flags & PTCP_SYN) && !l->isn_set[from]) {
    l->isn[from] = seg->seq;
    l->isn_set[from] = 1;
  }
  r = new_row(l, ROW_SEG);
  if (r == NULL)
    return;
  fill_seg(r, seg);
  r->side = (uint8_t)from;
  r->parts = PART_SEND;
  r->st[from] = state;
  r->rtx = (uint8_t)rtx;
  r->t_send = ev->now;
  r->marks = ev->marks;
  if (ev->kind == PSIM_LINK_EV_DROP) {
    r->fate = FATE_QDROP;
    r->reason = (uint8_t)ev->reason;
    return;
  }
  if (ev->arrival == PTCP_TIME_NONE) {
    r->fate = FATE_LOST;
    return;
  }
  r->t_arr = ev->arrival;
  add_flight(l, ev->dir, ev->nth, 0, l->nrows - 1);
  if (ev->marks & PSIM_LINK_MARK_DUPLICATED)
    add_flight(l, ev->dir, ev->nth, 1, l->nrows - 1);
}

static void on_arrive(psim_ladder *l, int from, const psim_link_event *ev,
                      const ptcp_seg *seg, int parsed) {
  int to = from ^ 1;
  int dup = (ev->marks & PSIM_LINK_MARK_DUPLICATE) != 0;
  flight *f = find_flight(l, ev->dir, ev->nth, dup);
  size_t sent_row;
  row *r;

  if (f == NULL)
    return; /* sent before the ladder started, or lost track of */
  sent_row = f->row;
  drop_flight(l, f);
  flush_pending(l, 0);
  flush_pending(l, 1);
  /* Nothing happened in between: one row, as in the RFC's figures. */
  if (sent_row == l->nrows - 1 && !dup) {
    r = &l->rows[sent_row];
    r->parts |= PART_ARRIVE;
    r->fate = FATE_ARRIVED;
    r->marks |= ev->marks;
    r->st[to] = l->cur[to];
    return;
  }
  r = new_row(l, ROW_SEG);
  if (r == NULL)
    return;
  *r = l->rows[sent_row];
  r->parts = PART_ARRIVE;
  r->fate = FATE_ARRIVED;
  r->st[0] = r->st[1] = NO_STATE;
  r->st[to] = l->cur[to];
  r->marks = ev->marks;
  r->t_arr = ev->now;
  r->mate = (int32_t)sent_row;
  l->rows[sent_row].mate = (int32_t)(l->nrows - 1);
  l->rows[sent_row].fate = FATE_ARRIVED;
  if (parsed && (ev->marks & PSIM_LINK_MARK_CORRUPTED))
    fill_seg(r, seg); /* show what arrived */
}

void psim_ladder_link(psim_ladder *l, const psim_link_event *ev) {
  ptcp_seg seg;
  int from;

  switch (ev->kind) {
  case PSIM_LINK_EV_ENQUEUE:
    from = classify(l, ev->data, ev->len, &seg);
    if (from >= 0) {
      queue_push(l, ev->dir, ev->nth, l->cur[from], l->next_rtx[from]);
      l->next_rtx[from] = 0;
    }
    return;
  case PSIM_LINK_EV_TX:
    from = classify(l, ev->data, ev->len, &seg);
    if (from >= 0)
      on_send(l, from, ev, &seg);
    return;
  case PSIM_LINK_EV_DROP:
    from = classify(l, ev->data, ev->len, &seg);
    if (from < 0)
      return;
    if (ev->reason == PSIM_LINK_REASON_QUEUE_FULL) {
      on_send(l, from, ev, &seg);
    } else if (ev->reason == PSIM_LINK_REASON_NO_RECEIVER) {
      flight *f =
          find_flight(l, ev->dir, ev->nth, (ev->marks & PSIM_LINK_MARK_DUPLICATE) != 0);
      if (f != NULL) {
        l->rows[f->row].fate = FATE_LOST;
        drop_flight(l, f);
      }
    }
    /* Wire losses were recorded at TX (arrival NONE). */
    return;
  case PSIM_LINK_EV_DELIVER: {
    /* A corrupted packet may no longer say whose it is: find it by nth. */
    int dup = (ev->marks & PSIM_LINK_MARK_DUPLICATE) != 0;
    flight *f = find_flight(l, ev->dir, ev->nth, dup);
    int parsed;

    if (f == NULL)
      return;
    parsed = ptcp_packet_parse(&(ptcp_ip){0}, &seg, ev->data, ev->len,
                               PTCP_IP_NO_CHECKSUM | PTCP_TCP_NO_CHECKSUM) == 0;
    on_arrive(l, l->rows[f->row].side, ev, &seg, parsed);
    return;
  }
  }
}

static int side_of(const psim_ladder *l, const psim_node *node) {
  return node == l->node[0] ? 0 : node == l->node[1] ? 1 : -1;
}

void psim_ladder_engine(psim_ladder *l, const psim_node *node, const ptcp_trace *ev) {
  int side = side_of(l, node);
  row *last;

  if (side < 0)
    return;
  if (ev->kind == PTCP_TRACE_SEG_OUT) {
    if (!l->conn_set ||
        (ev->local_port == l->port[side] && ev->remote_port == l->port[side ^ 1]))
      l->next_rtx[side] = ev->retransmit;
    return;
  }
  if (ev->kind != PTCP_TRACE_STATE)
    return;
  /* This connection's states, and its listener's (remote port 0). */
  if (ev->remote_port == 0) {
    if (l->conn_set && ev->local_port != l->port[side])
      return;
  } else if (!ptcp_addr_equal(ev->remote, &l->addr[side ^ 1])) {
    return;
  } else if (!l->conn_set) {
    l->conn_set = 1;
    l->port[side] = ev->local_port;
    l->port[side ^ 1] = ev->remote_port;
  } else if (ev->local_port != l->port[side] || ev->remote_port != l->port[side ^ 1]) {
    return;
  }
  l->cur[side] = (uint8_t)ev->new_state;
  last = l->nrows > 0 ? &l->rows[l->nrows - 1] : NULL;
  /* The arrival just recorded caused it. */
  if (last != NULL && last->kind == ROW_SEG && (last->parts & PART_ARRIVE) &&
      last->side != side && last->t_arr == ev->now && !l->pend[side].valid) {
    last->st[side] = (uint8_t)ev->new_state;
    return;
  }
  /* Otherwise it waits for a sending at the same instant to show it. */
  if (l->pend[side].valid && l->pend[side].t != ev->now)
    flush_pending(l, side);
  l->pend[side].valid = 1;
  l->pend[side].t = ev->now;
  l->pend[side].state = (uint8_t)ev->new_state;
}

/* ------------------------------------------------------------------ */
/* Drawing                                                             */

static void seg_text(const psim_ladder *l, const row *r, unsigned flags, char *buf,
                     size_t cap) {
  static const struct {
    uint8_t bit;
    const char *name;
  } ctl[] = {{PTCP_SYN, "SYN"}, {PTCP_FIN, "FIN"}, {PTCP_RST, "RST"},
             {PTCP_PSH, "PSH"}, {PTCP_ACK, "ACK"}, {PTCP_URG, "URG"}};
  int from = r->side, to = r->side ^ 1;
  uint32_t seq = r->seq, ack = r->ack;
  size_t n;
  const char *sep = "";

  if (!r->parsed) {
    snprintf(buf, cap, "<unparsable>");
    return;
  }
  if (!(flags & PSIM_LADDER_ABSOLUTE)) {
    if (l->isn_set[from])
      seq -= l->isn[from];
    if (l->isn_set[to])
      ack -= l->isn[to];
  }
  n = (size_t)snprintf(buf, cap, "<SEQ=%" PRIu32 ">", seq);
  if ((r->flags & PTCP_ACK) && n < cap)
    n += (size_t)snprintf(buf + n, cap - n, "<ACK=%" PRIu32 ">", ack);
  if (n < cap)
    n += (size_t)snprintf(buf + n, cap - n, "<CTL=");
  for (size_t i = 0; i < sizeof(ctl) / sizeof(ctl[0]) && n < cap; i++) {
    if (r->flags & ctl[i].bit) {
      n += (size_t)snprintf(buf + n, cap - n, "%s%s", sep, ctl[i].name);
      sep = ",";
    }
  }
  if (n < cap)
    n += (size_t)snprintf(buf + n, cap - n, ">");
  if (r->len > 0 && n < cap)
    n += (size_t)snprintf(buf + n, cap - n, "<DATA=%" PRIu32 ">", r->len);
  if (r->win == 0 && !(r->flags & PTCP_RST) && n < cap)
    (void)snprintf(buf + n, cap - n, "<WIN=0>");
}

static const char *state_text(uint8_t st) {
  return st == NO_STATE ? "" : ptcp_state_name((ptcp_state)st);
}

static void time_text(ptcp_time t, char *buf, size_t cap) {
  if (t == PTCP_TIME_NONE)
    snprintf(buf, cap, "%s", "");
  else
    snprintf(buf, cap, "%" PRIu64 ".%06" PRIu64, t / PTCP_SECONDS,
             t % PTCP_SECONDS / PTCP_MICROSECONDS);
}

static void notes_text(const row *r, char *buf, size_t cap) {
  size_t n = 0;

  buf[0] = '\0';
#define NOTE(cond, text)                                                                 \
  if ((cond) && n < cap)                                                                 \
  n += (size_t)snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", text)
  NOTE(r->rtx, "retransmission");
  NOTE(r->fate == FATE_LOST && !(r->parts & PART_ARRIVE), "lost");
  NOTE(r->fate == FATE_QDROP, "queue full: dropped");
  NOTE((r->parts & PART_ARRIVE) && (r->marks & PSIM_LINK_MARK_CORRUPTED),
       "corrupted: bad checksum");
  NOTE((r->parts & PART_ARRIVE) && (r->marks & PSIM_LINK_MARK_DUPLICATE),
       "duplicate copy");
  NOTE((r->parts & PART_SEND) && (r->marks & PSIM_LINK_MARK_REORDERED), "reordered");
  NOTE((r->parts & PART_SEND) && (r->marks & PSIM_LINK_MARK_DELAYED), "delayed");
#undef NOTE
}

int psim_ladder_write_text(psim_ladder *l, FILE *out, unsigned flags, size_t max_rows) {
  char hl[96], hr[96], a[64], ts[32], ta[32], seg[128], notes[128];
  size_t n;

  flush_pending(l, 0);
  flush_pending(l, 1);
  n = max_rows == 0 || max_rows > l->nrows ? l->nrows : max_rows;
  snprintf(hl, sizeof(hl), "%s %s:%u", l->name[0],
           ptcp_addr_format(&l->addr[0], a, sizeof(a)), (unsigned)l->port[0]);
  snprintf(hr, sizeof(hr), "%s %s:%u", l->name[1],
           ptcp_addr_format(&l->addr[1], a, sizeof(a)), (unsigned)l->port[1]);
  fprintf(out, "%11s %11s  %-*s %-*s     %s\n", "sent (s)", "arrived (s)", STATE_W + 4,
          hl, SEG_TEXT, "", hr);
  for (size_t i = 0; i < n; i++) {
    const row *r = &l->rows[i];
    const char *left_arrow, *right_arrow;

    time_text(r->kind == ROW_SEG && !(r->parts & PART_SEND) ? l->rows[r->mate].t_send
                                                            : r->t_send,
              ts, sizeof(ts));
    if (r->kind == ROW_STATE) {
      fprintf(out, "%11s %11s  %-*s %-*s     %s\n", ts, "", STATE_W,
              r->side == 0 ? state_text(r->st[0]) : "", SEG_TEXT + 4, "",
              r->side == 1 ? state_text(r->st[1]) : "");
      continue;
    }
    time_text((r->parts & PART_ARRIVE) ? r->t_arr : PTCP_TIME_NONE, ta, sizeof(ta));
    if (r->fate == FATE_LOST && !(r->parts & PART_ARRIVE))
      snprintf(ta, sizeof(ta), "lost");
    if (r->fate == FATE_QDROP)
      snprintf(ta, sizeof(ta), "dropped");
    seg_text(l, r, flags, seg, sizeof(seg));
    notes_text(r, notes, sizeof(notes));
    if (r->side == 0) {
      left_arrow = (r->parts & PART_SEND) ? "-->" : "...";
      right_arrow = (r->parts & PART_ARRIVE)                          ? "-->"
                    : (r->fate == FATE_LOST || r->fate == FATE_QDROP) ? " X "
                                                                      : "...";
    } else {
      right_arrow = (r->parts & PART_SEND) ? "<--" : "...";
      left_arrow = (r->parts & PART_ARRIVE)                          ? "<--"
                   : (r->fate == FATE_LOST || r->fate == FATE_QDROP) ? " X "
                                                                     : "...";
    }
    fprintf(out, "%11s %11s  %-*s %s %-*s %s %-*s%s%s\n", ts, ta, STATE_W,
            state_text(r->st[0]), left_arrow, SEG_TEXT, seg, right_arrow, STATE_W,
            state_text(r->st[1]), notes[0] ? "  " : "", notes);
  }
  if (n < l->nrows)
    fprintf(out, "... %zu more rows\n", l->nrows - n);
  if (l->failed)
    fprintf(out, "... (out of memory: the ladder is incomplete)\n");
  return ferror(out) ? PSIM_ERR_IO : 0;
}

/* SVG geometry. */
enum { SVG_W = 1100, SVG_XL = 330, SVG_XR = 900, SVG_ROW = 24, SVG_TOP = 60 };

static void svg_text(FILE *out, int x, int y, const char *anchor, const char *cls,
                     const char *text) {
  fprintf(out, "<text x=\"%d\" y=\"%d\" text-anchor=\"%s\" class=\"%s\">", x, y, anchor,
          cls);
  for (; *text; text++) {
    if (*text == '<')
      fputs("&lt;", out);
    else if (*text == '>')
      fputs("&gt;", out);
    else if (*text == '&')
      fputs("&amp;", out);
    else
      fputc(*text, out);
  }
  fputs("</text>\n", out);
}

int psim_ladder_write_svg(psim_ladder *l, FILE *out, unsigned flags, size_t max_rows) {
  char a[64], head[96], ts[32], seg[128], notes[128];
  size_t n;
  int height;

  flush_pending(l, 0);
  flush_pending(l, 1);
  n = max_rows == 0 || max_rows > l->nrows ? l->nrows : max_rows;
  height = SVG_TOP + (int)n * SVG_ROW + 40;
  fprintf(out,
          "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
          "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
          "viewBox=\"0 0 %d %d\">\n"
          "<style>text{font-family:monospace;font-size:12px}"
          ".st{font-weight:bold}.seg{fill:#024}.note{fill:#a00}.t{fill:#555}"
          "line.s{stroke:#024;stroke-width:1.3}line.x{stroke:#a00;stroke-width:1.3;"
          "stroke-dasharray:4 3}</style>\n"
          "<defs><marker id=\"h\" markerWidth=\"8\" markerHeight=\"8\" refX=\"7\" "
          "refY=\"4\" orient=\"auto\"><path d=\"M0,0 L8,4 L0,8 z\" fill=\"#024\"/>"
          "</marker></defs>\n"
          "<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n",
          SVG_W, height, SVG_W, height);
  for (int s = 0; s < SIDES; s++) {
    int x = s == 0 ? SVG_XL : SVG_XR;
    snprintf(head, sizeof(head), "%s %s:%u", l->name[s],
             ptcp_addr_format(&l->addr[s], a, sizeof(a)), (unsigned)l->port[s]);
    svg_text(out, x, 24, "middle", "st", head);
    fprintf(out, "<line x1=\"%d\" y1=\"34\" x2=\"%d\" y2=\"%d\" stroke=\"#888\"/>\n", x,
            x, height - 20);
  }
  svg_text(out, 10, 24, "start", "t", "time (s)");
  for (size_t i = 0; i < n; i++) {
    const row *r = &l->rows[i];
    int y = SVG_TOP + (int)i * SVG_ROW;
    ptcp_time t = r->kind == ROW_SEG && !(r->parts & PART_SEND) ? r->t_arr : r->t_send;

    time_text(t, ts, sizeof(ts));
    svg_text(out, 10, y + 4, "start", "t", ts);
    if (r->st[0] != NO_STATE)
      svg_text(out, SVG_XL - 12, y + 4, "end", "st", state_text(r->st[0]));
    if (r->st[1] != NO_STATE)
      svg_text(out, SVG_XR + 12, y + 4, "start", "st", state_text(r->st[1]));
    if (r->kind != ROW_SEG || !(r->parts & PART_SEND))
      continue;
    {
      int x1 = r->side == 0 ? SVG_XL : SVG_XR, x2 = r->side == 0 ? SVG_XR : SVG_XL;
      int y1 = y - 4, y2;
      int lost = r->fate == FATE_LOST || r->fate == FATE_QDROP;

      if (r->parts & PART_ARRIVE)
        y2 = y + 10;
      else if (r->mate >= 0 && (size_t)r->mate < n)
        y2 = SVG_TOP + r->mate * SVG_ROW;
      else if (r->mate >= 0)
        y2 = height - 20;
      else
        y2 = y + 10;
      if (lost)
        x2 = (x1 + x2) / 2;
      fprintf(out, "<line class=\"%s\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"%s/>\n",
              lost ? "x" : "s", x1, y1, x2, y2, lost ? "" : " marker-end=\"url(#h)\"");
      if (lost)
        svg_text(out, x2, y2 + 4, "middle", "note", "X");
      seg_text(l, r, flags, seg, sizeof(seg));
      svg_text(out, (SVG_XL + SVG_XR) / 2, y - 7, "middle", "seg", seg);
      notes_text(r, notes, sizeof(notes));
      if (notes[0])
        svg_text(out, SVG_XR + 130, y + 4, "start", "note", notes);
    }
  }
  fputs("</svg>\n", out);
  return ferror(out) ? PSIM_ERR_IO : 0;
}
