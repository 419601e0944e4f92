/*
 * plugtcp-sweep: the CSV table.  Columns keep the order in which they
 * were first seen, so every sweep over the same plugtcp-sim writes the
 * same header: "run", then the JSON summary's keys in its fixed order.
 * Fields follow RFC 4180: quoted when they hold a comma, a quote or a
 * line break, with quotes doubled.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "sweep/sweep.h"

size_t table_add_row(table *t) {
  if (t->nrows == t->caprows) {
    t->caprows = t->caprows ? t->caprows * 2 : 64;
    t->rows = xrealloc(t->rows, t->caprows * sizeof(*t->rows));
    t->rowlen = xrealloc(t->rowlen, t->caprows * sizeof(*t->rowlen));
  }
  t->rows[t->nrows] = NULL;
  t->rowlen[t->nrows] = 0;
  return t->nrows++;
}

ptrdiff_t table_col(const table *t, const char *name) { return sl_find(&t->cols, name); }

void table_set(table *t, size_t r, const char *col, const char *v) {
  ptrdiff_t c = table_col(t, col);

  if (c < 0) {
    sl_add(&t->cols, col);
    c = (ptrdiff_t)t->cols.n - 1;
  }
  if ((size_t)c >= t->rowlen[r]) {
    size_t n = t->cols.n;
    t->rows[r] = xrealloc(t->rows[r], n * sizeof(*t->rows[r]));
    for (size_t i = t->rowlen[r]; i < n; i++)
      t->rows[r][i] = NULL;
    t->rowlen[r] = n;
  }
  free(t->rows[r][c]);
  t->rows[r][c] = v != NULL && v[0] != '\0' ? xstrdup(v) : NULL;
}

const char *table_cell(const table *t, size_t r, size_t c) {
  return r < t->nrows && c < t->rowlen[r] ? t->rows[r][c] : NULL;
}

static int put_field(FILE *f, const char *v) {
  if (v == NULL)
    return 0;
  if (strpbrk(v, ",\"\r\n") == NULL)
    return fputs(v, f) < 0 ? -1 : 0;
  if (fputc('"', f) == EOF)
    return -1;
  for (const char *s = v; *s != '\0'; s++) {
    if (*s == '"' && fputc('"', f) == EOF)
      return -1;
    if (fputc(*s, f) == EOF)
      return -1;
  }
  return fputc('"', f) == EOF ? -1 : 0;
}

int table_write_csv(const table *t, FILE *f) {
  for (size_t c = 0; c < t->cols.n; c++)
    if ((c > 0 && fputc(',', f) == EOF) || put_field(f, t->cols.v[c]) != 0)
      return -1;
  if (fputc('\n', f) == EOF)
    return -1;
  for (size_t r = 0; r < t->nrows; r++) {
    for (size_t c = 0; c < t->cols.n; c++)
      if ((c > 0 && fputc(',', f) == EOF) || put_field(f, table_cell(t, r, c)) != 0)
        return -1;
    if (fputc('\n', f) == EOF)
      return -1;
  }
  return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}

/* One CSV record from |*s|: fields into |out|.  Returns 1 for a record,
 * 0 at the end, -1 on an unterminated quote. */
static int read_record(const char **s, strlist *out) {
  const char *p = *s;
  strbuf field = {0};

  if (*p == '\0')
    return 0;
  for (;;) {
    if (*p == '"') {
      p++;
      for (;;) {
        if (*p == '\0') {
          sb_free(&field);
          return -1;
        }
        if (*p == '"') {
          if (p[1] == '"') {
            sb_addc(&field, '"');
            p += 2;
            continue;
          }
          p++;
          break;
        }
        sb_addc(&field, *p++);
      }
    }
    while (*p != '\0' && *p != ',' && *p != '\n' && *p != '\r')
      sb_addc(&field, *p++);
    sl_add_own(out, field.s != NULL ? field.s : xstrdup(""));
    memset(&field, 0, sizeof(field));
    if (*p == ',') {
      p++;
      continue;
    }
    if (*p == '\r')
      p++;
    if (*p == '\n')
      p++;
    break;
  }
  *s = p;
  return 1;
}

int table_read_csv(table *t, const char *text, char *err, size_t errlen) {
  strlist head = {0}, rec = {0};
  const char *s = text;
  size_t line = 1;
  int rv;

  memset(t, 0, sizeof(*t));
  rv = read_record(&s, &head);
  if (rv <= 0) {
    snprintf(err, errlen,
             rv == 0 ? "empty input: no header line" : "an unterminated quote");
    sl_free(&head);
    return -1;
  }
  for (size_t i = 0; i < head.n; i++) {
    if (sl_find(&t->cols, head.v[i]) >= 0) {
      snprintf(err, errlen, "column '%s' appears twice in the header", head.v[i]);
      sl_free(&head);
      table_free(t);
      return -1;
    }
    sl_add(&t->cols, head.v[i]);
  }
  sl_free(&head);
  while ((rv = read_record(&s, &rec)) > 0) {
    size_t r;

    line++;
    if (rec.n == 1 && rec.v[0][0] == '\0') { /* a blank line */
      sl_free(&rec);
      continue;
    }
    if (rec.n != t->cols.n) {
      snprintf(err, errlen, "line %zu has %zu fields, the header %zu", line, rec.n,
               t->cols.n);
      sl_free(&rec);
      table_free(t);
      return -1;
    }
    r = table_add_row(t);
    for (size_t c = 0; c < rec.n; c++)
      table_set(t, r, t->cols.v[c], rec.v[c]);
    sl_free(&rec);
  }
  if (rv < 0) {
    snprintf(err, errlen, "line %zu: an unterminated quote", line + 1);
    sl_free(&rec);
    table_free(t);
    return -1;
  }
  return 0;
}

void table_free(table *t) {
  for (size_t r = 0; r < t->nrows; r++) {
    for (size_t c = 0; c < t->rowlen[r]; c++)
      free(t->rows[r][c]);
    free(t->rows[r]);
  }
  free(t->rows);
  free(t->rowlen);
  sl_free(&t->cols);
  memset(t, 0, sizeof(*t));
}

int table_add_json(table *t, const char *run, const char *json, size_t len, char *err,
                   size_t errlen) {
  json_flat j;
  size_t r;

  if (json_flatten(json, len, &j, err, errlen) != 0)
    return -1;
  r = table_add_row(t);
  table_set(t, r, "run", run);
  for (size_t i = 0; i < j.n; i++)
    table_set(t, r, j.f[i].key, j.f[i].value);
  json_flat_free(&j);
  return 0;
}
