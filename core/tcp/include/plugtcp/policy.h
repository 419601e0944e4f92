/*
 * plugtcp: the policy interface.
 *
 * TCP leaves some decisions open; plugtcp makes each one a slot that takes
 * a policy: a `const` ops struct with a name, a state size, parameters and
 * named hooks.  Built-in policies (plugins/) and external ones (shared
 * objects) compile against this header only.
 *
 *   slot       decides                                          default
 *   isn        initial sequence numbers                         rfc6528
 *   rto        RTT estimation, RTO, backoff, Karn               rfc6298
 *   dupfilter  segment acceptability, RFC 5961 challenges, PAWS rfc9293
 *   close      TIME-WAIT, segments in TIME-WAIT, close w/ data rfc9293
 *   cc         congestion window                                newreno
 *
 * Rules every policy lives by:
 *   - Hooks get time explicitly (|now|); a policy never reads a clock,
 *     calls rand() or does I/O.  Randomness comes from the env at init.
 *   - State lives in a zeroed area of |state_size| bytes that the core
 *     owns (inside the connection, or the stack for isn).  init is called
 *     once before any other hook; release only if init succeeded.
 *   - Parameters are a plain struct of |params_size| bytes, described by
 *     a table of ptcp_param_desc so that "rfc6298:min=200ms" can be
 *     parsed for any policy, and filled from |params_default| first.
 *   - A policy changes behaviour only through its return values, and the
 *     core clamps them to the protocol's hard limits (an RTO inside
 *     [PTCP_RTO_FLOOR, PTCP_RTO_CEIL], a window inside the buffer), so a
 *     broken policy cannot break the core.
 *   - Hooks marked (required) must be set; the registry rejects ops that
 *     lack one with PTCP_ERR_OPS_INCOMPLETE.
 */
#ifndef PLUGTCP_POLICY_H
#define PLUGTCP_POLICY_H

#include <plugtcp/common.h>
#include <plugtcp/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped whenever a struct in this header changes incompatibly. */
#define PTCP_POLICY_ABI 1u

/** Longest policy name, including the terminating NUL (like TCP_CA_NAME_MAX). */
#define PTCP_POLICY_NAME_MAX 16u

/** Largest params struct a policy may declare. */
#define PTCP_PARAMS_MAX 64u

typedef enum ptcp_slot {
  PTCP_SLOT_ISN = 0,
  PTCP_SLOT_RTO,
  PTCP_SLOT_DUPFILTER,
  PTCP_SLOT_CLOSE,
  PTCP_SLOT_CC,
  PTCP_SLOT_COUNT
} ptcp_slot;

/** ptcp_slot_name returns "isn", "rto", "dupfilter", "close" or "cc". */
const char *ptcp_slot_name(ptcp_slot slot);

/** ptcp_slot_from_name maps a slot name back; returns -1 when unknown. */
int ptcp_slot_from_name(const char *name);

/* ------------------------------------------------------------------ */
/* States, shared by the policies and the engine (RFC 9293 §3.3.2).    */

typedef enum ptcp_state {
  PTCP_CLOSED = 0,
  PTCP_LISTEN,
  PTCP_SYN_SENT,
  PTCP_SYN_RECEIVED,
  PTCP_ESTABLISHED,
  PTCP_FIN_WAIT_1,
  PTCP_FIN_WAIT_2,
  PTCP_CLOSE_WAIT,
  PTCP_CLOSING,
  PTCP_LAST_ACK,
  PTCP_TIME_WAIT,
  PTCP_STATE_COUNT
} ptcp_state;

/** ptcp_state_name returns "ESTABLISHED" etc. */
const char *ptcp_state_name(ptcp_state state);

/* ------------------------------------------------------------------ */
/* Parameters                                                          */

typedef enum ptcp_param_type {
  PTCP_PARAM_DURATION = 1, /* ptcp_duration; text "200ms", "1.5s", "40us" */
  PTCP_PARAM_U32,          /* uint32_t; decimal or 0x hex */
  PTCP_PARAM_BOOL,         /* uint8_t; "0"/"1"/"on"/"off"/"yes"/"no" */
} ptcp_param_type;

/** Describes one field of a policy's params struct. */
typedef struct ptcp_param_desc {
  const char *name;      /* key in "policy:key=value" */
  ptcp_param_type type;
  size_t offset;         /* offsetof() in the params struct */
  uint64_t min, max;     /* inclusive bounds on the value */
  const char *help;      /* one line, for --list-policies */
} ptcp_param_desc;

