/*
 * plugsim: the JSON-lines event trace.  Every line is built with a
 * fixed key order and integer values only, so two runs of the same
 * simulation write identical files.
 */
#include <inttypes.h>
#include <string.h>

#include <plugsim/trace.h>

struct psim_trace {
  const ptcp_mem *mem;
  FILE *out;
  uint64_t lines;
  int failed;
};

int psim_trace_new(psim_trace **pt, FILE *out, const ptcp_mem *mem) {
  psim_trace *t;

  if (pt == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *pt = NULL;
  if (out == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (mem == NULL)
    mem = ptcp_mem_default();
  t = mem->calloc(1, sizeof(*t), mem->user_data);
  if (t == NULL)
    return PTCP_ERR_NOMEM;
  t->mem = mem;
  t->out = out;
  *pt = t;
  return 0;
}

void psim_trace_del(psim_trace *t) {
  if (t != NULL)
    t->mem->free(t, t->mem->user_data);
}

uint64_t psim_trace_lines(const psim_trace *t) { return t->lines; }
int psim_trace_error(const psim_trace *t) { return t->failed ? PSIM_ERR_IO : 0; }

static void end_line(psim_trace *t) {
  fputs("}\n", t->out);
  t->lines++;
  if (ferror(t->out))
    t->failed = 1;
}

/* Writes |s| as a JSON string (quotes included). */
static void put_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s != '\0'; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\')
      fprintf(f, "\\%c", ch);
    else if (ch < 0x20)
      fprintf(f, "\\u%04x", ch);
    else
      fputc(ch, f);
  }
  fputc('"', f);
}

static void put_endpoint(FILE *f, const char *key, const ptcp_addr *a, uint16_t port) {
  char buf[64];

  fprintf(f, ",\"%s\":\"%s:%u\"", key, ptcp_addr_format(a, buf, sizeof(buf)),
          (unsigned)port);
}

static void put_seg(FILE *f, const ptcp_seg *seg) {
  char flags[16];

  fprintf(f,
          ",\"flags\":\"%s\",\"seq\":%" PRIu32 ",\"ack\":%" PRIu32
          ",\"win\":%u,\"len\":%zu",
          ptcp_seg_flags_str(seg->flags, flags, sizeof(flags)), seg->seq, seg->ack,
          (unsigned)seg->window, seg->payload_len);
  /* Options matter on SYNs (what was negotiated); on every other
   * segment they are timestamps and SACK blocks, kept out for size. */
  if (seg->flags & PTCP_SYN) {
    const ptcp_opts *o = &seg->opts;
    fputs(",\"opts\":{", f);
    const char *sep = "";
    if (o->present & PTCP_OPT_MSS) {
      fprintf(f, "\"mss\":%u", (unsigned)o->mss);
      sep = ",";
    }
    if (o->present & PTCP_OPT_WSCALE) {
      fprintf(f, "%s\"wscale\":%u", sep, (unsigned)o->wscale);
      sep = ",";
    }
    if (o->present & PTCP_OPT_SACK_PERM) {
      fprintf(f, "%s\"sack_ok\":1", sep);
      sep = ",";
    }
    if (o->present & PTCP_OPT_TS)
      fprintf(f, "%s\"ts\":1", sep);
    fputc('}', f);
  }
  if (seg->opts.present & PTCP_OPT_SACK) {
    fputs(",\"sack\":[", f);
    for (unsigned i = 0; i < seg->opts.sack_count; i++)
      fprintf(f, "%s[%" PRIu32 ",%" PRIu32 "]", i ? "," : "", seg->opts.sack[i].left,
              seg->opts.sack[i].right);
    fputc(']', f);
  }
}

void psim_trace_engine(psim_trace *t, const psim_node *node, const ptcp_trace *ev) {
  FILE *f = t->out;

  fprintf(f, "{\"t\":%" PRIu64 ",\"node\":", ev->now);
  put_str(f, psim_node_name(node));
  fprintf(f, ",\"ev\":\"%s\"", ptcp_trace_kind_name(ev->kind));
  put_endpoint(f, "local", ev->local, ev->local_port);
  put_endpoint(f, "remote", ev->remote, ev->remote_port);
  switch (ev->kind) {
  case PTCP_TRACE_STATE:
    fprintf(f, ",\"from\":\"%s\",\"to\":\"%s\",\"reason\":\"%s\"",
            ptcp_state_name(ev->old_state), ptcp_state_name(ev->new_state),
            ptcp_reason_name(ev->reason));
    break;
  case PTCP_TRACE_SEG_IN:
    fprintf(f, ",\"state\":\"%s\"", ev->conn ? ptcp_state_name(ev->new_state) : "-");
    put_seg(f, ev->seg);
    fprintf(f, ",\"verdict\":\"%s\",\"reason\":\"%s\"", ptcp_verdict_name(ev->verdict),
            ptcp_reason_name(ev->reason));
    break;
  case PTCP_TRACE_SEG_OUT:
    fprintf(f, ",\"state\":\"%s\"", ev->conn ? ptcp_state_name(ev->new_state) : "-");
    put_seg(f, ev->seg);
    fprintf(f, ",\"rtx\":%u", (unsigned)ev->retransmit);
    break;
  case PTCP_TRACE_RTT:
    fprintf(f, ",\"rtt_ns\":%" PRIu64 ",\"rto_ns\":%" PRIu64, ev->rtt, ev->rto);
    break;
  case PTCP_TRACE_RTO:
    fprintf(f, ",\"timer\":\"%s\",\"rto_ns\":%" PRIu64, ptcp_timer_name(ev->timer),
            ev->rto);
    break;
  case PTCP_TRACE_TIMER:
    fprintf(f, ",\"timer\":\"%s\",\"state\":\"%s\"", ptcp_timer_name(ev->timer),
            ptcp_state_name(ev->new_state));
    break;
  case PTCP_TRACE_CWND:
    fprintf(f, ",\"cwnd\":%" PRIu32 ",\"ssthresh\":%" PRIu32, ev->cwnd, ev->ssthresh);
    break;
  default:
    break;
  }
  end_line(t);
}

