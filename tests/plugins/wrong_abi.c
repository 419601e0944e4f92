/*
 * A plugin built for the next policy ABI.  The loader must refuse it on
 * its stamp alone: its entry point aborts, so a loader that called it
 * would crash the test.
 */
#include <stdlib.h>

#include <plugtcp/plugin.h>

PTCP_PLUGIN_EXPORT const uint32_t PTCP_PLUGIN_ABI = PTCP_POLICY_ABI + 1;

PTCP_PLUGIN_EXPORT int PTCP_PLUGIN_ENTRY(ptcp_registry *reg, uint32_t abi) {
  (void)reg;
  (void)abi;
  abort();
}
