/*
 * strata_plugin.h: how a plugin library declares itself (C99).
 *
 * A plugin library exports exactly one function, named
 *     strata_plugin_manifest_<kind>_<name>     (e.g. strata_plugin_manifest_index_hnsw)
 * of type strata_plugin_manifest_fn. It is pure: it returns a pointer to static data and has no
 * side effects, so the kernel can call it before deciding whether to accept the library.
 *
 * The library also carries a 16-byte strata_plugin_marker in an ELF section named
 * "strata_plugin". The kernel reads it from the file *without loading the library*, so a foreign
 * file or one built for another ABI major is refused before any of its code runs.
 */
#ifndef STRATA_ABI_STRATA_PLUGIN_H_
#define STRATA_ABI_STRATA_PLUGIN_H_

#include "strata/abi/strata_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

struct strata_host_api;

#define STRATA_KIND_INDEX 1u
#define STRATA_KIND_STORAGE 2u
#define STRATA_KIND_FRONTEND 3u
#define STRATA_KIND_CONSENSUS 4u

/* STABLE: only these C headers cross; any compiler, any plugin ABI minor <= the kernel's.
 * BUNDLE: also links libstrata_proto.so; accepted only when build_id equals the kernel's. */
#define STRATA_TIER_STABLE 1u
#define STRATA_TIER_BUNDLE 2u

#define STRATA_PLUGIN_SECTION "strata_plugin"
#define STRATA_PLUGIN_MARKER_MAGIC "STRATAPLG1" /* 10 bytes, no NUL stored */

/* The marker record placed in the "strata_plugin" section. Frozen forever: 16 bytes. */
typedef struct strata_plugin_marker {
  char magic[10];    /* STRATA_PLUGIN_MARKER_MAGIC */
  uint8_t abi_major; /* ABI the library was built against */
  uint8_t abi_minor;
  uint8_t tier; /* STRATA_TIER_* */
  uint8_t reserved[3];
} strata_plugin_marker;

/* One plugin inside a library. Strings are static and NUL-terminated. */
typedef struct strata_plugin_info {
  uint32_t struct_size;
  uint32_t kind;           /* STRATA_KIND_* */
  const char* name;        /* [a-z0-9_]{1,32}, unique per kind: "hnsw" */
  const char* version;     /* the plugin's own semantic version: "0.3.1" */
  const char* description; /* one line, shown by `strata --plugins` */
  uint64_t capabilities;   /* kind-specific STRATA_<KIND>_CAP_* bits */
  const void* vtable;      /* strata_<kind>_vtable*, which begins with its struct_size */
} strata_plugin_info;

typedef struct strata_plugin_manifest {
  uint32_t struct_size;
  uint16_t abi_major; /* must equal the kernel's major */
  uint16_t abi_minor; /* the minimum kernel minor this library needs */
  uint32_t tier;      /* STRATA_TIER_* */
  uint32_t plugin_count;
  const char* build_id; /* BUNDLE tier: must equal the kernel's build id; else informational */
  const strata_plugin_info* plugins; /* plugin_count entries */
  /* Process-wide hooks, called once after validation and before any vtable use, in the order
   * storage -> index -> consensus -> frontend (shutdown in reverse). Either may be NULL. */
  int32_t (*init)(const struct strata_host_api* host, strata_error* err);
  void (*shutdown)(void);
} strata_plugin_manifest;

typedef const strata_plugin_manifest* (*strata_plugin_manifest_fn)(void);

#define STRATA_PLUGIN_MANIFEST_PREFIX "strata_plugin_manifest_"

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATA_ABI_STRATA_PLUGIN_H_ */
