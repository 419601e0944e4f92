/*
 * plugtcp: policies in shared objects.
 *
 * A plugin is a shared object that holds one or more policies (policy.h)
 * and exports two symbols:
 *
 *   const uint32_t plugtcp_plugin_abi = PTCP_POLICY_ABI;
 *   int plugtcp_plugin_register(ptcp_registry *reg, uint32_t abi);
 *
 * The loader reads plugtcp_plugin_abi first and refuses a plugin built
 * for another policy ABI before it calls anything in it; then it calls
 * the entry point, which registers the plugin's policies into |reg| with
 * ptcp_registry_add and returns 0 or the first error.  PTCP_PLUGIN()
 * below writes both symbols, so a plugin file is its policies plus one
 * line:
 *
 *   #include <plugtcp/plugin.h>
 *
 *   static const ptcp_rto_ops my_rto = {.info = {...}, .init = ..., ...};
 *   PTCP_PLUGIN(&my_rto.info);
 *
 * A plugin compiles against the installed headers only and links nothing:
 * ptcp_registry_add resolves to the libplugtcp the host program already
 * has loaded, so the host must link libplugtcp as a shared library (or
 * export its symbols, e.g. with -rdynamic).
 *
 *   cc -shared -fPIC $(pkg-config --cflags plugtcp) -o rto_mine.so rto_mine.c
 *
 * Hosts load plugins with ptcp_plugin_load, which lives in
 * libplugtcp-plugin (pkg-config plugtcp-plugin), not in libplugtcp: the
 * core has no dlopen, so embedded builds never need libdl.
 */
#ifndef PLUGTCP_PLUGIN_H
#define PLUGTCP_PLUGIN_H

#include <plugtcp/policy.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* The contract between a plugin and the loader                        */

/** The entry point's name, as C and as the symbol dlsym looks up. */
#define PTCP_PLUGIN_ENTRY plugtcp_plugin_register
#define PTCP_PLUGIN_ENTRY_SYMBOL "plugtcp_plugin_register"

/** The ABI stamp's name, as C and as the symbol dlsym looks up. */
#define PTCP_PLUGIN_ABI plugtcp_plugin_abi
#define PTCP_PLUGIN_ABI_SYMBOL "plugtcp_plugin_abi"

/** Keeps the two symbols visible under -fvisibility=hidden. */
#if defined(__GNUC__) || defined(__clang__)
#define PTCP_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define PTCP_PLUGIN_EXPORT
#endif

/**
 * The entry point's type.  |reg| is valid during the call only (the
 * loader registers into a scratch registry and moves the policies into
 * the caller's afterwards, so a plugin never sees other policies);
 * |abi| is the loader's PTCP_POLICY_ABI.  Returns 0, or the first error
 * of ptcp_registry_add, or another negative PTCP_ERR_* code.
 */
typedef int (*ptcp_plugin_entry_fn)(ptcp_registry *reg, uint32_t abi);

/* What a plugin defines (prototypes, so plugins build with
 * -Wmissing-prototypes; a host never references them). */
extern PTCP_PLUGIN_EXPORT const uint32_t PTCP_PLUGIN_ABI;
PTCP_PLUGIN_EXPORT int PTCP_PLUGIN_ENTRY(ptcp_registry *reg, uint32_t abi);

/**
 * ptcp_plugin_add_all registers the |n| policies at |ops| into |reg|, in
 * order, and stops at the first error, which it returns; PTCP_ERR_ABI
 * when |abi| (the loader's) is not the ABI this plugin was compiled for.
 * Inline, so that a plugin needs nothing of libplugtcp-plugin.
 */
static inline int ptcp_plugin_add_all(ptcp_registry *reg, uint32_t abi,
                                      const ptcp_policy_info *const *ops, size_t n) {
  size_t i;
  int rv;

  if (abi != PTCP_POLICY_ABI)
    return PTCP_ERR_ABI;
  for (i = 0; i < n; i++) {
    rv = ptcp_registry_add(reg, ops[i]);
    if (rv != 0)
      return rv;
  }
  return 0;
}

#ifdef __cplusplus
#define PTCP_PLUGIN_STATIC_ASSERT_ static_assert
#else
#define PTCP_PLUGIN_STATIC_ASSERT_ _Static_assert
#endif

/**
 * PTCP_PLUGIN(&a.info, &b.info, ...); defines the ABI stamp and an entry
 * point that registers the listed policies, in order.  Use it once per
 * plugin, at file scope, after the ops it names.  (The definitions take
 * their visibility from the declarations above.)
 */
