/*
 * plugtcp-seg: write, read and explain TCP segments with plugtcp's codec.
 *
 *   plugtcp-seg demo              build a SYN with every option, parse it
 *                                 back and print both views
 *   plugtcp-seg decode [--ip] [--hex] FILE|-
 *                                 decode one segment (or IP packet) from a
 *                                 binary file or hex text
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plugtcp/plugtcp.h>

#define MAX_INPUT 65536

static void usage(FILE *f) {
  fprintf(f,
          "usage: plugtcp-seg [demo]\n"
          "       plugtcp-seg decode [--ip] [--hex] FILE|-\n"
          "\n"
          "  demo     write a SYN carrying MSS, SACK-permitted, timestamps and\n"
          "           window scale, parse it back and print it (the default)\n"
          "  decode   parse one TCP segment (or, with --ip, an IPv4/IPv6 packet)\n"
          "           and print its fields or the exact parse error\n"
          "  --ip     the input is an IP packet; checksums are verified\n"
          "  --hex    the input is hex text (whitespace ignored)\n"
          "  --help   this text\n");
}

static void hexdump(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    printf("%02x%s", p[i], (i % 16 == 15 || i + 1 == n) ? "\n" : " ");
}

static void print_seg(const ptcp_seg *seg) {
  char line[512], flags[12];
  const ptcp_opts *o = &seg->opts;

  ptcp_seg_format(line, sizeof(line), seg);
  printf("  %s\n", line);
  printf("  ports      %u -> %u\n", seg->src_port, seg->dst_port);
  printf("  seq        %u\n  ack        %u\n", seg->seq, seg->ack);
  printf("  header     %u bytes (data offset %u)\n", seg->hdr_len, seg->hdr_len / 4);
  printf("  flags      0x%02x [%s]%s\n", seg->flags,
         ptcp_seg_flags_str(seg->flags, flags, sizeof(flags)),
         seg->reserved ? " (reserved bits set)" : "");
  printf("  window     %u\n  checksum   0x%04x\n  urgent     %u\n", seg->window,
         seg->checksum, seg->urgent);
  if (o->present & PTCP_OPT_MSS)
    printf("  option     MSS %u\n", o->mss);
  if (o->present & PTCP_OPT_WSCALE)
    printf("  option     window scale %u%s\n", o->wscale,
           o->wscale > PTCP_WSCALE_MAX ? " (above 14: the engine uses 14)" : "");
  if (o->present & PTCP_OPT_SACK_PERM)
    printf("  option     SACK permitted\n");
  if (o->present & PTCP_OPT_TS)
    printf("  option     timestamps val %u ecr %u\n", o->ts_val, o->ts_ecr);
  if (o->present & PTCP_OPT_SACK)
    for (unsigned i = 0; i < o->sack_count; i++)
      printf("  option     SACK block %u-%u\n", o->sack[i].left, o->sack[i].right);
  if (o->unknown)
    printf("  option     %u of unknown kind, skipped\n", o->unknown);
  printf("  payload    %zu bytes\n", seg->payload_len);
}

static int demo(void) {
  uint8_t buf[128];
  ptcp_pseudo ph = {ptcp_addr_v4(192, 0, 2, 1), ptcp_addr_v4(192, 0, 2, 2)};
  ptcp_seg syn, back;
  ptcp_ssize n;
  int rv;

  memset(&syn, 0, sizeof(syn));
  syn.src_port = 49152;
  syn.dst_port = 80;
  syn.seq = 0x9a3c5e71;
  syn.flags = PTCP_SYN;
  syn.window = 65535;
  syn.opts.present = PTCP_OPT_MSS | PTCP_OPT_SACK_PERM | PTCP_OPT_TS | PTCP_OPT_WSCALE;
  syn.opts.mss = 1460;
  syn.opts.ts_val = 4000;
  syn.opts.ts_ecr = 0;
  syn.opts.wscale = 7;

  n = ptcp_seg_write(buf, sizeof(buf), &syn, &ph);
  if (n < 0) {
    fprintf(stderr, "plugtcp-seg: cannot write the SYN: %s\n", ptcp_strerror((int)n));
    return 1;
  }
  printf("plugtcp %s: a SYN with every option, 192.0.2.1 -> 192.0.2.2\n\n", ptcp_version());
  printf("wire (%zd bytes, checksum over the IPv4 pseudo-header):\n", n);
  hexdump(buf, (size_t)n);

  rv = ptcp_seg_parse(&back, buf, (size_t)n, &ph);
  if (rv != 0) {
    fprintf(stderr, "plugtcp-seg: cannot parse it back: %s\n", ptcp_strerror(rv));
    return 1;
  }
  printf("\nparsed back, checksum verified:\n");
  print_seg(&back);
  printf("\nround trip: %s\n", ptcp_seg_equal(&syn, &back) ? "identical" : "DIFFERENT");
  return ptcp_seg_equal(&syn, &back) ? 0 : 1;
}

static int read_input(const char *path, int hex, uint8_t *buf, size_t *len) {
  FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
  size_t n = 0;
  int c, nib = -1;

  if (f == NULL) {
    fprintf(stderr, "plugtcp-seg: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (!hex) {
    n = fread(buf, 1, MAX_INPUT, f);
    if (!feof(f) && n == MAX_INPUT) {
      fprintf(stderr, "plugtcp-seg: %s: longer than %d bytes\n", path, MAX_INPUT);
      n = (size_t)-1;
    }
  } else {
    while ((c = fgetc(f)) != EOF && n != (size_t)-1) {
      int v;
      if (isspace(c))
        continue;
      if (!isxdigit(c)) {
        fprintf(stderr, "plugtcp-seg: %s: '%c' is not a hex digit\n", path, c);
        n = (size_t)-1;
        break;
      }
      v = isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
      if (nib < 0) {
        nib = v;
      } else if (n < MAX_INPUT) {
        buf[n++] = (uint8_t)(nib << 4 | v);
        nib = -1;
      }
    }
    if (nib >= 0 && n != (size_t)-1) {
      fprintf(stderr, "plugtcp-seg: %s: odd number of hex digits\n", path);
      n = (size_t)-1;
    }
  }
  if (f != stdin)
    fclose(f);
  if (n == (size_t)-1)
    return -1;
  *len = n;
  return 0;
}

static int decode(const char *path, int ip_mode, int hex) {
  static uint8_t buf[MAX_INPUT];
  size_t len;
  ptcp_seg seg;
  ptcp_ip ip;
  int rv;

  if (read_input(path, hex, buf, &len) != 0)
    return 2;
  if (ip_mode) {
    char a[64], b[64];
    rv = ptcp_packet_parse(&ip, &seg, buf, len, 0);
    if (rv != 0) {
      printf("rejected: %s (PTCP_ERR_%s)\n", ptcp_strerror(rv), ptcp_err_name(rv));
      return 1;
    }
    printf("IPv%u %s -> %s, ttl %u, %zu-byte header, checksums verified\n", ip.version,
           ptcp_addr_format(&ip.src, a, sizeof(a)), ptcp_addr_format(&ip.dst, b, sizeof(b)),
           ip.ttl, ip.hdr_len);
  } else {
    rv = ptcp_seg_parse(&seg, buf, len, NULL);
    if (rv != 0) {
      printf("rejected: %s (PTCP_ERR_%s)\n", ptcp_strerror(rv), ptcp_err_name(rv));
      return 1;
    }
    printf("TCP segment, %zu bytes (checksum not verified without addresses)\n", len);
  }
  print_seg(&seg);
  return 0;
}

int main(int argc, char **argv) {
  static const struct option longopts[] = {
      {"ip", no_argument, NULL, 'i'},
      {"hex", no_argument, NULL, 'x'},
      {"help", no_argument, NULL, 'h'},
      {NULL, 0, NULL, 0},
  };
  int ip_mode = 0, hex = 0, c;

  while ((c = getopt_long(argc, argv, "ixh", longopts, NULL)) != -1) {
    switch (c) {
    case 'i':
      ip_mode = 1;
      break;
    case 'x':
      hex = 1;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return 2;
    }
  }
  if (optind >= argc || strcmp(argv[optind], "demo") == 0) {
    if (optind < argc && optind + 1 < argc) {
      fprintf(stderr, "plugtcp-seg: demo takes no arguments\n");
      return 2;
    }
    return demo();
  }
  if (strcmp(argv[optind], "decode") == 0) {
    if (optind + 2 != argc) {
      fprintf(stderr, "plugtcp-seg: decode needs exactly one FILE (or - for stdin)\n");
      usage(stderr);
      return 2;
    }
    return decode(argv[optind + 1], ip_mode, hex);
  }
  fprintf(stderr, "plugtcp-seg: unknown command '%s'\n", argv[optind]);
  usage(stderr);
  return 2;
}
