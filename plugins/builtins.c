/*
 * plugtcp: registers every built-in policy (cf. picoquic's
 * register_all_cc_algorithms.c, but into a registry the caller owns).
 */
#include <plugtcp/policy.h>

#include "builtins.h"

static const ptcp_policy_info *const builtins[] = {
    &ptcp_isn_rfc6528.info,
    &ptcp_isn_counter.info,
    &ptcp_isn_fixed.info,
    &ptcp_isn_random.info,
    &ptcp_isn_rfc793.info,
    &ptcp_rto_rfc6298.info,
    &ptcp_rto_fixed.info,
    &ptcp_rto_freebsd.info,
    &ptcp_rto_jacobson88.info,
    &ptcp_rto_linux.info,
    &ptcp_rto_rfc793.info,
    &ptcp_dupfilter_rfc9293.info,
    &ptcp_dupfilter_paws.info,
    &ptcp_dupfilter_rfc793.info,
    &ptcp_close_rfc9293.info,
    &ptcp_close_abort.info,
    &ptcp_close_rfc6191.info,
    &ptcp_close_rfc793.info,
    &ptcp_close_short.info,
    &ptcp_cc_newreno.info,
    &ptcp_cc_none.info,
    &ptcp_cc_cubic.info,
};

int ptcp_registry_add_builtins(ptcp_registry *reg) {
  size_t i;
  int rv;

  if (reg == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  /* A second call (or a user policy with a built-in's name) fails before
   * anything is added, so the registry is left as it was. */
  for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
    if (ptcp_registry_find(reg, builtins[i]->slot, builtins[i]->name) != NULL)
      return ptcp_registry_add(reg, builtins[i]); /* EXISTS, and errmsg says which */
  for (i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++) {
    rv = ptcp_registry_add(reg, builtins[i]);
    if (rv != 0)
      return rv;
  }
  return 0;
}
