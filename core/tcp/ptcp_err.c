/*
 * plugtcp: error codes to text.
 */
#include <plugtcp/common.h>

#define ERRORS(X)                                                              \
  X(TRUNCATED, "segment shorter than the 20-byte TCP header")                  \
  X(DATA_OFFSET, "TCP data offset below 5 words or beyond the segment")        \
  X(OPT_LEN, "TCP option length of 0 or 1")                                    \
  X(OPT_OVERRUN, "TCP option runs past the end of the header")                 \
  X(OPT_SIZE, "TCP option has the wrong length for its kind")                  \
  X(OPT_DUP, "TCP option kind appears twice")                                  \
  X(CHECKSUM, "TCP checksum does not verify")                                  \
  X(OPT_SPACE, "TCP options need more than 40 bytes")                          \
  X(NOBUF, "output buffer too small")                                          \
  X(IP_TRUNCATED, "packet shorter than the IP header")                         \
  X(IP_VERSION, "IP version is neither 4 nor 6")                               \
  X(IP_HDR_LEN, "IPv4 header length below 20 bytes or beyond the packet")      \
  X(IP_TOTAL_LEN, "IP total length does not match the packet")                 \
  X(IP_CHECKSUM, "IPv4 header checksum does not verify")                       \
  X(IP_FRAGMENT, "IP fragment (fragments are not reassembled)")                \
  X(IP_PROTO, "IP payload is not TCP")                                         \
  X(IP_EXT_HDR, "malformed IPv6 extension header chain")                       \
  X(INVALID_ARGUMENT, "invalid argument")                                      \
  X(STATE, "operation not valid in the connection's state")                    \
  X(WOULD_BLOCK, "operation would block")                                      \
  X(ADDR_IN_USE, "address already in use")                                     \
  X(CONN_REFUSED, "connection refused")                                        \
  X(CONN_RESET, "connection reset by peer")                                    \
  X(TIMED_OUT, "connection timed out")                                         \
  X(NOT_CONNECTED, "not connected")                                            \
  X(CLOSED, "sending side already closed")                                     \
  X(EXISTS, "already exists")                                                  \
  X(NOT_FOUND, "not found")                                                    \
  X(OPS_INCOMPLETE, "policy ops lack a required hook")                         \
  X(ABI, "plugin built for a different plugtcp ABI")                           \
  X(ADDR_NOT_AVAIL, "address not available")                                   \
  X(LIMIT, "a configured limit was reached")                                   \
  X(ABORTED, "connection aborted")                                             \
  X(POLICY, "a policy failed to initialise")                                   \
  X(ALREADY, "operation already in progress")                                  \
  X(PLUGIN, "not a usable plugtcp plugin")                                     \
  X(FATAL, "fatal error")                                                      \
  X(NOMEM, "out of memory")                                                    \
  X(CALLBACK_FAILURE, "a callback failed")

const char *ptcp_strerror(int err) {
  switch (err) {
#define CASE(name, text)                                                       \
  case PTCP_ERR_##name:                                                        \
    return text;
    ERRORS(CASE)
#undef CASE
  case 0:
    return "success";
  default:
    return "unknown error";
  }
}

const char *ptcp_err_name(int err) {
  switch (err) {
#define CASE(name, text)                                                       \
  case PTCP_ERR_##name:                                                        \
    return #name;
    ERRORS(CASE)
#undef CASE
  case 0:
    return "OK";
  default:
    return "UNKNOWN";
  }
}

int ptcp_err_is_fatal(int err) { return err < PTCP_ERR_FATAL; }

#include "config.h"
#include <plugtcp/plugtcp.h>

const char *ptcp_version(void) { return PACKAGE_VERSION; }
