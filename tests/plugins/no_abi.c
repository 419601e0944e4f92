/*
 * An entry point without the ABI stamp, as a plugin written without
 * PTCP_PLUGIN() might be.  Refused before the entry point runs (it
 * aborts).
 */
#include <stdlib.h>

#include <plugtcp/plugin.h>

PTCP_PLUGIN_EXPORT int PTCP_PLUGIN_ENTRY(ptcp_registry *reg, uint32_t abi) {
  (void)reg;
  (void)abi;
  abort();
}
