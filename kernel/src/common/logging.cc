#include "common/logging.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace strata::kernel {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::atomic<bool> g_json{false};
std::mutex g_write_mu;

const char* LevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "DEBUG";
    case LogLevel::kInfo:
      return "INFO";
    case LogLevel::kWarn:
      return "WARN";
    case LogLevel::kError:
      return "ERROR";
  }
  return "INFO";
}

std::string Timestamp() {
  using namespace std::chrono;
  auto now = system_clock::now();
  std::time_t t = system_clock::to_time_t(now);
  int ms = static_cast<int>(duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

}  // namespace

Result<LogLevel> ParseLogLevel(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
  if (t == "debug" || t == "trace") return LogLevel::kDebug;
  if (t == "info") return LogLevel::kInfo;
  if (t == "warn" || t == "warning") return LogLevel::kWarn;
  if (t == "error") return LogLevel::kError;
  return InvalidArgument("log_level: '" + text + "' is not one of debug, info, warn, error");
}

void Logger::Configure(LogLevel level, bool json) {
  g_level = static_cast<int>(level);
  g_json = json;
}

bool Logger::Enabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

std::string JsonQuote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof(buf), "\\u%04x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

std::string Logger::Format(LogLevel level, const std::string& target, const std::string& message,
                           bool json) {
  if (json) {
    return "{\"timestamp\":" + JsonQuote(Timestamp()) +
           ",\"level\":" + JsonQuote(LevelName(level)) + ",\"target\":" + JsonQuote(target) +
           ",\"message\":" + JsonQuote(message) + "}";
  }
  char head[80];
  std::snprintf(head, sizeof(head), "%s %-5s ", Timestamp().c_str(), LevelName(level));
  return head + target + ": " + message;
}

void Logger::Log(LogLevel level, const std::string& target, const std::string& message) {
  if (!Enabled(level)) return;
  std::string line = Format(level, target, message, g_json.load()) + "\n";
  std::lock_guard<std::mutex> lock(g_write_mu);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace strata::kernel
