/*
 * --plugin PATH for plugtcp's tools: load policy plugins into the
 * tool's registry before any policy spec is resolved, and unload them
 * in reverse order at the end.  docs/plugins.md describes the flag.
 *
 * Built without the plugin loader (configure --disable-plugin-loader,
 * or no dlopen), tool_plugin_load fails with a sentence that says so.
 */
#ifndef PLUGTCP_TOOLS_PLUGIN_OPT_H
#define PLUGTCP_TOOLS_PLUGIN_OPT_H

#include <stddef.h>

#include <plugtcp/plugtcp.h>

/** The most --plugin flags one command line may give. */
#define TOOL_PLUGINS_MAX 32u

typedef struct tool_plugins {
  void *plugin[TOOL_PLUGINS_MAX]; /* ptcp_plugin *, in load order */
  size_t n;
} tool_plugins;

/**
 * tool_plugin_load loads the plugin at |path| into |reg| and keeps it in
 * |tp|.  Returns 0, or -1 with one sentence in |err| (|errlen| bytes)
 * that starts with "--plugin: " and names the path and the problem (the
 * loader's words: no such file, a missing symbol, another policy ABI,
 * a name already taken, a required hook missing, ...; or too many
 * plugins; or no loader in this build).  The tools print it and exit 2.
 */
int tool_plugin_load(tool_plugins *tp, ptcp_registry *reg, const char *path, char *err,
                     size_t errlen);

/**
 * tool_plugins_unload unloads every plugin of |tp|, the last loaded
 * first.  Call it after every stack that may use their policies is
 * freed, and before the registry is.
 */
void tool_plugins_unload(tool_plugins *tp);

#endif /* PLUGTCP_TOOLS_PLUGIN_OPT_H */
