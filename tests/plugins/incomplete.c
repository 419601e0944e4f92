/*
 * A good policy, then one without its on_timeout hook: the load fails
 * with PTCP_ERR_OPS_INCOMPLETE naming the second, and the first does not
 * reach the caller's registry either.
 */
#include "test_plugin.h"

TEST_RTO(first, "okfirst");

static const ptcp_rto_ops notimeout = {
    .info = {.abi = PTCP_POLICY_ABI,
             .slot = PTCP_SLOT_RTO,
             .name = "notimeout",
             .summary = "test: no on_timeout"},
    .init = test_rto_init,
    .on_rtt_sample = test_rto_sample,
    .rto = test_rto_rto,
};

PTCP_PLUGIN(&first.info, &notimeout.info);
