/* An entry point that registers nothing and says it succeeded. */
#include <plugtcp/plugin.h>

PTCP_PLUGIN_EXPORT const uint32_t PTCP_PLUGIN_ABI = PTCP_POLICY_ABI;

PTCP_PLUGIN_EXPORT int PTCP_PLUGIN_ENTRY(ptcp_registry *reg, uint32_t abi) {
  (void)reg;
  (void)abi;
  return 0;
}
