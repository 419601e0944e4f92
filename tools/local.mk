# Command-line tools.
if !FUZZING
bin_PROGRAMS += tools/plugtcp-sim
tools_plugtcp_sim_SOURCES = tools/plugtcp-sim.c
tools_plugtcp_sim_CPPFLAGS = $(PLUGSIM_CPPFLAGS)
tools_plugtcp_sim_LDADD = core/sim/libplugsim.la core/tcp/libplugtcp.la $(LIBM)
dist_man1_MANS = tools/plugtcp-sim.1
# Its manual beyond the man page (docs/ lists the rest of the docs).
EXTRA_DIST += docs/sim.md

bin_PROGRAMS += tools/plugtcp-seg
tools_plugtcp_seg_SOURCES = tools/plugtcp-seg.c
tools_plugtcp_seg_LDADD = core/tcp/libplugtcp.la

noinst_PROGRAMS += tools/plugtcp-fsm-dot
tools_plugtcp_fsm_dot_SOURCES = tools/plugtcp-fsm-dot.c
tools_plugtcp_fsm_dot_LDADD = core/tcp/libplugtcp.la

# The state diagram in docs/ is drawn from the engine's transition table.
docs-diagram: tools/plugtcp-fsm-dot
	./tools/plugtcp-fsm-dot > $(srcdir)/docs/state-diagram.dot
	dot -Tsvg $(srcdir)/docs/state-diagram.dot > $(srcdir)/docs/state-diagram.svg
PHONY_TARGETS += docs-diagram
endif
