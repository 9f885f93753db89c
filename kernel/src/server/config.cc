#include "server/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "common/logging.h"

extern char** environ;

namespace strata::kernel {
namespace {

// Built-in defaults, in Qdrant's configuration layout plus Strata's `plugins` section.
constexpr const char* kDefaults = R"yaml(
log_level: info
logger:
  format: text            # text | json
storage:
  storage_path: ./storage
  snapshots_path: ./snapshots
  backend: mmap           # storage plugin holding the data; "posix" is built in
  payload_cache_mb: 64    # block cache shared by every collection's on-disk payloads
  wal:
    wal_capacity_mb: 32
    wal_segments_ahead: 0
    sync: always          # always: fdatasync before acknowledging | never: OS page cache
  performance:
    max_search_threads: 0
    max_optimization_threads: 0
service:
  host: 0.0.0.0
  http_port: 6333
  grpc_port: 6334
  max_request_size_mb: 32
  max_workers: 0
  enable_cors: true
  enable_tls: false
  shutdown_timeout_sec: 10
cluster:
  enabled: false
  p2p:
    port: 6335
plugins:
  dirs: []                # scanned for libstrata_*.so; empty = <bin>/../lib/strata/plugins
  files: []               # extra plugin files
  enable: []              # kind/name to initialise, e.g. frontend/rest; empty = all found
)yaml";

void Flatten(const YAML::Node& node, const std::string& prefix,
             std::map<std::string, std::string>* scalars,
             std::map<std::string, std::vector<std::string>>* lists) {
  if (node.IsMap()) {
    for (const auto& kv : node) {
      std::string key = kv.first.as<std::string>();
      Flatten(kv.second, prefix.empty() ? key : prefix + "." + key, scalars, lists);
    }
  } else if (node.IsSequence()) {
    std::vector<std::string> items;
    bool all_scalar = true;
    for (const auto& item : node) {
      all_scalar &= item.IsScalar();
      if (item.IsScalar()) items.push_back(item.as<std::string>());
    }
    if (all_scalar) {
      (*lists)[prefix] = items;
      scalars->erase(prefix);
    } else {
      int i = 0;
      for (const auto& item : node)
        Flatten(item, prefix + "." + std::to_string(i++), scalars, lists);
    }
  } else if (node.IsScalar()) {
    (*scalars)[prefix] = node.as<std::string>();
    lists->erase(prefix);
  } else if (node.IsNull()) {
    scalars->erase(prefix);
  }
}

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

Status ApplyYaml(const std::string& text, const std::string& origin,
                 std::map<std::string, std::string>* scalars,
                 std::map<std::string, std::vector<std::string>>* lists) {
  try {
    YAML::Node root = YAML::Load(text);
    if (!root.IsNull() && !root.IsMap()) {
      return InvalidArgument(origin + ": the configuration must be a YAML mapping");
    }
    Flatten(root, "", scalars, lists);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(origin + ": " + e.what());
  }
  return Status::Ok();
}

}  // namespace

std::map<std::string, std::string> Config::ProcessEnvironment() {
  std::map<std::string, std::string> env;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry = *e;
    size_t eq = entry.find('=');
    if (eq != std::string::npos) env[entry.substr(0, eq)] = entry.substr(eq + 1);
  }
  return env;
}

Result<Config> Config::FromYaml(const std::string& yaml_text,
                                const std::map<std::string, std::string>& environment) {
  Config c;
  STRATA_RETURN_IF_ERROR(ApplyYaml(kDefaults, "built-in defaults", &c.scalars_, &c.lists_));
  STRATA_RETURN_IF_ERROR(ApplyYaml(yaml_text, "configuration", &c.scalars_, &c.lists_));
  const std::string prefix = "STRATA__";
  for (const auto& [name, value] : environment) {
    if (name.rfind(prefix, 0) != 0 || name.size() == prefix.size()) continue;
    std::string key;
    for (size_t i = prefix.size(); i < name.size(); ++i) {
      if (name.compare(i, 2, "__") == 0) {
        key += '.';
        ++i;
      } else {
        key += static_cast<char>(std::tolower(static_cast<unsigned char>(name[i])));
      }
    }
    STRATA_RETURN_IF_ERROR(c.Set(key, value));
  }
  return c;
}

Result<Config> Config::Load(const std::string& yaml_file,
                            const std::map<std::string, std::string>& environment) {
  std::string text;
  if (!yaml_file.empty()) {
    std::ifstream in(yaml_file);
    if (!in) return NotFound("configuration file " + yaml_file + " cannot be read");
    std::stringstream buf;
    buf << in.rdbuf();
    text = buf.str();
  }
  Result<Config> c = FromYaml(text, environment);
  if (!c.ok() && !yaml_file.empty()) return c.status().WithContext(yaml_file);
  return c;
}

