/*
 * plugtcp: the policy registry, policy specs ("rfc6298:min=200ms") and
 * durations as text.
 *
 * The registry is a plain object the caller owns: there is no process-
 * global list (the kernel's tcp_cong_list and picoquic's global table
 * make tests order-dependent).  Each slot holds a sorted array of ops
 * pointers, so lookups are a binary search and listings come out in name
 * order.  Everything a plugin declares is validated once, when it is
 * added, so the parser and the engine can trust it afterwards.
 *
 * Parsing allocates nothing and never writes to the selection unless the
 * whole spec is good.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <plugtcp/policy.h>

/* Policies per slot (policy.h: PTCP_ERR_LIMIT beyond this). */
#define SLOT_CAP 64u

/* Longest parameter key, including the NUL. */
#define PARAM_NAME_MAX 32u

/* The longest piece of user text quoted back in an error sentence. */
#define QUOTE_MAX 40

/* Room for the sentence of the last failed add or remove. */
#define ERRMSG_MAX 192u

#define DECIMAL_BASE 10u
#define HEX_BASE 16u
#define HEX_LETTER_VALUE 10u

struct ptcp_registry {
  ptcp_mem mem;
  const ptcp_policy_info *slot[PTCP_SLOT_COUNT][SLOT_CAP];
  size_t count[PTCP_SLOT_COUNT];
  char errmsg[ERRMSG_MAX]; /* ptcp_registry_errmsg */
};

static const char *const slot_names[PTCP_SLOT_COUNT] = {
    [PTCP_SLOT_ISN] = "isn",
    [PTCP_SLOT_RTO] = "rto",
    [PTCP_SLOT_DUPFILTER] = "dupfilter",
    [PTCP_SLOT_CLOSE] = "close",
    [PTCP_SLOT_CC] = "cc",
};

const char *ptcp_slot_name(ptcp_slot slot) {
  if ((unsigned)slot >= PTCP_SLOT_COUNT)
    return "unknown";
  return slot_names[slot];
}

int ptcp_slot_from_name(const char *name) {
  unsigned i;

  if (name == NULL)
    return -1;
  for (i = 0; i < PTCP_SLOT_COUNT; i++)
    if (strcmp(name, slot_names[i]) == 0)
      return (int)i;
  return -1;
}

/* ------------------------------------------------------------------ */
/* Error sentences                                                     */

/* A bounded, always NUL-terminated sentence builder; NULL buf: no-op. */
typedef struct errbuf {
  char *buf;
  size_t cap;
  size_t len;
} errbuf;

