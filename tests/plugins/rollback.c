/*
 * Three valid policies, the last named like the built-in close policy
 * "rfc9293": the loader moves the isn and rto ones into the registry
 * first (slot order), then meets the clash and must take both back.
 */
#include "test_plugin.h"

static uint32_t rb_isn(void *state, const void *params, const ptcp_isn_ctx *ctx) {
  (void)state;
  (void)params;
  (void)ctx;
  return 1;
}

static ptcp_duration rb_time_wait(const void *params, ptcp_duration msl) {
  (void)params;
  return 2 * msl;
}

static ptcp_tw_verdict rb_tw_segment(const void *params, const ptcp_tw_ctx *c) {
  (void)params;
  (void)c;
  return PTCP_TW_DROP;
}

static const ptcp_isn_ops isn_first = {
    .info = {.abi = PTCP_POLICY_ABI, .slot = PTCP_SLOT_ISN, .name = "rbisn"},
    .generate = rb_isn,
};

TEST_RTO(rto_second, "rbrto");

static const ptcp_close_ops close_clash = {
    .info = {.abi = PTCP_POLICY_ABI, .slot = PTCP_SLOT_CLOSE, .name = "rfc9293"},
    .time_wait = rb_time_wait,
    .time_wait_segment = rb_tw_segment,
};

/* Listed clash first: the move into the caller's registry goes by slot,
 * so the other two are in before the clash is found. */
PTCP_PLUGIN(&close_clash.info, &rto_second.info, &isn_first.info);
