/*
 * plugtcp fuzz target "conn": the connection state machine, driven by
 * events decoded from the input against a stack with a listener and an
 * active connection.  The events live in conn_driver.c, the peer in
 * conn_peer.c, the invariants and the bad-input checks in
 * conn_oracle.c; the input format in conn_format.h.
 *
 * Built as the replay program, every input runs twice and both runs
 * must put the same bytes on the wire and go through the same states
 * (determinism, hardening.md §4.9: what AFL++'s stability and every
 * reproduction rely on).
 */
#include <stdio.h>
#include <stdlib.h>

#include "conn_driver.h"
#include "fuzz_input.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  cd_summary a;

  cd_run(data, size, NULL, &a);
#ifdef REPLAY_TARGET
  {
    cd_summary b;
    cd_run(data, size, NULL, &b);
    FUZZ_CHECK(a.digest == b.digest && a.packets_out == b.packets_out &&
               a.states_seen == b.states_seen);
  }
#endif
  return 0;
}