static void eb_vadd(errbuf *eb, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void eb_vadd(errbuf *eb, const char *fmt, va_list ap) {
  int n;

  if (eb->buf == NULL || eb->cap == 0 || eb->len + 1 >= eb->cap)
    return;
  n = vsnprintf(eb->buf + eb->len, eb->cap - eb->len, fmt, ap);
  if (n < 0)
    return;
  eb->len += (size_t)n;
  if (eb->len >= eb->cap)
    eb->len = eb->cap - 1;
}

static void eb_add(errbuf *eb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void eb_add(errbuf *eb, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  eb_vadd(eb, fmt, ap);
  va_end(ap);
}

/* |n| bytes of user text at |s|, shortened to QUOTE_MAX for quoting. */
static int quote_len(size_t n) { return n > QUOTE_MAX ? QUOTE_MAX : (int)n; }

/* Writes "<slot> policy '<name>'" as the subject of a sentence. */
static void eb_subject(errbuf *eb, const ptcp_policy_info *info) {
  eb_add(eb, "%s policy '%s'", ptcp_slot_name(info->slot), info->name);
}

/* The registry's error sentence, emptied: every add and remove starts
 * here, so the sentence always belongs to the latest call. */
static errbuf reg_errbuf(ptcp_registry *reg) {
  errbuf eb = {reg->errmsg, sizeof(reg->errmsg), 0};

  reg->errmsg[0] = '\0';
  return eb;
}

static void eb_value(errbuf *eb, ptcp_param_type type, uint64_t v) {
  char tmp[32];

  switch (type) {
  case PTCP_PARAM_DURATION:
    ptcp_duration_format(tmp, sizeof(tmp), v);
    eb_add(eb, "%s", tmp);
    break;
  case PTCP_PARAM_U32:
    eb_add(eb, "%llu", (unsigned long long)v);
    break;
  case PTCP_PARAM_BOOL:
    eb_add(eb, "%s", v ? "on" : "off");
    break;
  }
}

/* ------------------------------------------------------------------ */
/* Registry                                                            */

int ptcp_registry_new(ptcp_registry **preg, const ptcp_mem *mem) {
  ptcp_registry *reg;

  if (preg == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  *preg = NULL;
  if (mem == NULL)
    mem = ptcp_mem_default();
  /* common.h: all four allocator functions are required. */
  if (mem->malloc == NULL || mem->free == NULL || mem->calloc == NULL ||
      mem->realloc == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  reg = mem->calloc(1, sizeof(*reg), mem->user_data);
  if (reg == NULL)
    return PTCP_ERR_NOMEM;
  reg->mem = *mem;
  *preg = reg;
  return 0;
}

void ptcp_registry_free(ptcp_registry *reg) {
  if (reg == NULL)
    return;
  reg->mem.free(reg, reg->mem.user_data);
}

/* A policy name: 1..15 characters of [a-z0-9_-] (policy.h). */
static int valid_name(const char *name, size_t max) {
  size_t n;

  if (name == NULL || name[0] == '\0')
    return 0;
  for (n = 0; name[n] != '\0'; n++) {
    char c = name[n];

    if (n + 1 >= max)
      return 0;
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-'))
      return 0;
  }
  return 1;
}

static size_t param_size(ptcp_param_type type) {
  switch (type) {
  case PTCP_PARAM_DURATION:
    return sizeof(ptcp_duration);
  case PTCP_PARAM_U32:
    return sizeof(uint32_t);
  case PTCP_PARAM_BOOL:
    return sizeof(uint8_t);
  }
  return 0;
}

/* The largest value a parameter of |type| can hold. */
static uint64_t param_type_max(ptcp_param_type type) {
  switch (type) {
  case PTCP_PARAM_DURATION:
    return UINT64_MAX;
  case PTCP_PARAM_U32:
    return UINT32_MAX;
  case PTCP_PARAM_BOOL:
    return 1;
  }
  return 0;
}

/* Reads parameter |d| out of the params struct at |params| (may be NULL:
 * all zero).  memcpy, because nothing guarantees the alignment. */
static uint64_t param_get(const void *params, const ptcp_param_desc *d) {
  const uint8_t *p = params;
  ptcp_duration dv;
  uint32_t u;
  uint8_t b;

  if (p == NULL)
    return 0;
  switch (d->type) {
  case PTCP_PARAM_DURATION:
    memcpy(&dv, p + d->offset, sizeof(dv));
    return dv;
  case PTCP_PARAM_U32:
    memcpy(&u, p + d->offset, sizeof(u));
    return u;
  case PTCP_PARAM_BOOL:
    memcpy(&b, p + d->offset, sizeof(b));
    return b;
  }
  return 0;
}

/* Stores |v| (already checked against the type's range) as parameter |d|. */
static void param_set(void *params, const ptcp_param_desc *d, uint64_t v) {
  uint8_t *p = params;
  ptcp_duration dv = v;
  uint32_t u = (uint32_t)v;
  uint8_t b = (uint8_t)v;

  switch (d->type) {
  case PTCP_PARAM_DURATION:
    memcpy(p + d->offset, &dv, sizeof(dv));
    break;
  case PTCP_PARAM_U32:
    memcpy(p + d->offset, &u, sizeof(u));
    break;
  case PTCP_PARAM_BOOL:
    memcpy(p + d->offset, &b, sizeof(b));
    break;
  }
}

/*
 * Checks the parameter table: each descriptor has a usable key, a known
 * type, lies inside params_size, has sane bounds, and its default lies
 * inside them; no key appears twice.  Says what is wrong with the first
 * bad one into |eb|.  The policy's slot and name are already checked.
 */
static int check_params(const ptcp_policy_info *info, errbuf *eb) {
  size_t i, j;

  /* At most one key per byte: also bounds the parser's seen[] array. */
  if (info->params_size > PTCP_PARAMS_MAX) {
    eb_subject(eb, info);
    eb_add(eb, ": params_size %zu is above PTCP_PARAMS_MAX (%u)", info->params_size,
           PTCP_PARAMS_MAX);
    return 0;
  }
  if (info->nparams > PTCP_PARAMS_MAX) {
    eb_subject(eb, info);
    eb_add(eb, ": %zu parameters, more than PTCP_PARAMS_MAX (%u)", info->nparams,
           PTCP_PARAMS_MAX);
    return 0;
  }
  if (info->nparams > 0 && info->params == NULL) {
    eb_subject(eb, info);
    eb_add(eb, ": nparams is %zu but the params table is NULL", info->nparams);
    return 0;
  }
  for (i = 0; i < info->nparams; i++) {
    const ptcp_param_desc *d = &info->params[i];
    size_t size = param_size(d->type);
    uint64_t v;

    if (!valid_name(d->name, PARAM_NAME_MAX)) {
      eb_subject(eb, info);
      eb_add(eb, ": parameter #%zu has no valid key (1-%u characters of [a-z0-9_-])", i,
             PARAM_NAME_MAX - 1);
      return 0;
    }
    if (size == 0) {
      eb_subject(eb, info);
      eb_add(eb, ": parameter '%s' has an unknown type (%d)", d->name, (int)d->type);
      return 0;
    }
    /* offset + size <= params_size, without computing offset + size. */
    if (size > info->params_size || d->offset > info->params_size - size) {
      eb_subject(eb, info);
      eb_add(eb, ": parameter '%s' (%zu bytes at offset %zu) is beyond params_size %zu",
             d->name, size, d->offset, info->params_size);
      return 0;
    }
    if (d->min > d->max || d->max > param_type_max(d->type)) {
      eb_subject(eb, info);
      eb_add(eb, ": parameter '%s' has bounds [%llu, %llu] that %s", d->name,
             (unsigned long long)d->min, (unsigned long long)d->max,
             d->min > d->max ? "cross" : "its type cannot hold");
      return 0;
    }
    v = param_get(info->params_default, d);
    if (v < d->min || v > d->max) {
      eb_subject(eb, info);
      eb_add(eb, ": parameter '%s' defaults to ", d->name);
      eb_value(eb, d->type, v);
      eb_add(eb, ", outside its bounds ");
      eb_value(eb, d->type, d->min);
      eb_add(eb, " to ");
      eb_value(eb, d->type, d->max);
      return 0;
    }
    for (j = 0; j < i; j++) {
      if (strcmp(info->params[j].name, d->name) == 0) {
        eb_subject(eb, info);
        eb_add(eb, ": parameter '%s' appears twice", d->name);
        return 0;
      }
    }
  }
  return 1;
}

/* The first hook policy.h marks (required) that |info|'s ops leave NULL,
 * or NULL when every one is set.  Each ops struct starts with
 * ptcp_policy_info, so |info| is the ops struct itself. */
static const char *missing_hook(const ptcp_policy_info *info) {
  switch (info->slot) {
  case PTCP_SLOT_ISN: {
    const ptcp_isn_ops *o = (const ptcp_isn_ops *)info;

    return o->generate == NULL ? "generate" : NULL;
  }
  case PTCP_SLOT_RTO: {
    const ptcp_rto_ops *o = (const ptcp_rto_ops *)info;

    if (o->init == NULL)
      return "init";
    if (o->on_rtt_sample == NULL)
      return "on_rtt_sample";
    if (o->rto == NULL)
      return "rto";
    return o->on_timeout == NULL ? "on_timeout" : NULL;
  }
  case PTCP_SLOT_DUPFILTER: {
    const ptcp_dupfilter_ops *o = (const ptcp_dupfilter_ops *)info;

    if (o->check_seq == NULL)
      return "check_seq";
    if (o->check_rst == NULL)
      return "check_rst";
    if (o->check_syn == NULL)
      return "check_syn";
    return o->check_ack == NULL ? "check_ack" : NULL;
  }
  case PTCP_SLOT_CLOSE: {
    const ptcp_close_ops *o = (const ptcp_close_ops *)info;

    if (o->time_wait == NULL)
      return "time_wait";
    return o->time_wait_segment == NULL ? "time_wait_segment" : NULL;
  }
  case PTCP_SLOT_CC: {
    const ptcp_cc_ops *o = (const ptcp_cc_ops *)info;

    if (o->init == NULL)
      return "init";
    if (o->cwnd == NULL)
      return "cwnd";
    if (o->on_ack == NULL)
      return "on_ack";
    if (o->on_enter_recovery == NULL)
      return "on_enter_recovery";
    if (o->on_exit_recovery == NULL)
      return "on_exit_recovery";
    return o->on_timeout == NULL ? "on_timeout" : NULL;
  }
  case PTCP_SLOT_COUNT:
    break;
  }
  return "(slot)"; /* unreachable: the slot is checked first */
}

/*
 * Binary search for |name| (|len| bytes, not NUL-terminated) in |slot|.
 * Returns 1 and the index when found, 0 and the insertion point if not.
 */
static int slot_search(const ptcp_registry *reg, ptcp_slot slot, const char *name,
                       size_t len, size_t *pos) {
  size_t lo = 0, hi = reg->count[slot];

  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const char *have = reg->slot[slot][mid]->name;
    int c = strncmp(have, name, len);

    /* Equal on the first |len| bytes: the longer stored name sorts after. */
    if (c == 0 && have[len] != '\0')
      c = 1;
    if (c == 0) {
      *pos = mid;
      return 1;
    }
    if (c < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  *pos = lo;
  return 0;
}

/*
 * Everything ptcp_registry_add checks before it looks at the registry's
 * contents, in policy.h's order; describes the first failure into |eb|.
 */
static int check_ops(const ptcp_policy_info *ops, errbuf *eb) {
  const char *hook;

  if (ops == NULL) {
    eb_add(eb, "no policy ops given (NULL)");
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  /* The ABI first: under another ABI nothing else in the struct can be
   * read with confidence, not even the name. */
  if (ops->abi != PTCP_POLICY_ABI) {
    eb_add(eb, "policy ops built for policy ABI %lu; this library has ABI %lu",
           (unsigned long)ops->abi, (unsigned long)PTCP_POLICY_ABI);
    return PTCP_ERR_ABI;
  }
  if ((unsigned)ops->slot >= PTCP_SLOT_COUNT) {
    eb_add(eb, "policy ops name slot %d, which does not exist (0 to %d)", (int)ops->slot,
           PTCP_SLOT_COUNT - 1);
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  if (!valid_name(ops->name, PTCP_POLICY_NAME_MAX)) {
    if (ops->name == NULL)
      eb_add(eb, "%s policy ops have no name (NULL)", ptcp_slot_name(ops->slot));
    else
      eb_add(eb, "%s policy name '%.*s' is not 1-%u characters of [a-z0-9_-]",
             ptcp_slot_name(ops->slot), quote_len(strlen(ops->name)), ops->name,
             PTCP_POLICY_NAME_MAX - 1);
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  if (!check_params(ops, eb))
    return PTCP_ERR_INVALID_ARGUMENT;
  hook = missing_hook(ops);
  if (hook != NULL) {
    eb_subject(eb, ops);
    eb_add(eb, " lacks the required hook '%s'", hook);
    return PTCP_ERR_OPS_INCOMPLETE;
  }
  return 0;
}

int ptcp_registry_add(ptcp_registry *reg, const ptcp_policy_info *ops) {
  errbuf eb;
  ptcp_slot slot;
  size_t pos, n;
  int rv;

  if (reg == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  eb = reg_errbuf(reg);
  rv = check_ops(ops, &eb);
  if (rv != 0)
    return rv;
  slot = ops->slot;
  if (slot_search(reg, slot, ops->name, strlen(ops->name), &pos)) {
    eb_subject(&eb, ops);
    eb_add(&eb, " is already registered");
    return PTCP_ERR_EXISTS;
  }
  n = reg->count[slot];
  if (n >= SLOT_CAP) {
    eb_add(&eb, "the %s slot is full (%u policies); ", ptcp_slot_name(slot), SLOT_CAP);
    eb_subject(&eb, ops);
    eb_add(&eb, " does not fit");
    return PTCP_ERR_LIMIT;
  }
  memmove(&reg->slot[slot][pos + 1], &reg->slot[slot][pos],
          (n - pos) * sizeof(reg->slot[slot][0]));
  reg->slot[slot][pos] = ops;
  reg->count[slot] = n + 1;
  return 0;
}

int ptcp_registry_remove(ptcp_registry *reg, const ptcp_policy_info *ops) {
  errbuf eb;
  ptcp_slot slot;
  size_t pos, n;
  int found;

  if (reg == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  eb = reg_errbuf(reg);
  if (ops == NULL) {
    eb_add(&eb, "no policy ops given (NULL)");
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  if ((unsigned)ops->slot >= PTCP_SLOT_COUNT) {
    eb_add(&eb, "policy ops name slot %d, which does not exist (0 to %d)", (int)ops->slot,
           PTCP_SLOT_COUNT - 1);
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  slot = ops->slot;
  if (ops->name == NULL) {
    eb_add(&eb, "%s policy ops have no name (NULL)", ptcp_slot_name(slot));
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  /* By pointer, not by name alone: whoever removes a policy must hold
   * the ops that were added (a plugin never takes out a built-in that
   * happens to share a name with one of its own). */
  found = slot_search(reg, slot, ops->name, strlen(ops->name), &pos);
  if (!found || reg->slot[slot][pos] != ops) {
    eb_add(&eb, "%s policy '%.*s' is not registered", ptcp_slot_name(slot),
           quote_len(strlen(ops->name)), ops->name);
    if (found)
      eb_add(&eb, " with these ops (other ops hold the name)");
    return PTCP_ERR_NOT_FOUND;
  }
  n = reg->count[slot];
  memmove(&reg->slot[slot][pos], &reg->slot[slot][pos + 1],
          (n - pos - 1) * sizeof(reg->slot[slot][0]));
  reg->slot[slot][n - 1] = NULL;
  reg->count[slot] = n - 1;
  return 0;
}

const char *ptcp_registry_errmsg(const ptcp_registry *reg) {
  if (reg == NULL)
    return "no registry (NULL)";
  return reg->errmsg;
}

const ptcp_policy_info *ptcp_registry_find(const ptcp_registry *reg, ptcp_slot slot,
                                           const char *name) {
  size_t pos;

  if (reg == NULL || name == NULL || (unsigned)slot >= PTCP_SLOT_COUNT)
    return NULL;
  if (!slot_search(reg, slot, name, strlen(name), &pos))
    return NULL;
  return reg->slot[slot][pos];
}

size_t ptcp_registry_count(const ptcp_registry *reg, ptcp_slot slot) {
  if (reg == NULL || (unsigned)slot >= PTCP_SLOT_COUNT)
    return 0;
  return reg->count[slot];
}

const ptcp_policy_info *ptcp_registry_get(const ptcp_registry *reg, ptcp_slot slot,
                                          size_t i) {
  if (reg == NULL || (unsigned)slot >= PTCP_SLOT_COUNT || i >= reg->count[slot])
    return NULL;
  return reg->slot[slot][i];
}

/* ------------------------------------------------------------------ */
/* Values                                                              */

/* Units a duration may carry, smallest first: ptcp_duration_format
 * walks them from the end to find the largest exact one. */
static const struct {
  const char *suffix;
  ptcp_duration scale;
  unsigned digits; /* log10(scale): fraction digits that stay exact */
} units[] = {
    {"ns", PTCP_NANOSECONDS, 0},
    {"us", PTCP_MICROSECONDS, 3},
    {"ms", PTCP_MILLISECONDS, 6},
    {"s", PTCP_SECONDS, 9},
};

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/*
 * Parses the |n| bytes at |s| as a duration: digits, optionally '.' and
 * more digits, then a unit (ns, us, ms, s) or none (seconds).  The value
 * must be a whole number of nanoseconds ("1.5ns" is refused, not
 * rounded) and must fit in 64 bits.
 */
static int duration_parse_n(const char *s, size_t n, ptcp_duration *out) {
  size_t i = 0, int_end, frac_begin = 0, frac_end = 0, num_end, u, k;
  ptcp_duration scale = PTCP_SECONDS, v = 0, frac = 0, place;
  unsigned digits = 9;

  while (i < n && is_digit(s[i]))
    i++;
  int_end = i;
  if (int_end == 0)
    return PTCP_ERR_INVALID_ARGUMENT; /* no leading digit: "", "ms", ".5s", "-1" */
  if (i < n && s[i] == '.') {
    frac_begin = ++i;
    while (i < n && is_digit(s[i]))
      i++;
    frac_end = i;
    if (frac_end == frac_begin)
      return PTCP_ERR_INVALID_ARGUMENT; /* "1.s" */
  }
  num_end = i;
  if (num_end < n) {
    for (u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
      size_t len = strlen(units[u].suffix);

      if (n - num_end == len && memcmp(s + num_end, units[u].suffix, len) == 0)
        break;
    }
    if (u == sizeof(units) / sizeof(units[0]))
      return PTCP_ERR_INVALID_ARGUMENT;
    scale = units[u].scale;
    digits = units[u].digits;
  }

  /* The integer part, times the unit, overflow-checked. */
  for (k = 0; k < int_end; k++) {
    unsigned d = (unsigned)(s[k] - '0');

    if (v > (UINT64_MAX - d) / DECIMAL_BASE)
      return PTCP_ERR_INVALID_ARGUMENT;
    v = v * DECIMAL_BASE + d;
  }
  if (v > UINT64_MAX / scale)
    return PTCP_ERR_INVALID_ARGUMENT;
  v *= scale;

  /* The fraction: digit j (1-based) is worth scale / 10^j nanoseconds;
   * past |digits| places only zeros are exact. */
  place = scale;
  for (k = frac_begin; k < frac_end; k++) {
    unsigned d = (unsigned)(s[k] - '0');

    if (k - frac_begin >= digits) {
      if (d != 0)
        return PTCP_ERR_INVALID_ARGUMENT;
      continue;
    }
    place /= DECIMAL_BASE;
    frac += d * place; /* < scale <= 10^9: no overflow */
  }
  if (frac > UINT64_MAX - v)
    return PTCP_ERR_INVALID_ARGUMENT;
  *out = v + frac;
  return 0;
}

int ptcp_duration_parse(const char *text, ptcp_duration *out) {
  ptcp_duration v;
  int rv;

  if (text == NULL || out == NULL)
    return PTCP_ERR_INVALID_ARGUMENT;
  rv = duration_parse_n(text, strlen(text), &v);
  if (rv != 0)
    return rv;
  *out = v;
  return 0;
}

int ptcp_duration_format(char *buf, size_t cap, ptcp_duration d) {
  size_t u = sizeof(units) / sizeof(units[0]);

  if (buf == NULL && cap > 0)
    return PTCP_ERR_INVALID_ARGUMENT;
  /* The largest unit that divides |d| exactly: 200ms, not 200000us.
   * Zero is "0s". */
  while (u-- > 1)
    if (d % units[u].scale == 0)
      break;
  return snprintf(buf, cap, "%llu%s", (unsigned long long)(d / units[u].scale),
                  units[u].suffix);
}

/* Decimal or 0x hex, at most UINT32_MAX. */
static int u32_parse_n(const char *s, size_t n, uint64_t *out) {
  unsigned base = DECIMAL_BASE;
  uint64_t v = 0;
  size_t i = 0;

  if (n > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = HEX_BASE;
    i = 2;
  }
  if (i == n)
    return PTCP_ERR_INVALID_ARGUMENT;
  for (; i < n; i++) {
    char c = s[i];
    unsigned d;

    if (is_digit(c))
      d = (unsigned)(c - '0');
    else if (base == HEX_BASE && c >= 'a' && c <= 'f')
      d = (unsigned)(c - 'a') + HEX_LETTER_VALUE;
    else if (base == HEX_BASE && c >= 'A' && c <= 'F')
      d = (unsigned)(c - 'A') + HEX_LETTER_VALUE;
    else
      return PTCP_ERR_INVALID_ARGUMENT;
    v = v * base + d;
    if (v > UINT32_MAX)
      return PTCP_ERR_INVALID_ARGUMENT;
  }
  *out = v;
  return 0;
}

static int word_is(const char *s, size_t n, const char *word) {
  return strlen(word) == n && memcmp(s, word, n) == 0;
}

static int bool_parse_n(const char *s, size_t n, uint64_t *out) {
  if (word_is(s, n, "1") || word_is(s, n, "on") || word_is(s, n, "yes")) {
    *out = 1;
    return 0;
  }
  if (word_is(s, n, "0") || word_is(s, n, "off") || word_is(s, n, "no")) {
    *out = 0;
    return 0;
  }
  return PTCP_ERR_INVALID_ARGUMENT;
}

static const char *type_wants(ptcp_param_type type) {
  switch (type) {
  case PTCP_PARAM_DURATION:
    return "a duration such as 200ms, 1.5s, 40us or 100ns";
  case PTCP_PARAM_U32:
    return "an unsigned 32-bit integer (decimal or 0x hex)";
  case PTCP_PARAM_BOOL:
    return "on/off, yes/no or 1/0";
  }
  return "a value";
}

/* ------------------------------------------------------------------ */
/* Specs                                                               */

static const ptcp_param_desc *find_param(const ptcp_policy_info *info, const char *key,
                                         size_t n) {
  size_t i;

  for (i = 0; i < info->nparams; i++)
    if (word_is(key, n, info->params[i].name))
      return &info->params[i];
  return NULL;
}

static void eb_list_params(errbuf *eb, const ptcp_policy_info *info) {
  size_t i;

  if (info->nparams == 0) {
    eb_add(eb, "it takes no parameters");
    return;
  }
  eb_add(eb, "it takes: ");
  for (i = 0; i < info->nparams; i++)
    eb_add(eb, "%s%s", i ? ", " : "", info->params[i].name);
}

/* Parses one "key=value" of |n| bytes at |s| into |params|.  |seen| marks
 * keys already given. */
static int parse_item(const ptcp_policy_info *info, void *params, uint8_t *seen,
                      const char *s, size_t n, errbuf *eb) {
  const char *eq = memchr(s, '=', n);
  size_t klen = eq != NULL ? (size_t)(eq - s) : n, vlen;
  const char *val;
  const ptcp_param_desc *d;
  uint64_t v = 0;
  int rv;

  if (n == 0) {
    eb_subject(eb, info);
    eb_add(eb, ": empty parameter (two commas, or a comma at the end)");
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  d = find_param(info, s, klen);
  if (d == NULL) {
    eb_subject(eb, info);
    eb_add(eb, " has no parameter '%.*s'; ", quote_len(klen), s);
    eb_list_params(eb, info);
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  if (eq == NULL) {
    eb_subject(eb, info);
    eb_add(eb, ": parameter '%s' needs a value (%s=...)", d->name, d->name);
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  if (seen[d - info->params]) {
    eb_subject(eb, info);
    eb_add(eb, ": parameter '%s' is given twice", d->name);
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  seen[d - info->params] = 1;
  val = eq + 1;
  vlen = n - klen - 1;
  switch (d->type) {
  case PTCP_PARAM_DURATION:
    rv = duration_parse_n(val, vlen, &v);
    break;
  case PTCP_PARAM_U32:
    rv = u32_parse_n(val, vlen, &v);
    break;
  case PTCP_PARAM_BOOL:
    rv = bool_parse_n(val, vlen, &v);
    break;
  default:
    rv = PTCP_ERR_INVALID_ARGUMENT;
    break;
  }
  if (rv != 0) {
    eb_subject(eb, info);
    eb_add(eb, ": parameter '%s' wants %s, not '%.*s'", d->name, type_wants(d->type),
           quote_len(vlen), val);
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  if (v < d->min || v > d->max) {
    eb_subject(eb, info);
    eb_add(eb, ": parameter '%s' must be between ", d->name);
    eb_value(eb, d->type, d->min);
    eb_add(eb, " and ");
    eb_value(eb, d->type, d->max);
    eb_add(eb, ", not ");
    eb_value(eb, d->type, v);
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  param_set(params, d, v);
  return 0;
}

int ptcp_policy_parse(ptcp_policy_sel *sel, const ptcp_registry *reg, ptcp_slot slot,
                      const char *spec, char *err, size_t errlen) {
  errbuf eb = {err, errlen, 0};
  ptcp_policy_sel out;
  uint8_t seen[PTCP_PARAMS_MAX];
  const ptcp_policy_info *info = NULL;
  const char *colon, *p, *end;
  size_t nlen, pos, i;

  if (err != NULL && errlen > 0)
    err[0] = '\0';
  if (sel == NULL || reg == NULL || spec == NULL || (unsigned)slot >= PTCP_SLOT_COUNT) {
    eb_add(&eb, "invalid arguments to ptcp_policy_parse");
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  colon = strchr(spec, ':');
  nlen = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
  if (nlen == 0) {
    eb_add(&eb, "%s policy spec '%.*s' has no policy name", ptcp_slot_name(slot),
           quote_len(strlen(spec)), spec);
    return PTCP_ERR_INVALID_ARGUMENT;
  }
  if (slot_search(reg, slot, spec, nlen, &pos))
    info = reg->slot[slot][pos];
  if (info == NULL) {
    eb_add(&eb, "no %s policy named '%.*s'; available: ", ptcp_slot_name(slot),
           quote_len(nlen), spec);
    for (i = 0; i < reg->count[slot]; i++)
      eb_add(&eb, "%s%s", i ? ", " : "", reg->slot[slot][i]->name);
    if (reg->count[slot] == 0)
      eb_add(&eb, "none");
    return PTCP_ERR_NOT_FOUND;
  }

  /* Defaults first, then each key in turn. */
  memset(&out, 0, sizeof(out));
  out.ops = info;
  if (info->params_default != NULL && info->params_size > 0)
    memcpy(out.params, info->params_default, info->params_size);
  if (colon != NULL) {
    memset(seen, 0, sizeof(seen));
    p = colon + 1;
    if (*p == '\0') {
      eb_subject(&eb, info);
      eb_add(&eb, ": nothing after ':'; ");
      eb_list_params(&eb, info);
      return PTCP_ERR_INVALID_ARGUMENT;
    }
    for (;;) {
      int rv;

      end = strchr(p, ',');
      if (end == NULL)
        end = p + strlen(p);
      rv = parse_item(info, out.params, seen, p, (size_t)(end - p), &eb);
      if (rv != 0)
        return rv;
      if (*end == '\0')
        break;
      p = end + 1;
    }
  }
  *sel = out;
  return 0;
}

int ptcp_policy_format(char *buf, size_t cap, const ptcp_policy_sel *sel) {
  const ptcp_policy_info *info;
  size_t i, need;
  int n;

  if (sel == NULL || sel->ops == NULL || (buf == NULL && cap > 0))
    return PTCP_ERR_INVALID_ARGUMENT;
  info = sel->ops;
  n = snprintf(buf, cap, "%s", info->name);
  if (n < 0)
    return PTCP_ERR_INVALID_ARGUMENT;
  need = (size_t)n;
  for (i = 0; i < info->nparams; i++) {
    const ptcp_param_desc *d = &info->params[i];
    uint64_t v = param_get(sel->params, d);
    char *at = need < cap ? buf + need : NULL;
    size_t room = need < cap ? cap - need : 0;

    switch (d->type) {
    case PTCP_PARAM_DURATION: {
      char tmp[32];

      ptcp_duration_format(tmp, sizeof(tmp), v);
      n = snprintf(at, room, "%s%s=%s", i ? "," : ":", d->name, tmp);
      break;
    }
    case PTCP_PARAM_U32:
      n = snprintf(at, room, "%s%s=%llu", i ? "," : ":", d->name,
                   (unsigned long long)v);
      break;
    case PTCP_PARAM_BOOL:
      n = snprintf(at, room, "%s%s=%s", i ? "," : ":", d->name, v ? "on" : "off");
      break;
    default:
      n = -1;
      break;
    }
    if (n < 0)
      return PTCP_ERR_INVALID_ARGUMENT;
    need += (size_t)n;
  }
  return (int)need;
}
