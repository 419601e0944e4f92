/*
 * A plugin that needs a function the host does not have (as one built
 * against a newer plugtcp would): dlopen's RTLD_NOW refuses it.
 */
#include "test_plugin.h"

int ptcp_no_such_function(void);

static int nsf_init(void *state, const void *params, ptcp_time now) {
  (void)state;
  (void)params;
  (void)now;
  return ptcp_no_such_function();
}

static const ptcp_rto_ops needs_more = {
    .info = {.abi = PTCP_POLICY_ABI, .slot = PTCP_SLOT_RTO, .name = "undefined"},
    .init = nsf_init,
    .on_rtt_sample = test_rto_sample,
    .rto = test_rto_rto,
    .on_timeout = test_rto_timeout,
};

PTCP_PLUGIN(&needs_more.info);
