/*
 * strata_storage.h: the storage plugin kind (C99). Every durable byte Strata writes (WAL,
 * segments, index files, LevelDB's files, the Raft log) goes through one of these backends.
 *
 * The seam is at the file level, like LevelDB's Env: a backend provides files, directories,
 * atomic replacement and locking. Paths are relative to the root given to open_fs and use '/'.
 *
 * Concurrency contract:
 *  - strata_fs operations are thread-safe.
 *  - One strata_file supports concurrent read_at / read_batch / size / map; the caller serialises
 *    write_at / append / truncate / sync on one file against each other.
 *  - sync is the only durability point for a file's data; sync_dir makes a create, rename or
 *    remove in that directory durable. atomic_save = write temp, sync, rename, sync dir.
 */
#ifndef STRATA_ABI_STRATA_STORAGE_H_
#define STRATA_ABI_STRATA_STORAGE_H_

#include "strata/abi/strata_abi.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct strata_fs strata_fs;     /* opaque, one per data root, plugin-owned */
typedef struct strata_file strata_file; /* opaque, plugin-owned */

/* Capability bits (strata_plugin_info.capabilities). */
#define STRATA_STORAGE_CAP_MMAP (1ull << 0)
#define STRATA_STORAGE_CAP_BATCH_READ (1ull << 1)
#define STRATA_STORAGE_CAP_DIRECT_IO (1ull << 2)
#define STRATA_STORAGE_CAP_ATOMIC_RENAME (1ull << 3)
#define STRATA_STORAGE_CAP_DIR_SYNC (1ull << 4)

/* open() flags. */
#define STRATA_OPEN_READ 1u
#define STRATA_OPEN_WRITE 2u
#define STRATA_OPEN_CREATE 4u     /* create when missing */
#define STRATA_OPEN_TRUNCATE 8u   /* truncate to zero on open */
#define STRATA_OPEN_EXCLUSIVE 16u /* with CREATE: fail with ALREADY_EXISTS if it exists */

/* advise() hints. */
#define STRATA_ADVICE_NORMAL 0
#define STRATA_ADVICE_SEQUENTIAL 1
#define STRATA_ADVICE_RANDOM 2
#define STRATA_ADVICE_WILLNEED 3 /* populate */
#define STRATA_ADVICE_DONTNEED 4 /* drop from RAM */

/* One element of a batched read. Array element: no struct_size; read_batch takes elem_size. */
typedef struct strata_read_req {
  uint64_t offset;
  uint64_t len;
  void* buf;     /* caller-owned, at least len bytes */
  uint64_t done; /* out: bytes read (short only at end of file) */
  int32_t code;  /* out: STRATA_OK or the failure of this element */
  uint32_t reserved0;
} strata_read_req;

/* A mapped range. Filled by map(), released by unmap(). `impl` belongs to the backend. */
typedef struct strata_mapping {
  uint32_t struct_size;
  uint32_t writable;
  const void* data;
  uint64_t len;
  void* impl;
} strata_mapping;

/* Callback used by list(): one call per entry; `name` is borrowed during the call. */
typedef void (*strata_list_emit)(void* ctx, const char* name, uint64_t size, uint8_t is_dir);

typedef struct strata_storage_vtable {
  uint32_t struct_size;
  uint32_t reserved0;
  /* root: a directory, created if missing. cfg: backend options, may be NULL. */
  int32_t (*open_fs)(const char* root, const strata_kv* cfg, strata_fs** out, strata_error* err);
  void (*close_fs)(strata_fs* fs);
  int32_t (*open)(strata_fs* fs, const char* path, uint32_t flags, strata_file** out,
                  strata_error* err);
  void (*close)(strata_file* f);
  /* Reads up to len bytes at off; *n < len only at end of file. */
  int32_t (*read_at)(strata_file* f, uint64_t off, void* buf, uint64_t len, uint64_t* n,
                     strata_error* err);
  /* Optional (BATCH_READ): NULL slot means the caller loops over read_at. */
  int32_t (*read_batch)(strata_file* f, strata_read_req* reqs, size_t n, size_t elem_size,
                        strata_error* err);
  int32_t (*write_at)(strata_file* f, uint64_t off, const void* p, uint64_t len, strata_error* err);
  /* Writes at the current end of file; *at (may be NULL) receives the offset written at. */
  int32_t (*append)(strata_file* f, const void* p, uint64_t len, uint64_t* at, strata_error* err);
  int32_t (*truncate)(strata_file* f, uint64_t len, strata_error* err);
  int32_t (*sync)(strata_file* f, uint8_t data_only, strata_error* err);
  int32_t (*size)(strata_file* f, uint64_t* out, strata_error* err);
  /* Optional (MMAP): NULL slots mean the caller reads into its own memory instead. */
  int32_t (*map)(strata_file* f, uint64_t off, uint64_t len, uint8_t writable, strata_mapping* out,
                 strata_error* err);
  void (*unmap)(strata_mapping* m);
  int32_t (*advise)(strata_mapping* m, int32_t advice, strata_error* err);
  /* Lists the direct children of dir ("" is the root), in no particular order. */
  int32_t (*list)(strata_fs* fs, const char* dir, strata_list_emit emit, void* ctx,
                  strata_error* err);
  /* Creates dir and its parents; succeeds when it already exists. */
  int32_t (*mkdir)(strata_fs* fs, const char* dir, strata_error* err);
  /* Removes a file, or a directory (recursive != 0 removes its content). NOT_FOUND if absent. */
  int32_t (*remove)(strata_fs* fs, const char* path, uint8_t recursive, strata_error* err);
  /* Atomically replaces `to` with `from` (same fs). */
  int32_t (*rename)(strata_fs* fs, const char* from, const char* to, strata_error* err);
  int32_t (*sync_dir)(strata_fs* fs, const char* dir, strata_error* err);
  /* Replaces path's content with p[0..len) so that a crash leaves either old or new content. */
  int32_t (*atomic_save)(strata_fs* fs, const char* path, const void* p, uint64_t len,
                         strata_error* err);
  /* Takes an exclusive lock on path (created if missing), held until unlock or process exit.
   * Another holder, in this or another process, makes it fail with FAILED_PRECONDITION. */
  int32_t (*lock)(strata_fs* fs, const char* path, void** out_lock, strata_error* err);
  void (*unlock)(strata_fs* fs, void* lock);
  /* NOT_FOUND when missing; *is_dir and *size (either may be NULL) describe the entry. */
  int32_t (*stat)(strata_fs* fs, const char* path, uint8_t* is_dir, uint64_t* size,
                  strata_error* err);
} strata_storage_vtable;

/* A storage location handed to plugins that persist (indexes): backend + fs + path prefix. */
typedef struct strata_dir {
  uint32_t struct_size;
  uint32_t reserved0;
  const strata_storage_vtable* storage;
  strata_fs* fs;
  const char* prefix; /* directory inside fs, no trailing '/', "" for the root */
} strata_dir;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATA_ABI_STRATA_STORAGE_H_ */
