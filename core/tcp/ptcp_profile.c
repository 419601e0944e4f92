/*
 * plugtcp engine: profiles.  Connections with the same settings and the
 * same policy selections share one interned, immutable profile, so a
 * connection carries a pointer instead of a copy of its configuration.
 */
#include "ptcp_conn.h"

/* Settings outside these bounds are rejected with INVALID_ARGUMENT. */
#define MSS_MIN 64u
#define MSS_MAX 65495u               /* 65535 - 20 (IP) - 20 (TCP) */
#define BUF_MIN 1u
#define BUF_MAX (1u << 30)           /* RFC 7323 §2.3: windows below 2^30 */
/* RFC 9293 MUST-40: the delay "MUST be less than 0.5 seconds". */
#define DELACK_LIMIT (500 * PTCP_MILLISECONDS)
#define MSL_MAX (3600 * PTCP_SECONDS)
#define KEEPALIVE_IDLE_MIN (1 * PTCP_SECONDS)

static int intern_sel(ptcp_stack *s, const ptcp_policy_sel *sel,
                      const ptcp_policy_sel **out) {
  ptcp_policy_sel *copy;

  for (unsigned i = 0; i < s->nsels; i++) {
    if (s->sels[i]->ops == sel->ops &&
        memcmp(s->sels[i]->params, sel->params, sizeof(sel->params)) == 0) {
      *out = s->sels[i];
      return 0;
    }
  }
  if (s->nsels == PTCP_MAX_SELS)
    return PTCP_ERR_LIMIT;
  copy = ptcp_stack_alloc(s, sizeof(*copy));
  if (copy == NULL)
    return PTCP_ERR_NOMEM;
  *copy = *sel;
  s->sels[s->nsels++] = copy;
  *out = copy;
  return 0;
}

static int resolve(ptcp_stack *s, ptcp_slot slot, const char *spec,
                   const ptcp_policy_sel **out) {
  ptcp_policy_sel sel;
  int rv;

  memset(&sel, 0, sizeof(sel));
  rv = ptcp_policy_parse(&sel, s->registry, slot, spec, NULL, 0);
  if (rv != 0)
    return rv;
  return intern_sel(s, &sel, out);
}

static int check_cfg(const ptcp_conn_cfg *c) {
  if (c->mss < MSS_MIN || c->mss > MSS_MAX)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (c->sndbuf < BUF_MIN || c->sndbuf > BUF_MAX || c->rcvbuf < BUF_MIN ||
      c->rcvbuf > BUF_MAX)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (c->delack >= DELACK_LIMIT || c->msl == 0 || c->msl > MSL_MAX)
    return PTCP_ERR_INVALID_ARGUMENT;
  if (c->keepalive && (c->keepalive_idle < KEEPALIVE_IDLE_MIN ||
                       c->keepalive_interval == 0 || c->keepalive_count == 0))
    return PTCP_ERR_INVALID_ARGUMENT;
  if (c->syn_retries == 0 || c->data_retries == 0)
    return PTCP_ERR_INVALID_ARGUMENT;
  return 0;
}

/* RFC 7323 §2.3: the smallest shift that lets the buffer be advertised. */
static uint8_t wscale_for(uint32_t rcvbuf) {
  uint8_t ws = 0;
  while (ws < PTCP_WSCALE_MAX && (rcvbuf >> ws) > UINT16_MAX)
    ws++;
  return ws;
}

