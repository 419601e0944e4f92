/*
 * plugtcp-tun: the Linux TUN device (Documentation/networking/tuntap.rst).
 * IFF_TUN | IFF_NO_PI: every read() returns one IP packet and every
 * write() injects one, with no packet-information header in front.
 */
#ifndef PTCP_TUN_DEV_H
#define PTCP_TUN_DEV_H

#include <stddef.h>

/* Longest interface name, as IFNAMSIZ in <net/if.h>, NUL included. */
#define TUN_NAME_MAX 16u

/**
 * tun_open attaches to the TUN device |name| (a persistent one made with
 * `ip tuntap add mode tun`, or a new one that vanishes when the process
 * exits) and returns a non-blocking, close-on-exec descriptor, or -1
 * with a sentence in |err|.  |mtu| (may be NULL) receives the device's
 * MTU.
 */
int tun_open(const char *name, unsigned *mtu, char *err, size_t errlen);

/**
 * tun_cidr_ok returns nonzero when |cidr| is an IPv4 ADDRESS/PREFIX
 * with a prefix of 0..32, as tun_ifconfig takes it.
 */
int tun_cidr_ok(const char *cidr);

/**
 * tun_ifconfig gives the kernel's side of |name| the IPv4 address and
 * prefix in |cidr| ("10.77.0.1/24") and brings the device up, as
 * `ip addr add` and `ip link set up` would.  Returns 0, or -1 with a
 * sentence in |err|.
 */
int tun_ifconfig(const char *name, const char *cidr, char *err, size_t errlen);

#endif /* PTCP_TUN_DEV_H */
