# Benchmarks: built with `make`, never run by `make check`.
if !FUZZING
noinst_PROGRAMS += bench/core_bench
bench_core_bench_SOURCES = bench/core_bench.c
bench_core_bench_LDADD = core/tcp/libplugtcp.la
bench_core_bench_LDFLAGS = $(AM_LDFLAGS) -no-install
endif
EXTRA_DIST += bench/run-core.sh bench/README.md
