/*
 * plugtcp-drill: the parser.  A recursive-descent reading of packetdrill's
 * grammar, the part a TCP test suite uses:
 *
 *   script   := { --name=value } [ `command` ] { event } [ `command` ]
 *   event    := time ( packet | syscall | `command` | %{ code }% )
 *   time     := '*' | ['+'] number [ '...' ['+'] number ]
 *   packet   := ('<'|'>') [ip-info] [port '>' port] flags seq [ack N]
 *               [win N] [urg N] [ '<' options | '...' '>' ] [ '/udp(' a '>' b ')' ]
 *   seq      := start ':' end '(' len ')' ['!']  |  '...' '(' len ')'
 *   syscall  := name '(' [expr {',' expr}] ')' '=' expr [ERRNO] [(note)]
 *   expr     := primary { '|' primary };  primary := ... | [-]N | WORD |
 *               "string" | '[' exprs ']' | '{' name '=' expr, ... '}'
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"

typedef struct parser {
  drill_toks toks;
  size_t i;
  const char *path;
  char *err;
  size_t errlen;
  int failed;
} parser;

static const drill_tok *peek(parser *p) { return &p->toks.t[p->i]; }
static const drill_tok *peek2(parser *p) {
  return p->i + 1 < p->toks.n ? &p->toks.t[p->i + 1] : &p->toks.t[p->toks.n - 1];
}
static const drill_tok *next(parser *p) {
  const drill_tok *t = &p->toks.t[p->i];
  if (t->kind != T_EOF)
    p->i++;
  return t;
}

static void tok_text(const drill_tok *t, char *buf, size_t cap) {
  switch (t->kind) {
  case T_EOF:
    drill_fmt(buf, cap, "end of file");
    break;
  case T_INT:
    drill_fmt(buf, cap, "%lld", (long long)t->num);
    break;
  case T_HEX:
    drill_fmt(buf, cap, "0x%llx", (unsigned long long)t->num);
    break;
  case T_ELLIPSIS:
    drill_fmt(buf, cap, "...");
    break;
  case T_PUNCT:
    drill_fmt(buf, cap, "%c", t->ch);
    break;
  case T_OPTION:
    drill_fmt(buf, cap, "--%s", t->text);
    break;
  case T_COMMAND:
    drill_fmt(buf, cap, "`command`");
    break;
  case T_CODE:
    drill_fmt(buf, cap, "%%{ code }%%");
    break;
  default:
    drill_fmt(buf, cap, "%s", t->text ? t->text : "?");
    break;
  }
}

static int fail(parser *p, const char *what) {
  char t[64];

  if (!p->failed) {
    tok_text(peek(p), t, sizeof(t));
    drill_fmt(p->err, p->errlen, "%s:%d: parse error at '%s': %s", p->path, peek(p)->line,
              t, what);
    p->failed = 1;
  }
  return -1;
}

static int is_punct(const drill_tok *t, char c) {
  return t->kind == T_PUNCT && t->ch == c;
}
static int is_word(const drill_tok *t, const char *w) {
  return t->kind == T_WORD && strcmp(t->text, w) == 0;
}

static int expect_punct(parser *p, char c) {
  char what[32];

  if (is_punct(peek(p), c)) {
    next(p);
    return 0;
  }
  drill_fmt(what, sizeof(what), "expected '%c'", c);
  return fail(p, what);
}

static int expect_uint(parser *p, uint64_t max, uint32_t *out, const char *what) {
  const drill_tok *t = peek(p);

  if ((t->kind != T_INT && t->kind != T_HEX) || (uint64_t)t->num > max)
    return fail(p, what);
  *out = (uint32_t)t->num;
  next(p);
  return 0;
}

/* ------------------------------------------------------------------ */
/* Times                                                               */

static int is_number(const drill_tok *t) {
  return t->kind == T_INT || t->kind == T_FLOAT;
}

static int64_t tok_us(const drill_tok *t) {
  if (t->kind == T_INT)
    return t->num * 1000000;
  /* Seconds with up to 6 decimals, as text, so 0.1 is exactly 100000. */
  {
    const char *s = t->text;
    int64_t whole = 0, frac = 0;
    int digits = 0;
    while (isdigit((unsigned char)*s))
      whole = whole * 10 + (*s++ - '0');
    if (*s == '.')
      s++;
    while (isdigit((unsigned char)*s)) {
      if (digits < 6) {
        frac = frac * 10 + (*s - '0');
        digits++;
      }
      s++;
    }
    while (digits++ < 6)
      frac *= 10;
    return whole * 1000000 + frac;
  }
}

