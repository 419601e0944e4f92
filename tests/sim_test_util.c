/*
 * Helpers shared by the simulator's Check programs.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/wire.h>

#include "sim_test_util.h"

enum { MAX_PAYLOAD = 2048, TEST_DPORT = 80, TEST_TTL = 64 };

static int may_alloc(test_counting_mem *cm) {
  if (cm->fail_after == 0)
    return 0;
  if (cm->fail_after > 0)
    cm->fail_after--;
  return 1;
}

static void *cm_malloc(size_t size, void *ud) {
  test_counting_mem *cm = ud;
  void *p;

  if (!may_alloc(cm) || (p = malloc(size)) == NULL)
    return NULL;
  cm->allocs++;
  cm->live++;
  return p;
}

static void *cm_calloc(size_t n, size_t size, void *ud) {
  test_counting_mem *cm = ud;
  void *p;

  if (!may_alloc(cm) || (p = calloc(n, size)) == NULL)
    return NULL;
  cm->allocs++;
  cm->live++;
  return p;
}

static void *cm_realloc(void *old, size_t size, void *ud) {
  test_counting_mem *cm = ud;
  void *p;

  if (!may_alloc(cm) || (p = realloc(old, size)) == NULL)
    return NULL;
  cm->allocs++;
  if (old == NULL)
    cm->live++;
  return p;
}

static void cm_free(void *p, void *ud) {
  test_counting_mem *cm = ud;

  if (p == NULL)
    return;
  cm->live--;
  free(p);
}

void test_counting_mem_init(test_counting_mem *cm) {
  memset(cm, 0, sizeof(*cm));
  cm->mem.user_data = cm;
  cm->mem.malloc = cm_malloc;
  cm->mem.calloc = cm_calloc;
  cm->mem.realloc = cm_realloc;
  cm->mem.free = cm_free;
  cm->fail_after = -1;
}

size_t test_build_tcp4(uint8_t *out, size_t cap, uint16_t sport, uint32_t seq,
                       uint8_t flags, size_t payload_len) {
  uint8_t payload[MAX_PAYLOAD];
  ptcp_seg seg;
  ptcp_ip ip;
  ptcp_pseudo ph;
  ptcp_ssize tcp_len, ip_len;

  ck_assert_uint_le(payload_len, sizeof(payload));
  for (size_t i = 0; i < payload_len; i++)
    payload[i] = (uint8_t)(seq + i);
  memset(&seg, 0, sizeof(seg));
  seg.src_port = sport;
  seg.dst_port = TEST_DPORT;
  seg.seq = seq;
  seg.ack = (flags & PTCP_ACK) ? 1 : 0;
  seg.flags = flags;
  seg.window = 65535;
  seg.payload = payload;
  seg.payload_len = payload_len;
  memset(&ip, 0, sizeof(ip));
  ip.version = 4;
  ip.proto = PTCP_IPPROTO_TCP;
  ip.ttl = TEST_TTL;
  ip.id = (uint16_t)seq;
  ip.dont_frag = 1;
  ip.src = ptcp_addr_v4(10, 0, 0, 1);
  ip.dst = ptcp_addr_v4(10, 0, 0, 2);
  ph.src = ip.src;
  ph.dst = ip.dst;
  ck_assert_uint_ge(cap, PTCP_IPV4_HDR_LEN);
  tcp_len = ptcp_seg_write(out + PTCP_IPV4_HDR_LEN, cap - PTCP_IPV4_HDR_LEN, &seg, &ph);
  ck_assert_int_gt(tcp_len, 0);
  ip_len = ptcp_ip_encode_header(out, cap, &ip, (size_t)tcp_len);
  ck_assert_int_eq(ip_len, PTCP_IPV4_HDR_LEN);
  return (size_t)(ip_len + tcp_len);
}

int test_packet_ok(const uint8_t *pkt, size_t len) {
  ptcp_ip ip;
  ptcp_seg seg;

  return ptcp_packet_parse(&ip, &seg, pkt, len, 0) == 0;
}
