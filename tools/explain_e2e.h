/*
 * plugtcp-fuzz-explain for the e2e target: runs an input through
 * e2e_run (fuzz/e2e_driver.c) with an observer that records it through
 * libplugsim's own writers:
 *   - a pcap of every packet as it started transmission (psim_pcap:
 *     lost ones included; DLT_RAW, nanosecond timestamps),
 *   - the JSON-lines event trace (psim_trace): every engine event of
 *     both hosts, every link event with the packet's fate, every packet
 *     a stack refused, and the decoded input records, user calls and
 *     phases as notes,
 *   - ladder diagrams (psim_ladder), one per connection, after the
 *     settings and the input's records.
 * When an oracle fails the outputs are completed with it and the
 * process exits with status 1.
 */
#ifndef PTCP_EXPLAIN_E2E_H
#define PTCP_EXPLAIN_E2E_H

#include <stddef.h>
#include <stdint.h>

/* Runs |data|; a NULL path leaves an output out, "-" is stdout.
 * Returns 0 with a one-line summary, or -1 with a message in |err|
 * when an output cannot be written. */
int explain_e2e(const uint8_t *data, size_t size, const char *pcap_path,
                const char *json_path, const char *ladder_path, char *summary, size_t cap,
                char *err, size_t errlen);

#endif /* PTCP_EXPLAIN_E2E_H */
