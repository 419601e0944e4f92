/* The ABI stamp without an entry point. */
#include <plugtcp/plugin.h>

PTCP_PLUGIN_EXPORT const uint32_t PTCP_PLUGIN_ABI = PTCP_POLICY_ABI;
