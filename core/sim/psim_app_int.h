/*
 * plugsim internals shared by the applications: one direction-pair of a
 * connection's byte streams, sent from and checked against the pattern.
 */
#ifndef PSIM_APP_INT_H
#define PSIM_APP_INT_H

#include <plugsim/app.h>

/* Bytes read per recv call; every application has one such buffer. */
#define APP_READ_CHUNK 65536u

typedef struct app_stream {
  psim_sock *sock;
  const psim_pattern *pat;
  psim_app_stats *stats;
  const psim_app_hooks *hooks;
  uint64_t tx_base, rx_base; /* pattern offsets of byte 0 each way */
  uint64_t tx_off;           /* bytes queued so far */
  uint64_t tx_limit;         /* send until tx_off reaches this */
  uint64_t rx_off;           /* bytes read so far */
  uint8_t verify;            /* check what is read */
  uint8_t eof;               /* recv returned 0 */
  uint8_t failed;            /* the connection failed */
} app_stream;

/* Sends pattern bytes until tx_off reaches tx_limit or the socket is
 * full.  Returns 0, or a negative errno other than EAGAIN. */
int app_stream_pump(app_stream *st);

/* Reads everything there is into |buf| (|cap| bytes at a time),
 * checking it when |verify| is set; sets |eof| at end of stream.
 * Returns the bytes read, or a negative errno other than EAGAIN. */
ptcp_ssize app_stream_read(app_stream *st, uint8_t *buf, size_t cap);

/* Records a failure of the stream's connection. */
void app_stream_fail(app_stream *st, int err);

/* Allocation through the node's allocator. */
void *app_alloc(psim_node *node, size_t size);
void app_free(psim_node *node, void *p);

/* A fresh psim_app_stats. */
void app_stats_init(psim_app_stats *st);

/* Marks the whole application done at |now| and calls its hook once. */
void app_done(psim_app_stats *st, const psim_app_hooks *hooks, ptcp_time now);

#endif /* PSIM_APP_INT_H */
