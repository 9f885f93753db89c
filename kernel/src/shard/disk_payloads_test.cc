// Payloads on disk (segment/disk_payloads.*): the store itself, and a shard keeping its payloads
// there that is crashed (unsynced bytes dropped) or killed (every written byte kept, no final
// snapshot) at random moments, compared after every restart with an in-memory shard that got
// the same acknowledged writes.
#include "segment/disk_payloads.h"

#include <google/protobuf/util/message_differencer.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <random>

#include "shard/local_shard.h"
#include "storage/fault_fs.h"
#include "storage/posix_fs.h"
#include "strata/abi/strata_methods.h"

namespace strata::kernel {
namespace {

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/strata-diskpl-XXXXXX";
    path_ = mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

PayloadMap Payload(int64_t g, const std::string& t) {
  PayloadMap p;
  p["g"].set_integer_value(g);
  p["t"].set_string_value(t);
  return p;
}

TEST(DiskPayloadsTest, StagedChangesCommitAsOneBatchAndSurviveAReopen) {
  TempDir dir;
  auto fs = *OwnedFs::Open(PosixStorageVtable(), dir.path());
  const ExternalId a = ExternalId::Num(7);
  const ExternalId b = *ExternalId::ParseUuid("5c56c793-69f3-4fbf-87e6-c4bf54c28c26");
  {
    auto store = *DiskPayloads::Open(fs->view(), "p");
    store->StagePut(a, 3, Payload(1, "x"));
    store->StagePut(b, 3, Payload(2, "y"));
    PayloadMap got;
    uint64_t version = 0;
    ASSERT_TRUE(*store->Read(a, &got, &version)) << "staged changes are read back";
    EXPECT_EQ(version, 3u);
    EXPECT_EQ(*store->CommittedVersion(a), 0u) << "not committed yet";
    ASSERT_TRUE(store->Commit().ok());
    EXPECT_EQ(*store->CommittedVersion(a), 3u);
    store->StageErase(a);
    EXPECT_FALSE(*store->Read(a, &got, &version)) << "a staged erase hides the record";
    store->DiscardStaged();
    EXPECT_TRUE(*store->Read(a, &got, &version)) << "discarded: the record is back";
    store->StagePut(ExternalId::Num(1), 4, {});
    store->StageErase(a);
    ASSERT_TRUE(store->Commit().ok());
    ASSERT_TRUE(store->Sync().ok());
  }
  auto store = *DiskPayloads::Open(fs->view(), "p");
  PayloadMap got;
  uint64_t version = 0;
  EXPECT_FALSE(*store->Read(a, &got, &version));
  ASSERT_TRUE(*store->Read(b, &got, &version));
  EXPECT_EQ(version, 3u);
  EXPECT_EQ(got.at("g").integer_value(), 2) << "integers stay integers";
  EXPECT_EQ(got.at("t").string_value(), "y");
  std::vector<std::string> order;
  ASSERT_TRUE(store
                  ->ForEach([&](const ExternalId& id, uint64_t, const PayloadMap&) {
                    order.push_back(id.ToString());
                  })
                  .ok());
  EXPECT_EQ(order, (std::vector<std::string>{"1", b.ToString()}))
      << "integer ids first, then UUIDs";
}

TEST(DiskPayloadsTest, ACrashKeepsWholeBatchesOnly) {
  TempDir dir;
  auto state = std::make_shared<FaultState>();
  {
    auto fs = *OpenFaultFs(PosixStorageVtable(), dir.path(), state);
    auto store = *DiskPayloads::Open(fs->view(), "p");
    store->StagePut(ExternalId::Num(1), 1, Payload(1, "a"));
    ASSERT_TRUE(store->Commit().ok());
    ASSERT_TRUE(store->Sync().ok());
    for (uint64_t v = 2; v < 40; ++v) {
      store->StagePut(ExternalId::Num(1), v, Payload(static_cast<int64_t>(v), "a"));
      store->StagePut(ExternalId::Num(2), v, Payload(static_cast<int64_t>(v), "b"));
      ASSERT_TRUE(store->Commit().ok());
    }
    state->Crash();
  }
  state->Revive();
  auto fs = *OpenFaultFs(PosixStorageVtable(), dir.path(), state);
  auto store = *DiskPayloads::Open(fs->view(), "p");
  const uint64_t v1 = *store->CommittedVersion(ExternalId::Num(1));
  const uint64_t v2 = *store->CommittedVersion(ExternalId::Num(2));
  EXPECT_GE(v1, 1u) << "the synced record survives";
  // Both points were written by every batch after the first: whatever survived, they agree
  // (point 2 has no record when only the synced batch did).
  EXPECT_EQ(v2, v1 > 1 ? v1 : 0u) << "a batch is all or nothing";
}

// --- A shard with payloads on disk against one with payloads in memory. ---

constexpr uint32_t kDim = 4;
constexpr uint32_t kIds = 12;  // few ids: operations keep meeting the same points

void SetVector(qdrant::PointStruct* p, std::mt19937& rng) {
  auto* v = p->mutable_vectors()->mutable_vector()->mutable_dense();
  for (uint32_t d = 0; d < kDim; ++d) v->add_data(static_cast<float>(rng() % 17) - 8.0f);
}

qdrant::PointsSelector RandomSelector(std::mt19937& rng) {
  qdrant::PointsSelector sel;
  if (rng() % 2 == 0) {
    auto* c = sel.mutable_filter()->add_must()->mutable_field();
    switch (rng() % 3) {
      case 0:
        c->set_key("g");
        c->mutable_match()->set_integer(static_cast<int64_t>(rng() % 4));
        break;
      case 1:
        c->set_key("t");
        c->mutable_match()->set_keyword(std::string(1, static_cast<char>('a' + rng() % 3)));
        break;
      default:  // not indexed: on disk, a scan of the store (staged changes included)
        c->set_key("n.x");
        c->mutable_range()->set_gte(static_cast<double>(rng() % 25));
        break;
    }
  } else {
    const int n = 1 + static_cast<int>(rng() % 3);
    for (int i = 0; i < n; ++i) sel.mutable_points()->add_ids()->set_num(rng() % kIds);
  }
  return sel;
}

void RandomPayload(google::protobuf::Map<std::string, qdrant::Value>* p, std::mt19937& rng) {
  if (rng() % 4) (*p)["g"].set_integer_value(static_cast<int64_t>(rng() % 4));
  if (rng() % 4) (*p)["t"].set_string_value(std::string(1, static_cast<char>('a' + rng() % 3)));
  if (rng() % 3 == 0) {
    (*(*p)["n"].mutable_struct_value()->mutable_fields())["x"].set_double_value(rng() % 100 / 4.0);
  }
}

// One random operation as a batch entry.
qdrant::PointsUpdateOperation RandomOperation(std::mt19937& rng) {
  qdrant::PointsUpdateOperation op;
  switch (rng() % 8) {
    case 0:
    case 1: {
      auto* up = op.mutable_upsert();
      const int n = 1 + static_cast<int>(rng() % 3);
      for (int i = 0; i < n; ++i) {
        qdrant::PointStruct* p = up->add_points();
        p->mutable_id()->set_num(rng() % kIds);
        SetVector(p, rng);
        RandomPayload(p->mutable_payload(), rng);
      }
      break;
    }
    case 2: {
      auto* sp = op.mutable_set_payload();
      RandomPayload(sp->mutable_payload(), rng);
      if (rng() % 3 == 0) sp->set_key("n");
      *sp->mutable_points_selector() = RandomSelector(rng);
      break;
    }
    case 3: {
      auto* sp = op.mutable_overwrite_payload();
      RandomPayload(sp->mutable_payload(), rng);
      *sp->mutable_points_selector() = RandomSelector(rng);
      break;
    }
    case 4: {
      auto* dp = op.mutable_delete_payload();
      dp->add_keys(rng() % 2 ? "t" : "n.x");
      *dp->mutable_points_selector() = RandomSelector(rng);
      break;
    }
    case 5:
      *op.mutable_clear_payload()->mutable_points() = RandomSelector(rng);
      break;
    case 6:
      *op.mutable_delete_points()->mutable_points() = RandomSelector(rng);
      break;
    default: {
      auto* uv = op.mutable_update_vectors();
      qdrant::PointVectors* pv = uv->add_points();
      pv->mutable_id()->set_num(rng() % kIds);
      for (uint32_t d = 0; d < kDim; ++d) {
        pv->mutable_vectors()->mutable_vector()->mutable_dense()->add_data(
            static_cast<float>(rng() % 9));
      }
      break;
    }
  }
  return op;
}

std::vector<qdrant::RetrievedPoint> Everything(const LocalShard& shard) {
  qdrant::ScrollPoints req;
  req.set_limit(1000);
  req.mutable_with_payload()->set_enable(true);
  req.mutable_with_vectors()->set_enable(true);
  qdrant::ScrollResponse resp;
  EXPECT_TRUE(shard.Scroll(req, &resp).ok());
  return {resp.result().begin(), resp.result().end()};
}

void ExpectSameState(const LocalShard& disk, const LocalShard& memory, const std::string& when) {
  const auto got = Everything(disk);
  const auto want = Everything(memory);
  ASSERT_EQ(got.size(), want.size()) << when;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(got[i], want[i]))
        << when << "\ndisk:   " << got[i].ShortDebugString()
        << "\nmemory: " << want[i].ShortDebugString();
  }
  // The payload indexes agree too (rebuilt after a replay over a store that was ahead).
  for (int g = 0; g < 4; ++g) {
    qdrant::Filter f;
    auto* c = f.add_must()->mutable_field();
    c->set_key("g");
    c->mutable_match()->set_integer(g);
    EXPECT_EQ(*disk.Count(&f), *memory.Count(&f)) << when << " g=" << g;
  }
  // An unindexed filter: on disk a scan of the store, first through the id map, then (the
  // points unchanged since) merged with the cached id order; both must agree with memory.
  qdrant::Filter unindexed;
  auto* c = unindexed.add_must()->mutable_field();
  c->set_key("n.x");
  c->mutable_range()->set_gte(10);
  for (int pass = 0; pass < 2; ++pass) {
    EXPECT_EQ(*disk.Count(&unindexed), *memory.Count(&unindexed)) << when << " pass " << pass;
  }
}

