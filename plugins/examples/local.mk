# An out-of-tree-style plugin, built the way a user's would be: against
# the public headers only, as a libtool module that links nothing (its
# ptcp_registry_add resolves to the host's libplugtcp).  Installed in
# $(pkglibdir) as rto_pto.so; tests load it from the build tree.
PLUGIN_MODULE_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared \
	-export-symbols-regex '^plugtcp_plugin_'

if PLUGIN_MODULES
pkglib_LTLIBRARIES += plugins/examples/rto_pto.la
plugins_examples_rto_pto_la_SOURCES = plugins/examples/rto_pto.c
plugins_examples_rto_pto_la_CPPFLAGS = $(LOADER_CPPFLAGS)
plugins_examples_rto_pto_la_LDFLAGS = $(PLUGIN_MODULE_LDFLAGS)
else
EXTRA_DIST += plugins/examples/rto_pto.c
endif
