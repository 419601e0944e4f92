/*
 * core_bench: two plugtcp stacks in one process, joined by an in-memory
 * IP "wire", moving N bytes over one TCP connection with every byte
 * checked.  The same shape as shared/bench/lwip/lwip_bulk.c, so the two
 * can be compared: one copy per packet per hop (the emit callback copies
 * the packet into a FIFO, the main loop hands it to the other stack),
 * checksums computed on send and verified on receive, a virtual clock
 * that only jumps to the next timer when the wire is empty.
 *
 *   core_bench [-n BYTES] [--mss N] [--no-ts] [--no-sack] [--buf BYTES] [--json]
 *
 * Prints bytes, data segments, wall time, bytes/s, and the sizes of a
 * connection and of a TIME-WAIT entry.  Instructions per data segment come
 * from running it under `valgrind --tool=callgrind` (bench/run-core.sh).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <plugtcp/plugtcp.h>

#define PAT_P 131071u /* prime period of the byte pattern */
#define WIRE_MAX 65536u

typedef struct pkt {
  uint8_t *data;
  size_t len;
  int to;
} pkt;

typedef struct bench {
  ptcp_stack *st[2];
  ptcp_addr addr[2];
  pkt *wire;
  size_t head, tail, cap; /* FIFO */
  ptcp_time now;
  ptcp_conn *client, *server;
  uint8_t *pat;
  uint64_t total, sent, received;
  uint64_t data_segments, packets, stalls;
  int bad;
  int who[2];
} bench;

static int bench_rand(void *ctx, uint8_t *dest, size_t len) {
  uint64_t *s = ctx;
  for (size_t i = 0; i < len; i++) {
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    dest[i] = (uint8_t)((*s * 0x2545f4914f6cdd1dULL) >> 56);
  }
  return 0;
}

static bench *the_bench; /* the callbacks' user pointer is the side */

static int emit(void *user, const uint8_t *p, size_t len) {
  bench *b = the_bench;
  int from = *(int *)user;
  pkt *k;

  if (b->tail - b->head == b->cap) {
    fprintf(stderr, "core_bench: wire overflow\n");
    exit(1);
  }
  k = &b->wire[b->tail++ % b->cap];
  /* One copy per packet per hop, as a NIC would DMA it. */
  k->data = malloc(len);
  if (k->data == NULL) {
    fprintf(stderr, "core_bench: out of memory\n");
    exit(1);
  }
  memcpy(k->data, p, len);
  k->len = len;
  k->to = 1 - from;
  b->packets++;
  if (from == 0 && len > 60)
    b->data_segments++;
  return 0;
}

static void fill(bench *b) {
  while (b->sent < b->total) {
    uint64_t off = b->sent % PAT_P;
    uint64_t n = b->total - b->sent;
    ptcp_ssize r;
    if (n > 65536)
      n = 65536;
    r = ptcp_conn_send(b->client, b->pat + off, (size_t)n, b->now);
    if (r <= 0)
      break;
    b->sent += (uint64_t)r;
  }
}

static void drain(bench *b, ptcp_conn *c) {
  uint8_t buf[65536];
  ptcp_ssize r;

  while ((r = ptcp_conn_recv(c, buf, sizeof(buf), b->now)) > 0) {
    uint64_t off = b->received % PAT_P;
    if (memcmp(buf, b->pat + off, (size_t)r) != 0)
      b->bad = 1;
    b->received += (uint64_t)r;
  }
}

static void on_accept(void *user, ptcp_conn *l) {
  bench *b = the_bench;
  ptcp_conn *c;
  (void)user;
  while (ptcp_conn_accept(l, &c) == 0)
    b->server = c;
}

static void on_readable(void *user, ptcp_conn *c) {
  (void)user;
  drain(the_bench, c);
}

static void on_writable(void *user, ptcp_conn *c) {
  (void)user;
  (void)c;
  fill(the_bench);
}

