#include "server/config.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

namespace strata::kernel {
namespace {

TEST(ConfigTest, DefaultsFollowQdrantLayout) {
  Result<Config> c = Config::FromYaml("");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Result<ServerSettings> s = ReadServerSettings(*c);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->http_port, 6333);
  EXPECT_EQ(s->grpc_port, 6334);
  EXPECT_EQ(s->p2p_port, 6335);
  EXPECT_EQ(s->storage_path, "./storage");
  EXPECT_EQ(s->payload_cache_mb, 64);
  EXPECT_FALSE(s->cluster_enabled);
  EXPECT_TRUE(s->plugin_enable.empty());
}

TEST(ConfigTest, FileOverridesDefaultsAndEnvOverridesFile) {
  Result<Config> c = Config::FromYaml(
      "service:\n  http_port: 7000\n  grpc_port: 7001\nplugins:\n  enable: [index/flat]\n",
      {{"STRATA__SERVICE__HTTP_PORT", "8000"},
       {"STRATA__PLUGINS__ENABLE", "storage/posix, index/flat"},
       {"STRATA__STORAGE__STORAGE_PATH", "/tmp/x"},
       {"UNRELATED", "1"}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  Result<ServerSettings> s = ReadServerSettings(*c);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->http_port, 8000);
  EXPECT_EQ(s->grpc_port, 7001);
  EXPECT_EQ(s->storage_path, "/tmp/x");
  EXPECT_EQ(s->plugin_enable, (std::vector<std::string>{"storage/posix", "index/flat"}));
}

TEST(ConfigTest, BadValuesNameTheirKey) {
  auto check = [](const std::string& yaml, const std::string& key) {
    Result<Config> c = Config::FromYaml(yaml);
    ASSERT_TRUE(c.ok());
    Result<ServerSettings> s = ReadServerSettings(*c);
    ASSERT_FALSE(s.ok()) << yaml;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.status().message().find(key), std::string::npos) << s.status().message();
  };
  check("service:\n  http_port: abc\n", "service.http_port");
  check("service:\n  grpc_port: 70000\n", "service.grpc_port");
  check("cluster:\n  enabled: maybe\n", "cluster.enabled");
  check("log_level: loud\n", "log_level");
  check("logger:\n  format: xml\n", "logger.format");
  check("plugins:\n  enable: [hnsw]\n", "plugins.enable");
  check("storage:\n  payload_cache_mb: 0\n", "storage.payload_cache_mb");
}

TEST(ConfigTest, MalformedYamlAndMissingFileAreClearErrors) {
  Result<Config> bad = Config::FromYaml("service: [unclosed\n");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  Result<Config> missing = Config::Load("/nonexistent/strata.yaml", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("/nonexistent/strata.yaml"), std::string::npos);
}

TEST(ConfigTest, LoadsFileAndExposesSections) {
  std::string path = ::testing::TempDir() + "/strata_config_test.yaml";
  std::ofstream(path) << "service:\n  api_key: secret\n  http_port: 6400\n";
  Result<Config> c = Config::Load(path, {});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->GetString("service.api_key"), "secret");
  auto section = c->Section("service");
  EXPECT_EQ(section["http_port"], "6400");
  EXPECT_EQ(section["grpc_port"], "6334");
  std::remove(path.c_str());
}

}  // namespace
}  // namespace strata::kernel
