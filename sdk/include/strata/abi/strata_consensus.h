/*
 * strata_consensus.h: the consensus plugin kind (C99).
 *
 * Consensus carries cluster metadata only (collections, aliases, shard placement, replica states,
 * peers, transfers). The plugin is a deterministic core: it opens no sockets (messages travel
 * through host->send, which routes them over the PEER_TRANSPORT frontend) and keeps its log and
 * hard state through the host's storage.
 *
 * Concurrency: propose / change_membership / step / status may be called from any thread; each
 * completion fires exactly once. apply() is called sequentially, in log order, from one thread.
 */
#ifndef STRATA_ABI_STRATA_CONSENSUS_H_
#define STRATA_ABI_STRATA_CONSENSUS_H_

#include "strata/abi/strata_abi.h"
#include "strata/abi/strata_host.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct strata_consensus strata_consensus; /* opaque, plugin-owned */

#define STRATA_CONSENSUS_CAP_LEARNERS (1ull << 0)
#define STRATA_CONSENSUS_CAP_READ_INDEX (1ull << 1)

#define STRATA_ROLE_FOLLOWER 0u
#define STRATA_ROLE_CANDIDATE 1u
#define STRATA_ROLE_LEADER 2u
#define STRATA_ROLE_LEARNER 3u

#define STRATA_MEMBERSHIP_ADD_LEARNER 1u
#define STRATA_MEMBERSHIP_PROMOTE 2u
#define STRATA_MEMBERSHIP_REMOVE 3u

typedef void (*strata_propose_done)(void* user, int32_t code, const char* message, uint64_t index,
                                    uint64_t leader_hint);

/* Host callbacks given to create(); valid until destroy. */
typedef struct strata_consensus_host {
  uint32_t struct_size;
  uint32_t reserved0;
  void* ctx;
  int32_t (*apply)(void* ctx, uint64_t index, uint64_t term, const uint8_t* op, size_t n,
                   strata_error* err);
  int32_t (*snapshot_write)(void* ctx, int32_t (*emit)(void* sink, const uint8_t* p, size_t n),
                            void* sink, strata_error* err);
  int32_t (*snapshot_install)(void* ctx, const uint8_t* p, size_t n, uint64_t index, uint64_t term,
                              strata_error* err);
  void (*send)(void* ctx, uint64_t peer_id, const uint8_t* msg, size_t n);
  void (*on_role_change)(void* ctx, uint32_t role, uint64_t leader_id, uint64_t term);
  const strata_host_api* host;
} strata_consensus_host;

typedef struct strata_consensus_status {
  uint32_t struct_size;
  uint32_t role; /* STRATA_ROLE_* */
  uint64_t self_id;
  uint64_t leader_id; /* 0 when unknown */
  uint64_t term;
  uint64_t commit_index;
  uint64_t applied_index;
  uint32_t peer_count;
  uint32_t reserved0;
} strata_consensus_status;

typedef struct strata_consensus_vtable {
  uint32_t struct_size;
  uint32_t reserved0;
  int32_t (*create)(const strata_kv* cfg, const strata_consensus_host* h, strata_consensus** out,
                    strata_error* err);
  void (*destroy)(strata_consensus* c);
  int32_t (*start)(strata_consensus* c, strata_error* err);
  void (*stop)(strata_consensus* c);
  /* done fires after the operation has been applied locally (or failed). */
  void (*propose)(strata_consensus* c, const uint8_t* op, size_t n, strata_propose_done done,
                  void* user);
  int32_t (*step)(strata_consensus* c, uint64_t from_peer, const uint8_t* msg, size_t n,
                  strata_error* err);
  void (*change_membership)(strata_consensus* c, uint32_t op, uint64_t peer_id, const char* uri,
                            strata_propose_done done, void* user);
  int32_t (*status)(strata_consensus* c, strata_consensus_status* out, strata_error* err);
} strata_consensus_vtable;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATA_ABI_STRATA_CONSENSUS_H_ */
