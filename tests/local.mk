# Tests: one Check program per library module (tests/check_<module>.c,
# sharing tests/check_main.c), the install/pkg-config consumer test, and
# the fuzz corpus replays from fuzz/local.mk.
EXTRA_DIST += tests/pkgconfig-consumer.c tests/pkgconfig-plugsim-consumer.c \
	tests/pkgconfig-plugin-consumer.c
dist_check_SCRIPTS += tests/pkgconfig.test tests/state-diagram.test tests/scapy-codec.test \
	tests/core-nodl.test
TESTS += tests/pkgconfig.test tests/state-diagram.test tests/core-nodl.test

# The codec against scapy, through tools/plugtcp-seg (not built when
# fuzzing); skips without /usr/bin/python3 + scapy.
if !FUZZING
TESTS += tests/scapy-codec.test
endif

# packetdrill scripts through tools/plugtcp-drill: plugtcp's own
# (tests/drill/) and FreeBSD's tcp-testsuite when it is present
# (PLUGTCP_CONFORMANCE_DIR, or ../shared/conformance next to the source).
DRILL_PKT_FILES = \
	tests/drill/blocking-active.pkt \
	tests/drill/blocking-passive.pkt \
	tests/drill/data-rto-fixed.pkt \
	tests/drill/data-rto-rfc6298.pkt \
	tests/drill/delayed-ack.pkt \
	tests/drill/old-duplicate-syn-listen.pkt \
	tests/drill/old-duplicate-synack-connect.pkt \
	tests/drill/poll-and-iov.pkt \
	tests/drill/syn-backoff-fixed.pkt \
	tests/drill/syn-backoff-freebsd.pkt \
	tests/drill/syn-backoff-jacobson88.pkt \
	tests/drill/syn-backoff-linux.pkt \
	tests/drill/syn-backoff-rfc6298.pkt \
	tests/drill/syn-backoff-rfc793.pkt \
	tests/drill/tw-close-abort.pkt \
	tests/drill/tw-close-rfc793.pkt \
	tests/drill/tw-close-rfc9293.pkt \
	tests/drill/tw-close-short.pkt \
	tests/drill/tw-syn-rfc6191.pkt \
	tests/drill/tw-syn-rfc9293.pkt \
	tests/drill/zero-window.pkt
DRILL_BAD_FILES = \
	tests/drill-bad/blocked-too-long.pkt \
	tests/drill-bad/early-segment.pkt \
	tests/drill-bad/missing-segment.pkt \
	tests/drill-bad/unexpected-segment.pkt \
	tests/drill-bad/wrong-ack.pkt \
	tests/drill-bad/wrong-errno.pkt \
	tests/drill-bad/wrong-flags.pkt \
	tests/drill-bad/wrong-state.pkt
dist_check_SCRIPTS += tests/drill.test tests/drill-selftest.test tests/conformance.test
TESTS += tests/drill.test tests/drill-selftest.test tests/conformance.test
EXTRA_DIST += tests/conformance/expected-results.txt $(DRILL_PKT_FILES) \
	$(DRILL_BAD_FILES)
CLEANFILES += conformance-report.json
AM_TESTS_ENVIRONMENT += \
	PLUGTCP_CONFORMANCE_DIR='$(PLUGTCP_CONFORMANCE_DIR)'; \
	if test -z "$$PLUGTCP_CONFORMANCE_DIR"; then unset PLUGTCP_CONFORMANCE_DIR; \
	else export PLUGTCP_CONFORMANCE_DIR; fi;

AM_TESTS_ENVIRONMENT += \
	CC='$(CC)'; export CC; \
	TEST_CFLAGS='$(SAN_CFLAGS) $(COV_CFLAGS)'; export TEST_CFLAGS; \
	TSHARK='$(TSHARK)'; export TSHARK;

if HAVE_CHECK
if !FUZZING
CHECK_PROGS = \
	tests/check_api \
	tests/check_cc \
	tests/check_cksum \
	tests/check_close \
	tests/check_conn \
	tests/check_conn_fuzz \
	tests/check_contract \
	tests/check_dupfilter \
	tests/check_ip \
	tests/check_engine \
	tests/check_fsm \
	tests/check_hostile \
	tests/check_isn \
	tests/check_nomem \
	tests/check_registry \
	tests/check_rstsyn \
	tests/check_rto \
	tests/check_seg \
	tests/check_seq \
	tests/check_sha256 \
	tests/check_textbook \
	tests/check_variants
