/*
 * plugtcp-drill: the command line.
 *
 *   plugtcp-drill [options] SCRIPT|DIRECTORY...
 *
 * Runs each packetdrill script (directories: every *.pkt below, in
 * name order) against a fresh libplugtcp stack in virtual time, prints
 * one line per script and "N passed, M failed, K skipped".
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report.h"

static const char usage_text[] =
    "Usage: plugtcp-drill [OPTION]... SCRIPT|DIRECTORY...\n"
    "Run packetdrill scripts against libplugtcp in deterministic virtual time.\n"
    "\n"
    "Matching:\n"
    "  -p, --portable             match the window and option layout loosely\n"
    "                             (FreeBSD's choices); the default\n"
    "  -s, --strict               match every field and option byte\n"
    "  -D, --define NAME          take #ifdef NAME branches (default: STANDARD)\n"
    "      --freebsd              take #ifdef FreeBSD instead of STANDARD\n"
    "      --tolerance-percent P  also allow P%% of the gap since the previous\n"
    "                             event (default 12.5)\n"
    "\n"
    "Policies:\n"
    "  -P, --policy SLOT=SPEC     use SPEC for SLOT in every script\n"
    "                             (e.g. rto=fixed:rto=1s); overrides the mapping\n"
    "      --dupfilter-secure SPEC    dupfilter for RFC 5961 scripts (rfc9293)\n"
    "      --dupfilter-insecure SPEC  dupfilter for RFC 793 scripts (rfc793)\n"
    "  -C, --cfg KEY=VALUE        a connection setting for every script: mss,\n"
    "                             rcvbuf, sndbuf, msl, delack, nagle, keepalive,\n"
    "                             keepalive_idle, keepalive_interval,\n"
    "                             keepalive_count, syn_retries, data_retries,\n"
    "                             window_scaling, timestamps, sack\n"
    "      --seed N               seed of the stack's randomness (default 1)\n"
    "      --remote-isn N         the scripted peer's sequence origin (default 0)\n"
    "\n"
    "Output:\n"
    "  -r, --root DIR             name scripts relative to DIR\n"
    "  -j, --json FILE            write a JSON report ('-': standard output)\n"
    "  -e, --expect FILE          compare with an expected-results list; any\n"
    "                             difference fails the run\n"
    "  -w, --write-expect FILE    write the list for this run (keeps reasons)\n"
    "  -q, --quiet                print only what did not pass, and the summary\n"
    "  -g, --groups               also print the counts per directory and IP version\n"
    "  -v, --verbose              trace every event and segment to stderr\n"
    "      --list-policies        list the registered policies (slot, name,\n"
    "                             summary) and exit\n"
    "  -h, --help                 show this help\n"
    "  -V, --version              show the version\n"
    "\n"
    "Exit status: 0 when every script passed (with --expect: when the run\n"
    "matches the list), 1 otherwise, 2 for a usage error.\n";

static void usage_error(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
static void usage_error(const char *fmt, ...) {
  va_list ap;

  fprintf(stderr, "plugtcp-drill: ");
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fprintf(stderr, "\nTry 'plugtcp-drill --help'.\n");
  exit(2);
}

/* ------------------------------------------------------------------ */
/* Collecting scripts                                                  */

typedef struct paths {
  char **v;
  size_t n, cap;
} paths;

static void paths_add(paths *p, const char *s) {
  if (p->n == p->cap) {
    p->cap = p->cap ? p->cap * 2 : 256;
    p->v = realloc(p->v, p->cap * sizeof(char *));
    if (p->v == NULL) {
      fprintf(stderr, "plugtcp-drill: out of memory\n");
      exit(3);
    }
  }
  p->v[p->n++] = drill_strdup(s);
}

