/*
 * plugtcp-tun: the TUN <-> stack bridge and the real-time event loop.
 */
#define _GNU_SOURCE /* ppoll */
#include "tun_bridge.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <plugsim/pcap.h>
#include <plugsim/pkt.h>
#include <plugsim/sched.h>

/* Packets read from the TUN per loop turn before timers get a look in. */
#define READ_BATCH 64
/* Room in front of each packet buffer (the pool requires an IPv4 header's worth). */
#define HEADROOM 64u

struct tun_bridge {
  int fd;
  unsigned mtu;
  psim_sched *sched;
  psim_pool *pool;
  psim_link *link;
  psim_pcap *pcap;
  ptcp_stack *stack;
  ptcp_time now;
  ptcp_time mono0, real0; /* for capture timestamps in wall-clock time */
  int fatal;              /* a negative code once something broke */
  char fatal_msg[160];
  tun_bridge_stats stats;
  uint8_t *rxbuf;
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig) { got_signal = sig; }

ptcp_time tun_clock_now(void) {
  struct timespec ts;

  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (ptcp_time)ts.tv_sec * PTCP_SECONDS + (ptcp_time)ts.tv_nsec;
}

static ptcp_time realtime_now(void) {
  struct timespec ts;

  clock_gettime(CLOCK_REALTIME, &ts);
  return (ptcp_time)ts.tv_sec * PTCP_SECONDS + (ptcp_time)ts.tv_nsec;
}

static void set_fatal(tun_bridge *b, int code, const char *what) {
  if (b->fatal != 0)
    return;
  b->fatal = code;
  snprintf(b->fatal_msg, sizeof(b->fatal_msg), "%s", what);
}

static void capture(tun_bridge *b, const uint8_t *data, size_t len) {
  if (b->pcap != NULL)
    (void)psim_pcap_write(b->pcap, b->real0 + (b->now - b->mono0), data, len);
}

/* End B of the link: a packet from the kernel reaches the stack. */
static void deliver_stack(void *ctx, psim_pkt *pkt, ptcp_time when) {
  tun_bridge *b = ctx;
  int rv;

  (void)when; /* the stack runs on the loop's clock reading */
  if (b->stack != NULL) {
    rv = ptcp_stack_input(b->stack, pkt->data, pkt->len, b->now);
    if (rv < 0) {
      if (ptcp_err_is_fatal(rv)) {
        char msg[120];
        snprintf(msg, sizeof(msg), "the stack failed on input: %s", ptcp_strerror(rv));
        set_fatal(b, rv, msg);
      } else {
        b->stats.not_tcp++; /* ICMP, IPv6 neighbour discovery, ... */
      }
    }
  }
  psim_pkt_free(pkt);
}

/* End A of the link: a packet from the stack reaches the kernel. */
static void deliver_tun(void *ctx, psim_pkt *pkt, ptcp_time when) {
  tun_bridge *b = ctx;
  ssize_t n;

  (void)when;
  capture(b, pkt->data, pkt->len);
  n = write(b->fd, pkt->data, pkt->len);
  if (n == (ssize_t)pkt->len) {
    b->stats.tun_out++;
    b->stats.tun_out_bytes += pkt->len;
  } else if (n < 0 && errno != EAGAIN && errno != ENOBUFS && errno != EIO &&
             errno != EINTR) {
    char msg[120];
    snprintf(msg, sizeof(msg), "write to the TUN: %s", strerror(errno));
    set_fatal(b, PSIM_ERR_IO, msg);
  } else {
    /* A full queue, or the device is down (EIO): lost, like on a wire. */
    b->stats.tun_write_drops++;
  }
  psim_pkt_free(pkt);
}

/* Hands |data| to the link at |end|.  Returns 0, or 1 if it was dropped. */
static int offer(tun_bridge *b, unsigned end, const uint8_t *data, size_t len) {
  psim_pkt *pkt;
  int rv;

  if (len > b->mtu) {
    b->stats.oversize++;
    return 1;
  }
  if (psim_pkt_copy_in(b->pool, data, len, &pkt) != 0) {
    b->stats.pool_drops++;
    return 1;
  }
  rv = psim_link_send(b->link, end, pkt);
  if (rv < 0) {
    psim_pkt_free(pkt);
    b->stats.pool_drops++;
    return 1;
  }
  return rv; /* 1: the link's queue was full and it freed the packet */
}

