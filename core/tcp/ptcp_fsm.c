/*
 * plugtcp engine: the state diagram of RFC 9293 §3.3.2 (figure 5) as
 * data.  The engine asserts every transition against this table, the
 * fuzzers check it after every event, and docs/state-diagram.svg is drawn
 * from it (tools/plugtcp-fsm-dot).
 */
#include <plugtcp/plugtcp.h>

#define T(f, t, ev, act) {PTCP_##f, PTCP_##t, ev, act}

static const ptcp_transition transitions[] = {
    /* Opening (RFC 9293 §3.5). */
    T(CLOSED, LISTEN, "passive OPEN", "create TCB"),
    T(CLOSED, SYN_SENT, "active OPEN", "snd SYN"),
    T(LISTEN, SYN_RECEIVED, "rcv SYN", "snd SYN,ACK"),
    T(LISTEN, CLOSED, "CLOSE", "delete TCB"),
    T(SYN_SENT, SYN_RECEIVED, "rcv SYN (simultaneous open)", "snd SYN,ACK"),
    T(SYN_SENT, ESTABLISHED, "rcv SYN,ACK", "snd ACK"),
    T(SYN_SENT, CLOSED, "CLOSE, RST, or SYN timeout", "delete TCB"),
    T(SYN_RECEIVED, ESTABLISHED, "rcv ACK of SYN", "-"),
    T(SYN_RECEIVED, LISTEN, "rcv RST or SYN (passive open)", "back to the listener"),
    T(SYN_RECEIVED, CLOSED, "rcv RST (active open), ABORT, or timeout", "delete TCB"),
    T(SYN_RECEIVED, FIN_WAIT_1, "CLOSE", "snd FIN once SYN is acked"),
    T(SYN_RECEIVED, CLOSE_WAIT, "rcv ACK of SYN and FIN", "snd ACK"),
    /* Data transfer and closing (RFC 9293 §3.6). */
    T(ESTABLISHED, FIN_WAIT_1, "CLOSE", "snd FIN"),
    T(ESTABLISHED, CLOSE_WAIT, "rcv FIN", "snd ACK"),
    T(ESTABLISHED, CLOSED, "rcv RST, ABORT, or timeout", "delete TCB"),
    T(FIN_WAIT_1, FIN_WAIT_2, "rcv ACK of FIN", "-"),
    T(FIN_WAIT_1, CLOSING, "rcv FIN", "snd ACK"),
    T(FIN_WAIT_1, TIME_WAIT, "rcv FIN and ACK of FIN", "snd ACK"),
    T(FIN_WAIT_1, CLOSED, "rcv RST, ABORT, or timeout", "delete TCB"),
    T(FIN_WAIT_2, TIME_WAIT, "rcv FIN", "snd ACK"),
    T(FIN_WAIT_2, CLOSED, "rcv RST, ABORT, or FIN-WAIT-2 timeout", "delete TCB"),
    T(CLOSE_WAIT, LAST_ACK, "CLOSE", "snd FIN"),
    T(CLOSE_WAIT, CLOSED, "rcv RST, ABORT, or timeout", "delete TCB"),
    T(CLOSING, TIME_WAIT, "rcv ACK of FIN", "-"),
    T(CLOSING, CLOSED, "rcv RST, ABORT, or timeout", "delete TCB"),
    T(LAST_ACK, CLOSED, "rcv ACK of FIN, RST, or timeout", "delete TCB"),
    T(TIME_WAIT, CLOSED, "timeout=2MSL (or close policy)", "delete TCB"),
};

#undef T

const ptcp_transition *ptcp_transitions(size_t *n) {
  if (n != NULL)
    *n = sizeof(transitions) / sizeof(transitions[0]);
  return transitions;
}

int ptcp_transition_allowed(ptcp_state from, ptcp_state to) {
  for (size_t i = 0; i < sizeof(transitions) / sizeof(transitions[0]); i++)
    if (transitions[i].from == from && transitions[i].to == to)
      return 1;
  return 0;
}

const char *ptcp_state_name(ptcp_state state) {
  static const char *const names[PTCP_STATE_COUNT] = {
      [PTCP_CLOSED] = "CLOSED",
      [PTCP_LISTEN] = "LISTEN",
      [PTCP_SYN_SENT] = "SYN-SENT",
      [PTCP_SYN_RECEIVED] = "SYN-RECEIVED",
      [PTCP_ESTABLISHED] = "ESTABLISHED",
      [PTCP_FIN_WAIT_1] = "FIN-WAIT-1",
      [PTCP_FIN_WAIT_2] = "FIN-WAIT-2",
      [PTCP_CLOSE_WAIT] = "CLOSE-WAIT",
      [PTCP_CLOSING] = "CLOSING",
      [PTCP_LAST_ACK] = "LAST-ACK",
      [PTCP_TIME_WAIT] = "TIME-WAIT",
  };
  return (unsigned)state < PTCP_STATE_COUNT ? names[state] : "INVALID";
}

