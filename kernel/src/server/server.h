// server.h: the server's life: configuration, plugins, storage lock, frontends, signals.
#ifndef STRATA_KERNEL_SERVER_SERVER_H_
#define STRATA_KERNEL_SERVER_SERVER_H_

#include <string>
#include <vector>

namespace strata::kernel {

struct ServerOptions {
  std::string config_file;                      // --config
  bool list_plugins = false;                    // --plugins
  std::vector<std::string> extra_plugin_files;  // --plugin-file (repeatable)
  std::string storage_snapshot;  // --storage-snapshot: a full snapshot recovered at start
  std::string exe_dir;           // directory of the running binary (default plugin dir)
};

// Runs until SIGINT/SIGTERM (or, with list_plugins, prints the table and returns).
// Returns the process exit code; every failure is logged with the reason.
int RunServer(const ServerOptions& options);

std::string StrataVersion();
std::string StrataBuildId();

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SERVER_SERVER_H_
