# libplugtcp: the sans-IO TCP core.  Depends on libc only.
lib_LTLIBRARIES += core/tcp/libplugtcp.la

plugtcp_includedir = $(includedir)/plugtcp
plugtcp_include_HEADERS = \
	core/tcp/include/plugtcp/plugtcp.h \
	core/tcp/include/plugtcp/common.h \
	core/tcp/include/plugtcp/policy.h \
	core/tcp/include/plugtcp/stack.h \
	core/tcp/include/plugtcp/seq.h \
	core/tcp/include/plugtcp/wire.h

core_tcp_libplugtcp_la_SOURCES = \
	core/tcp/ptcp_ack.c \
	core/tcp/ptcp_buf.c \
	core/tcp/ptcp_buf.h \
	core/tcp/ptcp_bytes.h \
	core/tcp/ptcp_cksum.c \
	core/tcp/ptcp_conn.c \
	core/tcp/ptcp_conn.h \
	core/tcp/ptcp_err.c \
	core/tcp/ptcp_fsm.c \
	core/tcp/ptcp_heap.c \
	core/tcp/ptcp_heap.h \
	core/tcp/ptcp_input.c \
	core/tcp/ptcp_ip.c \
	core/tcp/ptcp_mem.c \
	core/tcp/ptcp_output.c \
	core/tcp/ptcp_profile.c \
	core/tcp/ptcp_registry.c \
	core/tcp/ptcp_seg.c \
	core/tcp/ptcp_stack.c \
	core/tcp/ptcp_timer.c \
	core/tcp/ptcp_tw.c \
	$(PLUGIN_SOURCES)
core_tcp_libplugtcp_la_CFLAGS = $(AM_CFLAGS) $(FUZZ_LIB_CFLAGS)
core_tcp_libplugtcp_la_LDFLAGS = $(AM_LDFLAGS) -version-info $(PLUGTCP_LT_VERSION) \
	-no-undefined -export-symbols-regex '^ptcp_'

# Built-in policies (plugins/): compiled into the library, but each sees
# only the public policy header, as an out-of-tree plugin would.
PLUGIN_SOURCES = \
	plugins/builtins.h \
	plugins/builtins.c \
	plugins/isn/siphash.h \
	plugins/isn/siphash.c \
	plugins/isn/isn_rfc6528.c \
	plugins/isn/isn_counter.c \
	plugins/isn/isn_fixed.c \
	plugins/isn/isn_random.c \
	plugins/isn/isn_rfc793.c \
	plugins/rto/rto_backoff.h \
	plugins/rto/rto_estimator.h \
	plugins/rto/rto_rfc6298.c \
	plugins/rto/rto_fixed.c \
	plugins/rto/rto_freebsd.c \
	plugins/rto/rto_jacobson88.c \
	plugins/rto/rto_linux.c \
	plugins/rto/rto_rfc793.c \
	plugins/dupfilter/dupfilter_common.h \
	plugins/dupfilter/dupfilter_rfc9293.c \
	plugins/dupfilter/dupfilter_paws.c \
	plugins/dupfilter/dupfilter_rfc793.c \
	plugins/close/close_common.h \
	plugins/close/close_rfc9293.c \
	plugins/close/close_abort.c \
	plugins/close/close_rfc6191.c \
	plugins/close/close_rfc793.c \
	plugins/close/close_short.c \
	plugins/cc/cc_common.h \
	plugins/cc/cc_newreno.c \
	plugins/cc/cc_none.c \
	plugins/cc/cc_cubic.c
