// status.hpp: Status and Result<T>, the error currency at every module boundary (C++17).
//
// Codes are the ABI's STRATA_* codes (google.rpc.Code numbering), so a Status converts losslessly
// to and from a strata_error. Status is cheap to copy when OK (no allocation).
#ifndef STRATA_SDK_STATUS_HPP_
#define STRATA_SDK_STATUS_HPP_

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <utility>

#include "strata/abi/strata_abi.h"

namespace strata {

enum class StatusCode : int32_t {
  kOk = STRATA_OK,
  kCancelled = STRATA_CANCELLED,
  kUnknown = STRATA_UNKNOWN,
  kInvalidArgument = STRATA_INVALID_ARGUMENT,
  kDeadlineExceeded = STRATA_DEADLINE_EXCEEDED,
  kNotFound = STRATA_NOT_FOUND,
  kAlreadyExists = STRATA_ALREADY_EXISTS,
  kPermissionDenied = STRATA_PERMISSION_DENIED,
  kResourceExhausted = STRATA_RESOURCE_EXHAUSTED,
  kFailedPrecondition = STRATA_FAILED_PRECONDITION,
  kAborted = STRATA_ABORTED,
  kOutOfRange = STRATA_OUT_OF_RANGE,
  kUnimplemented = STRATA_UNIMPLEMENTED,
  kInternal = STRATA_INTERNAL,
  kUnavailable = STRATA_UNAVAILABLE,
  kDataLoss = STRATA_DATA_LOSS,
  kUnauthenticated = STRATA_UNAUTHENTICATED,
};

inline const char* StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "OK";
    case StatusCode::kCancelled:
      return "CANCELLED";
    case StatusCode::kUnknown:
      return "UNKNOWN";
    case StatusCode::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case StatusCode::kDeadlineExceeded:
      return "DEADLINE_EXCEEDED";
    case StatusCode::kNotFound:
      return "NOT_FOUND";
    case StatusCode::kAlreadyExists:
      return "ALREADY_EXISTS";
    case StatusCode::kPermissionDenied:
      return "PERMISSION_DENIED";
    case StatusCode::kResourceExhausted:
      return "RESOURCE_EXHAUSTED";
    case StatusCode::kFailedPrecondition:
      return "FAILED_PRECONDITION";
    case StatusCode::kAborted:
      return "ABORTED";
    case StatusCode::kOutOfRange:
      return "OUT_OF_RANGE";
    case StatusCode::kUnimplemented:
      return "UNIMPLEMENTED";
    case StatusCode::kInternal:
      return "INTERNAL";
    case StatusCode::kUnavailable:
      return "UNAVAILABLE";
    case StatusCode::kDataLoss:
      return "DATA_LOSS";
    case StatusCode::kUnauthenticated:
      return "UNAUTHENTICATED";
  }
  return "UNKNOWN";
}

// Copies `message` into err (truncating) and returns `code`. err may be NULL.
inline int32_t SetError(strata_error* err, int32_t code, const char* message) noexcept {
  if (err != nullptr) {
    err->struct_size = sizeof(strata_error);
    err->code = code;
    std::snprintf(err->message, sizeof(err->message), "%s", message ? message : "");
  }
  return code;
}

class [[nodiscard]] Status {
 public:
  Status() noexcept = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  // Rebuilds a Status from an ABI return code and its error buffer (err may be NULL).
  static Status FromAbi(int32_t code, const strata_error* err) {
    if (code == STRATA_OK) return Status();
    const char* text = (err != nullptr && err->message[0] != '\0') ? err->message : "";
    return Status(static_cast<StatusCode>(code), text);
  }

  bool ok() const noexcept { return code_ == StatusCode::kOk; }
  StatusCode code() const noexcept { return code_; }
  int32_t raw_code() const noexcept { return static_cast<int32_t>(code_); }
  const std::string& message() const noexcept { return message_; }

  // Fills err and returns the raw code (STRATA_OK leaves err untouched).
  int32_t ExportTo(strata_error* err) const noexcept {
    if (ok()) return STRATA_OK;
    return SetError(err, raw_code(), message_.c_str());
  }

  // Returns a copy with "context: " prefixed to the message.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

  std::string ToString() const {
    if (ok()) return "OK";
    return std::string(StatusCodeName(code_)) + ": " + message_;
  }

  bool operator==(const Status& o) const { return code_ == o.code_ && message_ == o.message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
inline Status FailedPrecondition(std::string m) {
  return {StatusCode::kFailedPrecondition, std::move(m)};
}
inline Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
inline Status Unimplemented(std::string m) { return {StatusCode::kUnimplemented, std::move(m)}; }
inline Status Cancelled(std::string m) { return {StatusCode::kCancelled, std::move(m)}; }
inline Status OutOfRange(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status DataLoss(std::string m) { return {StatusCode::kDataLoss, std::move(m)}; }
inline Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
inline Status ResourceExhausted(std::string m) {
  return {StatusCode::kResourceExhausted, std::move(m)};
}
// errno-based I/O failure, naming the operation and the path.
inline Status IoError(const std::string& op, const std::string& path, int err_no) {
  StatusCode code = StatusCode::kInternal;
  if (err_no == ENOENT) code = StatusCode::kNotFound;
  if (err_no == EEXIST) code = StatusCode::kAlreadyExists;
  if (err_no == ENOSPC || err_no == EDQUOT) code = StatusCode::kResourceExhausted;
  if (err_no == EACCES || err_no == EPERM) code = StatusCode::kPermissionDenied;
  return Status(code, op + " " + path + ": " + std::strerror(err_no));
}

// Either a value or a non-OK Status.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    if (status_.ok()) status_ = Internal("Result constructed from an OK Status without a value");
  }

  bool ok() const noexcept { return status_.ok(); }
  const Status& status() const noexcept { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  // On an rvalue Result these return the value itself (moved out), not a reference into the
  // dying Result, so `for (auto& x : *Compute())` is safe.
  T value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }
  T operator*() && { return std::move(*value_); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace strata

#define STRATA_CONCAT_INNER_(a, b) a##b
#define STRATA_CONCAT_(a, b) STRATA_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function when `expr` is not OK.
#define STRATA_RETURN_IF_ERROR(expr)                 \
  do {                                               \
    ::strata::Status strata_status_ = (expr);        \
    if (!strata_status_.ok()) return strata_status_; \
  } while (0)

// `lhs = value of rexpr`, or return its Status. lhs may declare a variable.
#define STRATA_ASSIGN_OR_RETURN(lhs, rexpr) \
  STRATA_ASSIGN_OR_RETURN_IMPL_(STRATA_CONCAT_(strata_result_, __LINE__), lhs, rexpr)
#define STRATA_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, rexpr) \
  auto tmp = (rexpr);                                  \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

#endif  // STRATA_SDK_STATUS_HPP_