std::map<std::string, FieldIndexSpec> Indexes() {
  FieldIndexSpec integer;
  integer.kind = FieldKind::kInteger;
  return {{"g", integer}, {"t", FieldIndexSpec{}}};
}

TEST(DiskPayloadsShardTest, CrashesAndKillsLeaveTheStateOfTheAcknowledgedWrites) {
  TempDir ref_dir, disk_dir;
  auto ref_fs = *OwnedFs::Open(PosixStorageVtable(), ref_dir.path());
  ShardOptions opts;
  opts.optimizer_interval_ms = 0;
  opts.snapshot_every_ops = 25;  // snapshots (and WAL truncation) between the crashes too
  const std::vector<VectorSpec> specs = {{"", kDim, Metric::kEuclid}};
  auto memory = *LocalShard::Open(ref_fs->view(), "s", specs, opts);
  memory->SetFieldIndexes(Indexes());
  ShardOptions disk_opts = opts;
  disk_opts.payload_on_disk = true;
  auto state = std::make_shared<FaultState>();
  auto disk_fs = *OpenFaultFs(PosixStorageVtable(), disk_dir.path(), state);
  auto disk = *LocalShard::Open(disk_fs->view(), "s", specs, disk_opts);
  ASSERT_TRUE(disk->payloads_on_disk());
  disk->SetFieldIndexes(Indexes());
  std::mt19937 rng(20261124);
  int crashes = 0, kills = 0, filtered = 0;
  for (int step = 0; step < 1500; ++step) {
    uint32_t method = STRATA_METHOD_Points_UpdateBatch;
    std::string body;
    qdrant::UpdateBatchPoints batch;
    const int ops = rng() % 3 == 0 ? 2 + static_cast<int>(rng() % 3) : 1;
    for (int i = 0; i < ops; ++i) *batch.add_operations() = RandomOperation(rng);
    for (const auto& op : batch.operations()) {
      filtered += op.ShortDebugString().find("filter") != std::string::npos;
    }
    body = batch.SerializeAsString();
    Result<uint64_t> wrote = disk->Write(method, body);
    ASSERT_TRUE(wrote.ok()) << wrote.status().ToString();
    ASSERT_TRUE(memory->Write(method, body).ok());
    if (rng() % 30 == 0) {
      const bool crash = rng() % 2 == 0;
      if (crash) {
        state->Crash();
        ++crashes;
      } else {
        state->Kill();
        ++kills;
      }
      disk.reset();  // its final snapshot fails: the process is gone
      state->Revive();
      disk_fs = *OpenFaultFs(PosixStorageVtable(), disk_dir.path(), state);
      Result<std::unique_ptr<LocalShard>> reopened =
          LocalShard::Open(disk_fs->view(), "s", specs, disk_opts);
      ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
      disk = std::move(reopened).value();
      disk->SetFieldIndexes(Indexes());
      ExpectSameState(*disk, *memory,
                      std::string(crash ? "crash" : "kill") + " at step " + std::to_string(step));
      if (HasFatalFailure() || HasFailure()) return;
    }
  }
  ExpectSameState(*disk, *memory, "end");
  EXPECT_GE(crashes, 5);
  EXPECT_GE(kills, 5);
  EXPECT_GE(filtered, 100) << "filter selectors must be exercised";
}

