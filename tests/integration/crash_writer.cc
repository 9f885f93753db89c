// crash_writer: a process for crash tests. It opens the engine on a directory and writes
// batches with wait=true forever, printing "ACK <batch>" after each acknowledgement, until it
// is killed. Batch b holds points b*kBatch .. b*kBatch+kBatch-1, each with a vector and payload
// derived from its id, so a verifier can check every byte; the same write marks batch b - 1's
// points through a payload filter (crash::WriterRequest).
// usage: crash_writer <storage dir> <first batch>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "collection/toc.h"
#include "crash_common.h"
#include "storage/posix_fs.h"
#include "strata/abi/strata_methods.h"

using namespace strata::kernel;

int main(int argc, char** argv) {
  if (argc != 3) return 2;
  auto fs = OwnedFs::Open(PosixStorageVtable(), argv[1]);
  if (!fs.ok()) return 3;
  strata::kernel::ShardOptions options;
  options.snapshot_every_ops = crash::kSnapshotEveryOps;
  auto toc = Toc::Open((*fs)->view(), options);
  if (!toc.ok()) {
    std::fprintf(stderr, "open: %s\n", toc.status().ToString().c_str());
    return 4;
  }
  if (!(*toc)->Exists(crash::kCollection)) {
    strata::Status s = (*toc)->Create(crash::CreateRequest());
    if (!s.ok()) return 5;
  }
  auto coll = *(*toc)->Find(crash::kCollection);
  for (uint64_t b = std::strtoull(argv[2], nullptr, 10);; ++b) {
    std::string req = crash::WriterRequest(b).SerializeAsString();
    auto seq = coll->shard().Write(STRATA_METHOD_Points_UpdateBatch, req);
    if (!seq.ok()) {
      std::fprintf(stderr, "write: %s\n", seq.status().ToString().c_str());
      return 6;
    }
    std::printf("ACK %llu\n", static_cast<unsigned long long>(b));
    std::fflush(stdout);
  }
}