check_PROGRAMS += $(CHECK_PROGS)
TESTS += $(CHECK_PROGS)

CHECK_COMMON = tests/check_main.c
CHECK_LDADD = core/tcp/libplugtcp.la $(CHECK_LIBS)
CHECK_CPP = $(AM_CPPFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests

tests_check_seq_SOURCES = tests/check_seq.c $(CHECK_COMMON)
tests_check_seq_CPPFLAGS = $(CHECK_CPP) -DSUITE_FN=ptcp_seq_suite
tests_check_seq_LDADD = $(CHECK_LDADD)

# The tools' SHA-256 against the FIPS 180-4 vectors.
tests_check_sha256_SOURCES = tests/check_sha256.c tools/tun/sha256.c $(CHECK_COMMON)
tests_check_sha256_CPPFLAGS = $(CHECK_CPP) -I$(top_srcdir)/tools/tun \
	-DSUITE_FN=ptcp_sha256_suite
tests_check_sha256_LDADD = $(CHECK_LIBS)

# Policy suites: the registry, each slot's built-ins, and the contract
# every registered policy must keep.  They see plugins/ for builtins.h
# and siphash.h, and share tests/policy_test_helper.h.
POLICY_CPP = $(CHECK_CPP) -I$(top_srcdir)/plugins
EXTRA_DIST += tests/policy_test_helper.h

tests_check_registry_SOURCES = tests/check_registry.c $(CHECK_COMMON)
tests_check_registry_CPPFLAGS = $(POLICY_CPP) -DSUITE_FN=ptcp_registry_suite
tests_check_registry_LDADD = $(CHECK_LDADD)

tests_check_isn_SOURCES = tests/check_isn.c $(CHECK_COMMON)
tests_check_isn_CPPFLAGS = $(POLICY_CPP) -DSUITE_FN=ptcp_isn_suite
tests_check_isn_LDADD = $(CHECK_LDADD)

tests_check_rto_SOURCES = tests/check_rto.c $(CHECK_COMMON)
tests_check_rto_CPPFLAGS = $(POLICY_CPP) -DSUITE_FN=ptcp_rto_suite
tests_check_rto_LDADD = $(CHECK_LDADD)

tests_check_dupfilter_SOURCES = tests/check_dupfilter.c $(CHECK_COMMON)
tests_check_dupfilter_CPPFLAGS = $(POLICY_CPP) -DSUITE_FN=ptcp_dupfilter_suite
tests_check_dupfilter_LDADD = $(CHECK_LDADD)

tests_check_close_SOURCES = tests/check_close.c $(CHECK_COMMON)
tests_check_close_CPPFLAGS = $(POLICY_CPP) -DSUITE_FN=ptcp_close_suite
tests_check_close_LDADD = $(CHECK_LDADD)

tests_check_cc_SOURCES = tests/check_cc.c $(CHECK_COMMON)
tests_check_cc_CPPFLAGS = $(POLICY_CPP) -DSUITE_FN=ptcp_cc_suite
tests_check_cc_LDADD = $(CHECK_LDADD) -lm

tests_check_contract_SOURCES = tests/check_contract.c $(CHECK_COMMON)
tests_check_contract_CPPFLAGS = $(POLICY_CPP) -DSUITE_FN=ptcp_contract_suite
tests_check_contract_LDADD = $(CHECK_LDADD)

# Engine suites over the scripted-peer and back-to-back harnesses.  The
# harness's invariant checker reads the engine's internal header, so it
# sees core/tcp; the suites themselves use the public API.
ENGINE_TEST_SOURCES = tests/tcp_harness.c tests/tcp_harness.h $(CHECK_COMMON)
ENGINE_CPP = $(CHECK_CPP) -I$(top_srcdir)/core/tcp
tests_check_conn_SOURCES = tests/check_conn.c $(ENGINE_TEST_SOURCES)
tests_check_conn_CPPFLAGS = $(ENGINE_CPP) -DSUITE_FN=ptcp_conn_suite
tests_check_conn_LDADD = $(CHECK_LDADD)

# Engine regressions found by the conn fuzz target.
tests_check_conn_fuzz_SOURCES = tests/check_conn_fuzz.c $(ENGINE_TEST_SOURCES)
tests_check_conn_fuzz_CPPFLAGS = $(ENGINE_CPP) -DSUITE_FN=ptcp_conn_fuzz_suite
tests_check_conn_fuzz_LDADD = $(CHECK_LDADD)

tests_check_textbook_SOURCES = tests/check_textbook.c $(ENGINE_TEST_SOURCES)
tests_check_textbook_CPPFLAGS = $(ENGINE_CPP) -DSUITE_FN=ptcp_textbook_suite
tests_check_textbook_LDADD = $(CHECK_LDADD)

tests_check_variants_SOURCES = tests/check_variants.c $(ENGINE_TEST_SOURCES)
tests_check_variants_CPPFLAGS = $(ENGINE_CPP) -I$(top_srcdir)/plugins -DSUITE_FN=ptcp_variants_suite
tests_check_variants_LDADD = $(CHECK_LDADD)

# The simulator's suites: -DSUITE_FN=psim_<module>_suite, linked with
# libplugsim and the shared helpers in tests/sim_test_util.c.
SIM_CHECK_PROGS = \
	tests/check_link \
	tests/check_pcap \
	tests/check_pkt \
	tests/check_rng \
	tests/check_scenarios \
	tests/check_sched \
	tests/check_socket
check_PROGRAMS += $(SIM_CHECK_PROGS)
TESTS += $(SIM_CHECK_PROGS)

SIM_CHECK_COMMON = $(CHECK_COMMON) tests/sim_test_util.c tests/sim_test_util.h
SIM_CHECK_LDADD = core/sim/libplugsim.la $(CHECK_LDADD)
SIM_CHECK_CPP = $(CHECK_CPP) -I$(top_srcdir)/core/sim/include

tests_check_link_SOURCES = tests/check_link.c $(SIM_CHECK_COMMON)
tests_check_link_CPPFLAGS = $(SIM_CHECK_CPP) -DSUITE_FN=psim_link_suite
tests_check_link_LDADD = $(SIM_CHECK_LDADD)

tests_check_pcap_SOURCES = tests/check_pcap.c $(SIM_CHECK_COMMON)
tests_check_pcap_CPPFLAGS = $(SIM_CHECK_CPP) $(PCAP_CFLAGS) -DSUITE_FN=psim_pcap_suite
tests_check_pcap_LDADD = $(SIM_CHECK_LDADD) $(PCAP_LIBS)

tests_check_pkt_SOURCES = tests/check_pkt.c $(SIM_CHECK_COMMON)
tests_check_pkt_CPPFLAGS = $(SIM_CHECK_CPP) -DSUITE_FN=psim_pkt_suite
tests_check_pkt_LDADD = $(SIM_CHECK_LDADD)

tests_check_rng_SOURCES = tests/check_rng.c $(SIM_CHECK_COMMON)
tests_check_rng_CPPFLAGS = $(SIM_CHECK_CPP) -DSUITE_FN=psim_rng_suite
tests_check_rng_LDADD = $(SIM_CHECK_LDADD)

# Every scenario under every combination of the registered policies.
tests_check_scenarios_SOURCES = tests/check_scenarios.c $(SIM_CHECK_COMMON)
tests_check_scenarios_CPPFLAGS = $(SIM_CHECK_CPP) -DSUITE_FN=psim_scenarios_suite
tests_check_scenarios_LDADD = $(SIM_CHECK_LDADD)

tests_check_socket_SOURCES = tests/check_socket.c $(SIM_CHECK_COMMON)
tests_check_socket_CPPFLAGS = $(SIM_CHECK_CPP) -DSUITE_FN=psim_socket_suite
tests_check_socket_LDADD = $(SIM_CHECK_LDADD)

tests_check_sched_SOURCES = tests/check_sched.c $(SIM_CHECK_COMMON)
tests_check_sched_CPPFLAGS = $(SIM_CHECK_CPP) -DSUITE_FN=psim_sched_suite
tests_check_sched_LDADD = $(SIM_CHECK_LDADD)

tests_check_api_SOURCES = tests/check_api.c $(ENGINE_TEST_SOURCES)
tests_check_api_CPPFLAGS = $(ENGINE_CPP) -DSUITE_FN=ptcp_api_suite
tests_check_api_LDADD = $(CHECK_LDADD)

tests_check_engine_SOURCES = tests/check_engine.c $(ENGINE_TEST_SOURCES)
tests_check_engine_CPPFLAGS = $(ENGINE_CPP) -DSUITE_FN=ptcp_engine_suite
tests_check_engine_LDADD = $(CHECK_LDADD)

tests_check_fsm_SOURCES = tests/check_fsm.c $(ENGINE_TEST_SOURCES)
tests_check_fsm_CPPFLAGS = $(ENGINE_CPP) -DSUITE_FN=ptcp_fsm_suite
tests_check_fsm_LDADD = $(CHECK_LDADD)

tests_check_hostile_SOURCES = tests/check_hostile.c $(ENGINE_TEST_SOURCES)
tests_check_hostile_CPPFLAGS = $(ENGINE_CPP) -DSUITE_FN=ptcp_hostile_suite
tests_check_hostile_LDADD = $(CHECK_LDADD)

tests_check_nomem_SOURCES = tests/check_nomem.c $(ENGINE_TEST_SOURCES)
tests_check_nomem_CPPFLAGS = $(ENGINE_CPP) -DSUITE_FN=ptcp_nomem_suite
tests_check_nomem_LDADD = $(CHECK_LDADD)

tests_check_rstsyn_SOURCES = tests/check_rstsyn.c $(ENGINE_TEST_SOURCES)
tests_check_rstsyn_CPPFLAGS = $(ENGINE_CPP) -DSUITE_FN=ptcp_rstsyn_suite
tests_check_rstsyn_LDADD = $(CHECK_LDADD)
endif

# The plugin loader against the example plugin and the deliberately
# broken ones in tests/plugins/ (shared modules that only make check
# builds; -rpath makes libtool build them shared).  check_plugin finds
# them in the build tree through TEST_PLUGIN_DIR and EXAMPLE_PLUGIN_DIR.
if PLUGIN_MODULES
TEST_PLUGINS = \
	tests/plugins/dup_builtin.la \
	tests/plugins/empty.la \
	tests/plugins/fails.la \
	tests/plugins/incomplete.la \
	tests/plugins/no_abi.la \
	tests/plugins/no_entry.la \
	tests/plugins/rollback.la \
	tests/plugins/undefined.la \
	tests/plugins/wrong_abi.la
check_LTLIBRARIES += $(TEST_PLUGINS)
TEST_PLUGIN_LDFLAGS = $(AM_LDFLAGS) -module -avoid-version -shared -rpath /nowhere
TEST_PLUGIN_CPP = $(LOADER_CPPFLAGS)
tests_plugins_dup_builtin_la_SOURCES = tests/plugins/dup_builtin.c tests/plugins/test_plugin.h
tests_plugins_dup_builtin_la_CPPFLAGS = $(TEST_PLUGIN_CPP)
tests_plugins_dup_builtin_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_empty_la_SOURCES = tests/plugins/empty.c
tests_plugins_empty_la_CPPFLAGS = $(TEST_PLUGIN_CPP)
tests_plugins_empty_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_fails_la_SOURCES = tests/plugins/fails.c tests/plugins/test_plugin.h
tests_plugins_fails_la_CPPFLAGS = $(TEST_PLUGIN_CPP)
tests_plugins_fails_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_incomplete_la_SOURCES = tests/plugins/incomplete.c tests/plugins/test_plugin.h
tests_plugins_incomplete_la_CPPFLAGS = $(TEST_PLUGIN_CPP)
tests_plugins_incomplete_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_no_abi_la_SOURCES = tests/plugins/no_abi.c
tests_plugins_no_abi_la_CPPFLAGS = $(TEST_PLUGIN_CPP)
tests_plugins_no_abi_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_no_entry_la_SOURCES = tests/plugins/no_entry.c
tests_plugins_no_entry_la_CPPFLAGS = $(TEST_PLUGIN_CPP)
tests_plugins_no_entry_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_rollback_la_SOURCES = tests/plugins/rollback.c tests/plugins/test_plugin.h
tests_plugins_rollback_la_CPPFLAGS = $(TEST_PLUGIN_CPP)
tests_plugins_rollback_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_undefined_la_SOURCES = tests/plugins/undefined.c tests/plugins/test_plugin.h
tests_plugins_undefined_la_CPPFLAGS = $(TEST_PLUGIN_CPP)
tests_plugins_undefined_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_wrong_abi_la_SOURCES = tests/plugins/wrong_abi.c
tests_plugins_wrong_abi_la_CPPFLAGS = $(TEST_PLUGIN_CPP)
tests_plugins_wrong_abi_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)

