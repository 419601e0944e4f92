# libplugtcp-plugin: loads policies from shared objects.  The only code
# that calls dlopen; libplugtcp itself never does (tests/core-nodl.test).
LOADER_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core/loader/include

if PLUGIN_LOADER
lib_LTLIBRARIES += core/loader/libplugtcp-plugin.la
plugtcp_include_HEADERS += core/loader/include/plugtcp/plugin.h
pkgconfig_DATA += plugtcp-plugin.pc

core_loader_libplugtcp_plugin_la_SOURCES = core/loader/ptcp_plugin.c
core_loader_libplugtcp_plugin_la_CPPFLAGS = $(LOADER_CPPFLAGS)
core_loader_libplugtcp_plugin_la_LIBADD = core/tcp/libplugtcp.la $(DL_LIBS)
core_loader_libplugtcp_plugin_la_LDFLAGS = $(AM_LDFLAGS) \
	-version-info $(PLUGTCP_PLUGIN_LT_VERSION) \
	-no-undefined -export-symbols-regex '^ptcp_plugin_'
else
EXTRA_DIST += core/loader/include/plugtcp/plugin.h core/loader/ptcp_plugin.c
endif
