/*
 * plugsim: a run's summary, as one JSON object (keys in a fixed order,
 * documented in docs/sim.md) or as text for people.
 */
#include <inttypes.h>
#include <string.h>

#include <plugsim/scenario.h>
#include <plugsim/socket.h>

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

static double secs(ptcp_duration d) { return (double)d / 1e9; }

static const char *impair_name(unsigned impair) {
  switch (impair & PSIM_IMPAIR_BOTH) {
  case PSIM_IMPAIR_FORWARD:
    return "forward";
  case PSIM_IMPAIR_REVERSE:
    return "reverse";
  case PSIM_IMPAIR_BOTH:
    return "both";
  default:
    return "none";
  }
}

static void put_rtt(FILE *f, const char *key, ptcp_duration d, int have) {
  if (have)
    fprintf(f, "\"%s\":%.9f", key, secs(d));
  else
    fprintf(f, "\"%s\":null", key);
}

static void put_err(FILE *f, int err) {
  if (err == 0)
    fputs("null", f);
  else
    fprintf(f, "\"%s\"", psim_errno_name(err));
}

static double goodput_mbps(const psim_result *res) {
  return res->sim_time > 0
             ? (double)res->bytes_delivered * 8.0 / secs(res->sim_time) / 1e6
             : 0;
}

int psim_summary_json(FILE *f, const psim_result *res, double wall_s) {
  const psim_link_dir_cfg *l = &res->link;
  int have_rtt = res->rtt_samples > 0;

  fputs("{\"scenario\":", f);
  put_str(f, res->scenario->name);
  fprintf(f, ",\"seed\":%" PRIu64 ",\"policies\":{", res->seed);
  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    fprintf(f, "%s\"%s\":", slot ? "," : "", ptcp_slot_name((ptcp_slot)slot));
    put_str(f, res->policy[slot]);
  }
  fprintf(f,
          "},\"link\":{\"rate_bps\":%" PRIu64 ",\"delay_s\":%.9f,\"queue\":%zu,"
          "\"loss\":%.9g,\"burst_loss\":{\"p\":%.9g,\"r\":%.9g},\"dup\":%.9g,"
          "\"reorder\":%.9g,\"corrupt\":%.9g,\"jitter_s\":%.9f,\"impair\":\"%s\"}",
          l->rate_bps, secs(l->delay), l->queue_limit, l->loss, l->ge.p, l->ge.r,
          l->duplicate, l->reorder, l->corrupt, secs(l->jitter),
          impair_name(res->impair));
  fprintf(f,
          ",\"settings\":{\"bytes\":%" PRIu64 ",\"conns\":%" PRIu32
          ",\"mss\":%u,\"sndbuf\":%" PRIu32 ",\"rcvbuf\":%" PRIu32 ",\"msl_s\":%.9f}",
          res->bytes, res->conns, (unsigned)res->mss, res->sndbuf, res->rcvbuf,
          secs(res->msl));
  fprintf(f,
          ",\"bytes_sent\":%" PRIu64 ",\"bytes_delivered\":%" PRIu64
          ",\"bytes_expected\":%" PRIu64 ",\"verified\":%s,\"ok\":%s",
          res->bytes_sent, res->bytes_delivered, res->bytes_expected,
          res->verified ? "true" : "false", res->ok ? "true" : "false");
  fprintf(f,
          ",\"sim_time_s\":%.9f,\"wall_time_s\":%.6f,\"events\":%" PRIu64
          ",\"segments_sent\":%" PRIu64 ",\"data_segments_sent\":%" PRIu64
          ",\"retransmissions\":%" PRIu64 ",\"spurious_retransmissions\":%" PRIu64
          ",\"timeouts\":%" PRIu64,
          secs(res->sim_time), wall_s, res->events, res->segments_sent,
          res->data_segments_sent, res->retransmissions, res->spurious_retransmissions,
          res->timeouts);
  fprintf(f, ",\"rtt\":{\"samples\":%" PRIu64 ",", res->rtt_samples);
  put_rtt(f, "min", res->rtt_min, have_rtt);
  fputc(',', f);
  put_rtt(f, "mean", (ptcp_duration)res->rtt_mean, have_rtt);
  fputc(',', f);
  put_rtt(f, "max", res->rtt_max, have_rtt);
  fprintf(
      f,
      "},\"final_state\":{\"client\":\"%s\",\"server\":\"%s\"},\"errors\":{\"client\":",
      ptcp_state_name(res->final_client), ptcp_state_name(res->final_server));
  put_err(f, res->client_error);
  fputs(",\"server\":", f);
  put_err(f, res->server_error);
  fprintf(f,
          "},\"link_stats\":{\"offered\":%" PRIu64 ",\"sent\":%" PRIu64
          ",\"dropped_queue\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"duplicated\":%" PRIu64
          ",\"reordered\":%" PRIu64 ",\"corrupted\":%" PRIu64 ",\"delivered\":%" PRIu64
          "},\"input_errors\":%" PRIu64
          ",\"goodput_mbps\":%.3f,\"hung\":%s,\"expectation\":",
          res->links.offered, res->links.sent, res->links.dropped_queue, res->links.lost,
          res->links.duplicated, res->links.reordered, res->links.corrupted,
          res->links.delivered, res->input_errors, goodput_mbps(res),
          res->hung ? "true" : "false");
  put_str(f, res->expectation);
  fputs(",\"failures\":[", f);
  for (unsigned i = 0; i < res->nfailures; i++) {
    if (i)
      fputc(',', f);
    put_str(f, res->failures[i]);
  }
  fputs("]}\n", f);
  return ferror(f) ? PSIM_ERR_IO : 0;
}

