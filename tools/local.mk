# Command-line tools.
if !FUZZING
bin_PROGRAMS += tools/plugtcp-sim
tools_plugtcp_sim_SOURCES = tools/plugtcp-sim.c
tools_plugtcp_sim_CPPFLAGS = $(PLUGSIM_CPPFLAGS)
tools_plugtcp_sim_LDADD = core/sim/libplugsim.la core/tcp/libplugtcp.la
dist_man1_MANS = tools/plugtcp-sim.1
# Its manual beyond the man page (docs/ lists the rest of the docs).
EXTRA_DIST += docs/sim.md

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
	tools/tun/tun_pattern.h
tools_plugtcp_tun_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core/sim/include \
	-I$(top_srcdir)/tools
tools_plugtcp_tun_LDADD = core/sim/libplugsim.la core/tcp/libplugtcp.la
endif

# The state diagram in docs/ is drawn from the engine's transition table.
docs-diagram: tools/plugtcp-fsm-dot
	./tools/plugtcp-fsm-dot > $(srcdir)/docs/state-diagram.dot
	dot -Tsvg $(srcdir)/docs/state-diagram.dot > $(srcdir)/docs/state-diagram.svg
PHONY_TARGETS += docs-diagram
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
