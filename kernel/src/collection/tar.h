// tar.h: the POSIX ustar archive format, written and read through the kernel's File, for
// collection snapshots (so `tar tf` lists a snapshot and `tar xf` unpacks it).
//
// Writer: entries are 512-byte headers followed by their data padded to 512 bytes; the archive
// ends with two zero blocks. An entry's data can be streamed by the caller (Begin / End): the
// header is written last, once the size is known. Sizes of 8 GiB and more use the base-256
// size field (GNU and POSIX readers accept it). Names are at most 100 bytes.
// Reader: walks the headers, checks each header's checksum and that every entry lies inside
// the file; regular files only (other types are listed so the caller can refuse them).
#ifndef STRATA_KERNEL_COLLECTION_TAR_H_
#define STRATA_KERNEL_COLLECTION_TAR_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "storage/file_system.h"

namespace strata::kernel {

class TarWriter {
 public:
  // Writes from offset `base` of `f` (0 and an empty file for a standalone archive; further in
  // for an archive nested as an entry of another).
  explicit TarWriter(File* f, uint64_t base = 0) : f_(f), at_(base), base_(base) {}

  Status Add(const std::string& name, std::string_view data, int64_t mtime);
  // Starts an entry and returns the offset its data goes at; the caller writes the data there
  // (any number of bytes), then calls End with their count.
  Result<uint64_t> Begin(const std::string& name, int64_t mtime);
  Status End(uint64_t size);
  // Writes the end-of-archive blocks; a standalone archive's file is also cut there and synced.
  // Returns the archive's size.
  Result<uint64_t> Finish(bool standalone = true);

 private:
  File* f_;
  uint64_t at_ = 0;        // where the next header goes
  uint64_t base_ = 0;      // where this archive starts in the file
  uint64_t open_ = 0;      // header offset of the entry Begin started
  std::string open_name_;  // its name ("" when none)
  int64_t open_mtime_ = 0;
};

struct TarEntry {
  std::string name;
  char type = '0';      // '0' regular file, '5' directory, ...
  uint64_t offset = 0;  // of the data
  uint64_t size = 0;
  int64_t mtime = 0;
};

// The entries of the archive in `f`; DATA_LOSS naming `what` when it is not a well-formed tar.
Result<std::vector<TarEntry>> ReadTar(const File& f, const std::string& what);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_COLLECTION_TAR_H_
