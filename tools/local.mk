# Command-line tools.
if !FUZZING
bin_PROGRAMS += tools/plugtcp-seg
tools_plugtcp_seg_SOURCES = tools/plugtcp-seg.c
tools_plugtcp_seg_LDADD = core/tcp/libplugtcp.la
endif

# The seed corpus generator (python3, stdlib only); see docs/codec.md.
EXTRA_DIST += tools/gen-segment-corpus.py
