// strata: the server binary.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "server/build_info.h"
#include "server/server.h"
#include "strata/abi/strata_abi.h"

namespace {

void Usage(FILE* out) {
  std::fputs(
      "usage: strata [--config FILE] [--plugin-file FILE]... [--storage-snapshot FILE]\n"
      "              [--plugins] [--version]\n"
      "  --config FILE       YAML configuration (Qdrant layout); STRATA__SECTION__KEY\n"
      "                      environment variables override it\n"
      "  --plugin-file FILE  load this plugin library in addition to plugins.dirs\n"
      "  --storage-snapshot FILE\n"
      "                      recover every collection and alias of this full snapshot\n"
      "                      (POST /snapshots) before serving; same-named ones are replaced\n"
      "  --plugins           list discovered plugins with their status and exit\n"
      "  --version           print version, ABI and build id and exit\n",
      out);
}

std::string ExeDir() {
  std::vector<char> buf(4096);
  ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  if (n <= 0) return "";
  std::string path(buf.data(), static_cast<size_t>(n));
  return path.substr(0, path.rfind('/'));
}

}  // namespace

int main(int argc, char** argv) {
  strata::kernel::ServerOptions options;
  options.exe_dir = ExeDir();
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](const char* flag) -> const char* {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "strata: %s needs a value\n", flag);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--config") {
      options.config_file = value("--config");
    } else if (a.rfind("--config=", 0) == 0) {
      options.config_file = a.substr(9);
    } else if (a == "--plugin-file") {
      options.extra_plugin_files.push_back(value("--plugin-file"));
    } else if (a == "--storage-snapshot") {
      options.storage_snapshot = value("--storage-snapshot");
    } else if (a == "--plugins") {
      options.list_plugins = true;
    } else if (a == "--version") {
      std::printf("strata %s (Qdrant API %s, plugin ABI %d.%d, build %s)\n",
                  strata::kernel::StrataVersion().c_str(), STRATA_QDRANT_API_VERSION,
                  STRATA_ABI_MAJOR, STRATA_ABI_MINOR, strata::kernel::StrataBuildId().c_str());
      return 0;
    } else if (a == "--help" || a == "-h") {
      Usage(stdout);
      return 0;
    } else {
      std::fprintf(stderr, "strata: unknown argument '%s'\n", a.c_str());
      Usage(stderr);
      return 2;
    }
  }
  return strata::kernel::RunServer(options);
}