/** What every ops struct starts with. */
typedef struct ptcp_policy_info {
  uint32_t abi;                   /* PTCP_POLICY_ABI */
  ptcp_slot slot;
  const char *name;               /* lowercase, < PTCP_POLICY_NAME_MAX */
  const char *summary;            /* one line, with its RFC or paper */
  size_t state_size;              /* bytes of per-connection (isn: per-stack) state */
  size_t params_size;             /* bytes of the params struct, <= PTCP_PARAMS_MAX */
  const void *params_default;     /* params_size bytes, or NULL for all zero */
  const ptcp_param_desc *params;  /* nparams entries */
  size_t nparams;
} ptcp_policy_info;

/** The environment a policy may use while it initialises. */
typedef struct ptcp_policy_env {
  ptcp_rand_fn rand;   /* never NULL for an isn policy's init */
  void *rand_ctx;
  ptcp_time now;
} ptcp_policy_env;

/* ------------------------------------------------------------------ */
/* isn: initial sequence numbers (RFC 9293 §3.4.1)                     */

/** The connection an ISN is wanted for. */
typedef struct ptcp_isn_ctx {
  const ptcp_addr *local;
  const ptcp_addr *remote;
  uint16_t local_port;
  uint16_t remote_port;
  ptcp_time now;
} ptcp_isn_ctx;

typedef struct ptcp_isn_ops {
  ptcp_policy_info info;
  /** (optional) Set up per-stack state, e.g. draw a secret key.  A
   *  non-zero return makes stack creation fail with PTCP_ERR_POLICY. */
  int (*init)(void *state, const void *params, const ptcp_policy_env *env);
  /** (required) The ISN for a new connection. */
  uint32_t (*generate)(void *state, const void *params, const ptcp_isn_ctx *ctx);
  /** (optional) Wipe secrets. */
  void (*release)(void *state);
} ptcp_isn_ops;

/* ------------------------------------------------------------------ */
/* rto: retransmission timeout (RFC 6298, RFC 9293 §3.8.1)             */

/** The hard limits the core applies to whatever an rto policy returns. */
#define PTCP_RTO_FLOOR (1 * PTCP_MILLISECONDS)
#define PTCP_RTO_CEIL (600 * PTCP_SECONDS)

/** One RTT measurement. */
typedef struct ptcp_rtt_sample {
  ptcp_duration rtt;
  ptcp_time now;
  uint8_t from_timestamp; /* measured with RFC 7323 timestamps */
  uint8_t retransmitted;  /* the timed segment, or one before it, was sent
                             again while it was timed, so without
                             timestamps the sample is ambiguous (Karn's
                             rule is the policy's to apply) */
} ptcp_rtt_sample;

typedef struct ptcp_rto_ops {
  ptcp_policy_info info;
  /** (required) Start a connection: set the initial RTO. */
  int (*init)(void *state, const void *params, ptcp_time now);
  /** (required) A new RTT measurement. */
  void (*on_rtt_sample)(void *state, const void *params, const ptcp_rtt_sample *s);
  /** (required) The timeout to arm now, backoff included. */
  ptcp_duration (*rto)(const void *state, const void *params);
  /** (required) The retransmission timer expired: back off. */
  void (*on_timeout)(void *state, const void *params, ptcp_time now);
  /** (optional) An ACK acknowledged new data (RFC 6298 §5.3). */
  void (*on_new_ack)(void *state, const void *params, ptcp_time now);
  /** (optional) The last timeout was spurious (detected with timestamps,
   *  RFC 3522); respond, e.g. per RFC 4015.  The core has already
   *  undone the retransmission's effect on the send sequence. */
  void (*on_spurious_timeout)(void *state, const void *params, ptcp_time now);
  /** (optional) Smoothed RTT for status reports; PTCP_TIME_NONE if unknown. */
  ptcp_duration (*srtt)(const void *state);
  /** (optional) */
  void (*release)(void *state);
} ptcp_rto_ops;

/* ------------------------------------------------------------------ */
/* dupfilter: segment acceptability (RFC 9293 §3.10.7.4, RFC 5961,      */
/* RFC 7323 §5 PAWS)                                                   */

/** What a dupfilter tells the core to do with a segment. */
typedef enum ptcp_df_verdict {
  PTCP_DF_ACCEPT = 0, /* go on processing */
  PTCP_DF_DROP,       /* drop silently */
  PTCP_DF_ACK,        /* drop, and send an ACK (unless the segment is a RST) */
  PTCP_DF_CHALLENGE,  /* drop, and send a challenge ACK (RFC 5961), rate-limited */
  PTCP_DF_RESET,      /* RST/SYN checks only: reset the connection */
} ptcp_df_verdict;

