# libplugsim: the simulator (scheduler, random streams, packet pool,
# links, pcap, nodes, sockets, applications, traces, scenarios).
# Depends on libplugtcp's public headers, libpcap and libc only; it is
# built in fuzzing builds too, with the same coverage instrumentation as
# libplugtcp, because the end-to-end fuzz target links it.
lib_LTLIBRARIES += core/sim/libplugsim.la
pkgconfig_DATA += plugsim.pc

PLUGSIM_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core/sim/include

plugsim_includedir = $(includedir)/plugsim
plugsim_include_HEADERS = \
	core/sim/include/plugsim/plugsim.h \
	core/sim/include/plugsim/app.h \
	core/sim/include/plugsim/common.h \
	core/sim/include/plugsim/ladder.h \
	core/sim/include/plugsim/link.h \
	core/sim/include/plugsim/node.h \
	core/sim/include/plugsim/pcap.h \
	core/sim/include/plugsim/pkt.h \
	core/sim/include/plugsim/rng.h \
	core/sim/include/plugsim/scenario.h \
	core/sim/include/plugsim/sched.h \
	core/sim/include/plugsim/socket.h \
	core/sim/include/plugsim/trace.h

core_sim_libplugsim_la_SOURCES = \
	core/sim/psim_app_bulk.c \
	core/sim/psim_app_common.c \
	core/sim/psim_app_echo.c \
	core/sim/psim_app_int.h \
	core/sim/psim_app_many.c \
	core/sim/psim_app_reqresp.c \
	core/sim/psim_err.c \
	core/sim/psim_ladder.c \
	core/sim/psim_link.c \
	core/sim/psim_node.c \
	core/sim/psim_node_int.h \
	core/sim/psim_pcap.c \
	core/sim/psim_pkt.c \
	core/sim/psim_rng.c \
	core/sim/psim_scenario.c \
	core/sim/psim_scenario_int.h \
	core/sim/psim_scenarios.c \
	core/sim/psim_sched.c \
	core/sim/psim_socket.c \
	core/sim/psim_summary.c \
	core/sim/psim_trace.c
core_sim_libplugsim_la_CPPFLAGS = $(PLUGSIM_CPPFLAGS) $(PCAP_CFLAGS)
core_sim_libplugsim_la_CFLAGS = $(AM_CFLAGS) $(FUZZ_LIB_CFLAGS)
core_sim_libplugsim_la_LIBADD = core/tcp/libplugtcp.la $(PCAP_LIBS) $(LIBM)
core_sim_libplugsim_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(PLUGSIM_LT_VERSION) \
	-no-undefined -export-symbols-regex '^psim_'
