/*
 * plugtcp-drill: a packetdrill-compatible script runner for libplugtcp,
 * in deterministic virtual time.
 *
 * Module map (one concern each):
 *   lexer.c     #ifdef selection, then tokens with their line numbers
 *   parser.c    tokens -> drill_script (options and timed events)
 *   packet.c    inbound segments built from the script, outbound ones
 *               matched against it
 *   syscalls.c  socket calls mapped to the ptcp_conn_* API, errno style
 *   runner.c    one script against one stack: virtual time, the event
 *               loop, FreeBSD knobs mapped to our configuration
 *   report.c    result lines, the summary, --json, the expected list
 *   main.c      the command line
 *
 * Times in a script are microseconds (the script's unit); the engine's
 * are nanoseconds.  Script time 0 is virtual time DRILL_EPOCH.
 */
#ifndef PLUGTCP_DRILL_H
#define PLUGTCP_DRILL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <plugtcp/plugtcp.h>

#define DRILL_EPOCH ((ptcp_time)0)
#define DRILL_US ((ptcp_duration)1000)

/* ------------------------------------------------------------------ */
/* Script model                                                        */

typedef enum {
  TIME_ABS = 1, /*  1.00  */
  TIME_REL,     /* +1.00  */
  TIME_ANY,     /*  *     */
} drill_time_kind;

typedef struct drill_time {
  drill_time_kind kind;
  int64_t us;
  int has_end; /* "start...end": a blocking call's return */
  drill_time_kind end_kind;
  int64_t end_us;
} drill_time;

/* Option kinds as written; the TCP ones carry their wire kind. */
enum {
  DOPT_EOL = 0,
  DOPT_NOP = 1,
  DOPT_MSS = 2,
  DOPT_WSCALE = 3,
  DOPT_SACKOK = 4,
  DOPT_SACK = 5,
  DOPT_TS = 8,
  DOPT_MD5 = 19,
};

#define DRILL_MAX_OPTS 20
#define DRILL_MAX_SACK 4

typedef struct drill_opt {
  uint8_t kind;
  uint32_t v1, v2; /* mss, wscale, TS val and ecr */
  uint8_t nsack;
  uint32_t sack[DRILL_MAX_SACK][2];
} drill_opt;

enum { OPTS_NONE = 0, OPTS_LIST, OPTS_ANY }; /* no <>, <list>, <...> */

typedef struct drill_packet {
  int outbound;
  uint8_t flags;    /* PTCP_SYN | ... (E = ECE, W = CWR) */
  int seq_absolute; /* "1:1(0)!": not relative to the ISN */
  int seq_ignore;   /* "...(0)": any sequence number */
  uint32_t seq;
  uint32_t len;
  int has_ack;
  uint32_t ack;
  int has_win;
  uint32_t win;
  int opts_mode;
  unsigned nopts;
  drill_opt opts[DRILL_MAX_OPTS];
  int has_ttl, has_tos, has_ecn;
  uint8_t ttl, tos, ecn;
  int udp_encap; /* ".../udp(a > b)" */
  int has_ports;
  uint16_t sport, dport;
} drill_packet;

typedef enum {
  X_ELLIPSIS = 1, /* ... */
  X_INT,          /* 3, 0x02 */
  X_WORD,         /* SOL_SOCKET */
  X_STRING,       /* "text" */
  X_ARRAY,        /* [1] */
  X_OR,           /* O_RDWR | O_NONBLOCK */
  X_STRUCT,       /* {fd=3, events=POLLIN} */
} drill_expr_kind;

typedef struct drill_expr {
  drill_expr_kind kind;
  int64_t num;
  char *text;               /* WORD, STRING */
  char *name;               /* an item of {name=value, ...}: its name */
  struct drill_expr *items; /* ARRAY, OR (two), STRUCT */
  unsigned nitems;
} drill_expr;

typedef struct drill_syscall {
  char name[32];
  drill_expr *args;
  unsigned nargs;
  drill_expr ret;
  char err[32]; /* expected errno name, or "" */
} drill_syscall;

typedef enum { EV_PACKET = 1, EV_SYSCALL, EV_COMMAND, EV_CODE } drill_ev_kind;

typedef struct drill_event {
  int line;
  drill_time time;
  drill_ev_kind kind;
  drill_packet pkt;
  drill_syscall sc;
  char *text; /* COMMAND, CODE */
  char *src;  /* the source line, trimmed, for messages */
} drill_event;

typedef struct drill_option {
  char *name; /* without "--" */
  char *value;
} drill_option;

typedef struct drill_script {
  char *path;
  drill_option *opts;
  unsigned nopts;
  drill_event *ev;
  unsigned nev;
  unsigned ncommands_outside; /* init/cleanup commands without a time */
} drill_script;

