/*
 * cc "none": no congestion control.  cwnd is UINT32_MAX, so only the
 * peer's receive window limits the sender, and every event is a no-op.
 *
 * This violates RFC 5681 (and RFC 9293 §3.8.2's MUST-19) on purpose: it
 * exists to measure what congestion control costs and buys, in the
 * simulator, never on a shared network.
 */
#include <plugtcp/policy.h>

#include "../builtins.h"

static int none_init(void *state, const void *params, uint32_t mss, ptcp_time now) {
  (void)state;
  (void)params;
  (void)mss;
  (void)now;
  return 0;
}

static uint32_t none_window(const void *state) {
  (void)state;
  return UINT32_MAX;
}

static void none_on_ack(void *state, const void *params, const ptcp_cc_ack *a) {
  (void)state;
  (void)params;
  (void)a;
}

static void none_on_event(void *state, const void *params, uint32_t flight, uint32_t mss,
                          ptcp_time now) {
  (void)state;
  (void)params;
  (void)flight;
  (void)mss;
  (void)now;
}

const ptcp_cc_ops ptcp_cc_none = {
    .info =
        {
            .abi = PTCP_POLICY_ABI,
            .slot = PTCP_SLOT_CC,
            .name = "none",
            .summary = "no congestion control: cwnd = UINT32_MAX, receive window only "
                       "(not RFC 5681; for comparisons)",
        },
    .init = none_init,
    .cwnd = none_window,
    .ssthresh = none_window,
    .on_ack = none_on_ack,
    .on_enter_recovery = none_on_event,
    .on_exit_recovery = none_on_event,
    .on_timeout = none_on_event,
};
