#include "collection/tar.h"

#include <cstring>

namespace strata::kernel {
namespace {

constexpr uint64_t kBlock = 512;
constexpr uint64_t kOctalSizeLimit = uint64_t{1} << 33;  // 11 octal digits

uint64_t Padded(uint64_t n) { return (n + kBlock - 1) / kBlock * kBlock; }

// An octal field of `width` bytes: digits, then a NUL.
void PutOctal(char* field, size_t width, uint64_t v) {
  std::memset(field, '0', width - 1);
  field[width - 1] = '\0';
  for (size_t i = width - 1; i-- > 0 && v != 0; v >>= 3)
    field[i] = static_cast<char>('0' + (v & 7));
}

uint32_t HeaderChecksum(const char* h) {
  uint32_t sum = 0;
  for (size_t i = 0; i < kBlock; ++i) {
    // The checksum field itself counts as spaces.
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(h[i]);
  }
  return sum;
}

std::string Header(const std::string& name, uint64_t size, int64_t mtime, char type) {
  std::string h(kBlock, '\0');
  std::memcpy(&h[0], name.data(), name.size());
  PutOctal(&h[100], 8, type == '5' ? 0755 : 0644);
  PutOctal(&h[108], 8, 0);
  PutOctal(&h[116], 8, 0);
  if (size < kOctalSizeLimit) {
    PutOctal(&h[124], 12, size);
  } else {  // base-256: high bit set, big-endian value in the remaining bytes
    h[124] = static_cast<char>(0x80);
    for (int i = 11; i >= 1; --i, size >>= 8) h[124 + i] = static_cast<char>(size & 0xff);
  }
  PutOctal(&h[136], 12, static_cast<uint64_t>(mtime < 0 ? 0 : mtime));
  h[156] = type;
  std::memcpy(&h[257], "ustar", 6);   // magic "ustar\0"
  std::memcpy(&h[263], "00", 2);      // version
  std::memcpy(&h[265], "strata", 6);  // uname
  std::memcpy(&h[297], "strata", 6);  // gname
  // Six octal digits, NUL, space (the classic layout every reader takes).
  uint32_t sum = HeaderChecksum(h.data());
  PutOctal(&h[148], 7, sum);
  h[155] = ' ';
  return h;
}

bool ParseNumber(const char* field, size_t width, uint64_t* out) {
  const auto* u = reinterpret_cast<const unsigned char*>(field);
  if (u[0] & 0x80) {  // base-256
    uint64_t v = u[0] & 0x7f;
    for (size_t i = 1; i < width; ++i) {
      if (v >> 56) return false;
      v = v << 8 | u[i];
    }
    *out = v;
    return true;
  }
  uint64_t v = 0;
  size_t i = 0;
  while (i < width && field[i] == ' ') ++i;
  bool any = false;
  for (; i < width && field[i] >= '0' && field[i] <= '7'; ++i) {
    if (v >> 60) return false;
    v = v * 8 + static_cast<uint64_t>(field[i] - '0');
    any = true;
  }
  for (; i < width; ++i) {
    if (field[i] != ' ' && field[i] != '\0') return false;
  }
  *out = v;
  return any;
}

}  // namespace

Status TarWriter::Add(const std::string& name, std::string_view data, int64_t mtime) {
  STRATA_ASSIGN_OR_RETURN(uint64_t at, Begin(name, mtime));
  if (!data.empty()) STRATA_RETURN_IF_ERROR(f_->WriteAt(at, data.data(), data.size()));
  return End(data.size());
}

Result<uint64_t> TarWriter::Begin(const std::string& name, int64_t mtime) {
  if (!open_name_.empty()) return FailedPrecondition("tar: an entry is already open");
  if (name.empty() || name.size() > 100) {
    return InvalidArgument("tar: entry name '" + name + "' must be 1 to 100 bytes");
  }
  open_ = at_;
  open_name_ = name;
  open_mtime_ = mtime;
  return at_ + kBlock;
}

Status TarWriter::End(uint64_t size) {
  if (open_name_.empty()) return FailedPrecondition("tar: no entry is open");
  const std::string header = Header(open_name_, size, open_mtime_, '0');
  STRATA_RETURN_IF_ERROR(f_->WriteAt(open_, header.data(), header.size()));
  const uint64_t end = open_ + kBlock + size;
  const uint64_t padded = open_ + kBlock + Padded(size);
  if (padded > end) {
    const std::string zeros(padded - end, '\0');
    STRATA_RETURN_IF_ERROR(f_->WriteAt(end, zeros.data(), zeros.size()));
  }
  at_ = padded;
  open_name_.clear();
  return Status::Ok();
}

Result<uint64_t> TarWriter::Finish(bool standalone) {
  if (!open_name_.empty()) return FailedPrecondition("tar: an entry is still open");
  const std::string zeros(2 * kBlock, '\0');
  STRATA_RETURN_IF_ERROR(f_->WriteAt(at_, zeros.data(), zeros.size()));
  at_ += zeros.size();
  if (standalone) {
    STRATA_RETURN_IF_ERROR(f_->Truncate(at_));
    STRATA_RETURN_IF_ERROR(f_->Sync(false));
  }
  return at_ - base_;
}

Result<std::vector<TarEntry>> ReadTar(const File& f, const std::string& what) {
  STRATA_ASSIGN_OR_RETURN(uint64_t size, f.Size());
  std::vector<TarEntry> out;
  uint64_t at = 0;
  char h[kBlock];
  while (true) {
    if (at + kBlock > size) {
      return DataLoss(what + ": not a complete tar archive (no end-of-archive block)");
    }
    STRATA_RETURN_IF_ERROR(f.ReadExact(at, h, kBlock));
    bool zero = true;
    for (char c : h) zero = zero && c == '\0';
    if (zero) break;
    uint64_t sum = 0, entry_size = 0, mtime = 0;
    if (!ParseNumber(h + 148, 8, &sum) || sum != HeaderChecksum(h)) {
      return DataLoss(what + ": not a tar archive (bad header checksum at byte " +
                      std::to_string(at) + ")");
    }
    if (!ParseNumber(h + 124, 12, &entry_size)) {
      return DataLoss(what + ": bad entry size in the tar header at byte " + std::to_string(at));
    }
    ParseNumber(h + 136, 12, &mtime);
    TarEntry e;
    e.name.assign(h, strnlen(h, 100));
    if (std::memcmp(h + 257, "ustar", 5) == 0 && h[345] != '\0') {
      e.name = std::string(h + 345, strnlen(h + 345, 155)) + "/" + e.name;  // prefix field
    }
    e.type = h[156] == '\0' ? '0' : h[156];
    e.offset = at + kBlock;
    e.size = entry_size;
    e.mtime = static_cast<int64_t>(mtime);
    if (e.offset + e.size > size || e.offset + e.size < e.offset) {
      return DataLoss(what + ": entry '" + e.name + "' runs past the end of the archive");
    }
    at = e.offset + Padded(e.size);
    out.push_back(std::move(e));
  }
  return out;
}

}  // namespace strata::kernel