TEST(DiskPayloadsShardTest, PayloadsMoveBetweenMemoryAndDiskAndStayThere) {
  TempDir dir;
  auto fs = *OwnedFs::Open(PosixStorageVtable(), dir.path());
  ShardOptions opts;
  opts.optimizer_interval_ms = 0;
  const std::vector<VectorSpec> specs = {{"", kDim, Metric::kEuclid}};
  std::mt19937 rng(5);
  std::vector<qdrant::RetrievedPoint> before;
  {
    auto shard = *LocalShard::Open(fs->view(), "s", specs, opts);
    EXPECT_FALSE(shard->payloads_on_disk());
    for (int i = 0; i < 20; ++i) {
      qdrant::UpdateBatchPoints batch;
      *batch.add_operations() = RandomOperation(rng);
      ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_UpdateBatch, batch.SerializeAsString()).ok());
    }
    before = Everything(*shard);
    ASSERT_FALSE(before.empty());
    ASSERT_TRUE(shard->SetPayloadOnDisk(true).ok());
    EXPECT_TRUE(shard->payloads_on_disk());
    EXPECT_TRUE(std::filesystem::exists(dir.path() + "/s/payloads"));
  }
  {
    opts.payload_on_disk = true;
    auto shard = *LocalShard::Open(fs->view(), "s", specs, opts);
    EXPECT_TRUE(shard->payloads_on_disk());
    const auto after = Everything(*shard);
    ASSERT_EQ(after.size(), before.size());
    for (size_t i = 0; i < after.size(); ++i) {
      EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(after[i], before[i]));
    }
    ASSERT_TRUE(shard->SetPayloadOnDisk(false).ok());
    EXPECT_FALSE(std::filesystem::exists(dir.path() + "/s/payloads"))
        << "the store goes once the payloads are back in memory";
  }
  opts.payload_on_disk = false;
  auto shard = *LocalShard::Open(fs->view(), "s", specs, opts);
  EXPECT_FALSE(shard->payloads_on_disk());
  const auto after = Everything(*shard);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(after[i], before[i]));
  }
}

