# Benchmarks: built with `make`, never run by `make check`.
#   bench/core_bench      two stacks over an in-memory wire (run-core.sh vs lwIP)
#   bench/sched_bench     psim_sched events/s at 1, 10^3, 10^5 pending
#   bench/sim_many        memory per connection with N concurrent connections
#   bench/run-sim-vs-ns3.sh   plugtcp-sim against ns-3 3.37 on three transfers
if !FUZZING
noinst_PROGRAMS += bench/core_bench bench/sched_bench bench/sim_many
bench_core_bench_SOURCES = bench/core_bench.c
bench_core_bench_LDADD = core/tcp/libplugtcp.la
bench_core_bench_LDFLAGS = $(AM_LDFLAGS) -no-install
bench_sched_bench_SOURCES = bench/sched_bench.c
bench_sched_bench_CPPFLAGS = $(PLUGSIM_CPPFLAGS)
bench_sched_bench_LDADD = core/sim/libplugsim.la core/tcp/libplugtcp.la
bench_sched_bench_LDFLAGS = $(AM_LDFLAGS) -no-install
bench_sim_many_SOURCES = bench/sim_many.c
bench_sim_many_CPPFLAGS = $(PLUGSIM_CPPFLAGS)
bench_sim_many_LDADD = core/sim/libplugsim.la core/tcp/libplugtcp.la
bench_sim_many_LDFLAGS = $(AM_LDFLAGS) -no-install
endif
EXTRA_DIST += bench/run-core.sh bench/run-sim-vs-ns3.sh bench/README.md