/** Why: every drop, challenge and reset carries one of these. */
typedef enum ptcp_reason {
  PTCP_R_NONE = 0,          /* accepted, nothing remarkable */
  PTCP_R_IN_ORDER,          /* accepted at RCV.NXT */
  PTCP_R_OUT_OF_ORDER,      /* accepted and queued beyond a gap */
  PTCP_R_DUPLICATE,         /* all of it was received before */
  PTCP_R_PARTIAL_DUPLICATE, /* part of it was received before: trimmed */
  PTCP_R_OUT_OF_WINDOW,     /* beyond the receive window */
  PTCP_R_ZERO_WINDOW,       /* data while the window is zero */
  PTCP_R_PAWS,              /* older timestamp (RFC 7323 §5) */
  PTCP_R_RST_EXACT,         /* RST at exactly RCV.NXT: reset */
  PTCP_R_RST_IN_WINDOW,     /* RST in window, not exact: challenge */
  PTCP_R_RST_OUT_OF_WINDOW, /* RST outside the window: dropped */
  PTCP_R_SYN_SYNCHRONIZED,  /* SYN in a synchronized state: challenge */
  PTCP_R_ACK_UNSENT,        /* ACK for data never sent */
  PTCP_R_ACK_TOO_OLD,       /* ACK below SND.UNA - MAX.SND.WND (RFC 5961 §5.2) */
  PTCP_R_ACK_BAD_SYN_SENT,  /* unacceptable ACK in SYN-SENT: RST */
  PTCP_R_NO_ACK,            /* no ACK bit in a synchronized state */
  PTCP_R_CHALLENGE_LIMITED, /* challenge ACK suppressed by the rate limit */
  PTCP_R_OOO_FULL,          /* out-of-order data beyond the reassembly bound */
  PTCP_R_AFTER_FIN,         /* data after the peer's FIN */
  PTCP_R_NO_CONNECTION,     /* nothing matches: RST (RFC 9293 §3.5.2) */
  PTCP_R_LISTEN_ACK,        /* ACK to a listener: RST */
  PTCP_R_LISTEN_BAD,        /* RST or non-SYN to a listener: dropped */
  PTCP_R_BACKLOG_FULL,      /* SYN queue or accept queue full */
  PTCP_R_LAND,              /* source equals destination */
  PTCP_R_BAD_ADDRESS,       /* multicast, broadcast or unspecified source */
  PTCP_R_PORT_ZERO,         /* source or destination port 0 */
  PTCP_R_NOT_LOCAL,         /* destination is not one of our addresses */
  PTCP_R_MALFORMED,         /* the codec rejected it */
  PTCP_R_BAD_CHECKSUM,      /* the checksum did not verify */
  PTCP_R_TIME_WAIT,         /* handled by TIME-WAIT (re-ACK or drop) */
  PTCP_R_TIME_WAIT_REOPEN,  /* a SYN reopened a TIME-WAIT connection */
  PTCP_R_TIME_WAIT_RST,     /* a RST ended TIME-WAIT */
  PTCP_R_NOMEM,             /* no memory for the data: dropped */
  PTCP_R_SYN_RETRANSMIT,    /* a retransmitted SYN: SYN-ACK sent again */
  PTCP_R_NO_FLAGS,          /* neither SYN, RST nor ACK: dropped */
  PTCP_R_DATA_AFTER_CLOSE,  /* new data after the user closed: RST */
  PTCP_R_ACK_LIMITED,       /* ACK to an unacceptable segment without data
                               suppressed by the ACK-loop limit */
  PTCP_R_COUNT
} ptcp_reason;

/** ptcp_reason_name returns "out_of_window" etc. (snake case, for traces). */
const char *ptcp_reason_name(ptcp_reason reason);

/**
 * What a dupfilter sees.  Sequence numbers are absolute; |rcv_wnd| and
 * |snd_wnd| are in bytes, already scaled.  |seg_len| counts SYN and FIN
 * (RFC 9293 §3.4).
 */