/* Defined symbols for #ifdef. */
#define DRILL_MAX_DEFINES 16
typedef struct drill_defines {
  const char *name[DRILL_MAX_DEFINES];
  unsigned n;
} drill_defines;

/**
 * drill_parse reads the script at |path| with |defs| selecting the
 * #ifdef branches.  Returns 0, or -1 with a message ("file:line: ...")
 * in |err|.
 */
int drill_parse(drill_script *s, const char *path, const drill_defines *defs, char *err,
                size_t errlen);
void drill_script_free(drill_script *s);
const char *drill_script_option(const drill_script *s, const char *name);

/* Lexer (used by the parser). */
typedef enum {
  T_EOF = 0,
  T_INT,      /* 42 */
  T_HEX,      /* 0x2a */
  T_FLOAT,    /* 0.10, .5 */
  T_WORD,     /* SOL_SOCKET, S, sackOK */
  T_STRING,   /* "..." */
  T_COMMAND,  /* `...` */
  T_CODE,     /* %{ ... }% */
  T_OPTION,   /* --name (the value follows after '=') */
  T_ELLIPSIS, /* ... */
  T_PUNCT,    /* any other single character */
} drill_tok_kind;

typedef struct drill_tok {
  drill_tok_kind kind;
  int line;
  int64_t num;
  double fnum;
  char *text;       /* WORD, STRING, COMMAND, CODE, OPTION; FLOAT: as written */
  char ch;          /* PUNCT */
  int space_before; /* whitespace separated it from the previous token */
} drill_tok;

typedef struct drill_toks {
  drill_tok *t;
  size_t n;
  char **lines; /* the preprocessed source lines, for messages */
  size_t nlines;
} drill_toks;

int drill_lex(drill_toks *out, const char *text, const drill_defines *defs, char *err,
              size_t errlen);
void drill_toks_free(drill_toks *t);

/* ------------------------------------------------------------------ */
/* Running                                                             */

typedef enum { DRILL_PASS = 0, DRILL_FAIL, DRILL_SKIP } drill_status;

/* What the runner is told: the same for every script of a run. */
typedef struct drill_config {
  int strict; /* match windows and option layouts exactly */
  int verbose;
  uint64_t seed;
  double tolerance_percent;            /* of the gap since the previous event */
  const char *df_secure;               /* dupfilter when the script asks for RFC 5961 */
  const char *df_insecure;             /* dupfilter when it asks for RFC 793 */
  const char *policy[PTCP_SLOT_COUNT]; /* --policy overrides */
  const char *cfg[16];                 /* --cfg KEY=VALUE, applied before the script's */
  unsigned ncfg;
  uint32_t remote_isn; /* the scripted peer's sequence origin */
  FILE *trace;         /* -v output */
} drill_config;

void drill_config_default(drill_config *c);

/* Lines of a script the runner did not execute, by kind. */
typedef struct drill_ignored {
  unsigned sysctl, sockstat, tcpdrop, other_command, code, sockopt_value;
} drill_ignored;

typedef struct drill_result {
  drill_status status;
  char reason[512];   /* SKIP: why; FAIL: what went wrong */
  int line;           /* FAIL: the script line */
  char src[256];      /* FAIL: its text */
  char expected[512]; /* FAIL: what the script wanted */
  char actual[512];   /* FAIL: what happened */
  ptcp_time at;       /* FAIL: virtual time, ns since the script's 0 */
  drill_ignored ignored;
  unsigned events;    /* events executed */
  char dupfilter[32]; /* the policy the script was judged with */
} drill_result;

/**
 * drill_cfg_set sets the ptcp_conn_cfg field |key| ("msl", "delack",
 * "syn_retries", ...) from text.  Returns 0, or -1 for an unknown key or
 * a value that does not parse or fit.
 */
int drill_cfg_set(ptcp_conn_cfg *c, const char *key, const char *val);

/** drill_run_script runs one script; the result is always filled. */
void drill_run_script(const char *path, const drill_defines *defs,
                      const drill_config *cfg, drill_result *res);

/* ------------------------------------------------------------------ */
/* Helpers shared between modules                                      */

/* errno names both ways ("EINPROGRESS" <-> EINPROGRESS). */
int drill_errno_from_name(const char *name);
const char *drill_errno_name(int err);

/* Symbolic constants of the socket API (SOL_SOCKET, O_NONBLOCK, ...):
 * returns 0 and the value, or -1 when unknown. */
int drill_symbol(const char *name, int64_t *value);

/* A printf into a fixed buffer that never overflows. */
void drill_fmt(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

char *drill_strdup(const char *s);
void *drill_xcalloc(size_t n, size_t size);

#endif /* PLUGTCP_DRILL_H */