// A write selecting points by filter is applied before its WAL record (its filter is resolved
// against the state it meets): when the record cannot be written, the write fails, nothing
// reaches the store, later writes are refused until the shard reopens, and after that the
// write is simply absent.
TEST(DiskPayloadsShardTest, AFilteredWriteWhoseWalRecordFailsLeavesNoTrace) {
  TempDir dir;
  auto state = std::make_shared<FaultState>();
  ShardOptions opts;
  opts.optimizer_interval_ms = 0;
  opts.payload_on_disk = true;
  const std::vector<VectorSpec> specs = {{"", kDim, Metric::kEuclid}};
  auto open = [&] {
    auto fs = OpenFaultFs(PosixStorageVtable(), dir.path(), state);
    EXPECT_TRUE(fs.ok());
    return std::move(fs).value();
  };
  auto fs = open();
  auto shard = *LocalShard::Open(fs->view(), "s", specs, opts);
  std::mt19937 rng(2);
  qdrant::UpsertPoints up;
  for (int i = 0; i < 10; ++i) {
    qdrant::PointStruct* p = up.add_points();
    p->mutable_id()->set_num(i);
    SetVector(p, rng);
    (*p->mutable_payload())["g"].set_integer_value(i % 2);
  }
  ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_Upsert, up.SerializeAsString()).ok());
  const auto before = Everything(*shard);

  qdrant::SetPayloadPoints set;
  (*set.mutable_payload())["x"].set_integer_value(1);
  auto* c = set.mutable_points_selector()->mutable_filter()->add_must()->mutable_field();
  c->set_key("g");
  c->mutable_match()->set_integer(1);
  state->SetSpaceBudget(0);  // the WAL append is the first write: the disk is full
  Result<uint64_t> failed = shard->Write(STRATA_METHOD_Points_SetPayload, set.SerializeAsString());
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kResourceExhausted);
  state->SetSpaceBudget(-1);
  Result<uint64_t> refused = shard->Write(STRATA_METHOD_Points_Upsert, up.SerializeAsString());
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(refused.status().message().find("payload store failed"), std::string::npos)
      << refused.status().message();

  shard.reset();
  fs = open();
  shard = *LocalShard::Open(fs->view(), "s", specs, opts);
  const auto after = Everything(*shard);
  ASSERT_EQ(after.size(), before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(after[i], before[i]))
        << after[i].ShortDebugString();
  }
  EXPECT_TRUE(shard->Write(STRATA_METHOD_Points_SetPayload, set.SerializeAsString()).ok())
      << "writes work again after the reopen";
}

