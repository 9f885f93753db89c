// The real `strata` process: start, readiness, the storage directory lock, graceful shutdown
// on SIGTERM/SIGINT, configuration errors, JSON logs.
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A `strata` child process with its stderr captured in a file.
class ServerProcess {
 public:
  ServerProcess(const std::vector<std::string>& args, const std::vector<std::string>& env,
                const std::string& log_path)
      : log_path_(log_path) {
    std::vector<std::string> argv_s = {STRATA_BINARY};
    argv_s.insert(argv_s.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_s;
    for (char** e = environ; *e; ++e) {
      if (std::string(*e).rfind("STRATA__", 0) != 0) env_s.push_back(*e);
    }
    env_s.insert(env_s.end(), env.begin(), env.end());
    std::vector<char*> envp;
    for (auto& e : env_s) envp.push_back(e.data());
    envp.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0644);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    EXPECT_EQ(posix_spawn(&pid_, STRATA_BINARY, &actions, nullptr, argv.data(), envp.data()), 0);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~ServerProcess() {
    if (pid_ > 0 && !exited_) {
      kill(pid_, SIGKILL);
      Wait(std::chrono::seconds(10));
    }
  }
  // Waits until the log contains `text` (true) or the process exits / time runs out (false).
  bool WaitForLog(const std::string& text, std::chrono::seconds limit = std::chrono::seconds(20)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (log().find(text) != std::string::npos) return true;
      if (Exited()) return log().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
  }
  // Exit code, or -1 on timeout (-signal if killed by one).
  int Wait(std::chrono::seconds limit) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      if (Exited()) return code_;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return -1000;
  }
  void Signal(int sig) { kill(pid_, sig); }
  std::string log() const { return ReadFile(log_path_); }

 private:
  bool Exited() {
    if (exited_) return true;
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    return exited_;
  }
  pid_t pid_ = -1;
  bool exited_ = false;
  int code_ = 0;
  std::string log_path_;
};

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
