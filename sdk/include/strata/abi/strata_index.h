/*
 * strata_index.h: the vector index plugin kind (C99).
 *
 * An index works on one segment. Points are segment-local dense uint32 offsets (never external
 * ids). The host owns the vectors and shows them through a strata_vector_source; the index keeps
 * its own structure (graph, lists) and persists it through a strata_dir.
 *
 * Concurrency contract:
 *  - search() is const and may run concurrently on one instance from many threads.
 *  - build / insert / remove / load / save are exclusive: the host never overlaps them with each
 *    other or with search on the same instance.
 *  - A plugin creates no threads. Parallel build goes through host->parallel_for, so the
 *    optimizer's CPU budget holds. Long calls poll the strata_cancel they were given.
 */
#ifndef STRATA_ABI_STRATA_INDEX_H_
#define STRATA_ABI_STRATA_INDEX_H_

#include "strata/abi/strata_abi.h"
#include "strata/abi/strata_storage.h"

#ifdef __cplusplus
extern "C" {
#endif

struct strata_host_api;
typedef struct strata_index strata_index; /* opaque, plugin-owned */

#define STRATA_DTYPE_F32 1u
#define STRATA_DTYPE_F16 2u
#define STRATA_DTYPE_U8 3u

/* Scores are always "higher is better":
 *  COSINE: dot product of unit vectors (the host normalises at insert),
 *  DOT:    dot product,
 *  L2:     negated squared euclidean distance inside the index; the host converts to Qdrant's
 *          sqrt distance for clients,
 *  L1:     negated manhattan distance. */
#define STRATA_METRIC_COSINE 1u
#define STRATA_METRIC_DOT 2u
#define STRATA_METRIC_L2 3u
#define STRATA_METRIC_L1 4u

/* Capability bits. */
#define STRATA_INDEX_CAP_F32 (1ull << 0)
#define STRATA_INDEX_CAP_F16 (1ull << 1)
#define STRATA_INDEX_CAP_U8 (1ull << 2)
#define STRATA_INDEX_CAP_COSINE (1ull << 3)
#define STRATA_INDEX_CAP_DOT (1ull << 4)
#define STRATA_INDEX_CAP_L2 (1ull << 5)
#define STRATA_INDEX_CAP_L1 (1ull << 6)
#define STRATA_INDEX_CAP_FILTER_BITSET (1ull << 7)
#define STRATA_INDEX_CAP_FILTER_PREDICATE (1ull << 8)
#define STRATA_INDEX_CAP_INCREMENTAL_INSERT (1ull << 9)
#define STRATA_INDEX_CAP_DELETE (1ull << 10)
#define STRATA_INDEX_CAP_ON_DISK_SEARCH (1ull << 11)
#define STRATA_INDEX_CAP_EXACT (1ull << 12) /* results are exact (a flat index) */

/* Cardinality estimate of a filter: min <= exp <= max matching points. Frozen value struct. */
typedef struct strata_cardinality {
  uint64_t min;
  uint64_t exp;
  uint64_t max;
} strata_cardinality;

/* Host-owned, borrowed for one search. Deleted points are already folded in by the host. */
typedef struct strata_filter {
  uint32_t struct_size;
  uint32_t n_bits;            /* number of valid bits in allow_bits (= segment point count) */
  const uint64_t* allow_bits; /* bit i set => offset i may be returned; NULL => use allow() */
  uint8_t (*allow)(void* ctx, uint32_t offset); /* thread-safe; used when allow_bits is NULL */
  void* ctx;
  strata_cardinality estimate;
} strata_filter;

/* The host's view of one segment's vectors. Valid until the index that received it at create is
 * destroyed; `count` may grow between calls (appendable segments), never shrink. */
typedef struct strata_vector_source {
  uint32_t struct_size;
  uint32_t dtype; /* STRATA_DTYPE_* */
  uint32_t dim;
  uint32_t metric; /* STRATA_METRIC_* */
  uint32_t count;  /* offsets 0 .. count-1 exist (some may be deleted: see the filter) */
  uint32_t reserved0;
  /* Zero-copy path: non-NULL when vector i lives at dense_base + i * stride_bytes. */
  const void* dense_base;
  uint64_t stride_bytes;
  /* Always available: copies vector `offset` (dim elements of dtype) into out. */
  int32_t (*get)(void* ctx, uint32_t offset, void* out, strata_error* err);
  /* Optional batched scorer: out[i] = score(query, offsets[i]) with the host's SIMD kernels. */
  void (*score_batch)(void* ctx, const void* query, const uint32_t* offsets, size_t n, float* out);
  void* ctx;
} strata_vector_source;

typedef struct strata_search_request {
  uint32_t struct_size;
  uint32_t n_queries;
  const void* queries; /* n_queries * dim elements of the source dtype, row-major */
  uint32_t top_k;
  uint32_t reserved0;
  const strata_filter* filter; /* NULL = every offset below count is allowed */
  const strata_kv* params;     /* per-search parameters: "ef", "exact", ... may be NULL */
  const strata_cancel* cancel; /* may be NULL */
} strata_search_request;

/* Caller-allocated; each array has n_queries * top_k (counts: n_queries) elements.
 * Results per query are sorted by score, best first. */
typedef struct strata_search_result {
  uint32_t struct_size;
  uint32_t reserved0;
  uint32_t* ids;
  float* scores;
  uint32_t* counts;
} strata_search_result;

typedef void (*strata_file_emit)(void* ctx, const char* rel_path, uint8_t immutable);

typedef struct strata_index_vtable {
  uint32_t struct_size;
  uint32_t reserved0;
  /* params: the collection's index configuration (e.g. "m", "ef_construct"). host may be NULL
   * in tests; when present it stays valid for the index's lifetime. */
  int32_t (*create)(const struct strata_host_api* host, const strata_kv* params,
                    const strata_vector_source* src, strata_index** out, strata_error* err);
  void (*destroy)(strata_index* idx);
  /* Indexes offsets 0 .. src->count-1 (those the filter, if given, allows). */
  int32_t (*build)(strata_index* idx, const strata_filter* live, const strata_cancel* cancel,
                   strata_error* err);
  /* Optional (INCREMENTAL_INSERT / DELETE). */
  int32_t (*insert)(strata_index* idx, uint32_t offset, strata_error* err);
  int32_t (*remove)(strata_index* idx, uint32_t offset, strata_error* err);
  int32_t (*search)(const strata_index* idx, const strata_search_request* req,
                    strata_search_result* out, strata_error* err);
  int32_t (*save)(const strata_index* idx, const strata_dir* dir, strata_error* err);
  int32_t (*load)(strata_index* idx, const strata_dir* dir, strata_error* err);
  /* Files save() wrote, relative to the dir prefix (for snapshots). */
  int32_t (*list_files)(const strata_index* idx, strata_file_emit emit, void* ctx,
                        strata_error* err);
  uint64_t (*memory_usage)(const strata_index* idx);
  /* Since ABI 1.1 (test STRATA_HAS(vt, link_group)); optional, may be NULL.
   * Adds links among `offsets` (n of them, sorted): the points that share one value of an
   * indexed payload field (a tenant, a category), so that a search filtered to that value walks
   * a connected subgraph instead of wading through the points it excludes (Qdrant's
   * payload_m). Each member gets up to `m` links to its nearest fellow members. The host calls
   * it after build, once per value group large enough to be searched through the index;
   * exclusive like build. */
  int32_t (*link_group)(strata_index* idx, const uint32_t* offsets, size_t n, uint32_t m,
                        const strata_cancel* cancel, strata_error* err);
  /* Since ABI 1.2 (test STRATA_HAS(vt, link_group_add)); optional, may be NULL.
   * Grows a group that link_group linked earlier: `members` (n_members, sorted) are the group's
   * points already linked, `added` (n_added, sorted, none of them in `members`, every one
   * inserted) join it now, in order: each gets up to `m` links to its nearest fellows among the
   * members and the added points before it. The host calls it for points inserted after the
   * group was linked and for points whose payload moved them into the group; exclusive like
   * insert. A point listed as a member that is no longer one does no harm beyond a wasted link. */
  int32_t (*link_group_add)(strata_index* idx, const uint32_t* members, size_t n_members,
                            const uint32_t* added, size_t n_added, uint32_t m,
                            const strata_cancel* cancel, strata_error* err);
} strata_index_vtable;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATA_ABI_STRATA_INDEX_H_ */
