/*
 * A host outside the tree, built with `pkg-config --cflags --libs
 * plugtcp-plugin`.  Arguments come in pairs, PLUGIN RTO-SPEC: each plugin
 * is loaded into a registry of its own, the spec (naming one of its
 * policies) is resolved and printed back in full, and the plugin is
 * unloaded again.
 */
#include <plugtcp/plugin.h>
#include <plugtcp/plugtcp.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc < 3 || argc % 2 != 1) {
    fprintf(stderr, "usage: %s PLUGIN RTO-SPEC [PLUGIN RTO-SPEC]...\n", argv[0]);
    return 2;
  }
  for (int i = 1; i + 1 < argc; i += 2) {
    ptcp_registry *reg = NULL;
    ptcp_plugin *p = NULL;
    ptcp_policy_sel sel;
    char err[512], spec[256], name[PTCP_POLICY_NAME_MAX];

    if (ptcp_registry_new(&reg, NULL) != 0 || ptcp_registry_add_builtins(reg) != 0) {
      fprintf(stderr, "cannot build a registry\n");
      return 1;
    }
    if (ptcp_plugin_load(reg, argv[i], &p, err, sizeof(err)) != 0 ||
        ptcp_policy_parse(&sel, reg, PTCP_SLOT_RTO, argv[i + 1], err, sizeof(err)) != 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    ptcp_policy_format(spec, sizeof(spec), &sel);
    printf("%s: %zu policy, %s\n", ptcp_plugin_path(p), ptcp_plugin_count(p), spec);
    /* The name lives in the plugin: copy it before the unload. */
    snprintf(name, sizeof(name), "%s", sel.ops->name);
    ptcp_plugin_unload(p);
    if (ptcp_registry_find(reg, PTCP_SLOT_RTO, name) != NULL) {
      fprintf(stderr, "%s is still registered after unload\n", name);
      return 1;
    }
    ptcp_registry_free(reg);
  }
  return 0;
}
