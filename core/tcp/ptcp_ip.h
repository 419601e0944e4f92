/*
 * plugtcp: what the engine uses of the IP framing beyond the public API.
 */
#ifndef PTCP_IP_H
#define PTCP_IP_H

#include <plugtcp/wire.h>

/* Writes the IP header of one of the engine's own TCP packets from |src|
 * to |dst|: IPv4 with DF set, TOS 0 and identification |id|, or IPv6 with
 * traffic class and flow label 0; as ptcp_ip_encode_header would, without
 * its checks, which the engine's addresses and lengths pass by
 * construction.  Returns the header's length. */
size_t ptcp_ip_put_tcp_header(uint8_t *out, const ptcp_addr *src, const ptcp_addr *dst,
                              uint8_t ttl, uint16_t id, size_t payload_len);

#endif /* PTCP_IP_H */
