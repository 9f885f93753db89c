// server_process.h: runs the real `strata` binary as a child process for tests, with its
// stderr captured in a file.
#ifndef STRATA_TESTS_INTEGRATION_SERVER_PROCESS_H_
#define STRATA_TESTS_INTEGRATION_SERVER_PROCESS_H_

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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

namespace strata_test {

inline std::string ReadFile(const std::string& path) {
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
    // Free ports by default, so servers of tests running in parallel never collide; a test's
    // own settings come later and win (the server reads the environment in order).
    env_s.push_back("STRATA__SERVICE__HTTP_PORT=0");
    env_s.push_back("STRATA__SERVICE__GRPC_PORT=0");
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

}  // namespace strata_test

#endif  // STRATA_TESTS_INTEGRATION_SERVER_PROCESS_H_