check_PROGRAMS += tests/check_plugin
TESTS += tests/check_plugin
tests_check_plugin_SOURCES = tests/check_plugin.c $(ENGINE_TEST_SOURCES)
tests_check_plugin_CPPFLAGS = $(ENGINE_CPP) -I$(top_srcdir)/core/loader/include \
	-DSUITE_FN=ptcp_plugin_suite \
	-DTEST_PLUGIN_DIR='"$(abs_top_builddir)/tests/plugins"' \
	-DEXAMPLE_PLUGIN_DIR='"$(abs_top_builddir)/plugins/examples"' \
	-DTEST_SRCDIR='"$(abs_top_srcdir)/tests"'
tests_check_plugin_LDADD = core/loader/libplugtcp-plugin.la $(CHECK_LDADD)

# plugtcp-sim --plugin and plugtcp-tun --plugin with the same modules.
dist_check_SCRIPTS += tests/plugtcp-sim-plugin.test
TESTS += tests/plugtcp-sim-plugin.test
else
EXTRA_DIST += tests/plugtcp-sim-plugin.test
EXTRA_DIST += tests/check_plugin.c tests/plugins/test_plugin.h tests/plugins/dup_builtin.c \
	tests/plugins/empty.c tests/plugins/fails.c tests/plugins/incomplete.c \
	tests/plugins/no_abi.c tests/plugins/no_entry.c tests/plugins/rollback.c \
	tests/plugins/undefined.c tests/plugins/wrong_abi.c
