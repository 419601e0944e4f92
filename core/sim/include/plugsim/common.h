/*
 * plugsim: what every part of libplugsim shares.
 *
 * libplugsim is the discrete-event simulator around libplugtcp.  It
 * uses libplugtcp's time (ptcp_time, nanoseconds), allocator (ptcp_mem)
 * and error codes (PTCP_ERR_*), adds the few codes only a simulator
 * needs, and depends on nothing else but libpcap and libc.
 *
 * Conventions, as in libplugtcp: every object is created by a
 * psim_<module>_new(&obj, ...) that returns 0 or a negative error and
 * leaves *obj NULL on failure; every allocation goes through the
 * ptcp_mem the object was created with (NULL means ptcp_mem_default());
 * there is no global state, no wall clock and no hidden randomness.
 */
#ifndef PLUGSIM_COMMON_H
#define PLUGSIM_COMMON_H

#include <plugtcp/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * libplugsim's own error codes, at the bottom of the API range
 * (-200 .. -499) so that they do not meet libplugtcp's, which are
 * numbered upward from -201.  Everything else is a PTCP_ERR_* code.
 */
#define PSIM_ERR_IO (-490) /* a file could not be opened or written */

/**
 * psim_strerror returns a static description of |err|: libplugsim's own
 * codes, then everything ptcp_strerror knows.
 */
const char *psim_strerror(int err);

/** psim_version returns the library version, e.g. "0.1.0". */
const char *psim_version(void);

#ifdef __cplusplus
}
#endif

#endif /* PLUGSIM_COMMON_H */
