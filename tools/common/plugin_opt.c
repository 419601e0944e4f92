/*
 * --plugin PATH for plugtcp's tools (see plugin_opt.h).
 */
#include "config.h"

#include <stdio.h>

#include "common/plugin_opt.h"

#ifdef PLUGTCP_TOOLS_PLUGIN_LOADER
#include <plugtcp/plugin.h>
#endif

int tool_plugin_load(tool_plugins *tp, ptcp_registry *reg, const char *path, char *err,
                     size_t errlen) {
#ifdef PLUGTCP_TOOLS_PLUGIN_LOADER
  char msg[512];
  ptcp_plugin *p;

  if (tp->n == TOOL_PLUGINS_MAX) {
    snprintf(err, errlen, "--plugin: '%s': at most %u plugins", path,
             (unsigned)TOOL_PLUGINS_MAX);
    return -1;
  }
  if (ptcp_plugin_load(reg, path, &p, msg, sizeof(msg)) != 0) {
    snprintf(err, errlen, "--plugin: %s", msg);
    return -1;
  }
  tp->plugin[tp->n++] = p;
  return 0;
#else
  (void)tp;
  (void)reg;
  snprintf(err, errlen,
           "--plugin: cannot load '%s': this build has no plugin loader (configured "
           "with --disable-plugin-loader, or without dlopen)",
           path);
  return -1;
#endif
}

void tool_plugins_unload(tool_plugins *tp) {
#ifdef PLUGTCP_TOOLS_PLUGIN_LOADER
  /* The reverse of the load order, so each unload leaves the registry
   * exactly as it was before that plugin's load. */
  while (tp->n > 0)
    ptcp_plugin_unload(tp->plugin[--tp->n]);
#else
  tp->n = 0;
#endif
}
