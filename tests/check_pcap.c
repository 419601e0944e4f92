/*
 * Tests for plugsim/pcap.h: crafted IPv4/TCP packets (ptcp_seg_write +
 * ptcp_ip_encode_header, via test_build_tcp4) written and read back
 * with libpcap byte for byte and nanosecond for nanosecond; identical
 * files from identical input; errors that name the file; the link
 * hooks.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include <plugsim/link.h>
#include <plugsim/pcap.h>
#include <plugtcp/wire.h>

#include "sim_test_util.h"

Suite *psim_pcap_suite(void);

#define NPKTS 4
/* The nanosecond pcap magic number, as written in host byte order. */
#define PCAP_NSEC_MAGIC 0xa1b23c4du
#define LINKTYPE_RAW 101u

static char tmpdir[256];

static void make_tmpdir(void) {
  const char *base = getenv("TMPDIR");

  snprintf(tmpdir, sizeof(tmpdir), "%s/psim-pcap-XXXXXX", base ? base : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void remove_tmpdir(void) {
  char cmd[300];

  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

static void tmp_path(char *out, size_t cap, const char *name) {
  snprintf(out, cap, "%s/%s", tmpdir, name);
}

/* A small, fixed conversation and when each packet was "seen". */
typedef struct sample {
  uint8_t pkt[NPKTS][256];
  size_t len[NPKTS];
  ptcp_time t[NPKTS];
} sample;

static void make_sample(sample *s) {
  static const uint8_t flags[NPKTS] = {PTCP_SYN, PTCP_SYN | PTCP_ACK, PTCP_ACK,
                                       PTCP_PSH | PTCP_ACK};
  static const size_t payload[NPKTS] = {0, 0, 0, 117};
  /* Sub-microsecond parts that a microsecond file would lose. */
  static const ptcp_time t[NPKTS] = {0, 1500000123ull, 3999999999ull,
                                     1700000000ull * 1000000000ull + 1};

  for (int i = 0; i < NPKTS; i++) {
    s->len[i] = test_build_tcp4(s->pkt[i], sizeof(s->pkt[i]), 40000, 1000u + (uint32_t)i,
                                flags[i], payload[i]);
    ck_assert(test_packet_ok(s->pkt[i], s->len[i]));
    s->t[i] = t[i];
  }
}

static void write_sample(const char *path, const sample *s) {
  psim_pcap *p = NULL;
  char err[512];

  ck_assert_int_eq(psim_pcap_open(&p, path, NULL, err, sizeof(err)), 0);
  for (int i = 0; i < NPKTS; i++)
    ck_assert_int_eq(psim_pcap_write(p, s->t[i], s->pkt[i], s->len[i]), 0);
  ck_assert_uint_eq(psim_pcap_count(p), NPKTS);
  ck_assert_str_eq(psim_pcap_errmsg(p), "");
  ck_assert_int_eq(psim_pcap_close(p, err, sizeof(err)), 0);
  ck_assert_str_eq(err, "");
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap) {
  FILE *f = fopen(path, "rb");
  size_t n;

  ck_assert_ptr_nonnull(f);
  n = fread(buf, 1, cap, f);
  ck_assert_int_eq(ferror(f), 0);
  fclose(f);
  return n;
}

START_TEST(test_pcap_round_trip) {
  char path[300], err[PCAP_ERRBUF_SIZE];
  sample s;
  pcap_t *rd;
  struct pcap_pkthdr *hdr;
  const u_char *data;
  int i = 0, rv;

  make_tmpdir();
  tmp_path(path, sizeof(path), "a.pcap");
  make_sample(&s);
  write_sample(path, &s);
  rd = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, err);
  ck_assert_msg(rd != NULL, "%s", err);
  ck_assert_int_eq(pcap_datalink(rd), DLT_RAW);
  ck_assert_int_eq(pcap_snapshot(rd), PSIM_PCAP_SNAPLEN);
  ck_assert_int_eq(pcap_get_tstamp_precision(rd), PCAP_TSTAMP_PRECISION_NANO);
  while ((rv = pcap_next_ex(rd, &hdr, &data)) == 1) {
    ck_assert_int_lt(i, NPKTS);
    ck_assert_uint_eq(hdr->caplen, s.len[i]);
    ck_assert_uint_eq(hdr->len, s.len[i]);
    ck_assert_mem_eq(data, s.pkt[i], s.len[i]);
    ck_assert_uint_eq(
        (uint64_t)hdr->ts.tv_sec * 1000000000ull + (uint64_t)hdr->ts.tv_usec, s.t[i]);
    i++;
  }
  ck_assert_int_eq(rv, PCAP_ERROR_BREAK); /* end of file, no error */
  ck_assert_int_eq(i, NPKTS);
  pcap_close(rd);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_file_header) {
  char path[300];
  uint8_t buf[4096];
  uint32_t magic, linktype, snaplen, zone, sigfigs;
  sample s;

  make_tmpdir();
  tmp_path(path, sizeof(path), "h.pcap");
  make_sample(&s);
  write_sample(path, &s);
  /* 24-byte file header: magic, version 2.4, zone and sigfigs 0 (no
   * clock, no host state), snaplen, link type; in host order. */
  ck_assert_uint_ge(read_file(path, buf, sizeof(buf)), 24);
  memcpy(&magic, buf, 4);
  memcpy(&zone, buf + 8, 4);
  memcpy(&sigfigs, buf + 12, 4);
  memcpy(&snaplen, buf + 16, 4);
  memcpy(&linktype, buf + 20, 4);
  ck_assert_uint_eq(magic, PCAP_NSEC_MAGIC);
  ck_assert_uint_eq(zone, 0);
  ck_assert_uint_eq(sigfigs, 0);
  ck_assert_uint_eq(snaplen, PSIM_PCAP_SNAPLEN);
  ck_assert_uint_eq(linktype, LINKTYPE_RAW);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_same_input_same_bytes) {
  char a[300], b[300];
  static uint8_t ba[8192], bb[8192];
  size_t na, nb;
  sample s;

  make_tmpdir();
  tmp_path(a, sizeof(a), "a.pcap");
  tmp_path(b, sizeof(b), "b.pcap");
  make_sample(&s);
  write_sample(a, &s);
  sleep(1); /* a different wall clock must not matter */
  write_sample(b, &s);
  na = read_file(a, ba, sizeof(ba));
  nb = read_file(b, bb, sizeof(bb));
  /* Header + 4 records of 16 bytes + the packets. */
  ck_assert_uint_eq(na, 24 + NPKTS * 16 + s.len[0] + s.len[1] + s.len[2] + s.len[3]);
  ck_assert_uint_eq(na, nb);
  ck_assert_mem_eq(ba, bb, na);
  /* Rewriting a file replaces it. */
  write_sample(a, &s);
  ck_assert_uint_eq(read_file(a, ba, sizeof(ba)), na);
  remove_tmpdir();
}
END_TEST

START_TEST(test_pcap_errors_name_the_file) {
  psim_pcap *p = NULL;
  char err[512];
  uint8_t pkt[64];
  size_t len = test_build_tcp4(pkt, sizeof(pkt), 1, 2, PTCP_ACK, 0);
  int rv = 0;

  /* A directory that does not exist. */
  ck_assert_int_eq(
      psim_pcap_open(&p, "/nonexistent-psim-dir/x.pcap", NULL, err, sizeof(err)),
      PSIM_ERR_IO);
  ck_assert_ptr_null(p);
  ck_assert_ptr_nonnull(strstr(err, "/nonexistent-psim-dir/x.pcap"));
  ck_assert_ptr_nonnull(strstr(err, "No such file or directory"));
  ck_assert_int_eq(psim_pcap_open(NULL, "x", NULL, err, sizeof(err)),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_pcap_open(&p, NULL, NULL, NULL, 0), PTCP_ERR_INVALID_ARGUMENT);
  /* A full disk: writes are buffered, so the failure shows at the
   * latest when flushing, and sticks. */
  if (access("/dev/full", W_OK) != 0)
    return;
  ck_assert_int_eq(psim_pcap_open(&p, "/dev/full", NULL, err, sizeof(err)), 0);
  for (int i = 0; i < 1000 && rv == 0; i++)
    rv = psim_pcap_write(p, (ptcp_time)i, pkt, len);
  if (rv == 0)
    rv = psim_pcap_flush(p);
  ck_assert_int_eq(rv, PSIM_ERR_IO);
  ck_assert_ptr_nonnull(strstr(psim_pcap_errmsg(p), "/dev/full"));
  ck_assert_ptr_nonnull(strstr(psim_pcap_errmsg(p), "No space left on device"));
  ck_assert_int_eq(psim_pcap_write(p, 0, pkt, len), PSIM_ERR_IO);
  ck_assert_int_eq(psim_pcap_flush(p), PSIM_ERR_IO);
  ck_assert_int_eq(psim_pcap_close(p, err, sizeof(err)), PSIM_ERR_IO);
  ck_assert_ptr_nonnull(strstr(err, "/dev/full"));
  ck_assert_int_eq(psim_pcap_close(NULL, NULL, 0), 0);
  ck_assert_str_eq(psim_strerror(PSIM_ERR_IO), "file could not be opened or written");
}
END_TEST

START_TEST(test_pcap_rejects_bad_writes) {
  psim_pcap *p = NULL;
  char path[300], err[512];
  uint8_t pkt[40] = {0};

  make_tmpdir();
  tmp_path(path, sizeof(path), "bad.pcap");
  ck_assert_int_eq(psim_pcap_open(&p, path, NULL, err, sizeof(err)), 0);
  /* Past the 32-bit seconds of the pcap record header. */
  ck_assert_int_eq(psim_pcap_write(p, (0xffffffffull + 1) * 1000000000ull, pkt, 40),
                   PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(
      psim_pcap_write(p, 0xffffffffull * 1000000000ull + 999999999ull, pkt, 40), 0);
  ck_assert_int_eq(psim_pcap_write(p, 0, NULL, 4), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_int_eq(psim_pcap_write(NULL, 0, pkt, 4), PTCP_ERR_INVALID_ARGUMENT);
  ck_assert_uint_eq(psim_pcap_count(p), 1);
  ck_assert_int_eq(psim_pcap_close(p, NULL, 0), 0);
  remove_tmpdir();
}
END_TEST

static void free_rx(void *ctx, psim_pkt *pkt, ptcp_time now) {
  (void)ctx;
  (void)now;
  psim_pkt_free(pkt);
}

/* Both hooks on one link: the tx file has what was sent, the rx file
 * what arrived, at the right times. */
typedef struct two_caps {
  psim_pcap *tx, *rx;
} two_caps;

static void both_hooks(void *ctx, const psim_link_event *ev) {
  two_caps *c = ctx;

  psim_pcap_hook_tx(c->tx, ev);
  psim_pcap_hook_rx(c->rx, ev);
}

START_TEST(test_pcap_link_hooks) {
  static const psim_script_rule script[] = {
      {.nth = 2, .action = PSIM_SCRIPT_DROP},
      {.nth = 3, .action = PSIM_SCRIPT_CORRUPT, .bit = 400},
  };
  char txp[300], rxp[300], err[PCAP_ERRBUF_SIZE];
  psim_sched *s = NULL;
  psim_pool *pool = NULL;
  psim_link *l = NULL;
  psim_link_cfg cfg;
  two_caps caps;
  sample smp;
  pcap_t *rd;
  struct pcap_pkthdr *hdr;
  const u_char *data;

  make_tmpdir();
  tmp_path(txp, sizeof(txp), "tx.pcap");
  tmp_path(rxp, sizeof(rxp), "rx.pcap");
  make_sample(&smp);
  memset(&cfg, 0, sizeof(cfg));
  cfg.dir[0].delay = 7 * PTCP_MILLISECONDS;
  cfg.dir[0].script = script;
  cfg.dir[0].script_len = 2;
  ck_assert_int_eq(psim_sched_new(&s, NULL, 1000), 0);
  ck_assert_int_eq(psim_pool_new(&pool, NULL, NULL), 0);
  ck_assert_int_eq(psim_link_new(&l, s, pool, &cfg, NULL), 0);
  ck_assert_int_eq(psim_link_attach(l, PSIM_LINK_B, free_rx, NULL), 0);
  ck_assert_int_eq(psim_pcap_open(&caps.tx, txp, NULL, err, sizeof(err)), 0);
  ck_assert_int_eq(psim_pcap_open(&caps.rx, rxp, NULL, err, sizeof(err)), 0);
  psim_link_set_trace(l, both_hooks, &caps);
  for (int i = 0; i < NPKTS; i++) {
    psim_pkt *p = NULL;

    ck_assert_int_eq(psim_pkt_copy_in(pool, smp.pkt[i], smp.len[i], &p), 0);
    ck_assert_int_eq(psim_link_send(l, PSIM_LINK_A, p), 0);
  }
  ck_assert_int_eq(psim_sched_run(s), 0);
  ck_assert_uint_eq(psim_pcap_count(caps.tx), 4);
  ck_assert_uint_eq(psim_pcap_count(caps.rx), 3);
  ck_assert_int_eq(psim_pcap_close(caps.tx, err, sizeof(err)), 0);
  ck_assert_int_eq(psim_pcap_close(caps.rx, err, sizeof(err)), 0);
  psim_link_del(l);
  psim_pool_del(pool);
  psim_sched_del(s);

  /* rx: packets 1, 3 (one bit flipped), 4, each 7 ms after it was sent. */
  rd = pcap_open_offline_with_tstamp_precision(rxp, PCAP_TSTAMP_PRECISION_NANO, err);
  ck_assert_msg(rd != NULL, "%s", err);
  {
    static const int which[] = {0, 2, 3};

    for (int k = 0; k < 3; k++) {
      int i = which[k];

      ck_assert_int_eq(pcap_next_ex(rd, &hdr, &data), 1);
      ck_assert_uint_eq(hdr->caplen, smp.len[i]);
      ck_assert_uint_eq((uint64_t)hdr->ts.tv_usec, 1000 + 7 * PTCP_MILLISECONDS);
      ck_assert_int_eq(memcmp(data, smp.pkt[i], smp.len[i]) == 0, i != 2);
      ck_assert_int_eq(test_packet_ok(data, hdr->caplen), i != 2);
    }
    ck_assert_int_eq(pcap_next_ex(rd, &hdr, &data), PCAP_ERROR_BREAK);
  }
  pcap_close(rd);
  /* tx: all four, intact, at the send time. */
  rd = pcap_open_offline_with_tstamp_precision(txp, PCAP_TSTAMP_PRECISION_NANO, err);
  ck_assert_msg(rd != NULL, "%s", err);
  for (int i = 0; i < NPKTS; i++) {
    ck_assert_int_eq(pcap_next_ex(rd, &hdr, &data), 1);
    ck_assert_mem_eq(data, smp.pkt[i], smp.len[i]);
    ck_assert_uint_eq((uint64_t)hdr->ts.tv_usec, 1000);
  }
  pcap_close(rd);
  remove_tmpdir();
}
END_TEST

Suite *psim_pcap_suite(void) {
  Suite *s = suite_create("pcap");
  TCase *tc = tcase_create("core");

  tcase_add_test(tc, test_pcap_round_trip);
  tcase_add_test(tc, test_pcap_file_header);
  tcase_add_test(tc, test_pcap_same_input_same_bytes);
  tcase_add_test(tc, test_pcap_errors_name_the_file);
  tcase_add_test(tc, test_pcap_rejects_bad_writes);
  tcase_add_test(tc, test_pcap_link_hooks);
  suite_add_tcase(s, tc);
  return s;
}
