/*
 * plugtcp fuzz target "e2e": two simulated hosts over one link; the
 * input decides every packet's fate, the applications and the user
 * calls.  The driver and its phases live in e2e_driver.c, the user
 * sockets in e2e_user.c, the oracles on the whole run in e2e_oracle.c;
 * the input format in e2e_format.h.
 *
 * A quarter of the inputs (EF_H_TWICE) run twice and must run the same
 * way (determinism, hardening.md §4.9); the replay build runs every
 * input twice.
 */
#include "e2e_driver.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  e2e_summary sum;

#ifdef REPLAY_TARGET
  e2e_run(data, size, NULL, 1, &sum);
#else
  e2e_run(data, size, NULL, 0, &sum);
#endif
  return 0;
}
