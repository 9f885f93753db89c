#include "plugin/abi_check.h"

#include <cstddef>

#include <gtest/gtest.h>

#include "index/flat_index.h"
#include "strata/abi/strata_index.h"

namespace strata::kernel {
namespace {

TEST(AbiCheckTest, AcceptsSameMajorAndOlderOrEqualMinor) {
  EXPECT_TRUE(CheckAbiVersion(STRATA_ABI_MAJOR, 0).ok());
  EXPECT_TRUE(CheckAbiVersion(STRATA_ABI_MAJOR, STRATA_ABI_MINOR).ok());
}

TEST(AbiCheckTest, RefusesOtherMajorNamingBothVersions) {
  Status s = CheckAbiVersion(STRATA_ABI_MAJOR + 1, 0);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("ABI 2.0"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("implements ABI 1." + std::to_string(STRATA_ABI_MINOR)),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("rebuild"), std::string::npos) << s.message();
}

TEST(AbiCheckTest, RefusesNewerMinor) {
  Status s = CheckAbiVersion(STRATA_ABI_MAJOR, STRATA_ABI_MINOR + 3);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("needs plugin ABI 1." + std::to_string(STRATA_ABI_MINOR + 3)),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("upgrade the server"), std::string::npos) << s.message();
}

TEST(AbiCheckTest, BundleTierNeedsSameBuild) {
  EXPECT_TRUE(CheckTier(STRATA_TIER_BUNDLE, "b1", "b1").ok());
  EXPECT_TRUE(CheckTier(STRATA_TIER_STABLE, "anything", "b1").ok());
  Status s = CheckTier(STRATA_TIER_BUNDLE, "b0", "b1");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("built for b0, this server is b1"), std::string::npos);
  EXPECT_FALSE(CheckTier(7, "b1", "b1").ok());
}

TEST(AbiCheckTest, NameRule) {
  EXPECT_TRUE(CheckPluginName("hnsw_2").ok());
  EXPECT_FALSE(CheckPluginName("").ok());
  EXPECT_FALSE(CheckPluginName("Bad-Name").ok());
  EXPECT_FALSE(CheckPluginName(std::string(33, 'a').c_str()).ok());
}

TEST(AbiCheckTest, InfoNeedsMandatorySlotsAndSize) {
  strata_plugin_info info{sizeof(info), STRATA_KIND_INDEX, "x", "1.0", "", 0, FlatIndexVtable()};
  EXPECT_TRUE(CheckPluginInfo(info).ok());

  strata_index_vtable missing = *FlatIndexVtable();
  missing.search = nullptr;
  info.vtable = &missing;
  Status s = CheckPluginInfo(info);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.message().find("search"), std::string::npos) << s.message();

  strata_index_vtable small = *FlatIndexVtable();
  small.struct_size = 16;
  info.vtable = &small;
  EXPECT_FALSE(CheckPluginInfo(info).ok());
  // A 1.0 index table (no link_group, appended in 1.1) still loads.
  strata_index_vtable v1_0 = *FlatIndexVtable();
  v1_0.struct_size = offsetof(strata_index_vtable, link_group);
  info.vtable = &v1_0;
  EXPECT_TRUE(CheckPluginInfo(info).ok());
  EXPECT_FALSE(STRATA_HAS(&v1_0, link_group)) << "the host sees no link_group there";

  info.vtable = FlatIndexVtable();
  info.kind = 42;
  EXPECT_NE(CheckPluginInfo(info).message().find("unknown plugin kind 42"), std::string::npos);
}

TEST(AbiCheckTest, InitOrderIsStorageIndexConsensusFrontend) {
  EXPECT_LT(KindInitRank(STRATA_KIND_STORAGE), KindInitRank(STRATA_KIND_INDEX));
  EXPECT_LT(KindInitRank(STRATA_KIND_INDEX), KindInitRank(STRATA_KIND_CONSENSUS));
  EXPECT_LT(KindInitRank(STRATA_KIND_CONSENSUS), KindInitRank(STRATA_KIND_FRONTEND));
}

}  // namespace
}  // namespace strata::kernel
