/*
 * plugtcp-drill: the lexer.
 *
 * First the #ifdef lines pick their branches (lines outside them become
 * empty, so line numbers stay those of the file), then the text becomes
 * tokens.  The token set is packetdrill's: numbers, words, strings,
 * `commands`, %{ code }%, --options, "..." and single characters; // and
 * C comments are skipped.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "drill.h"

void drill_fmt(char *buf, size_t cap, const char *fmt, ...) {
  va_list ap;

  if (cap == 0)
    return;
  va_start(ap, fmt);
  (void)vsnprintf(buf, cap, fmt, ap);
  va_end(ap);
}

void *drill_xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);

  if (p == NULL) {
    fprintf(stderr, "plugtcp-drill: out of memory\n");
    exit(3);
  }
  return p;
}

char *drill_strdup(const char *s) {
  size_t n = strlen(s);
  char *d = drill_xcalloc(n + 1, 1);

  memcpy(d, s, n);
  return d;
}

static char *strndup_x(const char *s, size_t n) {
  char *d = drill_xcalloc(n + 1, 1);

  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

/* ------------------------------------------------------------------ */
/* #ifdef                                                              */

static int defined(const drill_defines *d, const char *name, size_t len) {
  for (unsigned i = 0; d != NULL && i < d->n; i++)
    if (strlen(d->name[i]) == len && strncmp(d->name[i], name, len) == 0)
      return 1;
  return 0;
}

/* Splits |text| into lines, blanking those an #ifdef leaves out and the
 * directives themselves.  Returns 0, or -1 with a message. */
static int preprocess(drill_toks *out, const char *text, const drill_defines *defs,
                      char *err, size_t errlen) {
  enum { MAX_DEPTH = 16 };
  int active[MAX_DEPTH + 1], taken[MAX_DEPTH + 1];
  int depth = 0;
  size_t cap = 64;
  const char *p = text;
  int lineno = 0;

  active[0] = 1;
  taken[0] = 1;
  out->lines = drill_xcalloc(cap, sizeof(char *));
  out->nlines = 0;
  while (*p != '\0') {
    const char *eol = strchr(p, '\n');
    size_t len = eol ? (size_t)(eol - p) : strlen(p);
    const char *q = p;
    int keep = active[depth];

    lineno++;
    while (q < p + len && (*q == ' ' || *q == '\t'))
      q++;
    if (q < p + len && *q == '#') {
      const char *w = q + 1, *arg;
      size_t wl, al;
      while (w < p + len && isalpha((unsigned char)w[0]) == 0 && w[0] == ' ')
        w++;
      wl = 0;
      while (w + wl < p + len && isalpha((unsigned char)w[wl]))
        wl++;
      arg = w + wl;
      while (arg < p + len && (*arg == ' ' || *arg == '\t'))
        arg++;
      al = 0;
      while (arg + al < p + len && (isalnum((unsigned char)arg[al]) || arg[al] == '_'))
        al++;
      keep = 0;
      if ((wl == 5 && strncmp(w, "ifdef", 5) == 0) ||
          (wl == 6 && strncmp(w, "ifndef", 6) == 0)) {
        int yes;
        if (al == 0) {
          drill_fmt(err, errlen, "line %d: #%.*s needs a name", lineno, (int)wl, w);
          return -1;
        }
        if (depth == MAX_DEPTH) {
          drill_fmt(err, errlen, "line %d: #ifdef nested too deep", lineno);
          return -1;
        }
        yes = defined(defs, arg, al);
        if (wl == 6)
          yes = !yes;
        depth++;
        active[depth] = active[depth - 1] && yes;
        taken[depth] = yes;
      } else if (wl == 4 && strncmp(w, "else", 4) == 0) {
        if (depth == 0) {
          drill_fmt(err, errlen, "line %d: #else without #ifdef", lineno);
          return -1;
        }
        active[depth] = active[depth - 1] && !taken[depth];
        taken[depth] = 1;
      } else if (wl == 5 && strncmp(w, "endif", 5) == 0) {
        if (depth == 0) {
          drill_fmt(err, errlen, "line %d: #endif without #ifdef", lineno);
          return -1;
        }
        depth--;
      } else {
        drill_fmt(err, errlen, "line %d: unknown directive '#%.*s'", lineno, (int)wl, w);
        return -1;
      }
    }
    if (out->nlines == cap) {
      cap *= 2;
      out->lines = realloc(out->lines, cap * sizeof(char *));
      if (out->lines == NULL) {
        fprintf(stderr, "plugtcp-drill: out of memory\n");
        exit(3);
      }
    }
    out->lines[out->nlines++] = keep ? strndup_x(p, len) : drill_strdup("");
    p = eol ? eol + 1 : p + len;
  }
  if (depth != 0) {
    drill_fmt(err, errlen, "#ifdef without #endif at the end of the script");
    return -1;
  }
  return 0;
}

/* ------------------------------------------------------------------ */
/* Tokens                                                              */

static void push(drill_toks *t, size_t *cap, drill_tok tok) {
  if (t->n == *cap) {
    *cap = *cap ? *cap * 2 : 256;
    t->t = realloc(t->t, *cap * sizeof(drill_tok));
    if (t->t == NULL) {
      fprintf(stderr, "plugtcp-drill: out of memory\n");
      exit(3);
    }
  }
  t->t[t->n++] = tok;
}