int tun_bridge_emit(void *user, const uint8_t *pkt, size_t len) {
  return offer(user, PSIM_LINK_B, pkt, len);
}

int tun_bridge_new(tun_bridge **pb, const tun_bridge_cfg *cfg, char *err, size_t errlen) {
  psim_pool_cfg pc;
  psim_link_cfg lc;
  tun_bridge *b;
  int rv;

  *pb = NULL;
  b = calloc(1, sizeof(*b));
  if (b == NULL) {
    snprintf(err, errlen, "out of memory");
    return PTCP_ERR_NOMEM;
  }
  b->fd = cfg->fd;
  b->mtu = cfg->mtu ? cfg->mtu : 1500;
  b->mono0 = b->now = tun_clock_now();
  b->real0 = realtime_now();
  b->rxbuf = malloc(b->mtu > 65535 ? b->mtu : 65535);
  if (b->rxbuf == NULL) {
    rv = PTCP_ERR_NOMEM;
    snprintf(err, errlen, "out of memory");
    goto fail;
  }

  rv = psim_sched_new(&b->sched, NULL, b->now);
  if (rv != 0) {
    snprintf(err, errlen, "scheduler: %s", psim_strerror(rv));
    goto fail;
  }
  memset(&pc, 0, sizeof(pc));
  pc.buf_size = HEADROOM + b->mtu;
  pc.headroom = HEADROOM;
  rv = psim_pool_new(&b->pool, NULL, &pc);
  if (rv != 0) {
    snprintf(err, errlen, "packet pool: %s", psim_strerror(rv));
    goto fail;
  }
  memset(&lc, 0, sizeof(lc));
  lc.name = "tun";
  lc.seed = cfg->seed;
  lc.dir[PSIM_LINK_A] = cfg->dir;
  lc.dir[PSIM_LINK_B] = cfg->dir;
  rv = psim_link_new(&b->link, b->sched, b->pool, &lc, NULL);
  if (rv != 0) {
    snprintf(err, errlen, "impairments: %s", psim_strerror(rv));
    goto fail;
  }
  psim_link_attach(b->link, PSIM_LINK_B, deliver_stack, b);
  psim_link_attach(b->link, PSIM_LINK_A, deliver_tun, b);
  if (cfg->pcap_path != NULL) {
    rv = psim_pcap_open(&b->pcap, cfg->pcap_path, NULL, err, errlen);
    if (rv != 0)
      goto fail;
  }
  *pb = b;
  return 0;

fail:
  tun_bridge_del(b);
  return rv;
}

void tun_bridge_del(tun_bridge *b) {
  if (b == NULL)
    return;
  if (b->pcap != NULL)
    (void)psim_pcap_close(b->pcap, NULL, 0);
  psim_link_del(b->link);
  psim_sched_del(b->sched);
  psim_pool_del(b->pool);
  free(b->rxbuf);
  free(b);
}

void tun_bridge_attach(tun_bridge *b, ptcp_stack *stack) { b->stack = stack; }

ptcp_time tun_bridge_now(const tun_bridge *b) { return b->now; }

const tun_bridge_stats *tun_bridge_get_stats(const tun_bridge *b) { return &b->stats; }

const psim_link_stats *tun_bridge_link_stats(const tun_bridge *b, unsigned dir) {
  return psim_link_get_stats(b->link, dir);
}

/* Reads what the TUN holds, up to a batch.  Returns the packets read. */
static int read_tun(tun_bridge *b) {
  int n = 0;

  while (n < READ_BATCH) {
    ssize_t len = read(b->fd, b->rxbuf, b->mtu > 65535 ? b->mtu : 65535);
    if (len < 0) {
      if (errno == EAGAIN || errno == EINTR)
        break;
      {
        char msg[120];
        snprintf(msg, sizeof(msg), "read from the TUN: %s", strerror(errno));
        set_fatal(b, PSIM_ERR_IO, msg);
      }
      break;
    }
    n++;
    b->stats.tun_in++;
    b->stats.tun_in_bytes += (uint64_t)len;
    capture(b, b->rxbuf, (size_t)len);
    /* Only IPv4 and IPv6 can be TCP; the rest would just be refused. */
    if (len == 0 || ((b->rxbuf[0] >> 4) != 4 && (b->rxbuf[0] >> 4) != 6)) {
      b->stats.not_tcp++;
      continue;
    }
    (void)offer(b, PSIM_LINK_A, b->rxbuf, (size_t)len);
  }
  return n;
}

