/*
 * plugtcp: the plugin loader (libplugtcp-plugin).
 *
 * Kept out of libplugtcp on purpose (DESIGN.md §3): the core takes ops
 * structs and nothing else, so a build for a system without dlopen links
 * the core alone.  This file is the only one that calls dlopen.
 *
 * A load is all or nothing.  The plugin's entry point registers into a
 * scratch registry, where the registry's own checks (ABI stamp of each
 * ops, name, parameter table, required hooks) run and name the policy
 * that fails; only then are the policies moved into the caller's
 * registry one by one, and a clash there (a built-in's name, a plugin
 * loaded twice) takes back the ones already moved.  The caller's registry
 * never sees half a plugin, and plugin code never sees the caller's
 * registry.
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <plugtcp/plugin.h>

/* dlsym returns a data pointer; POSIX guarantees a function pointer
 * survives the round trip, which memcpy below relies on. */
_Static_assert(sizeof(void *) == sizeof(ptcp_plugin_entry_fn),
               "function and data pointers must have the same size for dlsym");

struct ptcp_plugin {
  void *handle;
  ptcp_registry *reg;
  char *path;
  const ptcp_policy_info **ops; /* what this plugin added to |reg|, in order */
  size_t n;
};

static void say(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;

  if (err == NULL || errlen == 0)
    return;
  va_start(ap, fmt);
  (void)vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* A negative code that ptcp_strerror knows. */
static int is_ptcp_error(int rv) {
  return rv < 0 && strcmp(ptcp_err_name(rv), "UNKNOWN") != 0;
}

/*
 * dlopen's name for |path|: dlopen searches the library path for a name
 * without a '/', and a plugin is a file, so "x.so" becomes "./x.so".
 * Returns a string to free, or NULL when out of memory.
 */
static char *file_name(const char *path) {
  size_t n = strlen(path);
  int bare = strchr(path, '/') == NULL;
  char *file = malloc(n + (bare ? 3 : 1));

  if (file == NULL)
    return NULL;
  if (bare)
    memcpy(file, "./", 2);
  memcpy(file + (bare ? 2 : 0), path, n + 1);
  return file;
}

/* Opens |file|; on failure says why and returns NULL with *|rv| set. */
static void *open_object(const char *path, const char *file, int *rv, char *err,
                         size_t errlen) {
  void *handle;
  const char *why;
  struct stat st;

  /* RTLD_NOW: a symbol the plugin needs and the host lacks fails here,
   * not at its first call in the middle of a run.  RTLD_LOCAL: one
   * plugin's symbols never resolve another's. */
  handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (handle != NULL)
    return handle;
  why = dlerror();
  if (why == NULL)
    why = "unknown dlopen error";
  if (stat(file, &st) != 0 && (errno == ENOENT || errno == ENOTDIR)) {
    say(err, errlen, "plugin '%s': no such file (%s)", path, why);
    *rv = PTCP_ERR_NOT_FOUND;
  } else {
    say(err, errlen, "plugin '%s' cannot be loaded: %s", path, why);
    *rv = PTCP_ERR_PLUGIN;
  }
  return NULL;
}

/*
 * Checks the ABI stamp and finds the entry point, without running any of
 * the plugin's code.  Returns 0 or an error (and says it).
 */
static int find_entry(void *handle, const char *path, ptcp_plugin_entry_fn *entry,
                      char *err, size_t errlen) {
  const void *stamp;
  void *sym;
  uint32_t abi;

  (void)dlerror();
  stamp = dlsym(handle, PTCP_PLUGIN_ABI_SYMBOL);
  if (stamp == NULL) {
    say(err, errlen,
        "plugin '%s' lacks the symbol " PTCP_PLUGIN_ABI_SYMBOL
        " (PTCP_PLUGIN() from <plugtcp/plugin.h> defines it)",
        path);
    return PTCP_ERR_PLUGIN;
  }
  memcpy(&abi, stamp, sizeof(abi));
  if (abi != PTCP_POLICY_ABI) {
    say(err, errlen,
        "plugin '%s' was built for policy ABI %lu, but this libplugtcp has ABI %lu; "
        "rebuild it against this version's headers",
        path, (unsigned long)abi, (unsigned long)PTCP_POLICY_ABI);
    return PTCP_ERR_ABI;
  }
  sym = dlsym(handle, PTCP_PLUGIN_ENTRY_SYMBOL);
  if (sym == NULL) {
    say(err, errlen,
        "plugin '%s' lacks the symbol " PTCP_PLUGIN_ENTRY_SYMBOL
        " (PTCP_PLUGIN() from <plugtcp/plugin.h> defines it)",
        path);
    return PTCP_ERR_PLUGIN;
  }
  memcpy(entry, &sym, sizeof(*entry));
  return 0;
}

/* Runs the entry point against |stage|; returns 0 or an error (said). */
static int run_entry(ptcp_plugin_entry_fn entry, ptcp_registry *stage, const char *path,
                     char *err, size_t errlen) {
  const char *why;
  int rv = entry(stage, PTCP_POLICY_ABI);

  why = ptcp_registry_errmsg(stage);
  if (rv != 0) {
    /* The scratch registry saw every add, so its sentence, if any, is
     * the plugin's own failure. */
    if (why[0] != '\0')
      say(err, errlen, "plugin '%s': %s", path, why);
    else
      say(err, errlen, "plugin '%s': " PTCP_PLUGIN_ENTRY_SYMBOL " failed with %d (%s)",
          path, rv, ptcp_strerror(rv));
    return is_ptcp_error(rv) ? rv : PTCP_ERR_PLUGIN;
  }
  return 0;
}

/*
 * Moves every policy in |stage| into |p->reg|, in slot then name order,
 * recording each in |p->ops|.  On a failure takes back what it moved.
 */
static int move_policies(ptcp_plugin *p, const ptcp_registry *stage, char *err,
                         size_t errlen) {
  int slot, rv;
  size_t i;

  for (slot = 0; slot < PTCP_SLOT_COUNT; slot++) {
    for (i = 0; i < ptcp_registry_count(stage, (ptcp_slot)slot); i++) {
      const ptcp_policy_info *ops = ptcp_registry_get(stage, (ptcp_slot)slot, i);

      rv = ptcp_registry_add(p->reg, ops);
      if (rv != 0) {
        say(err, errlen, "plugin '%s': %s", p->path, ptcp_registry_errmsg(p->reg));
        while (p->n > 0)
          (void)ptcp_registry_remove(p->reg, p->ops[--p->n]);
        return rv;
      }
      p->ops[p->n++] = ops;
    }
  }
  return 0;
}

/* Frees |p| and what it owns, without touching any registry. */
static void plugin_free(ptcp_plugin *p) {
  if (p == NULL)
    return;
  if (p->handle != NULL)
    (void)dlclose(p->handle);
  free(p->ops);
  free(p->path);
  free(p);
}

int ptcp_plugin_load(ptcp_registry *reg, const char *path, ptcp_plugin **out, char *err,
                     size_t errlen) {
  ptcp_registry *stage = NULL;
  ptcp_plugin_entry_fn entry;
  ptcp_plugin *p = NULL;
  char *file = NULL;
  size_t total = 0;
  int slot, rv;

  if (err != NULL && errlen > 0)
    err[0] = '\0';
  if (out != NULL)
    *out = NULL;
  if (reg == NULL || path == NULL || out == NULL || path[0] == '\0') {
    say(err, errlen, "invalid arguments to ptcp_plugin_load (%s)",
        reg == NULL    ? "no registry"
        : out == NULL  ? "no place for the result"
        : path == NULL ? "no path"
                       : "empty path");
    return PTCP_ERR_INVALID_ARGUMENT;
  }

  p = calloc(1, sizeof(*p));
  file = file_name(path);
  if (p == NULL || file == NULL || (p->path = strdup(path)) == NULL) {
    say(err, errlen, "plugin '%s': out of memory", path);
    rv = PTCP_ERR_NOMEM;
    goto fail;
  }
  p->reg = reg;
  p->handle = open_object(path, file, &rv, err, errlen);
  if (p->handle == NULL)
    goto fail;
  rv = find_entry(p->handle, path, &entry, err, errlen);
  if (rv != 0)
    goto fail;

  rv = ptcp_registry_new(&stage, NULL);
  if (rv != 0) {
    say(err, errlen, "plugin '%s': %s", path, ptcp_strerror(rv));
    goto fail;
  }
  rv = run_entry(entry, stage, path, err, errlen);
  if (rv != 0)
    goto fail;
  for (slot = 0; slot < PTCP_SLOT_COUNT; slot++)
    total += ptcp_registry_count(stage, (ptcp_slot)slot);
  if (total == 0) {
    say(err, errlen, "plugin '%s' registered no policy", path);
    rv = PTCP_ERR_PLUGIN;
    goto fail;
  }
  p->ops = calloc(total, sizeof(p->ops[0]));
  if (p->ops == NULL) {
    say(err, errlen, "plugin '%s': out of memory", path);
    rv = PTCP_ERR_NOMEM;
    goto fail;
  }
  rv = move_policies(p, stage, err, errlen);
  if (rv != 0)
    goto fail;
  ptcp_registry_free(stage);
  free(file);
  *out = p;
  return 0;

fail:
  /* The scratch registry only points into the plugin: free it before the
   * handle closes; |reg| holds nothing of the plugin by now. */
  ptcp_registry_free(stage);
  plugin_free(p);
  free(file);
  return rv;
}

void ptcp_plugin_unload(ptcp_plugin *p) {
  if (p == NULL)
    return;
  /* Last added first; a policy the caller already removed is skipped. */
  while (p->n > 0)
    (void)ptcp_registry_remove(p->reg, p->ops[--p->n]);
  plugin_free(p);
}

const char *ptcp_plugin_path(const ptcp_plugin *p) { return p != NULL ? p->path : NULL; }

size_t ptcp_plugin_count(const ptcp_plugin *p) { return p != NULL ? p->n : 0; }

const ptcp_policy_info *ptcp_plugin_get(const ptcp_plugin *p, size_t i) {
  if (p == NULL || i >= p->n)
    return NULL;
  return p->ops[i];
}