typedef struct ptcp_seg_ctx {
  const ptcp_seg *seg;
  uint32_t seg_len;
  ptcp_state state;
  uint32_t rcv_nxt;
  uint32_t rcv_wnd;
  uint32_t snd_una;
  uint32_t snd_nxt;      /* highest sequence number sent so far + 1 */
  uint32_t max_snd_wnd;  /* largest window the peer ever offered */
  uint8_t ts_enabled;    /* timestamps negotiated */
  uint32_t ts_recent;    /* RFC 7323 §4.3 TS.Recent */
  ptcp_time ts_recent_at;/* when TS.Recent was last updated */
  ptcp_time now;
} ptcp_seg_ctx;

typedef struct ptcp_dupfilter_ops {
  ptcp_policy_info info;
  /** (optional) */
  int (*init)(void *state, const void *params, ptcp_time now);
  /** (required) First check of RFC 9293 §3.10.7.4: is the segment's
   *  sequence acceptable?  PAWS belongs here too.  ACCEPT lets the core
   *  go on (it still trims data to the window); ACK and DROP end it.
   *  Called for RST segments too: a RST is never ACKed. */
  ptcp_df_verdict (*check_seq)(void *state, const void *params, const ptcp_seg_ctx *c,
                               ptcp_reason *why);
  /** (required) Second check: a RST whose sequence passed check_seq.
   *  RESET, CHALLENGE or DROP. */
  ptcp_df_verdict (*check_rst)(void *state, const void *params, const ptcp_seg_ctx *c,
                               ptcp_reason *why);
  /** (required) Fourth check: a SYN in a synchronized state.  RESET
   *  (RFC 793) or CHALLENGE (RFC 5961 §4). */
  ptcp_df_verdict (*check_syn)(void *state, const void *params, const ptcp_seg_ctx *c,
                               ptcp_reason *why);
  /** (required) Fifth check: is SEG.ACK acceptable in a synchronized
   *  state?  ACCEPT, ACK (drop and ACK) or DROP.  The core never moves
   *  SND.UNA past what was sent, whatever this returns. */
  ptcp_df_verdict (*check_ack)(void *state, const void *params, const ptcp_seg_ctx *c,
                               ptcp_reason *why);
  /** (optional) May a challenge ACK go out now (RFC 5961 §7)?  Without
   *  this hook the core's own limit applies alone. */
  int (*challenge_allowed)(void *state, const void *params, ptcp_time now);
  /** (optional) */
  void (*release)(void *state);
} ptcp_dupfilter_ops;

/* ------------------------------------------------------------------ */
/* close: TIME-WAIT and closing (RFC 9293 §3.6, §3.10.4, RFC 1337,      */
/* RFC 6191)                                                           */

/** What a segment does to a connection in TIME-WAIT. */
typedef enum ptcp_tw_verdict {
  PTCP_TW_DROP = 0,  /* ignore it */
  PTCP_TW_ACK,       /* ACK it and restart the 2MSL timer (RFC 9293 §3.10.7.4) */
  PTCP_TW_ACK_ONLY,  /* ACK it, leave the timer alone */
  PTCP_TW_CLOSE,     /* end TIME-WAIT now (a RST, RFC 793 without RFC 1337) */
  PTCP_TW_REOPEN,    /* end TIME-WAIT and let a listener take this SYN */
} ptcp_tw_verdict;

/** A connection in TIME-WAIT, as a close policy sees it. */
typedef struct ptcp_tw_ctx {
  const ptcp_seg *seg;
  uint32_t seg_len;
  uint32_t rcv_nxt;
  uint32_t rcv_wnd;     /* the window last offered, in bytes (for the
                           acceptability test, ptcp_seq_acceptable) */
  uint32_t snd_nxt;
  uint8_t ts_enabled;
  uint32_t ts_recent;
  ptcp_time ts_recent_at;
  uint8_t listener;     /* a listener exists for the local port */
  ptcp_time now;
} ptcp_tw_ctx;

/** Why the user is closing. */
typedef struct ptcp_close_ctx {
  ptcp_state state;
  size_t unread;        /* received bytes the user never read */
  size_t unsent;        /* bytes queued but not yet acknowledged */
  ptcp_time now;
} ptcp_close_ctx;

#define PTCP_CLOSE_FIN 0
#define PTCP_CLOSE_RST 1

