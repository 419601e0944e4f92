/*
 * plugsim: pcap capture files through libpcap, with nanosecond
 * timestamps from simulated time.
 *
 * libpcap writes through stdio and reports errors only through the
 * FILE: pcap_dump returns nothing, pcap_dump_flush returns -1, and
 * pcap_dump_close returns nothing.  So every write is followed by a
 * ferror() check, and closing flushes (and checks) first.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include <pcap/pcap.h>

#include <plugsim/pcap.h>

#define NS_PER_SECOND 1000000000ull
/* The pcap record header stores seconds in 32 bits. */
#define MAX_SECONDS 0xffffffffull

enum { ERRMSG_MAX = 512 };

struct psim_pcap {
  const ptcp_mem *mem;
  pcap_t *dead;
  pcap_dumper_t *dumper;
  uint64_t count;
  int failed;
  char errmsg[ERRMSG_MAX];
  /* The path, for messages; allocated with the struct. */
  char path[];
};

static void copy_msg(char *dst, size_t cap, const char *msg) {
  if (cap == 0)
    return;
  snprintf(dst, cap, "%s", msg);
}

/* Records the first I/O error, naming the file and the cause. */
static int fail_io(psim_pcap *p, const char *what, int err) {
  if (!p->failed) {
    p->failed = 1;
    snprintf(p->errmsg, sizeof(p->errmsg), "%s: %s: %s", p->path, what,
             err != 0 ? strerror(err) : "I/O error");
  }
  return PSIM_ERR_IO;
}

int psim_pcap_open(psim_pcap **ppcap, const char *path, const ptcp_mem *mem, char *errbuf,
                   size_t errlen) {
  size_t plen;
  psim_pcap *p;

  if (ppcap == NULL || path == NULL) {
    copy_msg(errbuf, errlen, "psim_pcap_open: NULL argument");
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  *ppcap = NULL;
  if (mem == NULL)
    mem = ptcp_mem_default();
  plen = strlen(path);
  p = mem->calloc(1, sizeof(*p) + plen + 1, mem->user_data);
  if (p == NULL) {
    copy_msg(errbuf, errlen, "psim_pcap_open: out of memory");
    return PTCP_ERR_NOMEM;
  }
  p->mem = mem;
  memcpy(p->path, path, plen + 1);
  /* A "dead" handle only describes the file: raw IP, whole packets,
   * timestamps in seconds and nanoseconds. */
  p->dead = pcap_open_dead_with_tstamp_precision(DLT_RAW, PSIM_PCAP_SNAPLEN,
                                                 PCAP_TSTAMP_PRECISION_NANO);
  if (p->dead == NULL) {
    copy_msg(errbuf, errlen, "psim_pcap_open: pcap_open_dead failed (out of memory)");
    mem->free(p, mem->user_data);
    return PTCP_ERR_NOMEM;
  }
  p->dumper = pcap_dump_open(p->dead, path);
  if (p->dumper == NULL) {
    /* libpcap's message already names the file ("path: reason"). */
    if (errlen > 0)
      snprintf(errbuf, errlen, "cannot create pcap file %s: %s", path,
               pcap_geterr(p->dead));
    pcap_close(p->dead);
    mem->free(p, mem->user_data);
    return PSIM_ERR_IO;
  }
  *ppcap = p;
  return 0;
}

int psim_pcap_write(psim_pcap *p, ptcp_time t, const uint8_t *data, size_t len) {
  struct pcap_pkthdr hdr;
  FILE *f;

  if (p == NULL || (data == NULL && len > 0) || t / NS_PER_SECOND > MAX_SECONDS)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (p->failed)
    return PSIM_ERR_IO;
  memset(&hdr, 0, sizeof(hdr));
  hdr.ts.tv_sec = (time_t)(t / NS_PER_SECOND);
  /* With nanosecond precision, libpcap takes the fraction from tv_usec
   * as nanoseconds (pcap_open_dead(3PCAP)). */
  hdr.ts.tv_usec = (suseconds_t)(t % NS_PER_SECOND);
  hdr.len = len > UINT32_MAX ? UINT32_MAX : (bpf_u_int32)len;
  hdr.caplen = len > PSIM_PCAP_SNAPLEN ? PSIM_PCAP_SNAPLEN : (bpf_u_int32)len;
  errno = 0;
  pcap_dump((u_char *)p->dumper, &hdr, data);
  f = pcap_dump_file(p->dumper);
  if (ferror(f))
    return fail_io(p, "write", errno);
  p->count++;
  return 0;
}

int psim_pcap_flush(psim_pcap *p) {
  if (p == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (p->failed)
    return PSIM_ERR_IO;
  errno = 0;
  if (pcap_dump_flush(p->dumper) != 0 || ferror(pcap_dump_file(p->dumper)))
    return fail_io(p, "flush", errno);
  return 0;
}

int psim_pcap_close(psim_pcap *p, char *errbuf, size_t errlen) {
  const ptcp_mem *mem;
  int rv;

  if (p == NULL)
    return 0;
  rv = psim_pcap_flush(p);
  /* pcap_dump_close reports nothing; the flush above already pushed
   * every byte and checked for errors, so only fclose's own release is
   * left unchecked. */
  pcap_dump_close(p->dumper);
  pcap_close(p->dead);
  if (rv != 0)
    copy_msg(errbuf, errlen, p->errmsg);
  else if (errlen > 0)
    errbuf[0] = '\0';
  mem = p->mem;
  mem->free(p, mem->user_data);
  return rv;
}

const char *psim_pcap_errmsg(const psim_pcap *p) { return p->errmsg; }

uint64_t psim_pcap_count(const psim_pcap *p) { return p->count; }

void psim_pcap_hook_rx(void *ctx, const psim_link_event *ev) {
  if (ev->kind == PSIM_LINK_EV_DELIVER)
    (void)psim_pcap_write(ctx, ev->now, ev->data, ev->len);
}

void psim_pcap_hook_tx(void *ctx, const psim_link_event *ev) {
  if (ev->kind == PSIM_LINK_EV_TX)
    (void)psim_pcap_write(ctx, ev->now, ev->data, ev->len);
}