static void usage(FILE *f) {
  fprintf(f, "usage: core_bench [-n BYTES] [--mss N] [--no-ts] [--no-sack] [--buf BYTES] "
             "[--json]\n");
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"bytes", required_argument, NULL, 'n'}, {"mss", required_argument, NULL, 'm'},
      {"no-ts", no_argument, NULL, 'T'},       {"no-sack", no_argument, NULL, 'S'},
      {"buf", required_argument, NULL, 'b'},   {"json", no_argument, NULL, 'j'},
      {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
  };
  bench b;
  ptcp_stack_cfg cfg;
  uint64_t seeds[2] = {1, 2};
  struct timespec t0, t1;
  double wall;
  int json = 0, c;
  char *end;

  memset(&b, 0, sizeof(b));
  the_bench = &b;
  b.total = 100000000ull;
  ptcp_stack_cfg_default(&cfg);
  cfg.policy[PTCP_SLOT_ISN] = "counter:start=1,step=0";
  while ((c = getopt_long(argc, argv, "n:h", longopts, NULL)) != -1) {
    switch (c) {
    case 'n':
      b.total = strtoull(optarg, &end, 10);
      if (*end != '\0' || b.total == 0) {
        fprintf(stderr, "core_bench: -n wants a positive byte count, not '%s'\n", optarg);
        return 2;
      }
      break;
    case 'm':
      cfg.conn.mss = (uint16_t)strtoul(optarg, &end, 10);
      if (*end != '\0') {
        fprintf(stderr, "core_bench: --mss wants a number, not '%s'\n", optarg);
        return 2;
      }
      break;
    case 'T':
      cfg.conn.timestamps = 0;
      break;
    case 'S':
      cfg.conn.sack = 0;
      break;
    case 'b':
      cfg.conn.sndbuf = cfg.conn.rcvbuf = (uint32_t)strtoul(optarg, &end, 10);
      if (*end != '\0') {
        fprintf(stderr, "core_bench: --buf wants a byte count, not '%s'\n", optarg);
        return 2;
      }
      break;
    case 'j':
      json = 1;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "core_bench: unexpected argument '%s'\n", argv[optind]);
    return 2;
  }

  b.pat = malloc(PAT_P + 65536u);
  b.cap = WIRE_MAX;
  b.wire = calloc(b.cap, sizeof(*b.wire));
  if (b.pat == NULL || b.wire == NULL)
    return 1;
  {
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    for (uint32_t i = 0; i < PAT_P + 65536u; i++) {
      x ^= x >> 12;
      x ^= x << 25;
      x ^= x >> 27;
      b.pat[i] = (uint8_t)(x >> 56);
    }
    memcpy(b.pat + PAT_P, b.pat, 65536u); /* any 64 KiB read is contiguous */
  }
  b.addr[0] = ptcp_addr_v4(10, 0, 0, 1);
  b.addr[1] = ptcp_addr_v4(10, 0, 0, 2);
  cfg.callbacks.emit = emit;
  cfg.callbacks.on_accept = on_accept;
  cfg.callbacks.on_readable = on_readable;
  cfg.callbacks.on_writable = on_writable;
  for (int side = 0; side < 2; side++) {
    int rv;
    b.who[side] = side;
    cfg.user = &b.who[side];
    cfg.rand = bench_rand;
    cfg.rand_ctx = &seeds[side];
    rv = ptcp_stack_new(&b.st[side], &cfg, 0);
    if (rv == 0)
      rv = ptcp_stack_add_addr(b.st[side], &b.addr[side]);
    if (rv != 0) {
      fprintf(stderr, "core_bench: stack: %s\n", ptcp_strerror(rv));
      return 1;
    }
  }
  {
    ptcp_conn *l;
    if (ptcp_conn_new(b.st[1], NULL, &l) != 0 || ptcp_conn_bind(l, NULL, 5001) != 0 ||
        ptcp_conn_listen(l, 4) != 0 || ptcp_conn_new(b.st[0], NULL, &b.client) != 0 ||
        ptcp_conn_connect(b.client, &b.addr[1], 5001, 0) != 0) {
      fprintf(stderr, "core_bench: cannot set up the connection\n");
      return 1;
    }
  }

  clock_gettime(CLOCK_MONOTONIC, &t0);
  while (b.received < b.total && !b.bad) {
    if (b.head != b.tail) {
      pkt k = b.wire[b.head++ % b.cap];
      b.now += 1000; /* 1 us per packet on the wire */
      (void)ptcp_stack_input(b.st[k.to], k.data, k.len, b.now);
      free(k.data);
      if (b.client != NULL && ptcp_conn_state(b.client) == PTCP_ESTABLISHED &&
          b.sent < b.total)
        fill(&b);
      continue;
    }
    /* The wire is empty: jump to the next timer. */
    {
      ptcp_time d0 = ptcp_stack_next_deadline(b.st[0]);
      ptcp_time d1 = ptcp_stack_next_deadline(b.st[1]);
      ptcp_time d = d0 < d1 ? d0 : d1;
      if (d == PTCP_TIME_NONE) {
        fprintf(stderr, "core_bench: stalled at %llu of %llu bytes\n",
                (unsigned long long)b.received, (unsigned long long)b.total);
        return 1;
      }
      if (d > b.now)
        b.now = d;
      b.stalls++;
      ptcp_stack_on_timer(b.st[0], b.now);
      ptcp_stack_on_timer(b.st[1], b.now);
    }
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  if (b.bad || b.received != b.total) {
    fprintf(stderr, "core_bench: data corrupted or missing\n");
    return 1;
  }
  if (json) {
    printf("{\"bytes\": %llu, \"data_segments\": %llu, \"packets\": %llu, "
           "\"wall_s\": %.6f, \"bytes_per_s\": %.0f, \"timer_stalls\": %llu, "
           "\"sizeof_conn\": %zu, \"sizeof_time_wait\": %zu}\n",
           (unsigned long long)b.total, (unsigned long long)b.data_segments,
           (unsigned long long)b.packets, wall, (double)b.total / wall,
           (unsigned long long)b.stalls, ptcp_conn_sizeof(), ptcp_time_wait_sizeof());
  } else {
    printf("bytes            %llu (every byte checked)\n", (unsigned long long)b.total);
    printf("data segments    %llu\n", (unsigned long long)b.data_segments);
    printf("packets          %llu\n", (unsigned long long)b.packets);
    printf("wall             %.3f s\n", wall);
    printf("throughput       %.1f MB/s\n", (double)b.total / wall / 1e6);
    printf("timer stalls     %llu\n", (unsigned long long)b.stalls);
    printf("sizeof conn      %zu bytes\n", ptcp_conn_sizeof());
    printf("sizeof TIME-WAIT %zu bytes\n", ptcp_time_wait_sizeof());
  }
  ptcp_stack_free(b.st[0]);
  ptcp_stack_free(b.st[1]);
  free(b.pat);
  free(b.wire);
  return 0;
}
