/*
 * plugtcp-sweep: memory, strings, files and paths.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sweep/sweep.h"

void die_usage(const char *fmt, ...) {
  va_list ap;

  fputs(PROG ": ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputs("\nTry '" PROG " --help' for more information.\n", stderr);
  exit(EXIT_USAGE);
}

void die(int status, const char *fmt, ...) {
  va_list ap;

  fputs(PROG ": ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  exit(status);
}

void warn(const char *fmt, ...) {
  va_list ap;

  fputs(PROG ": ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static void oom(void) { die(1, "out of memory"); }

void *xmalloc(size_t n) {
  void *p = malloc(n ? n : 1);

  if (p == NULL)
    oom();
  return p;
}

void *xcalloc(size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);

  if (p == NULL)
    oom();
  return p;
}

void *xrealloc(void *p, size_t n) {
  p = realloc(p, n ? n : 1);
  if (p == NULL)
    oom();
  return p;
}

char *xstrdup(const char *s) { return xstrndup(s, strlen(s)); }

char *xstrndup(const char *s, size_t n) {
  char *d = xmalloc(n + 1);

  memcpy(d, s, n);
  d[n] = '\0';
  return d;
}

char *xasprintf(const char *fmt, ...) {
  va_list ap;
  strbuf b = {0};

  va_start(ap, fmt);
  {
    va_list aq;
    int n;

    va_copy(aq, ap);
    n = vsnprintf(NULL, 0, fmt, aq);
    va_end(aq);
    if (n < 0)
      oom();
    b.cap = (size_t)n + 1;
    b.s = xmalloc(b.cap);
    vsnprintf(b.s, b.cap, fmt, ap);
  }
  va_end(ap);
  return b.s;
}

/* ---- strbuf ---------------------------------------------------------- */

static void sb_grow(strbuf *b, size_t more) {
  size_t need;

  if (more > SIZE_MAX - b->len - 1)
    oom();
  need = b->len + more + 1;
  if (need <= b->cap)
    return;
  b->cap = b->cap ? b->cap : 64;
  while (b->cap < need)
    b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
  b->s = xrealloc(b->s, b->cap);
}

void sb_addn(strbuf *b, const char *s, size_t n) {
  sb_grow(b, n);
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void sb_add(strbuf *b, const char *s) { sb_addn(b, s, strlen(s)); }

void sb_addc(strbuf *b, char c) { sb_addn(b, &c, 1); }

void sb_printf(strbuf *b, const char *fmt, ...) {
  va_list ap, aq;
  int n;

  va_start(ap, fmt);
  va_copy(aq, ap);
  n = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  if (n < 0)
    oom();
  sb_grow(b, (size_t)n);
  vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
  b->len += (size_t)n;
  va_end(ap);
}

void sb_free(strbuf *b) {
  free(b->s);
  memset(b, 0, sizeof(*b));
}

const char *sb_str(const strbuf *b) { return b->s != NULL ? b->s : ""; }

/* ---- strlist --------------------------------------------------------- */

void sl_add_own(strlist *l, char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 8;
    l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
  }
  l->v[l->n++] = s;
}

void sl_add(strlist *l, const char *s) { sl_add_own(l, xstrdup(s)); }

void sl_free(strlist *l) {
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof(*l));
}

ptrdiff_t sl_find(const strlist *l, const char *s) {
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], s) == 0)
      return (ptrdiff_t)i;
  return -1;
}

/* ---- files ----------------------------------------------------------- */

char *read_stream(FILE *f, size_t *len) {
  strbuf b = {0};
  char buf[65536];
  size_t n;

  while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
    sb_addn(&b, buf, n);
  if (ferror(f)) {
    sb_free(&b);
    return NULL;
  }
  if (b.s == NULL)
    b.s = xstrdup("");
  if (len != NULL)
    *len = b.len;
  return b.s;
}

char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  char *s;
  int e;

  if (f == NULL)
    return NULL;
  s = read_stream(f, len);
  e = errno;
  fclose(f);
  errno = e;
  return s;
}

int write_file(const char *path, const char *data, size_t len) {
  FILE *f = fopen(path, "wb");
  int ok;

  if (f == NULL)
    return -1;
  ok = fwrite(data, 1, len, f) == len;
  if (fclose(f) != 0)
    ok = 0;
  return ok ? 0 : -1;
}

int make_dirs(const char *path) {
  char *p = xstrdup(path);
  int rv = 0;

  for (char *s = p + 1; *s != '\0'; s++) {
    if (*s != '/')
      continue;
    *s = '\0';
    if (mkdir(p, 0777) != 0 && errno != EEXIST)
      rv = -1;
    *s = '/';
    if (rv != 0)
      break;
  }
  if (rv == 0 && mkdir(p, 0777) != 0 && errno != EEXIST)
    rv = -1;
  if (rv == 0) {
    struct stat st;
    if (stat(p, &st) != 0 || !S_ISDIR(st.st_mode)) {
      errno = ENOTDIR;
      rv = -1;
    }
  }
  free(p);
  return rv;
}

char *make_temp_dir(const char *what) {
  const char *tmp = getenv("TMPDIR");
  char *path;

  if (tmp == NULL || tmp[0] == '\0')
    tmp = "/tmp";
  path = xasprintf("%s/plugtcp-sweep-%s.XXXXXX", tmp, what);
  if (mkdtemp(path) == NULL)
    die(1, "cannot make a temporary directory in %s: %s", tmp, strerror(errno));
  return path;
}

void remove_tree(const char *path) {
  DIR *d = opendir(path);
  struct dirent *e;

  if (d == NULL) {
    unlink(path);
    return;
  }
  while ((e = readdir(d)) != NULL) {
    char *sub;
    struct stat st;

    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    sub = xasprintf("%s/%s", path, e->d_name);
    if (lstat(sub, &st) == 0 && S_ISDIR(st.st_mode))
      remove_tree(sub);
    else
      unlink(sub);
    free(sub);
  }
  closedir(d);
  rmdir(path);
}

char *self_dir(void) {
  char buf[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);
  char *slash;

  if (n <= 0)
    return NULL;
  buf[n] = '\0';
  slash = strrchr(buf, '/');
  if (slash == NULL)
    return NULL;
  return xstrndup(buf, (size_t)(slash - buf));
}

char *find_program(const char *name) {
  const char *path = getenv("PATH");

  if (strchr(name, '/') != NULL)
    return access(name, X_OK) == 0 ? xstrdup(name) : NULL;
  if (path == NULL)
    path = "/usr/local/bin:/usr/bin:/bin";
  while (*path != '\0') {
    const char *colon = strchr(path, ':');
    size_t n = colon != NULL ? (size_t)(colon - path) : strlen(path);
    char *cand =
        n > 0 ? xasprintf("%.*s/%s", (int)n, path, name) : xasprintf("./%s", name);
    struct stat st;

    if (stat(cand, &st) == 0 && S_ISREG(st.st_mode) && access(cand, X_OK) == 0)
      return cand;
    free(cand);
    path += n;
    if (*path == ':')
      path++;
  }
  return NULL;
}

int parse_double(const char *s, double *out) {
  char *end;

  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  *out = strtod(s, &end);
  return *end == '\0' && errno == 0 ? 0 : -1;
}

unsigned online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);

  return n >= 1 && n <= 4096 ? (unsigned)n : 1;
}
