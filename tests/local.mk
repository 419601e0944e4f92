# Tests: one Check program per library module (tests/check_<module>.c,
# sharing tests/check_main.c), the install/pkg-config consumer test, and
# the fuzz corpus replays from fuzz/local.mk.
EXTRA_DIST += tests/pkgconfig-consumer.c tests/pkgconfig-plugsim-consumer.c
dist_check_SCRIPTS += tests/pkgconfig.test
TESTS += tests/pkgconfig.test

AM_TESTS_ENVIRONMENT += \
	CC='$(CC)'; export CC; \
	TEST_CFLAGS='$(SAN_CFLAGS) $(COV_CFLAGS)'; export TEST_CFLAGS; \
	TSHARK='$(TSHARK)'; export TSHARK;

if HAVE_CHECK
if !FUZZING
CHECK_PROGS = \
	tests/check_seq
check_PROGRAMS += $(CHECK_PROGS)
TESTS += $(CHECK_PROGS)

CHECK_COMMON = tests/check_main.c
CHECK_LDADD = core/tcp/libplugtcp.la $(CHECK_LIBS)
CHECK_CPP = $(AM_CPPFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests

tests_check_seq_SOURCES = tests/check_seq.c $(CHECK_COMMON)
tests_check_seq_CPPFLAGS = $(CHECK_CPP) -DSUITE_FN=ptcp_seq_suite
tests_check_seq_LDADD = $(CHECK_LDADD)

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
