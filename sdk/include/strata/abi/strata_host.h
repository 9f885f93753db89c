/*
 * strata_host.h: what the kernel offers every plugin (C99). APPEND-ONLY.
 *
 * The host table is owned by the kernel and valid from a manifest's init() until its shutdown().
 * Its struct_size tells a plugin which functions exist: test with STRATA_HAS_T before using any
 * slot appended after 1.0 (the SDK's Host::Has<>() does it for you).
 *
 * Concurrency: every function is thread-safe and may be called from any thread. The host never
 * holds a lock across a callback into a plugin, so a plugin may call the host from inside one.
 */
#ifndef STRATA_ABI_STRATA_HOST_H_
#define STRATA_ABI_STRATA_HOST_H_

#include "strata/abi/strata_abi.h"
#include "strata/abi/strata_storage.h"

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_LOG_DEBUG 0
#define STRATA_LOG_INFO 1
#define STRATA_LOG_WARN 2
#define STRATA_LOG_ERROR 3

/* Executor pools for submit(). */
#define STRATA_POOL_GENERAL 0u
#define STRATA_POOL_SEARCH 1u
#define STRATA_POOL_UPDATE 2u
#define STRATA_POOL_OPTIMIZE 3u

/* Completion of a call: exactly once, possibly inline, on a kernel thread; must not block.
 * message and response are borrowed for the duration of the callback only. */
typedef void (*strata_call_done)(void* user, int32_t code, const char* message,
                                 const uint8_t* response, size_t response_len);

/* One request to the kernel service. Borrowed for the duration of call(). */
typedef struct strata_call {
  uint32_t struct_size;
  uint32_t method;        /* STRATA_METHOD_* (strata_methods.h) */
  const uint8_t* request; /* serialized protobuf of the method's request type */
  uint64_t request_len;
  const char* principal;    /* authenticated identity, or NULL */
  int64_t deadline_unix_ms; /* 0 = none */
  uint64_t request_id;      /* for logs and tracing */
  uint32_t access;          /* STRATA_ACCESS_*: what the frontend authenticated */
  uint32_t reserved0;
} strata_call;

#define STRATA_ACCESS_READ_WRITE 0u
#define STRATA_ACCESS_READ_ONLY 1u

typedef struct strata_host_api strata_host_api;

struct strata_host_api {
  uint32_t struct_size;
  uint16_t abi_major;
  uint16_t abi_minor;
  const char* build_id;
  const char* version; /* the server's version string */
  void* host_ctx;      /* the kernel's own context; opaque to plugins */

  /* Every function takes the table it was read from as its first argument, so several kernels
   * (in-process test clusters) can share one process. */

  /* Logging and metrics. `plugin` names the source ("index/hnsw"). */
  void (*log)(const strata_host_api* host, int32_t level, const char* plugin, const char* message);
  void (*metric_add)(const strata_host_api* host, const char* name, const char* labels,
                     double delta);

  /* The kernel service: one entry for every API operation. */
  void (*call)(const strata_host_api* host, const strata_call* call, strata_call_done done,
               void* user);
  /* Streaming responses: on_chunk is called zero or more times before done. A non-zero return
   * from on_chunk cancels the stream. */
  void (*call_stream)(const strata_host_api* host, const strata_call* call,
                      int32_t (*on_chunk)(void* user, const uint8_t* p, size_t n),
                      strata_call_done done, void* user);
  /* Peer transport, inbound: a PEER_TRANSPORT frontend hands received messages here. */
  int32_t (*deliver_peer_message)(const strata_host_api* host, uint32_t channel, uint64_t from_peer,
                                  const uint8_t* p, size_t n, strata_error* err);

  /* Executors. */
  void (*submit)(const strata_host_api* host, uint32_t pool, void (*fn)(void* arg), void* arg);
  /* Runs fn(ctx, i) for i in [0, n) on at most max_threads threads (0 = the pool's budget) and
   * returns when all are done. fn must be thread-safe. */
  int32_t (*parallel_for)(const strata_host_api* host, uint32_t n,
                          void (*fn)(void* ctx, uint32_t i), void* ctx, uint32_t max_threads,
                          strata_error* err);
  uint8_t (*is_cancelled)(const strata_host_api* host, const strata_cancel* cancel);
  /* Timers: fn(arg) after delay_ms, then every period_ms when period_ms > 0. Returns an id. */
  uint64_t (*timer_start)(const strata_host_api* host, uint64_t delay_ms, uint64_t period_ms,
                          void (*fn)(void* arg), void* arg);
  /* Cancels a timer; when it returns, fn is not running and will not run again. */
  void (*timer_cancel)(const strata_host_api* host, uint64_t id);

  /* Configuration: dotted keys of the server's YAML ("service.http_port"). NOT_FOUND when
   * unset; OUT_OF_RANGE when buf is too small (*needed receives the size incl. NUL). */
  int32_t (*config_get)(const strata_host_api* host, const char* key, char* buf, size_t cap,
                        size_t* needed, strata_error* err);

  /* The storage backend every byte goes through, for plugins that persist outside segments. */
  const strata_storage_vtable* storage;
  strata_fs* fs;
  /* -- slots appended in later minors go below this line -- */
};

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATA_ABI_STRATA_HOST_H_ */