typedef struct ptcp_close_ops {
  ptcp_policy_info info;
  /** (required) How long TIME-WAIT lasts, given the configured MSL.  The
   *  core clamps it to [0, 4 * msl]. */
  ptcp_duration (*time_wait)(const void *params, ptcp_duration msl);
  /** (required) What a segment does to a TIME-WAIT connection. */
  ptcp_tw_verdict (*time_wait_segment)(const void *params, const ptcp_tw_ctx *c);
  /** (optional) On the user's close: PTCP_CLOSE_FIN or PTCP_CLOSE_RST.
   *  Default: RST when data is unread (RFC 9293 §3.10.4, RFC 1122
   *  4.2.2.13), FIN otherwise. */
  int (*close_action)(const void *params, const ptcp_close_ctx *c);
  /** (optional) How long a FIN-WAIT-2 connection the user closed may wait
   *  for the peer's FIN; 0 waits forever, as RFC 9293 does. */
  ptcp_duration (*fin_wait_2_timeout)(const void *params, ptcp_duration msl);
} ptcp_close_ops;

/* ------------------------------------------------------------------ */
/* cc: congestion control (RFC 5681, RFC 6582)                         */

/** An ACK that acknowledged new data. */
typedef struct ptcp_cc_ack {
  uint32_t acked;       /* bytes newly acknowledged */
  uint32_t flight;      /* bytes in flight before this ACK */
  uint32_t mss;         /* sender MSS */
  ptcp_duration rtt;    /* this ACK's RTT sample, or PTCP_TIME_NONE */
  ptcp_time now;
} ptcp_cc_ack;

typedef struct ptcp_cc_ops {
  ptcp_policy_info info;
  /** (required) Initial window, RFC 5681 §3.1 / RFC 6928. */
  int (*init)(void *state, const void *params, uint32_t mss, ptcp_time now);
  /** (required) The congestion window in bytes. */
  uint32_t (*cwnd)(const void *state);
  /** (optional) The slow-start threshold in bytes, for status reports. */
  uint32_t (*ssthresh)(const void *state);
  /** (required) New data acknowledged outside loss recovery. */
  void (*on_ack)(void *state, const void *params, const ptcp_cc_ack *a);
  /** (required) Third duplicate ACK: enter fast recovery (RFC 5681 §3.2
   *  steps 2-3).  |flight| is FlightSize. */
  void (*on_enter_recovery)(void *state, const void *params, uint32_t flight,
                            uint32_t mss, ptcp_time now);
  /** (optional) Another duplicate ACK during recovery (step 4). */
  void (*on_recovery_dupack)(void *state, const void *params, uint32_t mss);
  /** (optional) A partial ACK during recovery (RFC 6582 §3.2 step 5). */
  void (*on_partial_ack)(void *state, const void *params, uint32_t acked, uint32_t mss);
  /** (required) Recovery ends: all data outstanding at its start is
   *  acknowledged (step 6). */
  void (*on_exit_recovery)(void *state, const void *params, uint32_t flight,
                           uint32_t mss, ptcp_time now);
  /** (required) Retransmission timeout (RFC 5681 §3.1 equation 4). */
  void (*on_timeout)(void *state, const void *params, uint32_t flight, uint32_t mss,
                     ptcp_time now);
  /** (optional) The last timeout or fast retransmit was spurious: undo. */
  void (*on_spurious)(void *state, const void *params, ptcp_time now);
  /** (optional) The sender was idle for longer than an RTO (RFC 5681 §4.1). */
  void (*on_idle)(void *state, const void *params, uint32_t mss, ptcp_time now);
  /** (optional) */
  void (*release)(void *state);
} ptcp_cc_ops;

/* ------------------------------------------------------------------ */
/* Registry                                                            */

typedef struct ptcp_registry ptcp_registry;

/**
 * ptcp_registry_new creates an empty registry using |mem| (NULL: libc).
 * The registry is the caller's: there is no process-global one.
 * Returns 0, PTCP_ERR_INVALID_ARGUMENT or PTCP_ERR_NOMEM.
 */
int ptcp_registry_new(ptcp_registry **preg, const ptcp_mem *mem);

/** ptcp_registry_free frees |reg|; stacks using it must be freed first. */
void ptcp_registry_free(ptcp_registry *reg);

/**
 * ptcp_registry_add registers |ops| (a ptcp_isn_ops, ptcp_rto_ops, ...,
 * starting with ptcp_policy_info) under its name and slot.  The ops must
 * outlive the registry.  Returns 0, or:
 *   PTCP_ERR_INVALID_ARGUMENT  NULL, bad slot, bad name (empty, too long,
 *                              not lowercase [a-z0-9_-]), params_size
 *                              above PTCP_PARAMS_MAX, or a param
 *                              descriptor outside params_size;
 *   PTCP_ERR_ABI               info.abi != PTCP_POLICY_ABI;
 *   PTCP_ERR_OPS_INCOMPLETE    a required hook is NULL;
 *   PTCP_ERR_EXISTS            the slot already has a policy of that name;
 *   PTCP_ERR_LIMIT             the slot is full (64 policies).
 * On failure the registry is unchanged and ptcp_registry_errmsg says
 * which policy and what is wrong with it.
 */
