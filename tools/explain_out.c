/*
 * plugtcp-fuzz-explain's writers (see explain_out.h).
 *
 * The ladder is plain text, about 135 columns:
 *
 *       time s  plugtcp 10.0.0.1                                 peer 10.0.0.2
 *     0.000000  #1 CONNECT slot 0 to port 5000
 *     0.000000  [CLOSED -> SYN-SENT]
 *     0.000000  |---- 49152 > 5000 [S] seq 5000 win 65535 <mss 1460> ---->|
 *     0.010000  |<--- 5000 > 49152 [S.] seq 1000 ack 5001 win 65535 -----|
 *     0.010000  in: accept (none)
 *
 * Sentences about the stack (states, verdicts, results) sit under the
 * left column, input events start at the margin.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugsim/pcap.h>
#include <plugtcp/plugtcp.h>

#include "explain_out.h"

#define LADDER_WIDTH 120

struct explain_out {
  fuzz_tracer tr;
  psim_pcap *pcap;
  FILE *json, *ladder;
  int json_own, ladder_own;
  int write_error;
  int pcap_rebased; /* pcap times count from pcap_base */
  ptcp_time pcap_base;
  char left[64], right[64];
};

static FILE *open_text(const char *path, int *own, char *err, size_t errlen) {
  FILE *f;

  *own = 0;
  if (path == NULL)
    return NULL;
  if (strcmp(path, "-") == 0)
    return stdout;
  f = fopen(path, "w");
  if (f == NULL) {
    snprintf(err, errlen, "%s: cannot create it", path);
    return NULL;
  }
  *own = 1;
  return f;
}

/* A JSON string: quotes, backslashes and control bytes escaped. */
static void json_str(FILE *f, const char *s) {
  fputc('"', f);
  for (; *s != '\0'; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      fprintf(f, "\\%c", c);
    else if (c < 0x20)
      fprintf(f, "\\u%04x", c);
    else
      fputc(c, f);
  }
  fputc('"', f);
}

static void ladder_time(explain_out *o, ptcp_time now) {
  fprintf(o->ladder, "%13.6f  ", (double)now / 1e9);
}