Status Config::Set(const std::string& key, const std::string& value) {
  if (lists_.count(key)) {
    lists_[key] = SplitComma(value);
  } else {
    scalars_[key] = value;
  }
  return Status::Ok();
}

std::optional<std::string> Config::Get(const std::string& key) const {
  auto it = scalars_.find(key);
  if (it == scalars_.end()) return std::nullopt;
  return it->second;
}

std::string Config::GetString(const std::string& key) const { return Get(key).value_or(""); }

Result<int64_t> Config::GetInt(const std::string& key, int64_t lo, int64_t hi) const {
  auto v = Get(key);
  if (!v) return InvalidArgument(key + ": missing (expected an integer)");
  char* end = nullptr;
  long long n = std::strtoll(v->c_str(), &end, 10);
  if (v->empty() || *end != '\0') {
    return InvalidArgument(key + ": '" + *v + "' is not an integer");
  }
  if (n < lo || n > hi) {
    return InvalidArgument(key + ": " + *v + " is outside [" + std::to_string(lo) + ", " +
                           std::to_string(hi) + "]");
  }
  return static_cast<int64_t>(n);
}

Result<bool> Config::GetBool(const std::string& key) const {
  std::string v = GetString(key);
  std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return std::tolower(c); });
  if (v == "true" || v == "yes" || v == "on" || v == "1") return true;
  if (v == "false" || v == "no" || v == "off" || v == "0") return false;
  return InvalidArgument(key + ": '" + GetString(key) + "' is not a boolean (true or false)");
}

std::vector<std::string> Config::GetList(const std::string& key) const {
  auto it = lists_.find(key);
  if (it != lists_.end()) return it->second;
  auto s = Get(key);
  return s ? SplitComma(*s) : std::vector<std::string>{};
}

std::map<std::string, std::string> Config::Section(const std::string& prefix) const {
  std::map<std::string, std::string> out;
  const std::string p = prefix + ".";
  for (const auto& [k, v] : scalars_) {
    if (k.rfind(p, 0) == 0) out[k.substr(p.size())] = v;
  }
  return out;
}

std::string Config::Dump() const {
  std::string out;
  for (const auto& [k, v] : scalars_) out += k + ": " + v + "\n";
  for (const auto& [k, items] : lists_) {
    out += k + ": [";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + items[i];
    out += "]\n";
  }
  return out;
}

Result<ServerSettings> ReadServerSettings(const Config& c) {
  ServerSettings s;
  s.storage_path = c.GetString("storage.storage_path");
  if (s.storage_path.empty()) return InvalidArgument("storage.storage_path: must not be empty");
  s.snapshots_path = c.GetString("storage.snapshots_path");
  if (s.snapshots_path.empty()) {
    return InvalidArgument("storage.snapshots_path: must not be empty");
  }
  s.storage_backend = c.GetString("storage.backend");
  if (s.storage_backend.empty()) return InvalidArgument("storage.backend: must not be empty");
  STRATA_ASSIGN_OR_RETURN(s.payload_cache_mb, c.GetInt("storage.payload_cache_mb", 1, 1 << 20));
  s.host = c.GetString("service.host");
  STRATA_ASSIGN_OR_RETURN(s.http_port, c.GetInt("service.http_port", 0, 65535));
  STRATA_ASSIGN_OR_RETURN(s.grpc_port, c.GetInt("service.grpc_port", 0, 65535));
  STRATA_ASSIGN_OR_RETURN(s.cluster_enabled, c.GetBool("cluster.enabled"));
  STRATA_ASSIGN_OR_RETURN(s.p2p_port, c.GetInt("cluster.p2p.port", 0, 65535));
  STRATA_ASSIGN_OR_RETURN(s.shutdown_timeout_sec,
                          c.GetInt("service.shutdown_timeout_sec", 0, 3600));
  const std::string sync = c.GetString("storage.wal.sync");
  if (sync != "always" && sync != "never") {
    return InvalidArgument("storage.wal.sync: '" + sync + "' is not one of always, never");
  }
  s.wal_sync_always = sync == "always";
  s.log_level = c.GetString("log_level");
  STRATA_RETURN_IF_ERROR(ParseLogLevel(s.log_level).status());
  std::string format = c.GetString("logger.format");
  if (format != "text" && format != "json") {
    return InvalidArgument("logger.format: '" + format + "' is not one of text, json");
  }
  s.log_json = format == "json";
  s.plugin_dirs = c.GetList("plugins.dirs");
  s.plugin_files = c.GetList("plugins.files");
  s.plugin_enable = c.GetList("plugins.enable");
  for (const std::string& id : s.plugin_enable) {
    if (id.find('/') == std::string::npos) {
      return InvalidArgument("plugins.enable: '" + id + "' must be kind/name, e.g. index/hnsw");
    }
  }
  return s;
}

}  // namespace strata::kernel
