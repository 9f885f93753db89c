// logging.h: the kernel's logger: text or JSON lines on stderr, level-filtered.
// Concurrency: thread-safe; one line is written atomically.
#ifndef STRATA_KERNEL_COMMON_LOGGING_H_
#define STRATA_KERNEL_COMMON_LOGGING_H_

#include <string>

#include "strata/sdk/status.hpp"

namespace strata::kernel {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// "debug" | "info" | "warn" | "warning" | "error" (any case); INVALID_ARGUMENT otherwise.
Result<LogLevel> ParseLogLevel(const std::string& text);

class Logger {
 public:
  static void Configure(LogLevel level, bool json);
  static bool Enabled(LogLevel level);
  static void Log(LogLevel level, const std::string& target, const std::string& message);
  // The formatted line without the newline (exposed for tests).
  static std::string Format(LogLevel level, const std::string& target, const std::string& message,
                            bool json);
};

inline void LogInfo(const std::string& target, const std::string& m) {
  Logger::Log(LogLevel::kInfo, target, m);
}
inline void LogWarn(const std::string& target, const std::string& m) {
  Logger::Log(LogLevel::kWarn, target, m);
}
inline void LogError(const std::string& target, const std::string& m) {
  Logger::Log(LogLevel::kError, target, m);
}

// JSON string escaping (quotes included).
std::string JsonQuote(const std::string& s);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_COMMON_LOGGING_H_
