/*
 * Built by tests/pkgconfig.test against the installed libplugsim with
 * nothing but `pkg-config --cflags --libs plugsim`: one packet across a
 * link, delivered at the right simulated time.
 */
#include <stdio.h>
#include <string.h>

#include <plugsim/plugsim.h>

static int delivered;

static void rx(void *ctx, psim_pkt *pkt, ptcp_time now) {
  (void)ctx;
  delivered = now == 3 * PTCP_MILLISECONDS && pkt->len == 40;
  psim_pkt_free(pkt);
}

int main(void) {
  psim_sched *s = NULL;
  psim_pool *pool = NULL;
  psim_link *l = NULL;
  psim_link_cfg cfg;
  psim_pkt *p = NULL;
  psim_rng r;

  memset(&cfg, 0, sizeof(cfg));
  cfg.dir[PSIM_LINK_A].delay = 3 * PTCP_MILLISECONDS;
  if (psim_sched_new(&s, NULL, 0) != 0 || psim_pool_new(&pool, NULL, NULL) != 0 ||
      psim_link_new(&l, s, pool, &cfg, NULL) != 0 || psim_pkt_alloc(pool, 40, &p) != 0)
    return 1;
  psim_link_attach(l, PSIM_LINK_B, rx, NULL);
  if (psim_link_send(l, PSIM_LINK_A, p) != 0 || psim_sched_run(s) != 0)
    return 1;
  psim_rng_init(&r, 1, "consumer");
  printf("plugsim %s: delivered=%d, first draw %016llx\n", psim_version(), delivered,
         (unsigned long long)psim_rng_u64(&r));
  psim_link_del(l);
  psim_pool_del(pool);
  psim_sched_del(s);
  return delivered ? 0 : 1;
}
