// config.h: the server configuration: a YAML file in Qdrant's layout, over built-in defaults,
// overridden by STRATA__SECTION__KEY environment variables.
//
// Values are kept flattened by dotted key ("service.http_port"); lists of scalars stay lists.
// Concurrency: immutable after Load; safe to read from any thread.
#ifndef STRATA_KERNEL_SERVER_CONFIG_H_
#define STRATA_KERNEL_SERVER_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "strata/sdk/status.hpp"

namespace strata::kernel {

class Config {
 public:
  // Defaults, then `yaml_file` (if not empty; must exist), then every environment entry named
  // STRATA__A__B (=> key "a.b"). A list-valued key takes a comma-separated override.
  static Result<Config> Load(const std::string& yaml_file,
                             const std::map<std::string, std::string>& environment);
  static Result<Config> FromYaml(const std::string& yaml_text,
                                 const std::map<std::string, std::string>& environment = {});
  // The process environment as a map (the injected default for Load).
  static std::map<std::string, std::string> ProcessEnvironment();

  std::optional<std::string> Get(const std::string& key) const;
  std::string GetString(const std::string& key) const;  // "" when unset
  // INVALID_ARGUMENT naming the key when the value is not an integer within [lo, hi].
  Result<int64_t> GetInt(const std::string& key, int64_t lo, int64_t hi) const;
  Result<bool> GetBool(const std::string& key) const;
  std::vector<std::string> GetList(const std::string& key) const;
  // Every scalar under `prefix.` with the prefix removed (plugin configuration sections).
  std::map<std::string, std::string> Section(const std::string& prefix) const;
  // All keys, for `strata --print-config` style output: "key: value" lines.
  std::string Dump() const;

 private:
  Status Set(const std::string& key, const std::string& value);
  std::map<std::string, std::string> scalars_;
  std::map<std::string, std::vector<std::string>> lists_;
};

// The typed, validated settings the kernel itself uses.
struct ServerSettings {
  std::string storage_path;
  std::string snapshots_path;     // collection snapshots (same storage backend)
  std::string storage_backend;    // "posix" (built in) or a storage plugin's name
  int64_t payload_cache_mb = 64;  // storage.payload_cache_mb: on-disk payloads' block cache
  std::string host;
  int http_port = 6333;
  int grpc_port = 6334;
  bool cluster_enabled = false;
  int p2p_port = 6335;
  std::string log_level;
  bool log_json = false;
  std::vector<std::string> plugin_dirs;
  std::vector<std::string> plugin_files;
  std::vector<std::string> plugin_enable;
  int shutdown_timeout_sec = 10;
  bool wal_sync_always = true;  // storage.wal.sync: always | never
};

// Validates and extracts; every error names its key.
Result<ServerSettings> ReadServerSettings(const Config& config);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_SERVER_CONFIG_H_
