/*
 * strata_frontend.h: the API frontend plugin kind (C99): REST, gRPC, or a third party's.
 *
 * A frontend owns its network threads (an Asio io_context, gRPC completion queues) and calls
 * host->call from them. Completions arrive on kernel threads and must not block: hand the work
 * back to the frontend's own executor.
 *
 * Lifecycle: create -> start -> stop -> destroy. stop(deadline) stops accepting, drains in-flight
 * calls until the deadline, joins every thread the plugin started, and only then returns.
 */
#ifndef STRATA_ABI_STRATA_FRONTEND_H_
#define STRATA_ABI_STRATA_FRONTEND_H_

#include "strata/abi/strata_abi.h"
#include "strata/abi/strata_host.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct strata_frontend strata_frontend; /* opaque, plugin-owned */

#define STRATA_FRONTEND_CAP_PUBLIC_API (1ull << 0)
#define STRATA_FRONTEND_CAP_PEER_TRANSPORT (1ull << 1)

typedef struct strata_frontend_vtable {
  uint32_t struct_size;
  uint32_t reserved0;
  int32_t (*create)(const strata_host_api* host, const strata_kv* cfg, strata_frontend** out,
                    strata_error* err);
  int32_t (*start)(strata_frontend* fe, strata_error* err);
  void (*stop)(strata_frontend* fe, int64_t deadline_unix_ms);
  void (*destroy)(strata_frontend* fe);
  /* PEER_TRANSPORT only (else NULL): sends one message to a peer; done fires exactly once with
   * the outcome. Messages to one peer on one channel are delivered in order. */
  void (*send_peer)(strata_frontend* fe, uint32_t channel, uint64_t peer_id, const char* uri,
                    const uint8_t* p, size_t n, strata_call_done done, void* user);
} strata_frontend_vtable;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATA_ABI_STRATA_FRONTEND_H_ */