static void rate_text(char *buf, size_t cap, uint64_t bps) {
  if (bps == 0)
    snprintf(buf, cap, "unlimited");
  else if (bps % 1000000000 == 0)
    snprintf(buf, cap, "%" PRIu64 " Gbit/s", bps / 1000000000);
  else if (bps % 1000000 == 0)
    snprintf(buf, cap, "%" PRIu64 " Mbit/s", bps / 1000000);
  else if (bps % 1000 == 0)
    snprintf(buf, cap, "%" PRIu64 " kbit/s", bps / 1000);
  else
    snprintf(buf, cap, "%" PRIu64 " bit/s", bps);
}

int psim_summary_text(FILE *f, const psim_result *res, double wall_s) {
  const psim_link_dir_cfg *l = &res->link;
  char rate[32], d[32];
  double sim = secs(res->sim_time);

  fprintf(f, "plugtcp-sim: scenario %s, seed %" PRIu64 ": %s\n", res->scenario->name,
          res->seed, res->ok ? "OK" : "FAILED");
  fprintf(f, "  %-12s %s\n", "what", res->scenario->summary);
  rate_text(rate, sizeof(rate), l->rate_bps);
  ptcp_duration_format(d, sizeof(d), l->delay);
  fprintf(f, "  %-12s %s, delay %s, queue %zu packets", "link", rate, d, l->queue_limit);
  if (l->loss > 0)
    fprintf(f, ", loss %g", l->loss);
  if (l->ge.p > 0)
    fprintf(f, ", burst loss p=%g r=%g", l->ge.p, l->ge.r);
  if (l->duplicate > 0)
    fprintf(f, ", dup %g", l->duplicate);
  if (l->reorder > 0)
    fprintf(f, ", reorder %g", l->reorder);
  if (l->corrupt > 0)
    fprintf(f, ", corrupt %g", l->corrupt);
  if (l->jitter > 0) {
    ptcp_duration_format(d, sizeof(d), l->jitter);
    fprintf(f, ", jitter %s", d);
  }
  fprintf(f, " (impairments: %s)\n", impair_name(res->impair));
  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++)
    fprintf(f, "  %-12s %s\n", slot == 0 ? "policies" : "", res->policy[slot]);
  fprintf(f,
          "  %-12s %" PRIu64 " bytes sent, %" PRIu64 " delivered of %" PRIu64
          " expected: %s\n",
          "data", res->bytes_sent, res->bytes_delivered, res->bytes_expected,
          res->verified ? "every byte checked, none missing" : "NOT VERIFIED");
  fprintf(f, "  %-12s %.6f s simulated in %.3f s wall", "time", sim, wall_s);
  if (wall_s >= 0.001)
    fprintf(f, " (%.0fx real time)", sim / wall_s);
  fprintf(f, ", %" PRIu64 " events\n", res->events);
  fprintf(f,
          "  %-12s %" PRIu64 " sent (%" PRIu64 " with data), %" PRIu64
          " retransmitted (%" PRIu64 " spurious), %" PRIu64 " timeouts\n",
          "segments", res->segments_sent, res->data_segments_sent, res->retransmissions,
          res->spurious_retransmissions, res->timeouts);
  if (res->rtt_samples > 0)
    fprintf(f, "  %-12s min %.3f ms, mean %.3f ms, max %.3f ms (%" PRIu64 " samples)\n",
            "rtt", secs(res->rtt_min) * 1e3, res->rtt_mean / 1e6,
            secs(res->rtt_max) * 1e3, res->rtt_samples);
  fprintf(f,
          "  %-12s %" PRIu64 " packets sent, %" PRIu64 " lost, %" PRIu64
          " dropped by the queue, %" PRIu64 " duplicated, %" PRIu64 " reordered, %" PRIu64
          " corrupted (%" PRIu64 " refused by a stack)\n",
          "network", res->links.sent, res->links.lost, res->links.dropped_queue,
          res->links.duplicated, res->links.reordered, res->links.corrupted,
          res->input_errors);
  if (res->bytes_delivered > 0)
    fprintf(f, "  %-12s %.3f Mbit/s\n", "goodput", goodput_mbps(res));
  fprintf(f, "  %-12s client %s%s%s, server %s%s%s\n", "final state",
          ptcp_state_name(res->final_client), res->client_error ? " with " : "",
          res->client_error ? psim_errno_name(res->client_error) : "",
          ptcp_state_name(res->final_server), res->server_error ? " with " : "",
          res->server_error ? psim_errno_name(res->server_error) : "");
  fprintf(f, "  %-12s %s\n", "expected", res->expectation);
  for (unsigned i = 0; i < res->nfailures; i++)
    fprintf(f, "  %-12s %s\n", i == 0 ? "FAILED" : "", res->failures[i]);
  return ferror(f) ? PSIM_ERR_IO : 0;
}
