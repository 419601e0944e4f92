# Tests: one Check program per library module (tests/check_<module>.c,
# sharing tests/check_main.c), the install/pkg-config consumer test, and
# the fuzz corpus replays from fuzz/local.mk.
EXTRA_DIST += tests/pkgconfig-consumer.c tests/pkgconfig-plugsim-consumer.c
dist_check_SCRIPTS += tests/pkgconfig.test tests/state-diagram.test
TESTS += tests/pkgconfig.test tests/state-diagram.test

AM_TESTS_ENVIRONMENT += \
	CC='$(CC)'; export CC; \
	TEST_CFLAGS='$(SAN_CFLAGS) $(COV_CFLAGS)'; export TEST_CFLAGS; \
	TSHARK='$(TSHARK)'; export TSHARK;

if HAVE_CHECK
if !FUZZING
CHECK_PROGS = \
	tests/check_cc \
	tests/check_close \
	tests/check_conn \
	tests/check_conn_fuzz \
	tests/check_contract \
	tests/check_dupfilter \
	tests/check_isn \
	tests/check_registry \
	tests/check_rto \
	tests/check_seq \
	tests/check_textbook
check_PROGRAMS += $(CHECK_PROGS)
TESTS += $(CHECK_PROGS)

CHECK_COMMON = tests/check_main.c
CHECK_LDADD = core/tcp/libplugtcp.la $(CHECK_LIBS)
CHECK_CPP = $(AM_CPPFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests

tests_check_seq_SOURCES = tests/check_seq.c $(CHECK_COMMON)
tests_check_seq_CPPFLAGS = $(CHECK_CPP) -DSUITE_FN=ptcp_seq_suite
tests_check_seq_LDADD = $(CHECK_LDADD)

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
tests_check_cc_LDADD = $(CHECK_LDADD)

tests_check_contract_SOURCES = tests/check_contract.c $(CHECK_COMMON)
tests_check_contract_CPPFLAGS = $(POLICY_CPP) -DSUITE_FN=ptcp_contract_suite
tests_check_contract_LDADD = $(CHECK_LDADD)

# Engine suites over the scripted-peer and back-to-back harnesses.
ENGINE_TEST_SOURCES = tests/tcp_harness.c tests/tcp_harness.h $(CHECK_COMMON)
tests_check_conn_SOURCES = tests/check_conn.c $(ENGINE_TEST_SOURCES)
tests_check_conn_CPPFLAGS = $(CHECK_CPP) -DSUITE_FN=ptcp_conn_suite
tests_check_conn_LDADD = $(CHECK_LDADD)

# Engine regressions found by the conn fuzz target.
tests_check_conn_fuzz_SOURCES = tests/check_conn_fuzz.c $(ENGINE_TEST_SOURCES)
tests_check_conn_fuzz_CPPFLAGS = $(CHECK_CPP) -DSUITE_FN=ptcp_conn_fuzz_suite
tests_check_conn_fuzz_LDADD = $(CHECK_LDADD)

tests_check_textbook_SOURCES = tests/check_textbook.c $(ENGINE_TEST_SOURCES)
tests_check_textbook_CPPFLAGS = $(CHECK_CPP) -DSUITE_FN=ptcp_textbook_suite
tests_check_textbook_LDADD = $(CHECK_LDADD)

# The simulator's suites: -DSUITE_FN=psim_<module>_suite, linked with
# libplugsim and the shared helpers in tests/sim_test_util.c.
SIM_CHECK_PROGS = \
	tests/check_link \
	tests/check_pcap \
	tests/check_pkt \
	tests/check_rng \
	tests/check_sched
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

tests_check_sched_SOURCES = tests/check_sched.c $(SIM_CHECK_COMMON)
tests_check_sched_CPPFLAGS = $(SIM_CHECK_CPP) -DSUITE_FN=psim_sched_suite
tests_check_sched_LDADD = $(SIM_CHECK_LDADD)
endif
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
endif
