/*
 * plugsim: error codes to text, and the version.
 */
#include "config.h"

#include <plugsim/common.h>

const char *psim_strerror(int err) {
  switch (err) {
  case PSIM_ERR_IO:
    return "file could not be opened or written";
  default:
    return ptcp_strerror(err);
  }
}

const char *psim_version(void) { return PACKAGE_VERSION; }