static void ladder_line(explain_out *o, ptcp_time now, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void ladder_line(explain_out *o, ptcp_time now, const char *fmt, ...) {
  va_list ap;

  if (o->ladder == NULL)
    return;
  ladder_time(o, now);
  va_start(ap, fmt);
  vfprintf(o->ladder, fmt, ap);
  va_end(ap);
  fputc('\n', o->ladder);
  fflush(o->ladder);
}

static void on_begin(void *ctx, const char *target, const char *left, const char *right) {
  explain_out *o = ctx;

  snprintf(o->left, sizeof(o->left), "%s", left);
  snprintf(o->right, sizeof(o->right), "%s", right);
  if (o->json != NULL) {
    fprintf(o->json, "{\"type\":\"begin\",\"target\":");
    json_str(o->json, target);
    fprintf(o->json, ",\"left\":");
    json_str(o->json, left);
    fprintf(o->json, ",\"right\":");
    json_str(o->json, right);
    fprintf(o->json, "}\n");
  }
  if (o->ladder != NULL) {
    fprintf(o->ladder, "%-13s  %-*s%s\n", "time s", LADDER_WIDTH - 1 - (int)strlen(right),
            left, right);
    fflush(o->ladder);
  }
}

static void on_event(void *ctx, unsigned index, ptcp_time now, const char *text) {
  explain_out *o = ctx;

  if (o->json != NULL) {
    fprintf(o->json, "{\"t\":%llu,\"type\":\"event\",\"index\":%u,\"text\":",
            (unsigned long long)now, index);
    json_str(o->json, text);
    fprintf(o->json, "}\n");
    fflush(o->json);
  }
  ladder_line(o, now, "#%u %s", index, text);
}

static void on_result(void *ctx, ptcp_time now, int side, const char *call, long rv) {
  explain_out *o = ctx;

  if (o->json != NULL) {
    fprintf(o->json, "{\"t\":%llu,\"type\":\"result\",\"side\":%d,\"call\":",
            (unsigned long long)now, side);
    json_str(o->json, call);
    fprintf(o->json, ",\"rv\":%ld", rv);
    if (rv < 0) {
      fprintf(o->json, ",\"error\":");
      json_str(o->json, ptcp_err_name((int)rv));
    }
    fprintf(o->json, "}\n");
  }
  if (rv < 0)
    ladder_line(o, now, "%*s%s -> %s", side ? LADDER_WIDTH / 2 : 1, "", call,
                ptcp_err_name((int)rv));
  else
    ladder_line(o, now, "%*s%s -> %ld", side ? LADDER_WIDTH / 2 : 1, "", call, rv);
}

static void on_packet(void *ctx, ptcp_time now, int dir, const char *note,
                      const uint8_t *pkt, size_t len) {
  explain_out *o = ctx;
  ptcp_ip ip;
  ptcp_seg seg;
  char desc[256];
  int rv;

  if (o->pcap != NULL) {
    /* pcap holds 32-bit seconds; an input that starts the clock at
     * 2^62 ns gets its packets timed from the first one's second (the
     * ladder says so, and the JSON lines keep the engine's times). */
    if (!o->pcap_rebased && now / PTCP_SECONDS > UINT32_MAX) {
      o->pcap_rebased = 1;
      o->pcap_base = now - now % PTCP_SECONDS;
      ladder_line(o, now, " (pcap times count from %llu s)",
                  (unsigned long long)(o->pcap_base / PTCP_SECONDS));
    }
    if (psim_pcap_write(o->pcap, now - o->pcap_base, pkt, len) != 0)
      o->write_error = 1;
  }
  rv = ptcp_packet_parse(&ip, &seg, pkt, len, 0);
  if (rv == 0)
    ptcp_seg_format(desc, sizeof(desc), &seg);
  else if (ptcp_packet_parse(&ip, &seg, pkt, len,
                             PTCP_IP_NO_CHECKSUM | PTCP_TCP_NO_CHECKSUM) == 0) {
    int n = ptcp_seg_format(desc, sizeof(desc), &seg);
    if (n >= 0 && (size_t)n < sizeof(desc))
      snprintf(desc + n, sizeof(desc) - (size_t)n, " (%s)", ptcp_err_name(rv));
  } else {
    snprintf(desc, sizeof(desc), "%zu bytes that do not parse (%s)", len,
             ptcp_err_name(rv));
  }
  if (o->json != NULL) {
    fprintf(o->json,
            "{\"t\":%llu,\"type\":\"packet\",\"dir\":\"%s\",\"len\":%zu,\"seg\":",
            (unsigned long long)now, dir == FT_TO_RIGHT ? "right" : "left", len);
    json_str(o->json, desc);
    if (note != NULL) {
      fprintf(o->json, ",\"note\":");
      json_str(o->json, note);
    }
    fprintf(o->json, "}\n");
  }
  if (o->ladder != NULL) {
    /* |---- text ---->|  or  |<--- text -----| across the page. */
    char line[LADDER_WIDTH + 64];
    size_t dl = strlen(desc), pos;
    int width = LADDER_WIDTH - 2;
    if (dl > (size_t)width - 12)
      dl = (size_t)width - 12;
    memset(line, '-', (size_t)width);
    line[width] = '\0';
    pos = ((size_t)width - dl) / 2;
    line[pos - 1] = ' ';
    memcpy(line + pos, desc, dl);
    line[pos + dl] = ' ';
    if (dir == FT_TO_RIGHT)
      line[width - 1] = '>';
    else
      line[0] = '<';
    ladder_line(o, now, "|%s|%s%s", line, note ? " " : "", note ? note : "");
  }
}

static void on_trace(void *ctx, int side, const ptcp_trace *ev) {
  explain_out *o = ctx;
  char seg[256] = "";
  int indent = side ? LADDER_WIDTH / 2 : 1;

  if (o->json != NULL) {
    fprintf(
        o->json,
        "{\"t\":%llu,\"type\":\"trace\",\"side\":%d,\"kind\":\"%s\",\"local_port\":%u,"
        "\"remote_port\":%u",
        (unsigned long long)ev->now, side, ptcp_trace_kind_name(ev->kind), ev->local_port,
        ev->remote_port);
    switch (ev->kind) {
    case PTCP_TRACE_STATE:
      fprintf(o->json, ",\"from\":\"%s\",\"to\":\"%s\",\"reason\":\"%s\"",
              ptcp_state_name(ev->old_state), ptcp_state_name(ev->new_state),
              ptcp_reason_name(ev->reason));
      break;
    case PTCP_TRACE_SEG_IN:
      fprintf(o->json, ",\"verdict\":\"%s\",\"reason\":\"%s\",\"state\":\"%s\"",
              ptcp_verdict_name(ev->verdict), ptcp_reason_name(ev->reason),
              ptcp_state_name(ev->new_state));
      break;
    case PTCP_TRACE_SEG_OUT:
      fprintf(o->json, ",\"retransmit\":%u", ev->retransmit);
      break;
    case PTCP_TRACE_RTT:
      fprintf(o->json, ",\"rtt\":%llu,\"rto\":%llu", (unsigned long long)ev->rtt,
              (unsigned long long)ev->rto);
      break;
    case PTCP_TRACE_RTO:
      fprintf(o->json, ",\"timer\":\"%s\",\"rto\":%llu", ptcp_timer_name(ev->timer),
              (unsigned long long)ev->rto);
      break;
    case PTCP_TRACE_TIMER:
      fprintf(o->json, ",\"timer\":\"%s\"", ptcp_timer_name(ev->timer));
      break;
    case PTCP_TRACE_CWND:
      fprintf(o->json, ",\"cwnd\":%u,\"ssthresh\":%u", ev->cwnd, ev->ssthresh);
      break;
    }
    if (ev->seg != NULL) {
      ptcp_seg_format(seg, sizeof(seg), ev->seg);
      fprintf(o->json, ",\"seg\":");
      json_str(o->json, seg);
    }
    fprintf(o->json, "}\n");
  }
  switch (ev->kind) {
  case PTCP_TRACE_STATE:
    ladder_line(o, ev->now, "%*s[%s -> %s] port %u", indent, "",
                ptcp_state_name(ev->old_state), ptcp_state_name(ev->new_state),
                ev->local_port);
    break;
  case PTCP_TRACE_SEG_IN:
    ladder_line(o, ev->now, "%*sin: %s (%s) in %s", indent, "",
                ptcp_verdict_name(ev->verdict), ptcp_reason_name(ev->reason),
                ev->conn ? ptcp_state_name(ev->new_state) : "no connection");
    break;
  case PTCP_TRACE_TIMER:
    ladder_line(o, ev->now, "%*stimer %s fired", indent, "", ptcp_timer_name(ev->timer));
    break;
  case PTCP_TRACE_SEG_OUT:
    if (ev->retransmit)
      ladder_line(o, ev->now, "%*sretransmission:", indent, "");
    break;
  default:
    break;
  }
}

static void on_failure(void *ctx, ptcp_time now, const char *what) {
  explain_out *o = ctx;

  if (o->json != NULL) {
    fprintf(o->json,
            "{\"t\":%llu,\"type\":\"failure\",\"what\":", (unsigned long long)now);
    json_str(o->json, what);
    fprintf(o->json, "}\n");
    fflush(o->json);
  }
  ladder_line(o, now, "*** ORACLE FAILED: %s", what);
  /* The harness aborts once this returns: close the files first and end
   * with the status that says "an oracle failed". */
  {
    char err[256];
    if (explain_out_close(o, err, sizeof(err)) != 0)
      fprintf(stderr, "plugtcp-fuzz-explain: %s\n", err);
  }
  fprintf(stderr, "plugtcp-fuzz-explain: %s\n", what);
  exit(1);
}

explain_out *explain_out_open(const char *pcap_path, const char *json_path,
                              const char *ladder_path, char *err, size_t errlen) {
  explain_out *o = calloc(1, sizeof(*o));

  if (o == NULL) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  if (pcap_path != NULL && psim_pcap_open(&o->pcap, pcap_path, NULL, err, errlen) != 0)
    goto fail;
  o->json = open_text(json_path, &o->json_own, err, errlen);
  if (json_path != NULL && o->json == NULL)
    goto fail;
  o->ladder = open_text(ladder_path, &o->ladder_own, err, errlen);
  if (ladder_path != NULL && o->ladder == NULL)
    goto fail;
  o->tr.ctx = o;
  o->tr.begin = on_begin;
  o->tr.event = on_event;
  o->tr.result = on_result;
  o->tr.packet = on_packet;
  o->tr.trace = on_trace;
  o->tr.failure = on_failure;
  return o;

fail:
  explain_out_close(o, NULL, 0);
  return NULL;
}

const fuzz_tracer *explain_out_tracer(explain_out *o) { return &o->tr; }

int explain_out_close(explain_out *o, char *err, size_t errlen) {
  int rv = 0;
  char perr[256];

  if (o == NULL)
    return 0;
  if (o->pcap != NULL && psim_pcap_close(o->pcap, perr, sizeof(perr)) != 0) {
    if (err != NULL)
      snprintf(err, errlen, "%s", perr);
    rv = -1;
  }
  if (o->json != NULL &&
      (fflush(o->json) != 0 || (o->json_own && fclose(o->json) != 0))) {
    if (err != NULL && rv == 0)
      snprintf(err, errlen, "cannot write the JSON lines");
    rv = -1;
  }
  if (o->ladder != NULL &&
      (fflush(o->ladder) != 0 || (o->ladder_own && fclose(o->ladder) != 0))) {
    if (err != NULL && rv == 0)
      snprintf(err, errlen, "cannot write the ladder");
    rv = -1;
  }
  if (o->write_error && rv == 0) {
    if (err != NULL)
      snprintf(err, errlen, "cannot write the pcap");
    rv = -1;
  }
  free(o);
  return rv;
}
