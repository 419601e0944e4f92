# Command-line tools.
if !FUZZING
# --plugin (tools/common/plugin_opt.c) loads plugins through
# libplugtcp-plugin when it is built; without it the flag says so.
TOOL_PLUGIN_SOURCES = tools/common/plugin_opt.c tools/common/plugin_opt.h
TOOL_PLUGIN_CPPFLAGS = -I$(top_srcdir)/tools
TOOL_PLUGIN_LIBS =
if PLUGIN_LOADER
TOOL_PLUGIN_CPPFLAGS += -DPLUGTCP_TOOLS_PLUGIN_LOADER -I$(top_srcdir)/core/loader/include
TOOL_PLUGIN_LIBS += core/loader/libplugtcp-plugin.la
endif

bin_PROGRAMS += tools/plugtcp-sim
tools_plugtcp_sim_SOURCES = tools/plugtcp-sim.c $(TOOL_PLUGIN_SOURCES)
tools_plugtcp_sim_CPPFLAGS = $(PLUGSIM_CPPFLAGS) $(TOOL_PLUGIN_CPPFLAGS)
tools_plugtcp_sim_LDADD = $(TOOL_PLUGIN_LIBS) core/sim/libplugsim.la \
	core/tcp/libplugtcp.la
dist_man1_MANS = tools/plugtcp-sim.1
# Its manual beyond the man page (docs/ lists the rest of the docs).
EXTRA_DIST += docs/sim.md

# plugtcp-sweep: experiments over plugtcp-sim (tools/sweep/), figures
# drawn by the gnuplot scripts of tools/plots/, installed in
# $(pkgdatadir)/plots.  It execs plugtcp-sim and links no plugtcp
# library, so the build tree's copy is a plain executable whose
# directory also holds plugtcp-sim.
bin_PROGRAMS += tools/plugtcp-sweep
dist_man1_MANS += tools/plugtcp-sweep.1
tools_plugtcp_sweep_SOURCES = \
	tools/sweep/figures.c \
	tools/sweep/grid.c \
	tools/sweep/json.c \
	tools/sweep/main.c \
	tools/sweep/plot.c \
	tools/sweep/runner.c \
	tools/sweep/sweep.h \
	tools/sweep/table.c \
	tools/sweep/util.c
tools_plugtcp_sweep_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tools \
	-DSWEEP_PLOTS_DIR='"$(pkgdatadir)/plots"' \
	-DSWEEP_SRC_PLOTS_DIR='"$(abs_top_srcdir)/tools/plots"' \
	-DSWEEP_BUILD_TOOLS_DIR='"$(abs_top_builddir)/tools"'
tools_plugtcp_sweep_LDADD = $(LIBM)
plotsdir = $(pkgdatadir)/plots
dist_plots_DATA = \
	tools/plots/close-timeline.gp \
	tools/plots/common.gp \
	tools/plots/lines.gp \
	tools/plots/rto-vs-rtt.gp

bin_PROGRAMS += tools/plugtcp-seg
tools_plugtcp_seg_SOURCES = tools/plugtcp-seg.c
tools_plugtcp_seg_LDADD = core/tcp/libplugtcp.la

noinst_PROGRAMS += tools/plugtcp-fsm-dot
tools_plugtcp_fsm_dot_SOURCES = tools/plugtcp-fsm-dot.c
tools_plugtcp_fsm_dot_LDADD = core/tcp/libplugtcp.la

# plugtcp-tun: the stack on a Linux TUN device (tools/tun/: the device,
# the bridge and event loop over libplugsim's links, the applications,
# SHA-256).
if HAVE_TUN
bin_PROGRAMS += tools/plugtcp-tun
dist_man_MANS += tools/plugtcp-tun.1
tools_plugtcp_tun_SOURCES = \
	tools/plugtcp-tun.c \
	tools/tun/sha256.c \
	tools/tun/sha256.h \
	tools/tun/tun_app.c \
	tools/tun/tun_app.h \
	tools/tun/tun_bridge.c \
	tools/tun/tun_bridge.h \
	tools/tun/tun_dev.c \
	tools/tun/tun_dev.h \
	tools/tun/tun_pattern.h \
	$(TOOL_PLUGIN_SOURCES)
tools_plugtcp_tun_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core/sim/include \
	$(TOOL_PLUGIN_CPPFLAGS)
tools_plugtcp_tun_LDADD = $(TOOL_PLUGIN_LIBS) core/sim/libplugsim.la \
	core/tcp/libplugtcp.la
endif