endif

# The wire codec suites share tests/check_wire.h.
tests_check_seg_SOURCES = tests/check_seg.c tests/check_wire.h $(CHECK_COMMON)
tests_check_seg_CPPFLAGS = $(CHECK_CPP) -DSUITE_FN=ptcp_seg_suite
tests_check_seg_LDADD = $(CHECK_LDADD)

tests_check_cksum_SOURCES = tests/check_cksum.c tests/check_wire.h $(CHECK_COMMON)
tests_check_cksum_CPPFLAGS = $(CHECK_CPP) -DSUITE_FN=ptcp_cksum_suite
tests_check_cksum_LDADD = $(CHECK_LDADD)

tests_check_ip_SOURCES = tests/check_ip.c tests/check_wire.h $(CHECK_COMMON)
tests_check_ip_CPPFLAGS = $(CHECK_CPP) -DSUITE_FN=ptcp_ip_suite
tests_check_ip_LDADD = $(CHECK_LDADD)
endif

# tshark's verdict on a capture with one corrupted packet; the helper
# writes it through a link and psim_pcap, without Check.
if !FUZZING
check_PROGRAMS += tests/pcap-corrupt-helper
tests_pcap_corrupt_helper_SOURCES = tests/pcap-corrupt-helper.c
tests_pcap_corrupt_helper_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core/sim/include
tests_pcap_corrupt_helper_LDADD = core/sim/libplugsim.la core/tcp/libplugtcp.la
dist_check_SCRIPTS += tests/pcap-tshark.test
TESTS += tests/pcap-tshark.test

