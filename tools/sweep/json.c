/*
 * plugtcp-sweep: a small JSON reader for plugtcp-sim's summaries and
 * traces.  It parses one object (RFC 8259) and flattens it: nested
 * objects' keys are joined with '.', so {"rtt":{"min":0.02}} gives the
 * field "rtt.min" = "0.02".  Arrays are kept whole, as their JSON text.
 */
#include "config.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"

enum { MAX_DEPTH = 32 };

typedef struct parser {
  const char *s, *end;
  json_flat *out;
  char *err;
  size_t errlen;
  int failed;
} parser;

static void fail(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(parser *p, const char *fmt, ...) {
  va_list ap;

  if (p->failed)
    return;
  p->failed = 1;
  if (p->errlen == 0)
    return;
  va_start(ap, fmt);
  vsnprintf(p->err, p->errlen, fmt, ap);
  va_end(ap);
}

static void skip_ws(parser *p) {
  while (p->s < p->end &&
         (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r'))
    p->s++;
}

static int peek(parser *p) { return p->s < p->end ? (unsigned char)*p->s : -1; }

static void add_field(parser *p, const char *key, char *value, json_kind kind) {
  json_flat *j = p->out;

  if (j->n == j->cap) {
    j->cap = j->cap ? j->cap * 2 : 32;
    j->f = xrealloc(j->f, j->cap * sizeof(*j->f));
  }
  j->f[j->n].key = xstrdup(key);
  j->f[j->n].value = value;
  j->f[j->n].kind = kind;
  j->n++;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

static void put_utf8(strbuf *b, unsigned long cp) {
  char u[4];

  if (cp < 0x80) {
    sb_addc(b, (char)cp);
  } else if (cp < 0x800) {
    u[0] = (char)(0xc0 | (cp >> 6));
    u[1] = (char)(0x80 | (cp & 0x3f));
    sb_addn(b, u, 2);
  } else if (cp < 0x10000) {
    u[0] = (char)(0xe0 | (cp >> 12));
    u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
    u[2] = (char)(0x80 | (cp & 0x3f));
    sb_addn(b, u, 3);
  } else {
    u[0] = (char)(0xf0 | (cp >> 18));
    u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    u[3] = (char)(0x80 | (cp & 0x3f));
    sb_addn(b, u, 4);
  }
}

static int read_hex4(parser *p, unsigned long *cp) {
  *cp = 0;
  if (p->end - p->s < 4)
    return -1;
  for (int i = 0; i < 4; i++) {
    int h = hexval((unsigned char)p->s[i]);
    if (h < 0)
      return -1;
    *cp = *cp << 4 | (unsigned long)h;
  }
  p->s += 4;
  return 0;
}

/* A string, after its opening quote; returns it unescaped (or NULL). */
static char *parse_string(parser *p) {
  strbuf b = {0};

  for (;;) {
    int c = peek(p);

    if (c < 0) {
      fail(p, "unterminated string");
      break;
    }
    p->s++;
    if (c == '"')
      return b.s != NULL ? b.s : xstrdup("");
    if (c < 0x20) {
      fail(p, "a control character inside a string");
      break;
    }
    if (c != '\\') {
      sb_addc(&b, (char)c);
      continue;
    }
    c = peek(p);
    p->s++;
    switch (c) {
    case '"':
    case '\\':
    case '/':
      sb_addc(&b, (char)c);
      break;
    case 'b':
      sb_addc(&b, '\b');
      break;
    case 'f':
      sb_addc(&b, '\f');
      break;
    case 'n':
      sb_addc(&b, '\n');
      break;
    case 'r':
      sb_addc(&b, '\r');
      break;
    case 't':
      sb_addc(&b, '\t');
      break;
    case 'u': {
      unsigned long cp, lo;
      if (read_hex4(p, &cp) != 0) {
        fail(p, "a bad \\u escape");
        goto out;
      }
      /* A surrogate pair is one code point (RFC 8259 §7). */
      if (cp >= 0xd800 && cp < 0xdc00 && p->end - p->s >= 6 && p->s[0] == '\\' &&
          p->s[1] == 'u') {
        p->s += 2;
        if (read_hex4(p, &lo) != 0 || lo < 0xdc00 || lo > 0xdfff) {
          fail(p, "a bad surrogate pair");
          goto out;
        }
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
      }
      put_utf8(&b, cp);
      break;
    }
    default:
      fail(p, "a bad escape in a string");
      goto out;
    }
  }
out:
  sb_free(&b);
  return NULL;
}

/* A number's text, validated against RFC 8259's grammar. */
static char *parse_number(parser *p) {
  const char *start = p->s;

  if (peek(p) == '-')
    p->s++;
  if (peek(p) == '0') {
    p->s++;
  } else if (peek(p) >= '1' && peek(p) <= '9') {
    while (peek(p) >= '0' && peek(p) <= '9')
      p->s++;
  } else {
    fail(p, "a bad number");
    return NULL;
  }
  if (peek(p) == '.') {
    p->s++;
    if (!(peek(p) >= '0' && peek(p) <= '9')) {
      fail(p, "a bad number");
      return NULL;
    }
    while (peek(p) >= '0' && peek(p) <= '9')
      p->s++;
  }
  if (peek(p) == 'e' || peek(p) == 'E') {
    p->s++;
    if (peek(p) == '+' || peek(p) == '-')
      p->s++;
    if (!(peek(p) >= '0' && peek(p) <= '9')) {
      fail(p, "a bad number");
      return NULL;
    }
    while (peek(p) >= '0' && peek(p) <= '9')
      p->s++;
  }
  return xstrndup(start, (size_t)(p->s - start));
}

static int literal(parser *p, const char *word) {
  size_t n = strlen(word);

  if ((size_t)(p->end - p->s) < n || memcmp(p->s, word, n) != 0)
    return 0;
  p->s += n;
  return 1;
}

static void parse_value(parser *p, const char *key, int depth);

/* Skips a value (inside an array) without keeping it. */
static void skip_value(parser *p, int depth) {
  json_flat none = {0};
  json_flat *saved = p->out;

  p->out = &none;
  parse_value(p, "", depth);
  p->out = saved;
  json_flat_free(&none);
}

/* After a member of an array or object: 1 when a ',' says another
 * follows, 0 when |close| ends it, else -1 after failing with |what|. */
static int list_next(parser *p, char close, const char *what) {
  skip_ws(p);
  if (peek(p) == ',') {
    p->s++;
    return 1;
  }
  if (peek(p) == close) {
    p->s++;
    return 0;
  }
  fail(p, "%s", what);
  return -1;
}

static void parse_array(parser *p, const char *key, int depth) {
  const char *start = p->s - 1;

  skip_ws(p);
  if (peek(p) == ']') {
    p->s++;
  } else {
    for (;;) {
      int more;

      skip_value(p, depth + 1);
      if (p->failed)
        return;
      more = list_next(p, ']', "expected ',' or ']' in an array");
      if (more < 0)
        return;
      if (more == 0)
        break;
    }
  }
  add_field(p, key, xstrndup(start, (size_t)(p->s - start)), JSON_ARRAY);
}

static void parse_object(parser *p, const char *prefix, int depth) {
  skip_ws(p);
  if (peek(p) == '}') {
    p->s++;
    return;
  }
  for (;;) {
    char *name, *key;

    skip_ws(p);
    if (peek(p) != '"') {
      fail(p, "expected a key in an object");
      return;
    }
    p->s++;
    name = parse_string(p);
    if (name == NULL)
      return;
    skip_ws(p);
    if (peek(p) != ':') {
      free(name);
      fail(p, "expected ':' after a key");
      return;
    }
    p->s++;
    key = prefix[0] ? xasprintf("%s.%s", prefix, name) : xstrdup(name);
    free(name);
    parse_value(p, key, depth + 1);
    free(key);
    if (p->failed)
      return;
    if (list_next(p, '}', "expected ',' or '}' in an object") != 1)
      return;
  }
}

static void parse_value(parser *p, const char *key, int depth) {
  int c;
  char *v;

  if (depth > MAX_DEPTH) {
    fail(p, "nested more than %d deep", MAX_DEPTH);
    return;
  }
  skip_ws(p);
  c = peek(p);
  switch (c) {
  case '{':
    p->s++;
    parse_object(p, key, depth);
    return;
  case '[':
    p->s++;
    parse_array(p, key, depth);
    return;
  case '"':
    p->s++;
    v = parse_string(p);
    if (v != NULL)
      add_field(p, key, v, JSON_STRING);
    return;
  case 't':
  case 'f':
    if (literal(p, "true"))
      add_field(p, key, xstrdup("true"), JSON_BOOL);
    else if (literal(p, "false"))
      add_field(p, key, xstrdup("false"), JSON_BOOL);
    else
      fail(p, "an unknown word");
    return;
  case 'n':
    if (literal(p, "null"))
      add_field(p, key, xstrdup(""), JSON_NULL);
    else
      fail(p, "an unknown word");
    return;
  default:
    if (c == '-' || (c >= '0' && c <= '9')) {
      v = parse_number(p);
      if (v != NULL)
        add_field(p, key, v, JSON_NUMBER);
      return;
    }
    fail(p, c < 0 ? "unexpected end of input" : "unexpected character '%c'", c);
  }
}

int json_flatten(const char *text, size_t len, json_flat *out, char *err, size_t errlen) {
  parser p = {text, text + len, out, err, errlen, 0};

  memset(out, 0, sizeof(*out));
  skip_ws(&p);
  if (peek(&p) != '{') {
    fail(&p, "not a JSON object");
  } else {
    p.s++;
    parse_object(&p, "", 0);
    skip_ws(&p);
    if (!p.failed && p.s != p.end)
      fail(&p, "text after the object");
  }
  if (p.failed) {
    json_flat_free(out);
    return -1;
  }
  return 0;
}

void json_flat_free(json_flat *j) {
  for (size_t i = 0; i < j->n; i++) {
    free(j->f[i].key);
    free(j->f[i].value);
  }
  free(j->f);
  memset(j, 0, sizeof(*j));
}

const json_field *json_get(const json_flat *j, const char *key) {
  for (size_t i = 0; i < j->n; i++)
    if (strcmp(j->f[i].key, key) == 0)
      return &j->f[i];
  return NULL;
}