static int ends_with(const char *s, const char *suffix) {
  size_t a = strlen(s), b = strlen(suffix);
  return a >= b && strcmp(s + a - b, suffix) == 0;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static int collect(paths *p, const char *path) {
  struct stat st;
  DIR *d;
  struct dirent *de;
  paths sub = {0};

  if (stat(path, &st) != 0) {
    fprintf(stderr, "plugtcp-drill: %s: %s\n", path, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(st.st_mode)) {
    paths_add(p, path);
    return 0;
  }
  d = opendir(path);
  if (d == NULL) {
    fprintf(stderr, "plugtcp-drill: %s: %s\n", path, strerror(errno));
    return -1;
  }
  while ((de = readdir(d)) != NULL) {
    char full[4096];
    struct stat cs;
    if (de->d_name[0] == '.')
      continue;
    drill_fmt(full, sizeof(full), "%s/%s", path, de->d_name);
    if (stat(full, &cs) != 0)
      continue;
    if (S_ISDIR(cs.st_mode) || ends_with(de->d_name, ".pkt"))
      paths_add(&sub, full);
  }
  closedir(d);
  if (sub.n > 1)
    qsort(sub.v, sub.n, sizeof(char *), cmp_str);
  for (size_t i = 0; i < sub.n; i++) {
    struct stat cs;
    if (stat(sub.v[i], &cs) == 0 && S_ISDIR(cs.st_mode))
      collect(p, sub.v[i]);
    else
      paths_add(p, sub.v[i]);
    free(sub.v[i]);
  }
  free(sub.v);
  return 0;
}

static const char *relative(const char *path, const char *root) {
  size_t n;

  if (root == NULL)
    return path;
  n = strlen(root);
  while (n > 1 && root[n - 1] == '/')
    n--;
  if (strncmp(path, root, n) == 0 && path[n] == '/')
    return path + n + 1;
  return path;
}

/* ------------------------------------------------------------------ */

static int parse_u64(const char *s, uint64_t *out) {
  char *end;
  unsigned long long v;

  errno = 0;
  v = strtoull(s, &end, 0);
  if (errno != 0 || end == s || *end != '\0' || s[0] == '-')
    return -1;
  *out = v;
  return 0;
}

/* The policies a script can name, one per line: "slot name  summary". */
static int list_policies(void) {
  ptcp_registry *reg;

  if (ptcp_registry_new(&reg, NULL) != 0 || ptcp_registry_add_builtins(reg) != 0) {
    fprintf(stderr, "plugtcp-drill: cannot create the policy registry\n");
    return 1;
  }
  for (int k = 0; k < PTCP_SLOT_COUNT; k++)
    for (size_t i = 0; i < ptcp_registry_count(reg, (ptcp_slot)k); i++) {
      const ptcp_policy_info *p = ptcp_registry_get(reg, (ptcp_slot)k, i);
      printf("%s %s  %s\n", ptcp_slot_name((ptcp_slot)k), p->name,
             p->summary ? p->summary : "");
    }
  ptcp_registry_free(reg);
  return 0;
}

int main(int argc, char **argv) {
  enum {
    OPT_FREEBSD = 256,
    OPT_TOL_PCT,
    OPT_DF_SECURE,
    OPT_DF_INSECURE,
    OPT_SEED,
    OPT_REMOTE_ISN,
    OPT_LIST_POLICIES,
  };
  static const struct option longopts[] = {
      {"portable", no_argument, NULL, 'p'},
      {"strict", no_argument, NULL, 's'},
      {"define", required_argument, NULL, 'D'},
      {"freebsd", no_argument, NULL, OPT_FREEBSD},
      {"tolerance-percent", required_argument, NULL, OPT_TOL_PCT},
      {"policy", required_argument, NULL, 'P'},
      {"cfg", required_argument, NULL, 'C'},
      {"dupfilter-secure", required_argument, NULL, OPT_DF_SECURE},
      {"dupfilter-insecure", required_argument, NULL, OPT_DF_INSECURE},
      {"seed", required_argument, NULL, OPT_SEED},
      {"remote-isn", required_argument, NULL, OPT_REMOTE_ISN},
      {"root", required_argument, NULL, 'r'},
      {"json", required_argument, NULL, 'j'},
      {"expect", required_argument, NULL, 'e'},
      {"write-expect", required_argument, NULL, 'w'},
      {"quiet", no_argument, NULL, 'q'},
      {"groups", no_argument, NULL, 'g'},
      {"verbose", no_argument, NULL, 'v'},
      {"list-policies", no_argument, NULL, OPT_LIST_POLICIES},
      {"help", no_argument, NULL, 'h'},
      {"version", no_argument, NULL, 'V'},
      {NULL, 0, NULL, 0},
  };
  drill_config cfg;
  drill_defines defs;
  const char *root = NULL, *json = NULL, *expect = NULL, *write_expect = NULL;
  int quiet = 0, groups = 0, user_defines = 0, freebsd = 0, c;
  paths scripts = {0};
  drill_entry *entries;
  drill_expect x;
  int have_x = 0, status = 0;

  drill_config_default(&cfg);
  memset(&defs, 0, sizeof(defs));
  while ((c = getopt_long(argc, argv, "psD:P:C:r:j:e:w:qgvhV", longopts, NULL)) != -1) {
    switch (c) {
    case 'p':
      cfg.strict = 0;
      break;
    case 's':
      cfg.strict = 1;
      break;
    case 'D':
      if (defs.n == DRILL_MAX_DEFINES)
        usage_error("too many --define options");
      defs.name[defs.n++] = optarg;
      user_defines = 1;
      break;
    case OPT_FREEBSD:
      freebsd = 1;
      break;
    case OPT_TOL_PCT: {
      char *end;
      double v = strtod(optarg, &end);
      if (*end != '\0' || v < 0 || v > 100)
        usage_error("--tolerance-percent: '%s' is not a number from 0 to 100", optarg);
      cfg.tolerance_percent = v;
      break;
    }
    case 'P': {
      const char *eq = strchr(optarg, '=');
      char slot[32];
      int k;
      if (eq == NULL || (size_t)(eq - optarg) >= sizeof(slot) || eq[1] == '\0')
        usage_error("--policy takes SLOT=SPEC, not '%s'", optarg);
      memcpy(slot, optarg, (size_t)(eq - optarg));
      slot[eq - optarg] = '\0';
      k = ptcp_slot_from_name(slot);
      if (k < 0)
        usage_error("--policy: unknown slot '%s' (isn, rto, dupfilter, close, cc)", slot);
      cfg.policy[k] = eq + 1;
      break;
    }
    case 'C': {
      const char *eq = strchr(optarg, '=');
      char key[32];
      ptcp_conn_cfg probe;
      if (eq == NULL || eq == optarg || (size_t)(eq - optarg) >= sizeof(key))
        usage_error("--cfg takes KEY=VALUE, not '%s'", optarg);
      memcpy(key, optarg, (size_t)(eq - optarg));
      key[eq - optarg] = '\0';
      ptcp_conn_cfg_default(&probe);
      if (drill_cfg_set(&probe, key, eq + 1) != 0)
        usage_error("--cfg: '%s' is not a known setting with a valid value", optarg);
      if (cfg.ncfg == sizeof(cfg.cfg) / sizeof(cfg.cfg[0]))
        usage_error("too many --cfg options");
      cfg.cfg[cfg.ncfg++] = optarg;
      break;
    }
    case OPT_DF_SECURE:
      cfg.df_secure = optarg;
      break;
    case OPT_DF_INSECURE:
      cfg.df_insecure = optarg;
      break;
    case OPT_SEED:
      if (parse_u64(optarg, &cfg.seed) != 0 || cfg.seed == 0)
        usage_error("--seed: '%s' is not a positive number", optarg);
      break;
    case OPT_REMOTE_ISN: {
      uint64_t v;
      if (parse_u64(optarg, &v) != 0 || v > UINT32_MAX)
        usage_error("--remote-isn: '%s' is not a 32-bit number", optarg);
      cfg.remote_isn = (uint32_t)v;
      break;
    }
    case 'r':
      root = optarg;
      break;
    case 'j':
      json = optarg;
      break;
    case 'e':
      expect = optarg;
      break;
    case 'w':
      write_expect = optarg;
      break;
    case 'q':
      quiet = 1;
      break;
    case 'g':
      groups = 1;
      break;
    case 'v':
      cfg.verbose = 1;
      cfg.trace = stderr;
      break;
    case OPT_LIST_POLICIES:
      return list_policies();
    case 'h':
      fputs(usage_text, stdout);
      return 0;
    case 'V':
      printf("plugtcp-drill %s\n", ptcp_version());
      return 0;
    default:
      fprintf(stderr, "Try 'plugtcp-drill --help'.\n");
      return 2;
    }
  }
  if (optind >= argc)
    usage_error("no script or directory given");
  if (freebsd && defs.n < DRILL_MAX_DEFINES)
    defs.name[defs.n++] = "FreeBSD";
  else if (!user_defines)
    defs.name[defs.n++] = "STANDARD";

  if (expect != NULL) {
    char err[512];
    if (drill_expect_load(&x, expect, err, sizeof(err)) != 0) {
      fprintf(stderr, "plugtcp-drill: %s\n", err);
      return 2;
    }
    have_x = 1;
  }
  for (int i = optind; i < argc; i++)
    if (collect(&scripts, argv[i]) != 0)
      return 2;
  if (scripts.n == 0) {
    fprintf(stderr, "plugtcp-drill: no *.pkt script found\n");
    return 2;
  }

  entries = drill_xcalloc(scripts.n, sizeof(*entries));
  for (size_t i = 0; i < scripts.n; i++) {
    entries[i].name = drill_strdup(relative(scripts.v[i], root));
    drill_run_script(scripts.v[i], &defs, &cfg, &entries[i].res);
    if (!quiet || entries[i].res.status != DRILL_PASS)
      drill_print_result(stdout, &entries[i], 0);
    fflush(stdout);
    if (entries[i].res.status == DRILL_FAIL)
      status = 1;
  }
  if (groups)
    drill_print_groups(stdout, entries, scripts.n);
  drill_print_summary(stdout, entries, scripts.n);

  if (json != NULL &&
      drill_write_json(json, entries, scripts.n, &cfg, &defs, have_x ? &x : NULL) != 0) {
    fprintf(stderr, "plugtcp-drill: %s: %s\n", json, strerror(errno));
    status = 1;
  }
  if (have_x) {
    unsigned d = drill_expect_check(&x, entries, scripts.n, root, stdout);
    if (d > 0) {
      printf("%u difference%s from %s\n", d, d == 1 ? "" : "s", expect);
      status = 1;
    } else {
      printf("the run matches %s\n", expect);
      status = 0;
    }
  }
  if (write_expect != NULL &&
      drill_expect_write(write_expect, have_x ? &x : NULL, entries, scripts.n) != 0) {
    fprintf(stderr, "plugtcp-drill: %s: %s\n", write_expect, strerror(errno));
    status = 1;
  }

  for (size_t i = 0; i < scripts.n; i++) {
    free(entries[i].name);
    free(scripts.v[i]);
  }
  free(entries);
  free(scripts.v);
  if (have_x)
    drill_expect_free(&x);
  return status;
}