int drill_lex(drill_toks *out, const char *text, const drill_defines *defs, char *err,
              size_t errlen) {
  size_t total = 0, cap = 0, off = 0;
  char *buf;
  const char *p;
  int line = 1, space = 1;

  memset(out, 0, sizeof(*out));
  if (preprocess(out, text, defs, err, errlen) != 0)
    return -1;
  for (size_t i = 0; i < out->nlines; i++)
    total += strlen(out->lines[i]) + 1;
  buf = drill_xcalloc(total + 1, 1);
  for (size_t i = 0; i < out->nlines; i++) {
    size_t l = strlen(out->lines[i]);
    memcpy(buf + off, out->lines[i], l);
    off += l;
    buf[off++] = '\n';
  }
  buf[off] = '\0';

  p = buf;
  while (*p != '\0') {
    drill_tok tok;
    const char *start = p;

    if (*p == '\n') {
      line++;
      p++;
      space = 1;
      continue;
    }
    if (*p == ' ' || *p == '\t' || *p == '\r') {
      p++;
      space = 1;
      continue;
    }
    if (p[0] == '/' && p[1] == '/') {
      while (*p != '\0' && *p != '\n')
        p++;
      space = 1;
      continue;
    }
    if (p[0] == '/' && p[1] == '*') {
      int l0 = line;
      p += 2;
      while (*p != '\0' && !(p[0] == '*' && p[1] == '/')) {
        if (*p == '\n')
          line++;
        p++;
      }
      if (*p == '\0') {
        drill_fmt(err, errlen, "line %d: comment never ends", l0);
        goto fail;
      }
      p += 2;
      space = 1;
      continue;
    }
    memset(&tok, 0, sizeof(tok));
    tok.line = line;
    tok.space_before = space;
    space = 0;
    if (*p == '`' || (p[0] == '%' && p[1] == '{') || *p == '"') {
      /* Quoted text: `command`, %{ code }%, "string". */
      int l0 = line;
      const char *body;
      if (*p == '`') {
        tok.kind = T_COMMAND;
        body = ++p;
        while (*p != '\0' && *p != '`') {
          if (*p == '\\' && p[1] != '\0')
            p++;
          if (*p == '\n')
            line++;
          p++;
        }
      } else if (*p == '%') {
        tok.kind = T_CODE;
        body = p += 2;
        while (*p != '\0' && !(p[0] == '}' && p[1] == '%')) {
          if (*p == '\n')
            line++;
          p++;
        }
      } else {
        tok.kind = T_STRING;
        body = ++p;
        while (*p != '\0' && *p != '"') {
          if (*p == '\\' && p[1] != '\0')
            p++;
          if (*p == '\n')
            line++;
          p++;
        }
      }
      if (*p == '\0') {
        drill_fmt(err, errlen, "line %d: %s never ends", l0,
                  tok.kind == T_COMMAND ? "`command`"
                  : tok.kind == T_CODE  ? "%{ code }%"
                                        : "string");
        goto fail;
      }
      tok.text = strndup_x(body, (size_t)(p - body));
      p += tok.kind == T_CODE ? 2 : 1;
      push(out, &cap, tok);
      continue;
    }
    if (p[0] == '-' && p[1] == '-' && (isalpha((unsigned char)p[2]) || p[2] == '_')) {
      p += 2;
      start = p;
      while (isalnum((unsigned char)*p) || *p == '_')
        p++;
      tok.kind = T_OPTION;
      tok.text = strndup_x(start, (size_t)(p - start));
      push(out, &cap, tok);
      continue;
    }
    if (p[0] == '.' && p[1] == '.' && p[2] == '.') {
      tok.kind = T_ELLIPSIS;
      p += 3;
      push(out, &cap, tok);
      continue;
    }
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char)p[2])) {
      char *end;
      tok.kind = T_HEX;
      tok.num = (int64_t)strtoull(p + 2, &end, 16);
      p = end;
      push(out, &cap, tok);
      continue;
    }
    if (isdigit((unsigned char)*p) || (*p == '.' && isdigit((unsigned char)p[1]))) {
      while (isdigit((unsigned char)*p))
        p++;
      if (*p == '.' && isdigit((unsigned char)p[1])) {
        p++;
        while (isdigit((unsigned char)*p))
          p++;
        tok.kind = T_FLOAT;
        tok.text = strndup_x(start, (size_t)(p - start));
        tok.fnum = strtod(tok.text, NULL);
      } else {
        tok.kind = T_INT;
        tok.num = (int64_t)strtoull(start, NULL, 10);
      }
      /* A word may start with digits only in packetdrill's rare cases
       * (none here): "4381:5841" is two numbers and a colon. */
      push(out, &cap, tok);
      continue;
    }
    if (isalpha((unsigned char)*p) || *p == '_') {
      while (isalnum((unsigned char)*p) || *p == '_')
        p++;
      tok.kind = T_WORD;
      tok.text = strndup_x(start, (size_t)(p - start));
      push(out, &cap, tok);
      continue;
    }
    tok.kind = T_PUNCT;
    tok.ch = *p++;
    push(out, &cap, tok);
  }
  {
    drill_tok eof;
    memset(&eof, 0, sizeof(eof));
    eof.kind = T_EOF;
    eof.line = line;
    push(out, &cap, eof);
  }
  free(buf);
  return 0;

fail:
  free(buf);
  return -1;
}

void drill_toks_free(drill_toks *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->t[i].text);
  free(t->t);
  for (size_t i = 0; i < t->nlines; i++)
    free(t->lines[i]);
  free(t->lines);
  memset(t, 0, sizeof(*t));
}