# The figures of docs/experiments.md, one plugtcp-sweep command each.
docs-figures: tools/plugtcp-sweep tools/plugtcp-sim
	for f in rto-vs-rtt loss-sweep close-timeline; do \
	  ./tools/plugtcp-sweep figure $$f --out $(srcdir)/docs/figures || exit 1; \
	done
PHONY_TARGETS += docs-figures

# The state diagram in docs/ is drawn from the engine's transition table.
docs-diagram: tools/plugtcp-fsm-dot
	./tools/plugtcp-fsm-dot > $(srcdir)/docs/state-diagram.dot
	dot -Tsvg $(srcdir)/docs/state-diagram.dot > $(srcdir)/docs/state-diagram.svg
PHONY_TARGETS += docs-diagram
endif

# plugtcp-fuzz-explain: a fuzz input as a pcap, JSON lines and a ladder
# diagram, through the harness code itself (the conn and e2e drivers,
# fuzz/conn_*.c and fuzz/e2e_*.c).
if !FUZZING
bin_PROGRAMS += tools/plugtcp-fuzz-explain
tools_plugtcp_fuzz_explain_SOURCES = tools/plugtcp-fuzz-explain.c tools/explain_out.c \
	tools/explain_out.h tools/explain_e2e.c tools/explain_e2e.h fuzz/fuzz_trace.h \
	$(CONN_DRIVER) $(E2E_DRIVER) fuzz/fuzz_input.h
tools_plugtcp_fuzz_explain_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fuzz \
	-I$(top_srcdir)/core/sim/include $(PCAP_CFLAGS)
tools_plugtcp_fuzz_explain_LDADD = core/sim/libplugsim.la core/tcp/libplugtcp.la $(PCAP_LIBS) \
	$(LIBM)
dist_check_SCRIPTS += tests/fuzz-explain.test
TESTS += tests/fuzz-explain.test
endif

# The seeds of the conn, policy and e2e fuzz targets are written by these
# tools (scripted sessions in the targets' own formats; for e2e, every
# plugtcp-sim scenario recorded packet by packet), each run through its
# harness first; `make fuzz-corpus` rewrites them, and
# tests/fuzz-corpus.test checks that they are current.
if !FUZZING
noinst_PROGRAMS += tools/gen-conn-corpus tools/gen-policy-corpus tools/gen-e2e-corpus
tools_gen_conn_corpus_SOURCES = tools/gen-conn-corpus.c tools/seed_out.c tools/seed_out.h \
	$(CONN_DRIVER) fuzz/fuzz_input.h
tools_gen_conn_corpus_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fuzz
tools_gen_conn_corpus_LDADD = core/tcp/libplugtcp.la
tools_gen_policy_corpus_SOURCES = tools/gen-policy-corpus.c tools/seed_out.c tools/seed_out.h \
	fuzz/fuzz_policy.c \
	fuzz/conn_format.h fuzz/fuzz_input.h
tools_gen_policy_corpus_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/fuzz
tools_gen_policy_corpus_LDADD = core/tcp/libplugtcp.la
tools_gen_e2e_corpus_SOURCES = tools/gen-e2e-corpus.c tools/seed_out.c tools/seed_out.h \
	$(E2E_DRIVER) fuzz/fuzz_input.h
tools_gen_e2e_corpus_CPPFLAGS = $(E2E_CPPFLAGS) -I$(top_srcdir)/fuzz
tools_gen_e2e_corpus_LDADD = $(E2E_LIBS)

fuzz-corpus: tools/gen-conn-corpus tools/gen-policy-corpus tools/gen-e2e-corpus
	./tools/gen-conn-corpus $(srcdir)/corpus/conn
	./tools/gen-policy-corpus $(srcdir)/corpus/policy
	./tools/gen-e2e-corpus $(srcdir)/corpus/e2e
PHONY_TARGETS += fuzz-corpus

dist_check_SCRIPTS += tests/fuzz-corpus.test
TESTS += tests/fuzz-corpus.test
endif

# The seed corpus generator (python3, stdlib only); see docs/codec.md.
EXTRA_DIST += tools/gen-segment-corpus.py

# plugtcp-drill: packetdrill scripts against libplugtcp in virtual time.
if !FUZZING
bin_PROGRAMS += tools/plugtcp-drill
tools_plugtcp_drill_SOURCES = tools/drill/main.c tools/drill/lexer.c \
	tools/drill/parser.c tools/drill/packet.c tools/drill/syscalls.c \
	tools/drill/runner.c tools/drill/report.c tools/drill/drill.h \
	tools/drill/run.h tools/drill/report.h
tools_plugtcp_drill_LDADD = core/tcp/libplugtcp.la
dist_man_MANS += tools/drill/plugtcp-drill.1
endif
