# Benchmarks: built with the project, never run by `make check`.
#   build-*/bench/sched_bench     psim_sched events/s at 1, 10^3, 10^5 pending
if !FUZZING
noinst_PROGRAMS += bench/sched_bench
bench_sched_bench_SOURCES = bench/sched_bench.c
bench_sched_bench_CPPFLAGS = $(PLUGSIM_CPPFLAGS)
bench_sched_bench_LDADD = core/sim/libplugsim.la core/tcp/libplugtcp.la
endif