static int starts_time(const drill_tok *t) {
  return is_number(t) || is_punct(t, '+') || is_punct(t, '*');
}

static int parse_one_time(parser *p, drill_time_kind *kind, int64_t *us) {
  *kind = TIME_ABS;
  if (is_punct(peek(p), '+')) {
    next(p);
    *kind = TIME_REL;
  }
  if (!is_number(peek(p)))
    return fail(p, "expected a time");
  *us = tok_us(next(p));
  return 0;
}

static int parse_time(parser *p, drill_time *t) {
  memset(t, 0, sizeof(*t));
  if (is_punct(peek(p), '*')) {
    next(p);
    t->kind = TIME_ANY;
    return 0;
  }
  if (parse_one_time(p, &t->kind, &t->us) != 0)
    return -1;
  if (peek(p)->kind == T_ELLIPSIS) {
    next(p);
    t->has_end = 1;
    if (parse_one_time(p, &t->end_kind, &t->end_us) != 0)
      return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Packets                                                             */

static int parse_ip_info(parser *p, drill_packet *pk, char close) {
  for (;;) {
    const drill_tok *t = peek(p);
    uint32_t v;
    if (is_word(t, "ttl") || is_word(t, "hlim")) {
      next(p);
      if (expect_uint(p, 255, &v, "expected a TTL") != 0)
        return -1;
      pk->has_ttl = 1;
      pk->ttl = (uint8_t)v;
    } else if (is_word(t, "tos") || is_word(t, "class")) {
      next(p);
      if (expect_uint(p, 255, &v, "expected a TOS byte") != 0)
        return -1;
      pk->has_tos = 1;
      pk->tos = (uint8_t)v;
    } else if (is_word(t, "noecn") || is_word(t, "ect0") || is_word(t, "ect1") ||
               is_word(t, "ce") || is_word(t, "ect01")) {
      pk->has_ecn = 1;
      pk->ecn = is_word(t, "noecn")  ? 0
                : is_word(t, "ect1") ? 1
                : is_word(t, "ect0") ? 2
                                     : 3;
      next(p);
    } else if (is_word(t, "ecn")) {
      next(p);
      continue;
    } else if (is_word(t, "flowlabel") || is_word(t, "dscp")) {
      next(p);
      if (peek(p)->kind == T_WORD || peek(p)->kind == T_HEX || peek(p)->kind == T_INT)
        next(p);
    } else {
      return fail(p, "unknown IP field");
    }
    if (is_punct(peek(p), ',')) {
      next(p);
      continue;
    }
    return expect_punct(p, close);
  }
}

static int parse_flags(parser *p, drill_packet *pk) {
  const drill_tok *t = peek(p);

  if (is_punct(t, '.')) {
    next(p);
    pk->flags = PTCP_ACK;
    return 0;
  }
  if (is_punct(t, '-')) {
    next(p);
    pk->flags = 0;
    return 0;
  }
  if (t->kind != T_WORD)
    return fail(p, "expected TCP flags");
  for (const char *c = t->text; *c; c++) {
    switch (*c) {
    case 'S':
      pk->flags |= PTCP_SYN;
      break;
    case 'F':
      pk->flags |= PTCP_FIN;
      break;
    case 'R':
      pk->flags |= PTCP_RST;
      break;
    case 'P':
      pk->flags |= PTCP_PSH;
      break;
    case 'U':
      pk->flags |= PTCP_URG;
      break;
    case 'E':
      pk->flags |= PTCP_ECE;
      break;
    case 'W':
      pk->flags |= PTCP_CWR;
      break;
    default:
      return fail(p, "unknown TCP flag letter");
    }
  }
  next(p);
  /* "S." : the dot right after the letters is the ACK bit. */
  if (is_punct(peek(p), '.') && !peek(p)->space_before) {
    next(p);
    pk->flags |= PTCP_ACK;
  }
  return 0;
}

static int parse_seq(parser *p, drill_packet *pk) {
  uint32_t start, end, len;

  if (peek(p)->kind == T_ELLIPSIS) {
    next(p);
    pk->seq_ignore = 1;
    if (expect_punct(p, '(') != 0 ||
        expect_uint(p, 65535, &len, "expected a length") != 0 ||
        expect_punct(p, ')') != 0)
      return -1;
    pk->len = len;
    return 0;
  }
  if (expect_uint(p, UINT32_MAX, &start, "expected start:end(length)") != 0 ||
      expect_punct(p, ':') != 0 ||
      expect_uint(p, UINT32_MAX, &end, "expected start:end(length)") != 0 ||
      expect_punct(p, '(') != 0 ||
      expect_uint(p, 65535, &len, "expected a length") != 0 || expect_punct(p, ')') != 0)
    return -1;
  if ((uint32_t)(start + len) != end)
    return fail(p, "start + length is not end");
  pk->seq = start;
  pk->len = len;
  if (is_punct(peek(p), '!') && !peek(p)->space_before) {
    next(p);
    pk->seq_absolute = 1;
  }
  return 0;
}

static int parse_option(parser *p, drill_opt *o) {
  const drill_tok *t = peek(p);
  uint32_t v;

  memset(o, 0, sizeof(*o));
  if (t->kind != T_WORD)
    return fail(p, "expected a TCP option");
  if (is_word(t, "nop")) {
    next(p);
    o->kind = DOPT_NOP;
  } else if (is_word(t, "eol")) {
    next(p);
    o->kind = DOPT_EOL;
  } else if (is_word(t, "mss")) {
    next(p);
    o->kind = DOPT_MSS;
    if (expect_uint(p, 65535, &v, "expected an MSS") != 0)
      return -1;
    o->v1 = v;
  } else if (is_word(t, "wscale")) {
    next(p);
    o->kind = DOPT_WSCALE;
    if (expect_uint(p, 255, &v, "expected a shift count") != 0)
      return -1;
    o->v1 = v;
  } else if (is_word(t, "sackOK")) {
    next(p);
    o->kind = DOPT_SACKOK;
  } else if (is_word(t, "sack")) {
    next(p);
    o->kind = DOPT_SACK;
    while (peek(p)->kind == T_INT && is_punct(peek2(p), ':')) {
      uint32_t l, r;
      if (o->nsack == DRILL_MAX_SACK)
        return fail(p, "more than 4 SACK blocks");
      if (expect_uint(p, UINT32_MAX, &l, "expected left:right") != 0 ||
          expect_punct(p, ':') != 0 ||
          expect_uint(p, UINT32_MAX, &r, "expected left:right") != 0)
        return -1;
      o->sack[o->nsack][0] = l;
      o->sack[o->nsack][1] = r;
      o->nsack++;
    }
    if (o->nsack == 0)
      return fail(p, "expected SACK blocks");
  } else if (is_word(t, "TS")) {
    next(p);
    o->kind = DOPT_TS;
    if (!is_word(peek(p), "val"))
      return fail(p, "expected 'val'");
    next(p);
    if (expect_uint(p, UINT32_MAX, &o->v1, "expected a TS value") != 0)
      return -1;
    if (!is_word(peek(p), "ecr"))
      return fail(p, "expected 'ecr'");
    next(p);
    if (expect_uint(p, UINT32_MAX, &o->v2, "expected a TS echo reply") != 0)
      return -1;
  } else if (is_word(t, "md5")) {
    next(p);
    o->kind = DOPT_MD5;
    if (peek(p)->kind == T_WORD && !is_punct(peek(p), ','))
      next(p);
  } else {
    return fail(p, "unknown TCP option");
  }
  return 0;
}

static int parse_packet(parser *p, drill_packet *pk) {
  const drill_tok *t = next(p);

  memset(pk, 0, sizeof(*pk));
  pk->outbound = t->ch == '>';
  if (is_punct(peek(p), '(') || is_punct(peek(p), '[')) {
    char close = peek(p)->ch == '(' ? ')' : ']';
    next(p);
    if (parse_ip_info(p, pk, close) != 0)
      return -1;
  }
  if (peek(p)->kind == T_INT && is_punct(peek2(p), '>')) {
    uint32_t a, b;
    if (expect_uint(p, 65535, &a, "expected a port") != 0 || expect_punct(p, '>') != 0 ||
        expect_uint(p, 65535, &b, "expected a port") != 0 || expect_punct(p, ':') != 0)
      return -1;
    pk->has_ports = 1;
    pk->sport = (uint16_t)a;
    pk->dport = (uint16_t)b;
  }
  if (parse_flags(p, pk) != 0 || parse_seq(p, pk) != 0)
    return -1;
  if (is_word(peek(p), "ack")) {
    next(p);
    if (expect_uint(p, UINT32_MAX, &pk->ack, "expected an ACK number") != 0)
      return -1;
    pk->has_ack = 1;
  }
  if (is_word(peek(p), "win")) {
    next(p);
    if (expect_uint(p, 65535, &pk->win, "expected a window") != 0)
      return -1;
    pk->has_win = 1;
  }
  if (is_word(peek(p), "urg")) {
    uint32_t u;
    next(p);
    if (expect_uint(p, 65535, &u, "expected an urgent pointer") != 0)
      return -1;
  }
  if (is_punct(peek(p), '<')) {
    next(p);
    if (peek(p)->kind == T_ELLIPSIS) {
      next(p);
      pk->opts_mode = OPTS_ANY;
    } else {
      pk->opts_mode = OPTS_LIST;
      for (;;) {
        if (pk->nopts == DRILL_MAX_OPTS)
          return fail(p, "too many TCP options");
        if (parse_option(p, &pk->opts[pk->nopts]) != 0)
          return -1;
        pk->nopts++;
        if (!is_punct(peek(p), ','))
          break;
        next(p);
      }
    }
    if (expect_punct(p, '>') != 0)
      return -1;
  }
  if (is_punct(peek(p), '/') && is_word(peek2(p), "udp")) {
    uint32_t a, b;
    next(p);
    next(p);
    if (expect_punct(p, '(') != 0 || expect_uint(p, 65535, &a, "expected a port") != 0 ||
        expect_punct(p, '>') != 0 || expect_uint(p, 65535, &b, "expected a port") != 0 ||
        expect_punct(p, ')') != 0)
      return -1;
    pk->udp_encap = 1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* System calls                                                        */

static int parse_expr(parser *p, drill_expr *e);

static int parse_list(parser *p, char close, drill_expr *e, int named) {
  unsigned cap = 4;

  e->items = drill_xcalloc(cap, sizeof(drill_expr));
  if (is_punct(peek(p), close)) {
    next(p);
    return 0;
  }
  for (;;) {
    drill_expr *it;
    char *name = NULL;
    if (e->nitems == cap) {
      cap *= 2;
      e->items = realloc(e->items, cap * sizeof(drill_expr));
      if (e->items == NULL) {
        fprintf(stderr, "plugtcp-drill: out of memory\n");
        exit(3);
      }
    }
    if (named) {
      if (peek(p)->kind != T_WORD)
        return fail(p, "expected a field name");
      name = drill_strdup(next(p)->text);
      if (expect_punct(p, '=') != 0) {
        free(name);
        return -1;
      }
    }
    it = &e->items[e->nitems];
    memset(it, 0, sizeof(*it));
    e->nitems++;
    if (parse_expr(p, it) != 0) {
      free(name);
      return -1;
    }
    it->name = name;
    if (is_punct(peek(p), ',')) {
      next(p);
      continue;
    }
    return expect_punct(p, close);
  }
}

static int parse_primary(parser *p, drill_expr *e) {
  const drill_tok *t = peek(p);

  memset(e, 0, sizeof(*e));
  if (t->kind == T_ELLIPSIS) {
    next(p);
    e->kind = X_ELLIPSIS;
    return 0;
  }
  if (is_punct(t, '-') && peek2(p)->kind == T_INT) {
    next(p);
    e->kind = X_INT;
    e->num = -next(p)->num;
    return 0;
  }
  if (t->kind == T_INT || t->kind == T_HEX) {
    e->kind = X_INT;
    e->num = next(p)->num;
    return 0;
  }
  if (t->kind == T_WORD || t->kind == T_STRING) {
    e->kind = t->kind == T_WORD ? X_WORD : X_STRING;
    e->text = drill_strdup(next(p)->text);
    if (e->kind == X_STRING && peek(p)->kind == T_ELLIPSIS)
      next(p);
    return 0;
  }
  if (is_punct(t, '[')) {
    next(p);
    e->kind = X_ARRAY;
    return parse_list(p, ']', e, 0);
  }
  if (is_punct(t, '{')) {
    next(p);
    e->kind = X_STRUCT;
    /* {..., len} (iovec) has unnamed items; {name=value, ...} named. */
    return parse_list(p, '}', e, peek(p)->kind == T_WORD && is_punct(peek2(p), '='));
  }
  return fail(p, "expected an expression");
}

static int parse_expr(parser *p, drill_expr *e) {
  if (parse_primary(p, e) != 0)
    return -1;
  while (is_punct(peek(p), '|')) {
    drill_expr left = *e;
    next(p);
    memset(e, 0, sizeof(*e));
    e->kind = X_OR;
    e->items = drill_xcalloc(2, sizeof(drill_expr));
    e->nitems = 2;
    e->items[0] = left;
    if (parse_primary(p, &e->items[1]) != 0)
      return -1;
  }
  return 0;
}

static int parse_syscall(parser *p, drill_syscall *sc) {
  const drill_tok *t = next(p);
  drill_expr args;
  int line;

  memset(sc, 0, sizeof(*sc));
  drill_fmt(sc->name, sizeof(sc->name), "%s", t->text);
  if (expect_punct(p, '(') != 0)
    return -1;
  memset(&args, 0, sizeof(args));
  if (parse_list(p, ')', &args, 0) != 0) {
    sc->args = args.items;
    sc->nargs = args.nitems;
    return -1;
  }
  sc->args = args.items;
  sc->nargs = args.nitems;
  if (expect_punct(p, '=') != 0)
    return -1;
  line = peek(p)->line;
  if (parse_expr(p, &sc->ret) != 0)
    return -1;
  if (peek(p)->kind == T_WORD && peek(p)->line == line && peek(p)->text[0] == 'E') {
    drill_fmt(sc->err, sizeof(sc->err), "%s", next(p)->text);
  }
  if (is_punct(peek(p), '(') && peek(p)->line == line) {
    /* A note, "(Operation now in progress)": words, skipped. */
    while (!is_punct(peek(p), ')') && peek(p)->kind != T_EOF)
      next(p);
    if (expect_punct(p, ')') != 0)
      return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Script                                                              */

static char *line_text(parser *p, int line) {
  const char *s;
  size_t n;

  if (line < 1 || (size_t)line > p->toks.nlines)
    return drill_strdup("");
  s = p->toks.lines[line - 1];
  while (*s == ' ' || *s == '\t')
    s++;
  n = strlen(s);
  while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'))
    n--;
  {
    char *d = drill_xcalloc(n + 1, 1);
    memcpy(d, s, n);
    return d;
  }
}

static void add_option(drill_script *s, parser *p, const drill_tok *t) {
  char *line = line_text(p, t->line);
  char *eq = strchr(line, '=');
  char *val = eq ? eq + 1 : line + strlen(line);
  size_t n;

  while (*val == ' ')
    val++;
  n = strlen(val);
  /* Drop a trailing // comment. */
  {
    char *c = strstr(val, "//");
    if (c != NULL)
      n = (size_t)(c - val);
  }
  while (n > 0 && (val[n - 1] == ' ' || val[n - 1] == '\t'))
    n--;
  if (n >= 2 && val[0] == '"' && val[n - 1] == '"') {
    val++;
    n -= 2;
  }
  s->opts = realloc(s->opts, (s->nopts + 1) * sizeof(drill_option));
  if (s->opts == NULL) {
    fprintf(stderr, "plugtcp-drill: out of memory\n");
    exit(3);
  }
  s->opts[s->nopts].name = drill_strdup(t->text);
  s->opts[s->nopts].value = drill_xcalloc(n + 1, 1);
  memcpy(s->opts[s->nopts].value, val, n);
  s->nopts++;
  free(line);
}

static char *read_file(const char *path, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  char *buf;
  long n;

  if (f == NULL) {
    drill_fmt(err, errlen, "%s: cannot open", path);
    return NULL;
  }
  if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
    fclose(f);
    drill_fmt(err, errlen, "%s: cannot read", path);
    return NULL;
  }
  buf = drill_xcalloc((size_t)n + 1, 1);
  if (fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fclose(f);
    free(buf);
    drill_fmt(err, errlen, "%s: cannot read", path);
    return NULL;
  }
  fclose(f);
  return buf;
}

int drill_parse(drill_script *s, const char *path, const drill_defines *defs, char *err,
                size_t errlen) {
  parser p;
  char *text;
  size_t cap = 0;
  int rv = -1;

  memset(s, 0, sizeof(*s));
  s->path = drill_strdup(path);
  text = read_file(path, err, errlen);
  if (text == NULL)
    return -1;
  memset(&p, 0, sizeof(p));
  p.path = path;
  p.err = err;
  p.errlen = errlen;
  if (drill_lex(&p.toks, text, defs, err, errlen) != 0) {
    char tmp[512];
    drill_fmt(tmp, sizeof(tmp), "%s: %s", path, err);
    drill_fmt(err, errlen, "%s", tmp);
    free(text);
    return -1;
  }
  free(text);

  while (peek(&p)->kind == T_OPTION) {
    const drill_tok *t = next(&p);
    add_option(s, &p, t);
    /* The value's tokens stay on the option's line. */
    while (peek(&p)->kind != T_EOF && peek(&p)->line == t->line)
      next(&p);
  }
  while (peek(&p)->kind != T_EOF) {
    drill_event *e;
    const drill_tok *t = peek(&p);

    if (t->kind == T_COMMAND) {
      /* An init or cleanup command outside the timeline. */
      next(&p);
      s->ncommands_outside++;
      continue;
    }
    if (!starts_time(t)) {
      fail(&p, "expected an event time");
      goto out;
    }
    if (s->nev == cap) {
      cap = cap ? cap * 2 : 64;
      s->ev = realloc(s->ev, cap * sizeof(drill_event));
      if (s->ev == NULL) {
        fprintf(stderr, "plugtcp-drill: out of memory\n");
        exit(3);
      }
    }
    e = &s->ev[s->nev];
    memset(e, 0, sizeof(*e));
    e->line = t->line;
    if (parse_time(&p, &e->time) != 0)
      goto out;
    s->nev++;
    t = peek(&p);
    e->line = t->line;
    e->src = line_text(&p, t->line);
    if (is_punct(t, '<') || is_punct(t, '>')) {
      e->kind = EV_PACKET;
      if (parse_packet(&p, &e->pkt) != 0)
        goto out;
    } else if (t->kind == T_COMMAND) {
      e->kind = EV_COMMAND;
      e->text = drill_strdup(next(&p)->text);
    } else if (t->kind == T_CODE) {
      e->kind = EV_CODE;
      e->text = drill_strdup(next(&p)->text);
    } else if (t->kind == T_WORD && is_punct(peek2(&p), '(')) {
      e->kind = EV_SYSCALL;
      if (parse_syscall(&p, &e->sc) != 0)
        goto out;
    } else {
      fail(&p, "expected a packet, a system call, a `command` or %{ code }%");
      goto out;
    }
  }
  rv = 0;
out:
  drill_toks_free(&p.toks);
  return rv;
}

static void expr_free(drill_expr *e) {
  for (unsigned i = 0; i < e->nitems; i++)
    expr_free(&e->items[i]);
  free(e->items);
  free(e->text);
  free(e->name);
}

void drill_script_free(drill_script *s) {
  for (unsigned i = 0; i < s->nev; i++) {
    drill_event *e = &s->ev[i];
    if (e->kind == EV_SYSCALL) {
      for (unsigned j = 0; j < e->sc.nargs; j++)
        expr_free(&e->sc.args[j]);
      free(e->sc.args);
      expr_free(&e->sc.ret);
    }
    free(e->text);
    free(e->src);
  }
  for (unsigned i = 0; i < s->nopts; i++) {
    free(s->opts[i].name);
    free(s->opts[i].value);
  }
  free(s->opts);
  free(s->ev);
  free(s->path);
  memset(s, 0, sizeof(*s));
}

const char *drill_script_option(const drill_script *s, const char *name) {
  const char *v = NULL;

  for (unsigned i = 0; i < s->nopts; i++)
    if (strcmp(s->opts[i].name, name) == 0)
      v = s->opts[i].value;
  return v;
}
