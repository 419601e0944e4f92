/*
 * plugtcp-fuzz-explain for the e2e target (see explain_e2e.h).
 *
 * psim_ladder draws the first connection it sees; to draw every
 * connection, each gets a ladder of its own, fed only the engine and
 * link events of its 4-tuple (a packet's tuple is read from its
 * headers; one whose ports a corruption changed goes to the tuple it
 * now names).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugsim/plugsim.h>

#include "e2e_driver.h"
#include "explain_e2e.h"

#define MAX_LADDERS 32u
#define MAX_LINES 4096u

typedef struct ladder_ent {
  uint16_t port[2]; /* A's port, B's port */
  psim_ladder *ladder;
} ladder_ent;

typedef struct ex {
  psim_pcap *pcap;
  psim_trace *trace;
  FILE *json, *lad;
  int json_own, lad_own;
  psim_node *node[2];
  ladder_ent lads[MAX_LADDERS];
  unsigned nlads;
  /* The settings and the input's records, printed above the ladders. */
  char *lines[MAX_LINES];
  unsigned nlines;
  e2e_summary sum;
  char failure[512];
  char err[256];
} ex;

static ex X;

static FILE *open_text(const char *path, int *own) {
  *own = 0;
  if (path == NULL)
    return NULL;
  if (strcmp(path, "-") == 0)
    return stdout;
  *own = 1;
  return fopen(path, "w");
}

static void add_line(ex *x, ptcp_time now, const char *who, const char *what,
                     const char *detail) {
  char buf[512];

  if (x->nlines >= MAX_LINES)
    return;
  snprintf(buf, sizeof(buf), "%13.6f  %-6s %-12s %s", (double)now / 1e9, who, what,
           detail ? detail : "");
  x->lines[x->nlines] = strdup(buf);
  if (x->lines[x->nlines] != NULL)
    x->nlines++;
}

static int side_of(const ex *x, const psim_node *n) { return n == x->node[1]; }

/* The ladder for the connection between A's port |pa| and B's port
 * |pb|; a new one when |create|. */
static psim_ladder *ladder_for(ex *x, uint16_t pa, uint16_t pb, int create) {
  ladder_ent *e;

  if (x->lad == NULL || pa == 0 || pb == 0)
    return NULL;
  for (unsigned i = 0; i < x->nlads; i++)
    if (x->lads[i].port[0] == pa && x->lads[i].port[1] == pb)
      return x->lads[i].ladder;
  if (!create || x->nlads >= MAX_LADDERS)
    return NULL;
  e = &x->lads[x->nlads];
  if (psim_ladder_new(&e->ladder, x->node[0], x->node[1], NULL) != 0)
    return NULL;
  e->port[0] = pa;
  e->port[1] = pb;
  x->nlads++;
  return e->ladder;
}

static void on_setup(void *ctx, psim_node *a, psim_node *b, psim_link *link) {
  ex *x = ctx;

  (void)link;
  x->node[0] = a;
  x->node[1] = b;
}

static void on_link(void *ctx, const psim_link_event *ev) {
  ex *x = ctx;
  ptcp_ip ip;
  ptcp_seg seg;

  if (x->pcap != NULL)
    psim_pcap_hook_tx(x->pcap, ev);
  if (x->trace != NULL)
    psim_trace_link(x->trace, "link0", ev);
  if (ptcp_packet_parse(&ip, &seg, ev->data, ev->len,
                        PTCP_IP_NO_CHECKSUM | PTCP_TCP_NO_CHECKSUM) == 0) {
    /* Direction 0 carries A's packets. */
    uint16_t pa = ev->dir == PSIM_LINK_A ? seg.src_port : seg.dst_port;
    uint16_t pb = ev->dir == PSIM_LINK_A ? seg.dst_port : seg.src_port;
    psim_ladder *l = ladder_for(x, pa, pb, 0);
    if (l != NULL)
      psim_ladder_link(l, ev);
  }
}

static void on_engine(void *ctx, psim_node *node, const ptcp_trace *ev) {
  ex *x = ctx;
  int side = side_of(x, node);
  uint16_t pa = side == 0 ? ev->local_port : ev->remote_port;
  uint16_t pb = side == 0 ? ev->remote_port : ev->local_port;
  psim_ladder *l;

  if (x->trace != NULL)
    psim_trace_engine(x->trace, node, ev);
  /* A connection's ladder starts with its first state change. */
  l = ladder_for(x, pa, pb, ev->kind == PTCP_TRACE_STATE);
  if (l != NULL)
    psim_ladder_engine(l, node, ev);
}

static void on_input_error(void *ctx, psim_node *node, int err, const uint8_t *pkt,
                           size_t len, ptcp_time now) {
  ex *x = ctx;

  if (x->trace != NULL)
    psim_trace_input_error(x->trace, node, err, pkt, len, now);
}

static void on_note(void *ctx, ptcp_time now, const char *who, const char *what,
                    const char *detail) {
  ex *x = ctx;

  if (x->trace != NULL)
    psim_trace_note(x->trace, now, who, what, detail);
  add_line(x, now, who, what, detail);
}

