/*
 * pcap-corrupt-helper: writes two small captures for tests/pcap-tshark.test,
 * through the real pipeline (packets over a psim_link, recorded by
 * psim_pcap_hook_rx):
 *
 *   TCP_FILE  six valid IPv4/TCP packets of one connection, the 4th with
 *             one bit of its TCP payload flipped by a script rule;
 *   IP_FILE   the same, the 4th with the MSB of its IPv4 TTL flipped.
 *
 * The first packet arrives at exactly 1000000000.123456789 s, so the
 * test can also check that the nanoseconds survive.
 *
 * usage: pcap-corrupt-helper TCP_FILE IP_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugsim/plugsim.h>
#include <plugsim/pcap.h>
#include <plugtcp/wire.h>

enum {
  NPKTS = 6,
  CORRUPTED = 4, /* the packet the script corrupts (1-based) */
  CLIENT_PORT = 40000,
  SERVER_PORT = 80,
  TTL = 64,
  IPV4_TTL_BIT = 64, /* bit 0 of byte 8: the TTL's MSB */
  IPV4_TCP_HDR = 40, /* 20-byte IPv4 header + 20-byte TCP header */
};

#define START_NS 1000000000123456789ull
#define GAP_NS 1000000ull /* 1 ms between packets */

static void die(const char *what, int rv) {
  fprintf(stderr, "pcap-corrupt-helper: %s: %s\n", what, psim_strerror(rv));
  exit(1);
}

/* Packet |i| of a small, coherent conversation (client ISN 1000, server
 * ISN 5000): handshake, a request, a response, FIN. */
static const struct {
  int from_client;
  uint8_t flags;
  uint32_t seq, ack;
  const char *text;
} convo[NPKTS] = {
    {1, PTCP_SYN, 1000, 0, ""},
    {0, PTCP_SYN | PTCP_ACK, 5000, 1001, ""},
    {1, PTCP_ACK, 1001, 5001, ""},
    {1, PTCP_PSH | PTCP_ACK, 1001, 5001, "GET / HTTP/1.0\r\n\r\n"},
    {0, PTCP_PSH | PTCP_ACK, 5001, 1019, "HTTP/1.0 200 OK\r\n\r\n"},
    {1, PTCP_FIN | PTCP_ACK, 1019, 5020, ""},
};

static size_t build(uint8_t *out, size_t cap, int i) {
  int from_client = convo[i].from_client;
  ptcp_seg seg;
  ptcp_ip ip;
  ptcp_pseudo ph;
  ptcp_ssize tcp_len, ip_len;

  memset(&seg, 0, sizeof(seg));
  memset(&ip, 0, sizeof(ip));
  ip.version = 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = TTL;
  ip.id = (uint16_t)(i + 1);
  ip.src = from_client ? ptcp_addr_v4(10, 0, 0, 1) : ptcp_addr_v4(10, 0, 0, 2);
  ip.dst = from_client ? ptcp_addr_v4(10, 0, 0, 2) : ptcp_addr_v4(10, 0, 0, 1);
  seg.src_port = from_client ? CLIENT_PORT : SERVER_PORT;
  seg.dst_port = from_client ? SERVER_PORT : CLIENT_PORT;
  seg.seq = convo[i].seq;
  seg.ack = convo[i].ack;
  seg.flags = convo[i].flags;
  seg.window = 65535;
  seg.payload = (const uint8_t *)convo[i].text;
  seg.payload_len = strlen(convo[i].text);
  ph.src = ip.src;
  ph.dst = ip.dst;
  tcp_len = ptcp_seg_write(out + PTCP_IPV4_HDR_LEN, cap - PTCP_IPV4_HDR_LEN, &seg, &ph);
  if (tcp_len < 0)
    die("ptcp_seg_write", (int)tcp_len);
  ip_len = ptcp_ip_encode_header(out, cap, &ip, (size_t)tcp_len);
  if (ip_len < 0)
    die("ptcp_ip_encode_header", (int)ip_len);
  return (size_t)(ip_len + tcp_len);
}

static void free_rx(void *ctx, psim_pkt *pkt, ptcp_time now) {
  (void)ctx;
  (void)now;
  psim_pkt_free(pkt);
}

/* Sends the conversation over a link whose script flips |bit| of
 * packet CORRUPTED, capturing arrivals into |path|. */
static void capture(const char *path, uint32_t bit) {
  psim_script_rule rule = {.nth = CORRUPTED, .action = PSIM_SCRIPT_CORRUPT, .bit = bit};
  psim_sched *s = NULL;
  psim_pool *pool = NULL;
  psim_link *l = NULL;
  psim_pcap *cap = NULL;
  psim_link_cfg cfg;
  char err[512];
  int rv;

  memset(&cfg, 0, sizeof(cfg));
  cfg.name = "tshark";
  cfg.dir[PSIM_LINK_A].script = &rule;
  cfg.dir[PSIM_LINK_A].script_len = 1;
  if ((rv = psim_sched_new(&s, NULL, START_NS)) != 0)
    die("psim_sched_new", rv);
  if ((rv = psim_pool_new(&pool, NULL, NULL)) != 0)
    die("psim_pool_new", rv);
  if ((rv = psim_link_new(&l, s, pool, &cfg, NULL)) != 0)
    die("psim_link_new", rv);
  if ((rv = psim_pcap_open(&cap, path, NULL, err, sizeof(err))) != 0) {
    fprintf(stderr, "pcap-corrupt-helper: %s\n", err);
    exit(1);
  }
  psim_link_attach(l, PSIM_LINK_B, free_rx, NULL);
  psim_link_set_trace(l, psim_pcap_hook_rx, cap);
  for (int i = 0; i < NPKTS; i++) {
    uint8_t buf[256];
    size_t len = build(buf, sizeof(buf), i);
    psim_pkt *p = NULL;

    if ((rv = psim_pkt_copy_in(pool, buf, len, &p)) != 0)
      die("psim_pkt_copy_in", rv);
    if ((rv = psim_link_send(l, PSIM_LINK_A, p)) != 0)
      die("psim_link_send", rv);
    if ((rv = psim_sched_run_until(s, psim_sched_now(s) + GAP_NS)) != 0)
      die("psim_sched_run_until", rv);
  }
  if ((rv = psim_pcap_close(cap, err, sizeof(err))) != 0) {
    fprintf(stderr, "pcap-corrupt-helper: %s\n", err);
    exit(1);
  }
  psim_link_del(l);
  psim_pool_del(pool);
  psim_sched_del(s);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: pcap-corrupt-helper TCP_FILE IP_FILE\n");
    return 2;
  }
  /* Packet 4 is 20 + 20 + 18 bytes: bit 8 * 50 lies in its payload. */
  capture(argv[1], 8 * (IPV4_TCP_HDR + 10));
  capture(argv[2], IPV4_TTL_BIT);
  return 0;
}
