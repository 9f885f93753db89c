// The real `strata` process: start, readiness, the storage directory lock, graceful shutdown
// on SIGTERM/SIGINT, configuration errors, JSON logs.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "server_process.h"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

using strata_test::ServerProcess;

class ServerProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/strata-server-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  void TearDown() override { std::system(("rm -rf " + dir_).c_str()); }
  std::string StorageEnv() const { return "STRATA__STORAGE__STORAGE_PATH=" + dir_ + "/storage"; }
  std::string Log(const std::string& name) const { return dir_ + "/" + name + ".log"; }
  std::string dir_;
};

TEST_F(ServerProcessTest, StartsHoldsTheLockAndStopsCleanlyOnSigterm) {
  ServerProcess first({}, {StorageEnv()}, Log("first"));
  ASSERT_TRUE(first.WaitForLog("ready")) << first.log();
  EXPECT_NE(first.log().find("Qdrant API 1.19.0"), std::string::npos) << first.log();
  EXPECT_NE(first.log().find("via storage/mmap"), std::string::npos) << "default backend";

  ServerProcess second({}, {StorageEnv()}, Log("second"));
  EXPECT_EQ(second.Wait(std::chrono::seconds(20)), 1) << second.log();
  EXPECT_NE(second.log().find("is in use by another Strata server"), std::string::npos)
      << second.log();
  EXPECT_NE(second.log().find(dir_ + "/storage"), std::string::npos) << second.log();

  first.Signal(SIGTERM);
  EXPECT_EQ(first.Wait(std::chrono::seconds(20)), 0) << first.log();
  EXPECT_NE(first.log().find("received SIGTERM, shutting down"), std::string::npos);
  EXPECT_NE(first.log().find("stopped"), std::string::npos);

  // The lock is free again: a new server on the same directory starts, and stops on SIGINT.
  ServerProcess third({}, {StorageEnv()}, Log("third"));
  ASSERT_TRUE(third.WaitForLog("ready")) << third.log();
  third.Signal(SIGINT);
  EXPECT_EQ(third.Wait(std::chrono::seconds(20)), 0) << third.log();
}

TEST_F(ServerProcessTest, AKilledServerDoesNotLeaveTheDirectoryLocked) {
  {
    ServerProcess victim({}, {StorageEnv()}, Log("victim"));
    ASSERT_TRUE(victim.WaitForLog("ready")) << victim.log();
    victim.Signal(SIGKILL);
    EXPECT_EQ(victim.Wait(std::chrono::seconds(10)), -SIGKILL);
  }
  ServerProcess next({}, {StorageEnv()}, Log("next"));
  EXPECT_TRUE(next.WaitForLog("ready")) << next.log();
  next.Signal(SIGTERM);
  EXPECT_EQ(next.Wait(std::chrono::seconds(20)), 0);
}

TEST_F(ServerProcessTest, BadConfigurationExitsWithTheKeyNamed) {
  ServerProcess bad({}, {StorageEnv(), "STRATA__SERVICE__HTTP_PORT=not-a-port"}, Log("bad"));
  EXPECT_EQ(bad.Wait(std::chrono::seconds(20)), 2);
  EXPECT_NE(bad.log().find("service.http_port"), std::string::npos) << bad.log();

  std::string yaml = dir_ + "/config.yaml";
  std::ofstream(yaml) << "service:\n  grpc_port: [1, 2\n";
  ServerProcess malformed({"--config", yaml}, {StorageEnv()}, Log("malformed"));
  EXPECT_EQ(malformed.Wait(std::chrono::seconds(20)), 2);
  EXPECT_NE(malformed.log().find(yaml), std::string::npos) << malformed.log();

  ServerProcess missing({"--config", dir_ + "/nope.yaml"}, {StorageEnv()}, Log("missing"));
  EXPECT_EQ(missing.Wait(std::chrono::seconds(20)), 2);
  EXPECT_NE(missing.log().find("nope.yaml"), std::string::npos) << missing.log();
}

TEST_F(ServerProcessTest, ConfigFileAndJsonLogs) {
  std::string yaml = dir_ + "/config.yaml";
  std::ofstream(yaml) << "log_level: debug\nlogger:\n  format: json\nstorage:\n  storage_path: "
                      << dir_ << "/from-file\n";
  ServerProcess s({"--config", yaml}, {}, Log("json"));
  ASSERT_TRUE(s.WaitForLog("ready")) << s.log();
  s.Signal(SIGTERM);
  EXPECT_EQ(s.Wait(std::chrono::seconds(20)), 0);
  std::istringstream lines(s.log());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    ++n;
    EXPECT_EQ(line.front(), '{') << line;
    EXPECT_EQ(line.back(), '}') << line;
    EXPECT_NE(line.find("\"level\":"), std::string::npos) << line;
  }
  EXPECT_GT(n, 2);
  EXPECT_NE(s.log().find(dir_ + "/from-file"), std::string::npos) << "storage_path from file";
}

TEST_F(ServerProcessTest, UnknownArgumentAndVersion) {
  ServerProcess bad({"--bogus"}, {}, Log("bogus"));
  EXPECT_EQ(bad.Wait(std::chrono::seconds(10)), 2);
  EXPECT_NE(bad.log().find("unknown argument '--bogus'"), std::string::npos);
}

}  // namespace