static const char *link_event_name(psim_link_event_kind k) {
  switch (k) {
  case PSIM_LINK_EV_ENQUEUE:
    return "enqueue";
  case PSIM_LINK_EV_TX:
    return "tx";
  case PSIM_LINK_EV_DROP:
    return "drop";
  case PSIM_LINK_EV_DELIVER:
    return "deliver";
  }
  return "?";
}

static const char *link_reason_name(psim_link_reason r) {
  switch (r) {
  case PSIM_LINK_REASON_NONE:
    return "none";
  case PSIM_LINK_REASON_QUEUE_FULL:
    return "queue_full";
  case PSIM_LINK_REASON_LOSS:
    return "loss";
  case PSIM_LINK_REASON_BURST_LOSS:
    return "burst_loss";
  case PSIM_LINK_REASON_SCRIPT:
    return "script";
  case PSIM_LINK_REASON_NO_RECEIVER:
    return "no_receiver";
  }
  return "?";
}

static void put_marks(FILE *f, uint32_t marks) {
  static const struct {
    uint32_t bit;
    const char *name;
  } names[] = {
      {PSIM_LINK_MARK_DUPLICATE, "duplicate"}, {PSIM_LINK_MARK_DUPLICATED, "duplicated"},
      {PSIM_LINK_MARK_REORDERED, "reordered"}, {PSIM_LINK_MARK_CORRUPTED, "corrupted"},
      {PSIM_LINK_MARK_DELAYED, "delayed"},     {PSIM_LINK_MARK_SCRIPTED, "scripted"},
  };
  const char *sep = "";

  fputs(",\"marks\":[", f);
  for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    if (marks & names[i].bit) {
      fprintf(f, "%s\"%s\"", sep, names[i].name);
      sep = ",";
    }
  }
  fputc(']', f);
}

void psim_trace_link(psim_trace *t, const char *link, const psim_link_event *ev) {
  FILE *f = t->out;
  ptcp_ip ip;
  ptcp_seg seg;

  fprintf(f, "{\"t\":%" PRIu64 ",\"link\":", ev->now);
  put_str(f, link);
  fprintf(f, ",\"dir\":\"%s\",\"ev\":\"%s\",\"nth\":%" PRIu64 ",\"bytes\":%zu",
          ev->dir == PSIM_LINK_A ? "a->b" : "b->a", link_event_name(ev->kind), ev->nth,
          ev->len);
  if (ev->kind == PSIM_LINK_EV_DROP)
    fprintf(f, ",\"reason\":\"%s\"", link_reason_name(ev->reason));
  if (ev->kind == PSIM_LINK_EV_TX && ev->arrival != PTCP_TIME_NONE)
    fprintf(f, ",\"arrival\":%" PRIu64, ev->arrival);
  if (ev->kind != PSIM_LINK_EV_ENQUEUE)
    put_marks(f, ev->marks);
  /* What the packet is, as far as it still parses (a corrupted one may
   * not); checksums are not checked here. */
  if (ptcp_packet_parse(&ip, &seg, ev->data, ev->len,
                        PTCP_IP_NO_CHECKSUM | PTCP_TCP_NO_CHECKSUM) == 0) {
    char flags[16];
    put_endpoint(f, "src", &ip.src, seg.src_port);
    put_endpoint(f, "dst", &ip.dst, seg.dst_port);
    fprintf(f, ",\"flags\":\"%s\",\"seq\":%" PRIu32 ",\"ack\":%" PRIu32 ",\"len\":%zu",
            ptcp_seg_flags_str(seg.flags, flags, sizeof(flags)), seg.seq, seg.ack,
            seg.payload_len);
  }
  end_line(t);
}

void psim_trace_input_error(psim_trace *t, const psim_node *node, int err,
                            const uint8_t *pkt, size_t len, ptcp_time now) {
  FILE *f = t->out;

  (void)pkt;
  fprintf(f, "{\"t\":%" PRIu64 ",\"node\":", now);
  put_str(f, psim_node_name(node));
  fprintf(f, ",\"ev\":\"input_error\",\"error\":\"%s\",\"bytes\":%zu", ptcp_err_name(err),
          len);
  end_line(t);
}

void psim_trace_note(psim_trace *t, ptcp_time now, const char *who, const char *what,
                     const char *detail) {
  FILE *f = t->out;

  fprintf(f, "{\"t\":%" PRIu64 ",\"who\":", now);
  put_str(f, who);
  fputs(",\"ev\":\"app\",\"what\":", f);
  put_str(f, what);
  if (detail != NULL) {
    fputs(",\"detail\":", f);
    put_str(f, detail);
  }
  end_line(t);
}