/* Delivers every link event due by now, and runs the stack's timers. */
static void run_due(tun_bridge *b) {
  ptcp_time dl;

  (void)psim_sched_run_until(b->sched, b->now);
  dl = b->stack != NULL ? ptcp_stack_next_deadline(b->stack) : PTCP_TIME_NONE;
  if (dl <= b->now) {
    int rv = ptcp_stack_on_timer(b->stack, b->now);
    if (rv < 0) {
      char msg[120];
      snprintf(msg, sizeof(msg), "the stack's timers failed: %s", ptcp_strerror(rv));
      set_fatal(b, rv, msg);
    }
    /* What the timers sent on a perfect wire is due now too. */
    (void)psim_sched_run_until(b->sched, b->now);
  }
}

enum { PHASE_RUN, PHASE_DRAIN, PHASE_LINGER };

int tun_bridge_run(tun_bridge *b, const tun_bridge_hooks *hooks, ptcp_time deadline,
                   ptcp_duration drain, ptcp_duration linger, char *err, size_t errlen) {
  struct sigaction sa;
  sigset_t block, orig;
  int phase = PHASE_RUN, result = 0;
  ptcp_time phase_end = PTCP_TIME_NONE;

  /* Signals are blocked except while sleeping, so none slips in between
   * the check and the sleep. */
  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigprocmask(SIG_BLOCK, &block, &orig);

  for (;;) {
    struct pollfd pfd;
    struct timespec ts;
    ptcp_time next, dl;
    int busy;

    b->now = tun_clock_now();
    run_due(b);
    busy = read_tun(b) == READ_BATCH;
    run_due(b);
    if (hooks->tick != NULL)
      hooks->tick(hooks->ctx, b->now);
    (void)psim_sched_run_until(b->sched, b->now);

    if (b->fatal != 0) {
      snprintf(err, errlen, "%s", b->fatal_msg);
      result = b->fatal;
      break;
    }
    if (got_signal) {
      result = TUN_RUN_INTERRUPTED;
      break;
    }
    if (phase == PHASE_RUN && hooks->done(hooks->ctx)) {
      phase = PHASE_DRAIN;
      phase_end = ptcp_time_add(b->now, drain);
    }
    if (phase == PHASE_DRAIN && (psim_sched_size(b->sched) == 0 || b->now >= phase_end)) {
      phase = PHASE_LINGER;
      phase_end = ptcp_time_add(b->now, linger);
    }
    if (phase == PHASE_LINGER && b->now >= phase_end)
      break;
    if (b->now >= deadline) {
      result = TUN_RUN_TIMEOUT;
      break;
    }

    /* Sleep until the TUN has something, or the next thing falls due. */
    dl = b->stack != NULL ? ptcp_stack_next_deadline(b->stack) : PTCP_TIME_NONE;
    next = ptcp_time_min(dl, psim_sched_next(b->sched));
    next = ptcp_time_min(next, deadline);
    if (phase != PHASE_RUN)
      next = ptcp_time_min(next, phase_end);
    if (busy || next <= b->now) {
      ts.tv_sec = 0;
      ts.tv_nsec = 0;
    } else {
      ptcp_duration d = next - b->now;
      ts.tv_sec = (time_t)(d / PTCP_SECONDS);
      ts.tv_nsec = (long)(d % PTCP_SECONDS);
    }
    pfd.fd = b->fd;
    pfd.events = POLLIN;
    pfd.revents = 0;
    if (ppoll(&pfd, 1, &ts, &orig) < 0 && errno != EINTR) {
      snprintf(err, errlen, "ppoll: %s", strerror(errno));
      result = PSIM_ERR_IO;
      break;
    }
  }
  sigprocmask(SIG_SETMASK, &orig, NULL);
  return result;
}
