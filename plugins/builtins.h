/*
 * plugtcp: the built-in policies.  Each is a const ops struct defined in
 * plugins/<slot>/<slot>_<name>.c against the public policy header only,
 * exactly as an out-of-tree plugin would be; ptcp_registry_add_builtins
 * (plugins/builtins.c) registers them all.
 */
#ifndef PTCP_BUILTINS_H
#define PTCP_BUILTINS_H

#include <plugtcp/policy.h>

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Every built-in's state fits in this many bytes (each asserts it at
 * compile time, like the kernel's BUILD_BUG_ON on ICSK_CA_PRIV_SIZE), so
 * an engine can keep policy state inline in the connection.
 */
#define PTCP_BUILTIN_STATE_MAX 64u

/* isn */
extern const ptcp_isn_ops ptcp_isn_rfc6528;   /* default */
extern const ptcp_isn_ops ptcp_isn_counter;
extern const ptcp_isn_ops ptcp_isn_fixed;
extern const ptcp_isn_ops ptcp_isn_random;
extern const ptcp_isn_ops ptcp_isn_rfc793;

/* rto */
extern const ptcp_rto_ops ptcp_rto_rfc6298;   /* default */
extern const ptcp_rto_ops ptcp_rto_fixed;
extern const ptcp_rto_ops ptcp_rto_freebsd;
extern const ptcp_rto_ops ptcp_rto_jacobson88;
extern const ptcp_rto_ops ptcp_rto_linux;
extern const ptcp_rto_ops ptcp_rto_rfc793;

/* dupfilter */
extern const ptcp_dupfilter_ops ptcp_dupfilter_rfc9293; /* default */
extern const ptcp_dupfilter_ops ptcp_dupfilter_paws;
extern const ptcp_dupfilter_ops ptcp_dupfilter_rfc793;

/* close */
extern const ptcp_close_ops ptcp_close_rfc9293;         /* default */
extern const ptcp_close_ops ptcp_close_abort;
extern const ptcp_close_ops ptcp_close_rfc6191;
extern const ptcp_close_ops ptcp_close_rfc793;
extern const ptcp_close_ops ptcp_close_short;

/* cc */
extern const ptcp_cc_ops ptcp_cc_newreno;     /* default */
extern const ptcp_cc_ops ptcp_cc_none;
extern const ptcp_cc_ops ptcp_cc_cubic;

#ifdef __cplusplus
}
#endif

#endif /* PTCP_BUILTINS_H */
