/*
 * An entry point that registers a policy, then fails with a value that
 * is not a PTCP_ERR_* code.
 */
#include "test_plugin.h"

TEST_RTO(registered, "fails");

PTCP_PLUGIN_EXPORT const uint32_t PTCP_PLUGIN_ABI = PTCP_POLICY_ABI;

PTCP_PLUGIN_EXPORT int PTCP_PLUGIN_ENTRY(ptcp_registry *reg, uint32_t abi) {
  (void)abi;
  if (ptcp_registry_add(reg, &registered.info) != 0)
    return -1;
  return 42;
}