int ptcp_profile_get(ptcp_stack *s, const ptcp_conn_cfg *cfg,
                     const ptcp_profile **out) {
  ptcp_profile p, *np;
  unsigned words = 0, need;
  int rv;

  rv = check_cfg(cfg);
  if (rv != 0)
    return rv;

  /* Field by field into a zeroed struct: profiles are compared with
   * memcmp, so no padding byte may carry garbage. */
  memset(&p, 0, sizeof(p));
  p.cfg.mss = cfg->mss;
  p.cfg.sndbuf = cfg->sndbuf;
  p.cfg.rcvbuf = cfg->rcvbuf;
  p.cfg.msl = cfg->msl;
  p.cfg.delack = cfg->delack;
  p.cfg.keepalive_idle = cfg->keepalive_idle;
  p.cfg.keepalive_interval = cfg->keepalive_interval;
  p.cfg.keepalive_count = cfg->keepalive_count;
  p.cfg.syn_retries = cfg->syn_retries;
  p.cfg.data_retries = cfg->data_retries;
  p.cfg.nagle = cfg->nagle != 0;
  p.cfg.keepalive = cfg->keepalive != 0;
  p.cfg.window_scaling = cfg->window_scaling != 0;
  p.cfg.timestamps = cfg->timestamps != 0;
  p.cfg.sack = cfg->sack != 0;
  p.rcv_wscale = p.cfg.window_scaling ? wscale_for(cfg->rcvbuf) : 0;

  for (int slot = PTCP_SLOT_RTO; slot < PTCP_SLOT_COUNT; slot++) {
    if (cfg->policy[slot] != NULL) {
      rv = resolve(s, (ptcp_slot)slot, cfg->policy[slot], &p.sel[slot]);
      if (rv != 0)
        return rv;
    } else {
      p.sel[slot] = s->default_sel[slot];
    }
    need = (unsigned)((p.sel[slot]->ops->state_size + 7) / 8);
    if (need == 0) {
      /* No state: the hooks get a real address that they never touch.
       * Laid after a full inline area with no pext, the offset would
       * turn into NULL + 0 in ptcp_pstate. */
      p.pofs[slot] = 0;
      continue;
    }
    /* A state lives either inline (conn->pstate) or in conn->pext, never
     * across the two: ptcp_pstate hands out one contiguous pointer. */
    if (words < PTCP_PSTATE_WORDS && words + need > PTCP_PSTATE_WORDS)
      words = PTCP_PSTATE_WORDS;
    p.pofs[slot] = (uint8_t)words;
    words += need;
  }
  if (words > UINT8_MAX)
    return PTCP_ERR_INVALID_ARGUMENT;
  p.pwords = (uint8_t)words;

  for (unsigned i = 0; i < s->nprofiles; i++) {
    if (memcmp(s->profiles[i], &p, sizeof(p)) == 0) {
      *out = s->profiles[i];
      return 0;
    }
  }
  if (s->nprofiles == PTCP_MAX_PROFILES)
    return PTCP_ERR_LIMIT;
  np = ptcp_stack_alloc(s, sizeof(*np));
  if (np == NULL)
    return PTCP_ERR_NOMEM;
  memcpy(np, &p, sizeof(p));
  s->profiles[s->nprofiles++] = np;
  *out = np;
  return 0;
}

int ptcp_profile_defaults(ptcp_stack *s, const ptcp_stack_cfg *cfg) {
  static const char *const builtin[PTCP_SLOT_COUNT] = {
      [PTCP_SLOT_ISN] = "rfc6528",
      [PTCP_SLOT_RTO] = "rfc6298",
      [PTCP_SLOT_DUPFILTER] = "rfc9293",
      [PTCP_SLOT_CLOSE] = "rfc9293",
      [PTCP_SLOT_CC] = "newreno",
  };
  int rv;

  for (int slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    const char *spec = cfg->policy[slot] ? cfg->policy[slot] : builtin[slot];
    rv = resolve(s, (ptcp_slot)slot, spec, &s->default_sel[slot]);
    if (rv != 0)
      return rv;
  }
  return ptcp_profile_get(s, &cfg->conn, &s->default_profile);
}

void ptcp_profile_free_all(ptcp_stack *s) {
  for (unsigned i = 0; i < s->nprofiles; i++)
    ptcp_stack_free_mem(s, s->profiles[i]);
  for (unsigned i = 0; i < s->nsels; i++)
    ptcp_stack_free_mem(s, s->sels[i]);
  s->nprofiles = s->nsels = 0;
}
