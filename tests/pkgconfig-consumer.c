/* A program outside the tree, built against the installed headers. */
#include <plugtcp/plugtcp.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  uint8_t buf[64];
  ptcp_seg seg, back;
  ptcp_ssize n;

  memset(&seg, 0, sizeof(seg));
  seg.src_port = 1234;
  seg.dst_port = 80;
  seg.flags = PTCP_SYN;
  seg.opts.present = PTCP_OPT_MSS;
  seg.opts.mss = 1460;
  n = ptcp_seg_write(buf, sizeof(buf), &seg, NULL);
  if (n != 24 || ptcp_seg_parse(&back, buf, (size_t)n, NULL) != 0 || back.opts.mss != 1460) {
    fprintf(stderr, "round trip failed: %s\n", ptcp_strerror((int)n));
    return 1;
  }
  printf("plugtcp %s: consumer ok\n", ptcp_version());
  return 0;
}