# plugtcp-sim from the outside, and tshark's verdict on its captures.
dist_check_SCRIPTS += tests/plugtcp-sim.test tests/sim-tshark.test
TESTS += tests/plugtcp-sim.test tests/sim-tshark.test

# plugtcp-sweep: the grid, the CSV, the command lists; then the plots
# and figures (skipped without gnuplot).
dist_check_SCRIPTS += tests/plugtcp-sweep.test tests/plugtcp-sweep-plot.test
TESTS += tests/plugtcp-sweep.test tests/plugtcp-sweep-plot.test
endif

# Interop with the Linux kernel's TCP through plugtcp-tun (tests/interop/):
# every case in a network namespace of its own, SKIP without root or
# /dev/net/tun.  `make interop-soak` runs the soak (1000 sequential and
# 50 concurrent connections), which make check leaves out.
INTEROP_TESTS = \
	tests/interop/handshake.test \
	tests/interop/bulk.test \
	tests/interop/echo.test \
	tests/interop/halfclose.test \
	tests/interop/closeorder.test \
	tests/interop/refused.test \
	tests/interop/abort.test \
	tests/interop/impaired.test \
	tests/interop/options.test
EXTRA_DIST += tests/interop/interop.py tests/interop/run
if !FUZZING
if HAVE_TUN
dist_check_SCRIPTS += $(INTEROP_TESTS)
TESTS += $(INTEROP_TESTS)

interop-soak: tools/plugtcp-tun
	abs_top_builddir='$(abs_top_builddir)' $(top_srcdir)/tests/interop/run soak
PHONY_TARGETS += interop-soak
endif
endif
