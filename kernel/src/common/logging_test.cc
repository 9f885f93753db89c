#include "common/logging.h"

#include <gtest/gtest.h>

namespace strata::kernel {
namespace {

TEST(LoggingTest, ParsesLevelsAndNamesBadValue) {
  EXPECT_EQ(*ParseLogLevel("INFO"), LogLevel::kInfo);
  EXPECT_EQ(*ParseLogLevel("warning"), LogLevel::kWarn);
  Result<LogLevel> bad = ParseLogLevel("loud");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("log_level"), std::string::npos);
}

TEST(LoggingTest, JsonLinesAreEscaped) {
  std::string line = Logger::Format(LogLevel::kWarn, "kernel", "a \"quoted\"\nline", true);
  EXPECT_NE(line.find("\"level\":\"WARN\""), std::string::npos) << line;
  EXPECT_NE(line.find("\"message\":\"a \\\"quoted\\\"\\nline\""), std::string::npos) << line;
  EXPECT_EQ(line.find('\n'), std::string::npos);
}

TEST(LoggingTest, TextLinesCarryLevelAndTarget) {
  std::string line = Logger::Format(LogLevel::kError, "index/hnsw", "boom", false);
  EXPECT_NE(line.find("ERROR index/hnsw: boom"), std::string::npos) << line;
}

}  // namespace
}  // namespace strata::kernel
