# Fuzz harnesses.  Each harness source builds three ways:
#   --enable-fuzzing with CC=clang            -> libFuzzer binary fuzz/fuzz_<t>
#   --enable-fuzzing with CC=afl-clang-fast   -> AFL++ binary   fuzz/fuzz_<t>
#   a normal build                            -> fuzz/replay_<t>, run by
#     `make check` over corpus/<t>/ and fuzz/regressions/<t>/.
FUZZ_NAMES = segment conn policy e2e

EXTRA_DIST += fuzz/smoke.sh fuzz/merge.sh fuzz/segment.dict fuzz/segment.options \
	fuzz/regressions/README.md
# Whole directories: the replay tests read every file in them.
EXTRA_DIST += corpus/segment fuzz/regressions/segment
FUZZ_COMMON = fuzz/fuzz_input.h

# Adding a target <t> (docs/fuzzing.md, "Adding a target"): its name in
# FUZZ_NAMES, a fuzz_<t> program in the FUZZING block and a replay_<t>
# program in the other one, fuzz/<t>.dict, fuzz/<t>.options, seeds in
# corpus/<t>/ and a fuzz/regressions/<t>/ directory.  Everything else
# (smoke, merge, coverage, CI) loops over the list; the OSS-Fuzz build
# script and plugtcp-fuzz-explain name their targets themselves.
EXTRA_DIST += fuzz/conn.dict fuzz/conn.options fuzz/policy.dict fuzz/policy.options \
	fuzz/coverage.sh fuzz/oss-fuzz-build.sh fuzz/oss-fuzz-lint.sh \
	corpus/conn corpus/policy fuzz/regressions/conn fuzz/regressions/policy
CONN_DRIVER = fuzz/conn_driver.c fuzz/conn_peer.c fuzz/conn_oracle.c fuzz/conn_driver.h \
	fuzz/conn_driver_int.h fuzz/conn_format.h fuzz/fuzz_trace.h
EXTRA_DIST += fuzz/e2e.dict fuzz/e2e.options corpus/e2e fuzz/regressions/e2e
E2E_DRIVER = fuzz/e2e_driver.c fuzz/e2e_user.c fuzz/e2e_oracle.c fuzz/e2e_driver.h \
	fuzz/e2e_driver_int.h fuzz/e2e_format.h fuzz/conn_format.h
E2E_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core/sim/include
E2E_LIBS = core/sim/libplugsim.la core/tcp/libplugtcp.la $(PCAP_LIBS) $(LIBM)

if FUZZING
FUZZ_PROGS = fuzz/fuzz_segment fuzz/fuzz_conn fuzz/fuzz_policy fuzz/fuzz_e2e
noinst_PROGRAMS += $(FUZZ_PROGS)
FUZZ_CFLAGS = $(AM_CFLAGS) $(FUZZ_LIB_CFLAGS)
FUZZ_LINK = $(AM_LDFLAGS) $(FUZZ_LDFLAGS)

fuzz_fuzz_segment_SOURCES = fuzz/fuzz_segment.c $(FUZZ_COMMON)
fuzz_fuzz_segment_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_segment_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_segment_LDADD = core/tcp/libplugtcp.la

fuzz_fuzz_conn_SOURCES = fuzz/fuzz_conn.c $(CONN_DRIVER) $(FUZZ_COMMON)
fuzz_fuzz_conn_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_conn_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_conn_LDADD = core/tcp/libplugtcp.la

fuzz_fuzz_policy_SOURCES = fuzz/fuzz_policy.c fuzz/conn_format.h $(FUZZ_COMMON)
fuzz_fuzz_policy_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_policy_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_policy_LDADD = core/tcp/libplugtcp.la

