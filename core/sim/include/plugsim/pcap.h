/*
 * plugsim: pcap capture files of simulated traffic.
 *
 * A psim_pcap writes raw IP packets (link type LINKTYPE_RAW, so
 * Wireshark and tshark decode IPv4 and IPv6 directly) with nanosecond
 * timestamps taken from simulated time: a file is a pure function of
 * the simulation, and writing the same packets twice gives the same
 * bytes (the pcap file header holds no wall-clock time).  Files are
 * written through libpcap (pcap_open_dead_with_tstamp_precision +
 * pcap_dump), so any reader that libpcap's own format satisfies reads
 * them.
 *
 * A link's trace hook can feed a capture directly: psim_pcap_hook_rx
 * records packets as they arrive (what a receiver's tcpdump sees,
 * corruption included), psim_pcap_hook_tx as they start transmission
 * (what the sender's tcpdump sees, packets later lost included).
 */
#ifndef PLUGSIM_PCAP_H
#define PLUGSIM_PCAP_H

#include <plugsim/common.h>
#include <plugsim/link.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct psim_pcap psim_pcap;

/** Longest snapshot: every IP packet fits whole. */
#define PSIM_PCAP_SNAPLEN 65535u

/**
 * psim_pcap_open creates (or truncates) the capture file |path|.  On
 * failure, a message naming the path and libpcap's reason is written to
 * |errbuf| (|errlen| bytes, may be 0).  |mem| may be NULL for
 * ptcp_mem_default(); libpcap itself allocates with malloc.  Returns 0,
 * or one of the following negative error codes:
 *   PTCP_ERR_INVALID_ARGUMENT  |ppcap| or |path| is NULL;
 *   PSIM_ERR_IO                the file could not be created;
 *   PTCP_ERR_NOT_FOUND         libpcap could not be loaded (in builds that
 *                              load it when a capture is opened: see
 *                              configure's --disable-pcap-dlopen);
 *   PTCP_ERR_NOMEM             out of memory.
 */
int psim_pcap_open(psim_pcap **ppcap, const char *path, const ptcp_mem *mem, char *errbuf,
                   size_t errlen);

/**
 * psim_pcap_write appends one packet of |len| bytes at |data| stamped
 * with the simulated time |t| (ns).  Packets longer than
 * PSIM_PCAP_SNAPLEN are cut to it (their original length is recorded).
 * Returns 0, or
 *   PTCP_ERR_INVALID_ARGUMENT  a NULL argument, or |t| beyond the pcap
 *                              format's 32-bit seconds (year 2106);
 *   PSIM_ERR_IO                this or an earlier write failed (see
 *                              psim_pcap_errmsg; the error is sticky).
 */
int psim_pcap_write(psim_pcap *pcap, ptcp_time t, const uint8_t *data, size_t len);

/**
 * psim_pcap_flush pushes buffered packets to the file.  Returns 0 or
 * PSIM_ERR_IO (sticky; see psim_pcap_errmsg).
 */
int psim_pcap_flush(psim_pcap *pcap);

/**
 * psim_pcap_close flushes, closes and frees |pcap| (NULL is a no-op
 * returning 0).  Returns 0 or PSIM_ERR_IO if any write, the flush or
 * the close failed, with the message in |errbuf| (|errlen| bytes, may
 * be 0).
 */
int psim_pcap_close(psim_pcap *pcap, char *errbuf, size_t errlen);

/** psim_pcap_errmsg returns the first error's message ("" if none). */
const char *psim_pcap_errmsg(const psim_pcap *pcap);

/** psim_pcap_count returns the number of packets written. */
uint64_t psim_pcap_count(const psim_pcap *pcap);

/**
 * Link trace hooks (psim_link_trace_fn); |ctx| is a psim_pcap *.
 * psim_pcap_hook_rx writes each delivered packet at its arrival time;
 * psim_pcap_hook_tx each packet at the start of its transmission, as
 * sent.  Both ignore every other event.  Write errors are sticky and
 * reported by psim_pcap_flush and psim_pcap_close.
 */
void psim_pcap_hook_rx(void *ctx, const psim_link_event *ev);
void psim_pcap_hook_tx(void *ctx, const psim_link_event *ev);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_PCAP_H */
