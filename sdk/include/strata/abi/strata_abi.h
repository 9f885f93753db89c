/*
 * strata_abi.h: the foundation of Strata's stable plugin ABI (C99).
 *
 * Rules every public struct follows (enforced by tests/abi/layout_test.cc):
 *  1. STRATA_ABI_MAJOR / STRATA_ABI_MINOR version the whole ABI. Within one major, structs and
 *     vtables only grow at the end: nothing is reordered, removed or retyped.
 *  2. A struct that crosses the boundary begins with `uint32_t struct_size`, set by whoever
 *     allocates it to its own sizeof. Readers test STRATA_HAS(p, field) before touching a field
 *     appended after x.0; an absent field reads as 0 / NULL / default.
 *  3. Only fixed-width scalars, pointers and function pointers. Enumerations travel as uint32_t or
 *     int32_t. Booleans are uint8_t. No implicit padding (fields are paired to 8 bytes).
 *  4. Structs used as array elements carry no struct_size; the function that takes the array also
 *     takes the element size. Small value structs embedded in others are frozen forever.
 *  5. Memory: whoever allocates frees. Errors go into a caller-owned strata_error. Nothing that
 *     belongs to C++ (exceptions, std:: types, RTTI) ever crosses.
 */
#ifndef STRATA_ABI_STRATA_ABI_H_
#define STRATA_ABI_STRATA_ABI_H_

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define STRATA_ABI_MAJOR 1
#define STRATA_ABI_MINOR 2

#if defined(__GNUC__)
#define STRATA_EXPORT __attribute__((visibility("default")))
#else
#define STRATA_EXPORT
#endif

/* True when the struct at `p` (which starts with struct_size) is large enough to hold `field`. */
#define STRATA_HAS(p, field) \
  ((p) != NULL &&            \
   (size_t)(p)->struct_size >= offsetof(__typeof__(*(p)), field) + sizeof((p)->field))
/* Portable variant for compilers without __typeof__: the caller names the type. */
#define STRATA_HAS_T(T, p, field) \
  ((p) != NULL && (size_t)(p)->struct_size >= offsetof(T, field) + sizeof(((const T*)0)->field))

/* Status codes. Numbered exactly like google.rpc.Code so frontends map them one to one. */
#define STRATA_OK 0
#define STRATA_CANCELLED 1
#define STRATA_UNKNOWN 2
#define STRATA_INVALID_ARGUMENT 3
#define STRATA_DEADLINE_EXCEEDED 4
#define STRATA_NOT_FOUND 5
#define STRATA_ALREADY_EXISTS 6
#define STRATA_PERMISSION_DENIED 7
#define STRATA_RESOURCE_EXHAUSTED 8
#define STRATA_FAILED_PRECONDITION 9
#define STRATA_ABORTED 10
#define STRATA_OUT_OF_RANGE 11
#define STRATA_UNIMPLEMENTED 12
#define STRATA_INTERNAL 13
#define STRATA_UNAVAILABLE 14
#define STRATA_DATA_LOSS 15
#define STRATA_UNAUTHENTICATED 16

#define STRATA_ERROR_MESSAGE_CAPACITY 504

/* Caller-owned error buffer, 512 bytes. Every fallible ABI function returns an int32_t code and
 * takes `strata_error* err` last; err may be NULL when the caller wants no text. On failure the
 * callee sets err->code (equal to the return value) and a NUL-terminated UTF-8 message, truncated
 * to fit. */
typedef struct strata_error {
  uint32_t struct_size;
  int32_t code;
  char message[STRATA_ERROR_MESSAGE_CAPACITY];
} strata_error;

/* One key/value parameter: both strings are NUL-terminated and borrowed for the call. */
typedef struct strata_kv_pair {
  const char* key;
  const char* value;
} strata_kv_pair;

/* A borrowed list of string parameters ("m"="16", "ef_construct"="100", ...). */
typedef struct strata_kv {
  uint32_t struct_size;
  uint32_t count;
  const strata_kv_pair* items; /* `count` elements */
} strata_kv;

/* Cooperative cancellation. Long operations poll is_cancelled(ctx) (cheap, thread-safe) and stop
 * with STRATA_CANCELLED when it returns non-zero. deadline_unix_ms == 0 means no deadline. */
typedef struct strata_cancel {
  uint32_t struct_size;
  uint32_t reserved0;
  uint8_t (*is_cancelled)(const void* ctx);
  const void* ctx;
  int64_t deadline_unix_ms;
} strata_cancel;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* STRATA_ABI_STRATA_ABI_H_ */