int ptcp_registry_add(ptcp_registry *reg, const ptcp_policy_info *ops);

/**
 * ptcp_registry_remove takes |ops| out of the registry: the very pointer
 * that was added, not merely a policy of the same name.  Names resolve
 * no longer, so a later spec naming it fails with PTCP_ERR_NOT_FOUND;
 * stacks and connections that already resolved it keep the ops pointer
 * and go on calling its hooks, so ops that are about to disappear (an
 * unloaded plugin) must first be out of use everywhere.  Removal keeps
 * the other policies of the slot in name order.  Returns 0, or:
 *   PTCP_ERR_INVALID_ARGUMENT  NULL, a slot that does not exist, no name;
 *   PTCP_ERR_NOT_FOUND         |ops| is not registered (no policy of that
 *                              name, or other ops hold the name).
 * On failure the registry is unchanged and ptcp_registry_errmsg says why.
 */
int ptcp_registry_remove(ptcp_registry *reg, const ptcp_policy_info *ops);

/**
 * ptcp_registry_errmsg returns one sentence saying why the latest
 * ptcp_registry_add or ptcp_registry_remove on |reg| failed ("rto policy
 * 'mine' lacks the required hook 'on_timeout'"), or "" when it
 * succeeded.  The text belongs to |reg| and changes with its next add or
 * remove.  Never NULL.
 */
const char *ptcp_registry_errmsg(const ptcp_registry *reg);

/**
 * ptcp_registry_add_builtins registers every built-in policy.  Returns 0
 * or an error of ptcp_registry_add (PTCP_ERR_EXISTS if called twice).
 */
int ptcp_registry_add_builtins(ptcp_registry *reg);

/** ptcp_registry_find returns the ops named |name| in |slot|, or NULL. */
const ptcp_policy_info *ptcp_registry_find(const ptcp_registry *reg, ptcp_slot slot,
                                           const char *name);

/** ptcp_registry_count returns how many policies |slot| holds. */
size_t ptcp_registry_count(const ptcp_registry *reg, ptcp_slot slot);

/** ptcp_registry_get returns the |i|th policy of |slot| in name order, or NULL. */
const ptcp_policy_info *ptcp_registry_get(const ptcp_registry *reg, ptcp_slot slot,
                                          size_t i);

/* ------------------------------------------------------------------ */
/* Selections: a policy plus its parameters                            */

/** A chosen policy with its parameters filled in. */
typedef struct ptcp_policy_sel {
  const ptcp_policy_info *ops;
  uint64_t params[PTCP_PARAMS_MAX / 8]; /* the policy's params struct */
} ptcp_policy_sel;

/**
 * ptcp_policy_parse resolves |spec| ("name" or "name:key=value,key=value")
 * for |slot| against |reg| into |sel|: defaults first, then each key.
 * On failure |err| (if not NULL, |errlen| bytes) receives a sentence that
 * says what is wrong ("rto policy 'rfc6298' has no parameter 'mn'; it
 * takes: min, max, initial, granularity, backoff_cap, eifel").
 * Returns 0, or:
 *   PTCP_ERR_NOT_FOUND         no policy of that name in the slot;
 *   PTCP_ERR_INVALID_ARGUMENT  bad syntax, unknown key, bad value, or a
 *                              value outside the parameter's bounds.
 */
int ptcp_policy_parse(ptcp_policy_sel *sel, const ptcp_registry *reg, ptcp_slot slot,
                      const char *spec, char *err, size_t errlen);

/**
 * ptcp_policy_format writes |sel| back as a spec with every parameter
 * ("rfc6298:min=1s,max=60s,...") and returns the length it needed.
 */
int ptcp_policy_format(char *buf, size_t cap, const ptcp_policy_sel *sel);

/**
 * ptcp_duration_parse reads "250ms", "1.5s", "40us", "100ns" or a bare
 * number of seconds.  Returns 0 or PTCP_ERR_INVALID_ARGUMENT.
 */
int ptcp_duration_parse(const char *text, ptcp_duration *out);

/** ptcp_duration_format writes |d| in the shortest exact unit ("200ms"). */
int ptcp_duration_format(char *buf, size_t cap, ptcp_duration d);

#ifdef __cplusplus
}
#endif

#endif /* PLUGTCP_POLICY_H */
