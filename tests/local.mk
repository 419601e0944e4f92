# Tests: one Check program per library module (tests/check_<module>.c,
# sharing tests/check_main.c), the install/pkg-config consumer test, and
# the fuzz corpus replays from fuzz/local.mk.
EXTRA_DIST += tests/pkgconfig-consumer.c
dist_check_SCRIPTS += tests/pkgconfig.test tests/scapy-codec.test
TESTS += tests/pkgconfig.test

# The codec against scapy, through tools/plugtcp-seg (not built when
# fuzzing); skips without /usr/bin/python3 + scapy.
if !FUZZING
TESTS += tests/scapy-codec.test
endif

AM_TESTS_ENVIRONMENT += \
	CC='$(CC)'; export CC; \
	TEST_CFLAGS='$(SAN_CFLAGS) $(COV_CFLAGS)'; export TEST_CFLAGS;

if HAVE_CHECK
if !FUZZING
CHECK_PROGS = \
	tests/check_seq \
	tests/check_seg \
	tests/check_cksum \
	tests/check_ip
check_PROGRAMS += $(CHECK_PROGS)
TESTS += $(CHECK_PROGS)

CHECK_COMMON = tests/check_main.c
CHECK_LDADD = core/tcp/libplugtcp.la $(CHECK_LIBS)
CHECK_CPP = $(AM_CPPFLAGS) $(CHECK_CFLAGS) -I$(top_srcdir)/tests

tests_check_seq_SOURCES = tests/check_seq.c $(CHECK_COMMON)
tests_check_seq_CPPFLAGS = $(CHECK_CPP) -DSUITE_FN=ptcp_seq_suite
tests_check_seq_LDADD = $(CHECK_LDADD)

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
endif