const char *ptcp_reason_name(ptcp_reason reason) {
  static const char *const names[PTCP_R_COUNT] = {
      [PTCP_R_NONE] = "none",
      [PTCP_R_IN_ORDER] = "in_order",
      [PTCP_R_OUT_OF_ORDER] = "out_of_order",
      [PTCP_R_DUPLICATE] = "duplicate",
      [PTCP_R_PARTIAL_DUPLICATE] = "partial_duplicate",
      [PTCP_R_OUT_OF_WINDOW] = "out_of_window",
      [PTCP_R_ZERO_WINDOW] = "zero_window",
      [PTCP_R_PAWS] = "paws",
      [PTCP_R_RST_EXACT] = "rst_exact",
      [PTCP_R_RST_IN_WINDOW] = "rst_in_window",
      [PTCP_R_RST_OUT_OF_WINDOW] = "rst_out_of_window",
      [PTCP_R_SYN_SYNCHRONIZED] = "syn_synchronized",
      [PTCP_R_ACK_UNSENT] = "ack_unsent",
      [PTCP_R_ACK_TOO_OLD] = "ack_too_old",
      [PTCP_R_ACK_BAD_SYN_SENT] = "ack_bad_syn_sent",
      [PTCP_R_NO_ACK] = "no_ack",
      [PTCP_R_CHALLENGE_LIMITED] = "challenge_limited",
      [PTCP_R_ACK_LIMITED] = "ack_limited",
      [PTCP_R_OOO_FULL] = "ooo_full",
      [PTCP_R_AFTER_FIN] = "after_fin",
      [PTCP_R_NO_CONNECTION] = "no_connection",
      [PTCP_R_LISTEN_ACK] = "listen_ack",
      [PTCP_R_LISTEN_BAD] = "listen_bad",
      [PTCP_R_BACKLOG_FULL] = "backlog_full",
      [PTCP_R_LAND] = "land",
      [PTCP_R_BAD_ADDRESS] = "bad_address",
      [PTCP_R_PORT_ZERO] = "port_zero",
      [PTCP_R_NOT_LOCAL] = "not_local",
      [PTCP_R_MALFORMED] = "malformed",
      [PTCP_R_BAD_CHECKSUM] = "bad_checksum",
      [PTCP_R_TIME_WAIT] = "time_wait",
      [PTCP_R_TIME_WAIT_REOPEN] = "time_wait_reopen",
      [PTCP_R_TIME_WAIT_RST] = "time_wait_rst",
      [PTCP_R_NOMEM] = "nomem",
      [PTCP_R_SYN_RETRANSMIT] = "syn_retransmit",
      [PTCP_R_NO_FLAGS] = "no_flags",
      [PTCP_R_DATA_AFTER_CLOSE] = "data_after_close",
  };
  return (unsigned)reason < PTCP_R_COUNT && names[reason] ? names[reason] : "invalid";
}

const char *ptcp_verdict_name(ptcp_verdict v) {
  switch (v) {
  case PTCP_VERDICT_ACCEPT:
    return "accept";
  case PTCP_VERDICT_DROP:
    return "drop";
  case PTCP_VERDICT_ACK:
    return "ack";
  case PTCP_VERDICT_CHALLENGE:
    return "challenge";
  case PTCP_VERDICT_RST:
    return "rst";
  case PTCP_VERDICT_RESET:
    return "reset";
  }
  return "invalid";
}

const char *ptcp_timer_name(ptcp_timer_kind t) {
  switch (t) {
  case PTCP_TIMER_RETRANSMIT:
    return "retransmit";
  case PTCP_TIMER_PERSIST:
    return "persist";
  case PTCP_TIMER_KEEPALIVE:
    return "keepalive";
  case PTCP_TIMER_DELACK:
    return "delack";
  case PTCP_TIMER_TIME_WAIT:
    return "time_wait";
  case PTCP_TIMER_FIN_WAIT_2:
    return "fin_wait_2";
  case PTCP_TIMER_SYN:
    return "syn";
  }
  return "invalid";
}

const char *ptcp_trace_kind_name(ptcp_trace_kind k) {
  switch (k) {
  case PTCP_TRACE_STATE:
    return "state";
  case PTCP_TRACE_SEG_IN:
    return "seg_in";
  case PTCP_TRACE_SEG_OUT:
    return "seg_out";
  case PTCP_TRACE_RTT:
    return "rtt";
  case PTCP_TRACE_RTO:
    return "rto";
  case PTCP_TRACE_TIMER:
    return "timer";
  case PTCP_TRACE_CWND:
    return "cwnd";
  }
  return "invalid";
}
