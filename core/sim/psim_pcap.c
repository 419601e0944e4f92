/*
 * plugsim: pcap capture files through libpcap, with nanosecond
 * timestamps from simulated time.
 *
 * libpcap writes through stdio and reports errors only through the
 * FILE: pcap_dump returns nothing, pcap_dump_flush returns -1, and
 * pcap_dump_close returns nothing.  So every write is followed by a
 * ferror() check, and closing flushes (and checks) first.
 *
 * Where configure found dlopen and libpcap's SONAME (PSIM_PCAP_SONAME),
 * libplugsim does not link libpcap: each capture loads it when it is
 * opened and lets it go when it is closed.  Debian's libpcap brings
 * libdbus, libsystemd, libgcrypt and more, about 1.5 MiB resident in a
 * process that only links it, and most simulations write no pcap.  The
 * functions are called through a table either way.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#ifdef PSIM_PCAP_SONAME
#include <dlfcn.h>
#endif
#include <pcap/pcap.h>

#include <plugsim/pcap.h>

#define NS_PER_SECOND 1000000000ull
/* The pcap record header stores seconds in 32 bits. */
#define MAX_SECONDS 0xffffffffull

enum { ERRMSG_MAX = 512 };

/* The libpcap functions a capture calls: X(return type, name without
 * "pcap_", parameter list). */
#define PCAP_FUNCS(X)                                                                    \
  X(pcap_t *, open_dead_with_tstamp_precision, (int, int, u_int))                        \
  X(pcap_dumper_t *, dump_open, (pcap_t *, const char *))                                \
  X(void, dump, (u_char *, const struct pcap_pkthdr *, const u_char *))                  \
  X(FILE *, dump_file, (pcap_dumper_t *))                                                \
  X(int, dump_flush, (pcap_dumper_t *))                                                  \
  X(void, dump_close, (pcap_dumper_t *))                                                 \
  X(void, close, (pcap_t *))                                                             \
  X(char *, geterr, (pcap_t *))

typedef struct pcap_api {
#define FIELD(ret, name, params) ret(*name) params;
  PCAP_FUNCS(FIELD)
#undef FIELD
} pcap_api;

/* The table's types are libpcap's own, checked against its header even
 * when nothing is linked. */
#define SAME_TYPE(ret, name, params)                                                     \
  _Static_assert(__builtin_types_compatible_p(__typeof__(&pcap_##name), ret(*) params),  \
                 "pcap_" #name " differs from its declaration in <pcap/pcap.h>");
PCAP_FUNCS(SAME_TYPE)
#undef SAME_TYPE

struct psim_pcap {
  const ptcp_mem *mem;
  void *lib; /* libpcap's dlopen handle; NULL when it is linked */
  pcap_api api;
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

#ifdef PSIM_PCAP_SONAME
/* dlsym returns a data pointer; POSIX guarantees a function pointer
 * survives the round trip, which the memcpy below relies on (as
 * core/loader does). */
_Static_assert(sizeof(void *) == sizeof(void (*)(void)),
               "function and data pointers must have the same size for dlsym");

/* Loads libpcap and fills |p|'s table. */
static int api_load(psim_pcap *p, char *errbuf, size_t errlen) {
  const char *why;
  void *sym;

  p->lib = dlopen(PSIM_PCAP_SONAME, RTLD_NOW | RTLD_LOCAL);
  if (p->lib == NULL) {
    why = dlerror();
    if (errlen > 0)
      snprintf(errbuf, errlen, "cannot load %s for pcap files: %s", PSIM_PCAP_SONAME,
               why != NULL ? why : "unknown dlopen error");
    return PTCP_ERR_NOT_FOUND;
  }
#define LOAD(ret, name, params)                                                          \
  sym = dlsym(p->lib, "pcap_" #name);                                                    \
  if (sym == NULL) {                                                                     \
    if (errlen > 0)                                                                      \
      snprintf(errbuf, errlen, "%s has no pcap_" #name, PSIM_PCAP_SONAME);               \
    dlclose(p->lib);                                                                     \
    p->lib = NULL;                                                                       \
    return PTCP_ERR_NOT_FOUND;                                                           \
  }                                                                                      \
  memcpy(&p->api.name, &sym, sizeof(sym));
  PCAP_FUNCS(LOAD)
#undef LOAD
  return 0;
}

static void api_unload(psim_pcap *p) { dlclose(p->lib); }
#else
static int api_load(psim_pcap *p, char *errbuf, size_t errlen) {
  (void)errbuf;
  (void)errlen;
#define LINKED(ret, name, params) p->api.name = pcap_##name;
  PCAP_FUNCS(LINKED)
#undef LINKED
  return 0;
}

static void api_unload(psim_pcap *p) { (void)p; }
#endif

int psim_pcap_open(psim_pcap **ppcap, const char *path, const ptcp_mem *mem, char *errbuf,
                   size_t errlen) {
  int rv;
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
  rv = api_load(p, errbuf, errlen);
  if (rv != 0) {
    mem->free(p, mem->user_data);
    return rv;
  }
  /* A "dead" handle only describes the file: raw IP, whole packets,
   * timestamps in seconds and nanoseconds. */
  p->dead = p->api.open_dead_with_tstamp_precision(DLT_RAW, PSIM_PCAP_SNAPLEN,
                                                   PCAP_TSTAMP_PRECISION_NANO);
  if (p->dead == NULL) {
    copy_msg(errbuf, errlen, "psim_pcap_open: pcap_open_dead failed (out of memory)");
    api_unload(p);
    mem->free(p, mem->user_data);
    return PTCP_ERR_NOMEM;
  }
  p->dumper = p->api.dump_open(p->dead, path);
  if (p->dumper == NULL) {
    /* libpcap's message already names the file ("path: reason"). */
    if (errlen > 0)
      snprintf(errbuf, errlen, "cannot create pcap file %s: %s", path,
               p->api.geterr(p->dead));
    p->api.close(p->dead);
    api_unload(p);
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
  p->api.dump((u_char *)p->dumper, &hdr, data);
  f = p->api.dump_file(p->dumper);
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
  if (p->api.dump_flush(p->dumper) != 0 || ferror(p->api.dump_file(p->dumper)))
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
  p->api.dump_close(p->dumper);
  p->api.close(p->dead);
  api_unload(p);
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
