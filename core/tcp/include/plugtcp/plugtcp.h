/*
 * plugtcp: a hardened, sans-IO TCP segment processor with pluggable
 * policies.  This umbrella header includes the whole public API.
 */
#ifndef PLUGTCP_PLUGTCP_H
#define PLUGTCP_PLUGTCP_H

#include <plugtcp/common.h>
#include <plugtcp/policy.h>
#include <plugtcp/seq.h>
#include <plugtcp/stack.h>
#include <plugtcp/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/** ptcp_version returns the library version, e.g. "0.1.0". */
const char *ptcp_version(void);

#ifdef __cplusplus
}
#endif

#endif /* PLUGTCP_PLUGTCP_H */