fuzz_fuzz_e2e_SOURCES = fuzz/fuzz_e2e.c $(E2E_DRIVER) $(FUZZ_COMMON)
fuzz_fuzz_e2e_CPPFLAGS = $(E2E_CPPFLAGS)
fuzz_fuzz_e2e_CFLAGS = $(FUZZ_CFLAGS)
fuzz_fuzz_e2e_LDFLAGS = $(FUZZ_LINK)
fuzz_fuzz_e2e_LDADD = $(E2E_LIBS)

# Seconds per target and engine; CI sets them (.ci/run).  FUZZ_JOBS
# targets run side by side, one core each.
FUZZ_SMOKE_SECONDS = 60
FUZZ_JOBS = 1
fuzz-smoke: $(FUZZ_PROGS)
	FUZZ_JOBS=$(FUZZ_JOBS) $(SHELL) $(top_srcdir)/fuzz/smoke.sh $(FUZZ_ENGINE) \
	  $(FUZZ_SMOKE_SECONDS) $(top_srcdir) $(FUZZ_NAMES)

# FUZZ_MERGE_FROM=DIR adds what DIR/<t>/ reaches beyond corpus/<t>/ (a run's finds).
FUZZ_MERGE_FROM =
fuzz-merge: $(FUZZ_PROGS)
	FUZZ_MERGE_FROM=$(FUZZ_MERGE_FROM) $(SHELL) $(top_srcdir)/fuzz/merge.sh $(top_srcdir) \
	  $(FUZZ_NAMES)
else
fuzz-smoke fuzz-merge:
	@echo "$@ needs a fuzzing build: CC=clang ./configure --enable-fuzzing (see docs/fuzzing.md)" >&2; exit 2
endif
PHONY_TARGETS += fuzz-smoke fuzz-merge

if !FUZZING
REPLAY_PROGS = fuzz/replay_segment fuzz/replay_conn fuzz/replay_policy fuzz/replay_e2e
check_PROGRAMS += $(REPLAY_PROGS)
TESTS += $(REPLAY_PROGS)

fuzz_replay_segment_SOURCES = fuzz/fuzz_segment.c fuzz/replay_main.c $(FUZZ_COMMON)
fuzz_replay_segment_CPPFLAGS = $(AM_CPPFLAGS) -DREPLAY_TARGET='"segment"'
fuzz_replay_segment_LDADD = core/tcp/libplugtcp.la

fuzz_replay_conn_SOURCES = fuzz/fuzz_conn.c fuzz/replay_main.c $(CONN_DRIVER) $(FUZZ_COMMON)
fuzz_replay_conn_CPPFLAGS = $(AM_CPPFLAGS) -DREPLAY_TARGET='"conn"'
fuzz_replay_conn_LDADD = core/tcp/libplugtcp.la

fuzz_replay_policy_SOURCES = fuzz/fuzz_policy.c fuzz/replay_main.c fuzz/conn_format.h \
	$(FUZZ_COMMON)
fuzz_replay_policy_CPPFLAGS = $(AM_CPPFLAGS) -DREPLAY_TARGET='"policy"'
fuzz_replay_policy_LDADD = core/tcp/libplugtcp.la

fuzz_replay_e2e_SOURCES = fuzz/fuzz_e2e.c fuzz/replay_main.c $(E2E_DRIVER) $(FUZZ_COMMON)
fuzz_replay_e2e_CPPFLAGS = $(E2E_CPPFLAGS) -DREPLAY_TARGET='"e2e"'
fuzz_replay_e2e_LDADD = $(E2E_LIBS)

# Line and branch coverage of core/ and plugins/ from replaying every
# corpus and regression (configure --enable-coverage; docs/fuzzing.md).
coverage: $(REPLAY_PROGS)
	$(SHELL) $(top_srcdir)/fuzz/coverage.sh $(COV_KIND) $(top_srcdir) $(FUZZ_NAMES)
else
coverage:
	@echo "coverage needs a normal build with --enable-coverage (see docs/fuzzing.md)" >&2; exit 2
endif
PHONY_TARGETS += coverage