/* Writes the ladder file and closes everything; returns 0 or -1. */
static int finish(ex *x) {
  int rv = 0;

  if (x->lad != NULL) {
    fprintf(x->lad, "The input, the user calls and the phases:\n");
    for (unsigned i = 0; i < x->nlines; i++)
      fprintf(x->lad, "%s\n", x->lines[i]);
    for (unsigned i = 0; i < x->nlads; i++) {
      fprintf(x->lad, "\nConnection %u: client port %u, server port %u\n", i + 1,
              x->lads[i].port[0], x->lads[i].port[1]);
      if (psim_ladder_write_text(x->lads[i].ladder, x->lad, 0, 0) != 0)
        rv = -1;
    }
    if (x->failure[0] != '\0')
      fprintf(x->lad, "\n*** ORACLE FAILED: %s\n", x->failure);
    if (fflush(x->lad) != 0 || (x->lad_own && fclose(x->lad) != 0)) {
      snprintf(x->err, sizeof(x->err), "cannot write the ladder");
      rv = -1;
    }
    x->lad = NULL;
  }
  for (unsigned i = 0; i < x->nlads; i++)
    psim_ladder_del(x->lads[i].ladder);
  x->nlads = 0;
  for (unsigned i = 0; i < x->nlines; i++)
    free(x->lines[i]);
  x->nlines = 0;
  if (x->trace != NULL) {
    if (x->failure[0] != '\0')
      psim_trace_note(x->trace, 0, "driver", "failure", x->failure);
    if (psim_trace_error(x->trace) != 0) {
      snprintf(x->err, sizeof(x->err), "cannot write the JSON lines");
      rv = -1;
    }
    psim_trace_del(x->trace);
    x->trace = NULL;
  }
  if (x->json != NULL) {
    if (fflush(x->json) != 0 || (x->json_own && fclose(x->json) != 0)) {
      snprintf(x->err, sizeof(x->err), "cannot write the JSON lines");
      rv = -1;
    }
    x->json = NULL;
  }
  if (x->pcap != NULL) {
    if (psim_pcap_close(x->pcap, x->err, sizeof(x->err)) != 0)
      rv = -1;
    x->pcap = NULL;
  }
  return rv;
}

static void on_failure(void *ctx, ptcp_time now, const char *what) {
  ex *x = ctx;

  snprintf(x->failure, sizeof(x->failure), "at %.9f s: %s", (double)now / 1e9, what);
  if (finish(x) != 0)
    fprintf(stderr, "plugtcp-fuzz-explain: %s\n", x->err);
  fprintf(stderr, "plugtcp-fuzz-explain: %s\n", x->failure);
  /* The driver aborts once this returns: end with "an oracle failed". */
  exit(1);
}

int explain_e2e(const uint8_t *data, size_t size, const char *pcap_path,
                const char *json_path, const char *ladder_path, char *summary, size_t cap,
                char *err, size_t errlen) {
  ex *x = &X;
  e2e_observer obs;
  char states[2][200];

  memset(x, 0, sizeof(*x));
  if (pcap_path != NULL && psim_pcap_open(&x->pcap, pcap_path, NULL, err, errlen) != 0)
    return -1;
  x->json = open_text(json_path, &x->json_own);
  x->lad = open_text(ladder_path, &x->lad_own);
  if ((json_path != NULL && x->json == NULL) || (ladder_path != NULL && x->lad == NULL) ||
      (x->json != NULL && psim_trace_new(&x->trace, x->json, NULL) != 0)) {
    snprintf(err, errlen, "%s: cannot create it",
             json_path != NULL && x->json == NULL  ? json_path
             : x->json != NULL && x->trace == NULL ? json_path
                                                   : ladder_path);
    finish(x);
    return -1;
  }
  memset(&obs, 0, sizeof(obs));
  obs.ctx = x;
  obs.setup = on_setup;
  obs.link = on_link;
  obs.engine = on_engine;
  obs.input_error = on_input_error;
  obs.note = on_note;
  obs.failure = on_failure;
  e2e_run(data, size, &obs, 1, &x->sum);
  for (int s = 0; s < 2; s++) {
    size_t used = 0;
    states[s][0] = '\0';
    for (int i = 0; i < PTCP_STATE_COUNT; i++)
      if (x->sum.states_seen[s] & (1u << i))
        used += (size_t)snprintf(states[s] + used, sizeof(states[s]) - used, "%s%s",
                                 used ? " " : "", ptcp_state_name((ptcp_state)i));
  }
  snprintf(summary, cap,
           "%u records, %llu events, %llu + %llu packets (%llu + %llu given a fate), "
           "%llu bytes read, input over at %.6f s, settled at %.6f s; "
           "A went through: %s; B: %s%s; every oracle held",
           x->sum.records, (unsigned long long)x->sum.events,
           (unsigned long long)x->sum.packets[0], (unsigned long long)x->sum.packets[1],
           (unsigned long long)x->sum.fated[0], (unsigned long long)x->sum.fated[1],
           (unsigned long long)x->sum.bytes_read, (double)x->sum.input_end / 1e9,
           (double)x->sum.end / 1e9, states[0][0] ? states[0] : "none",
           states[1][0] ? states[1] : "none",
           x->sum.setup_failed ? " (the settings were refused)" : "");
  if (finish(x) != 0) {
    snprintf(err, errlen, "%s", x->err);
    return -1;
  }
  return 0;
}