#define PTCP_PLUGIN(...)                                                                 \
  static const ptcp_policy_info *const ptcp_plugin_policies_[] = {__VA_ARGS__};          \
  const uint32_t PTCP_PLUGIN_ABI = PTCP_POLICY_ABI;                                      \
  int PTCP_PLUGIN_ENTRY(ptcp_registry *reg, uint32_t abi) {                              \
    return ptcp_plugin_add_all(reg, abi, ptcp_plugin_policies_,                          \
                               sizeof(ptcp_plugin_policies_) /                           \
                                   sizeof(ptcp_plugin_policies_[0]));                    \
  }                                                                                      \
  PTCP_PLUGIN_STATIC_ASSERT_(sizeof(ptcp_plugin_policies_) > 0,                          \
                             "PTCP_PLUGIN lists no policy")

/* ------------------------------------------------------------------ */
/* Loading (libplugtcp-plugin)                                         */

/** A loaded plugin: its handle and the policies it added. */
typedef struct ptcp_plugin ptcp_plugin;

/**
 * ptcp_plugin_load opens the shared object at |path| and registers its
 * policies into |reg|.  A |path| without a '/' is a file in the current
 * directory ("rto_mine.so" means "./rto_mine.so"), never a library
 * searched for along LD_LIBRARY_PATH.
 *
 * In order: dlopen(RTLD_NOW | RTLD_LOCAL), so an unresolved symbol fails
 * here and not in the middle of a run; the symbol plugtcp_plugin_abi,
 * whose value must equal PTCP_POLICY_ABI (nothing of the plugin has run
 * yet, except any ELF constructors it has, which dlopen runs); the
 * symbol plugtcp_plugin_register, called with a scratch registry; then
 * each policy it registered is added to |reg|.  Either every policy of
 * the plugin is in |reg| afterwards, or none is: a failure removes what
 * was added and closes the handle, so |reg| is as it was.  Loading a
 * plugin twice into one registry fails with PTCP_ERR_EXISTS.
 *
 * On success *|out| is the plugin, for ptcp_plugin_unload.  On failure
 * *|out| is NULL and |err| (if not NULL, |errlen| bytes) receives one
 * sentence naming the path and the problem.  Returns 0, or:
 *   PTCP_ERR_INVALID_ARGUMENT  NULL |reg|, |path| or |out|, or an empty
 *                              |path|; or a policy's ops are invalid
 *                              (bad name or parameter table);
 *   PTCP_ERR_NOT_FOUND         no file at |path| (with dlopen's text);
 *   PTCP_ERR_PLUGIN            the file cannot be loaded (not a shared
 *                              object, an unresolved symbol: dlopen's
 *                              text), lacks plugtcp_plugin_abi or
 *                              plugtcp_plugin_register, registers no
 *                              policy, or its entry point failed with a
 *                              value that is not a PTCP_ERR_* code;
 *   PTCP_ERR_ABI               plugtcp_plugin_abi is not PTCP_POLICY_ABI
 *                              (both numbers in |err|), or a policy's
 *                              info.abi is not;
 *   PTCP_ERR_OPS_INCOMPLETE    a policy lacks a required hook (named);
 *   PTCP_ERR_EXISTS            |reg| already has a policy of that slot
 *                              and name (a built-in, another plugin, or
 *                              this plugin loaded before);
 *   PTCP_ERR_LIMIT             a slot of |reg| is full;
 *   PTCP_ERR_NOMEM;
 *   or any other negative PTCP_ERR_* code the entry point returned.
 */
int ptcp_plugin_load(ptcp_registry *reg, const char *path, ptcp_plugin **out, char *err,
                     size_t errlen);

/**
 * ptcp_plugin_unload removes the plugin's policies from the registry it
 * was loaded into, then closes the shared object, whose code and ops are
 * gone afterwards.  So, first: free every stack that uses one of its
 * policies (a stack keeps the ops it resolved, even its default); and
 * unload before freeing the registry.  NULL is a no-op.
 */
void ptcp_plugin_unload(ptcp_plugin *p);

/** ptcp_plugin_path returns the path |p| was loaded from, as given. */
const char *ptcp_plugin_path(const ptcp_plugin *p);

/** ptcp_plugin_count returns how many policies |p| added. */
size_t ptcp_plugin_count(const ptcp_plugin *p);

/** ptcp_plugin_get returns the |i|th policy |p| added (slot order, then
 *  name order), or NULL. */
const ptcp_policy_info *ptcp_plugin_get(const ptcp_plugin *p, size_t i);

#ifdef __cplusplus
}
#endif

#endif /* PLUGTCP_PLUGIN_H */
