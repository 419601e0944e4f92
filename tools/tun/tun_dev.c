/*
 * plugtcp-tun: opening and configuring the TUN device.
 */
#include "tun_dev.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* <linux/if.h> has it, but clashes with <net/if.h>; the value is ABI. */
#ifndef IFF_LOWER_UP
#define IFF_LOWER_UP 0x10000
#endif

static int name_ok(const char *name, char *err, size_t errlen) {
  if (name == NULL || name[0] == '\0' || strlen(name) >= TUN_NAME_MAX) {
    snprintf(err, errlen, "a device name has 1 to %u characters", TUN_NAME_MAX - 1);
    return 0;
  }
  return 1;
}

/* A route netlink socket that hears every link change (RTMGRP_LINK). */
static int link_monitor(void) {
  struct sockaddr_nl sa;
  int nl = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, NETLINK_ROUTE);

  if (nl < 0)
    return -1;
  memset(&sa, 0, sizeof(sa));
  sa.nl_family = AF_NETLINK;
  sa.nl_groups = RTMGRP_LINK;
  if (bind(nl, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
    close(nl);
    return -1;
  }
  return nl;
}

/*
 * Attaching a reader turns the device's carrier on, but the kernel
 * starts its transmit queue later, from the link-watch work
 * (net/core/link_watch.c: linkwatch_do_dev -> dev_activate), and until
 * then every packet it sends into the TUN is dropped (QDISC_DROP): the
 * answer to our first SYN would be lost and cost an RTO.  The same work
 * then announces the link (RTM_NEWLINK); wait for that, a while at most.
 */
static void wait_link_ready(int nl, unsigned ifindex, int timeout_ms) {
  char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
  struct pollfd pfd = {.fd = nl, .events = POLLIN};

  while (poll(&pfd, 1, timeout_ms) > 0) {
    ssize_t n = recv(nl, buf, sizeof(buf), 0);
    if (n < 0)
      return;
    for (struct nlmsghdr *h = (struct nlmsghdr *)(void *)buf; NLMSG_OK(h, (size_t)n);
         h = NLMSG_NEXT(h, n)) {
      const struct ifinfomsg *ifi = NLMSG_DATA(h);
      if (h->nlmsg_type != RTM_NEWLINK || h->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
        continue;
      if ((unsigned)ifi->ifi_index == ifindex && (ifi->ifi_flags & IFF_LOWER_UP) &&
          (ifi->ifi_flags & IFF_RUNNING))
        return;
    }
  }
}

int tun_open(const char *name, unsigned *mtu, char *err, size_t errlen) {
  struct ifreq ifr;
  int fd, s, nl;

  if (!name_ok(name, err, errlen))
    return -1;
  nl = link_monitor(); /* before attaching, so no announcement is missed */
  fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    snprintf(err, errlen, "/dev/net/tun: %s", strerror(errno));
    if (nl >= 0)
      close(nl);
    return -1;
  }
  memset(&ifr, 0, sizeof(ifr));
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, strlen(name));
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    snprintf(err, errlen, "TUNSETIFF %s: %s%s", name, strerror(errno),
             errno == EPERM    ? " (needs CAP_NET_ADMIN)"
             : errno == EINVAL ? " (is it a TAP or multi-queue device?)"
                               : "");
    close(fd);
    if (nl >= 0)
      close(nl);
    return -1;
  }
  if (mtu != NULL)
    *mtu = 1500;
  s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s >= 0) {
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, name, strlen(name));
    if (mtu != NULL && ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
      *mtu = (unsigned)ifr.ifr_mtu;
    /* Only a device that is up gets its queue started; one that is down
     * starts it when brought up (dev_open), with the carrier already on. */
    if (nl >= 0 && ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP))
      wait_link_ready(nl, if_nametoindex(name), 2000);
    close(s);
  }
  if (nl >= 0)
    close(nl);
  return fd;
}

/* "a.b.c.d/n" into the address and the prefix length; 0 on success. */
static int parse_cidr(const char *cidr, struct in_addr *a, unsigned long *prefix) {
  char addr[INET_ADDRSTRLEN];
  const char *slash = strchr(cidr, '/');
  char *end;

  if (slash == NULL || (size_t)(slash - cidr) >= sizeof(addr) || slash[1] < '0' ||
      slash[1] > '9')
    return -1;
  memcpy(addr, cidr, (size_t)(slash - cidr));
  addr[slash - cidr] = '\0';
  errno = 0;
  *prefix = strtoul(slash + 1, &end, 10);
  if (inet_pton(AF_INET, addr, a) != 1 || *end != '\0' || errno != 0 || *prefix > 32)
    return -1;
  return 0;
}

int tun_cidr_ok(const char *cidr) {
  struct in_addr a;
  unsigned long prefix;

  return parse_cidr(cidr, &a, &prefix) == 0;
}

int tun_ifconfig(const char *name, const char *cidr, char *err, size_t errlen) {
  char addr[INET_ADDRSTRLEN];
  struct sockaddr_in *sin;
  struct ifreq ifr;
  struct in_addr a;
  unsigned long prefix;
  int s, rv = -1;

  if (!name_ok(name, err, errlen))
    return -1;
  if (parse_cidr(cidr, &a, &prefix) != 0) {
    snprintf(err, errlen,
             "--ifconfig wants an IPv4 ADDRESS/PREFIX with a prefix of 0..32, "
             "not '%s'",
             cidr);
    return -1;
  }
  inet_ntop(AF_INET, &a, addr, sizeof(addr));
  s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) {
    snprintf(err, errlen, "socket: %s", strerror(errno));
    return -1;
  }
  memset(&ifr, 0, sizeof(ifr));
  memcpy(ifr.ifr_name, name, strlen(name));
  sin = (struct sockaddr_in *)(void *)&ifr.ifr_addr;
  sin->sin_family = AF_INET;
  sin->sin_addr = a;
  if (ioctl(s, SIOCSIFADDR, &ifr) < 0) {
    snprintf(err, errlen, "%s: setting address %s: %s", name, addr, strerror(errno));
    goto out;
  }
  sin->sin_addr.s_addr = prefix == 0 ? 0 : htonl(~0u << (32 - prefix));
  if (ioctl(s, SIOCSIFNETMASK, &ifr) < 0) {
    snprintf(err, errlen, "%s: setting prefix /%lu: %s", name, prefix, strerror(errno));
    goto out;
  }
  if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
    snprintf(err, errlen, "%s: reading flags: %s", name, strerror(errno));
    goto out;
  }
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
    snprintf(err, errlen, "%s: bringing it up: %s", name, strerror(errno));
    goto out;
  }
  rv = 0;
out:
  close(s);
  return rv;
}