TEST(DiskPayloadsShardTest, ASnapshotWhosePayloadStoreIsGoneIsDataLoss) {
  TempDir dir;
  auto fs = *OwnedFs::Open(PosixStorageVtable(), dir.path());
  ShardOptions opts;
  opts.optimizer_interval_ms = 0;
  opts.payload_on_disk = true;
  const std::vector<VectorSpec> specs = {{"", kDim, Metric::kEuclid}};
  {
    auto shard = *LocalShard::Open(fs->view(), "s", specs, opts);
    qdrant::UpdateBatchPoints batch;
    std::mt19937 rng(1);
    auto* up = batch.add_operations()->mutable_upsert();
    qdrant::PointStruct* p = up->add_points();
    p->mutable_id()->set_num(1);
    SetVector(p, rng);
    ASSERT_TRUE(shard->Write(STRATA_METHOD_Points_UpdateBatch, batch.SerializeAsString()).ok());
  }
  std::filesystem::remove_all(dir.path() + "/s/payloads");
  Result<std::unique_ptr<LocalShard>> reopened = LocalShard::Open(fs->view(), "s", specs, opts);
  ASSERT_FALSE(reopened.ok());
  EXPECT_EQ(reopened.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(reopened.status().message().find("payloads"), std::string::npos)
      << reopened.status().message();
}

}  // namespace
}  // namespace strata::kernel
