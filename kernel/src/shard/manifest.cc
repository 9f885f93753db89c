#include "shard/manifest.h"

#include <cstring>
#include <sstream>

#include "common/coding.h"
#include "common/crc32c.h"

namespace strata::kernel {
namespace {

constexpr char kMagic[8] = {'S', 'T', 'R', 'M', 'A', 'N', 'I', '1'};

// Names and plugin ids may hold anything: they are written as hex.
std::string Hex(const std::string& s) {
  static const char* kDigits = "0123456789abcdef";
  std::string out = "x";  // never empty
  for (unsigned char c : s) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

bool Unhex(const std::string& h, std::string* out) {
  if (h.empty() || h[0] != 'x' || h.size() % 2 == 0) return false;
  out->clear();
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 1; i < h.size(); i += 2) {
    const int hi = digit(h[i]), lo = digit(h[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi << 4 | lo));
  }
  return true;
}

}  // namespace

std::string PluginName(const std::string& id) { return id.substr(0, id.find(' ')); }

std::string ShardManifest::Encode() const {
  std::ostringstream body;
  body << "storage " << Hex(storage) << "\n";
  body << "index_plugin " << Hex(index_plugin) << "\n";
  for (const SegmentEntry& s : segments) {
    body << "segment " << Hex(s.kind) << " " << Hex(s.image) << " " << Hex(s.payloads) << " "
         << s.layout << "\n";
  }
  for (const auto& [name, plugin] : saved_indexes) {
    body << "saved_index " << Hex(name) << " " << Hex(plugin) << "\n";
  }
  const std::string text = body.str();
  std::string out(kMagic, 8);
  AppendLe<uint32_t>(&out, kVersion);
  AppendLe<uint32_t>(&out, static_cast<uint32_t>(text.size()));
  out += text;
  AppendLe<uint32_t>(&out, Crc32c(out.data(), out.size()));
  return out;
}

Result<ShardManifest> ShardManifest::Decode(const std::string& bytes, const std::string& what) {
  if (bytes.size() < 20 || std::memcmp(bytes.data(), kMagic, 8) != 0) {
    return DataLoss(what + ": not a shard manifest");
  }
  const uint32_t version = LoadLe<uint32_t>(bytes.data() + 8);
  const uint32_t len = LoadLe<uint32_t>(bytes.data() + 12);
  if (16 + size_t{len} + 4 != bytes.size() ||
      LoadLe<uint32_t>(bytes.data() + 16 + len) != Crc32c(bytes.data(), 16 + len)) {
    return DataLoss(what + ": damaged shard manifest (length or checksum)");
  }
  if (version != kVersion) {
    return FailedPrecondition(what + ": shard manifest format " + std::to_string(version) +
                              " is newer than this build reads (" + std::to_string(kVersion) +
                              "); open the data with the Strata version that wrote it");
  }
  ShardManifest m;
  std::istringstream in(bytes.substr(16, len));
  std::string line;
  auto bad = [&] { return DataLoss(what + ": bad manifest line `" + line + "`"); };
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string key;
    words >> key;
    if (key == "storage" || key == "index_plugin") {
      std::string h;
      if (!(words >> h) || !Unhex(h, key == "storage" ? &m.storage : &m.index_plugin)) {
        return bad();
      }
    } else if (key == "segment") {
      std::string kind, image, payloads;
      SegmentEntry s;
      if (!(words >> kind >> image >> payloads >> s.layout) || !Unhex(kind, &s.kind) ||
          !Unhex(image, &s.image) || !Unhex(payloads, &s.payloads)) {
        return bad();
      }
      m.segments.push_back(std::move(s));
    } else if (key == "saved_index") {
      std::string name, plugin, n, p;
      if (!(words >> name >> plugin) || !Unhex(name, &n) || !Unhex(plugin, &p)) return bad();
      m.saved_indexes[n] = p;
    } else if (!key.empty()) {
      return bad();  // same version, unknown key: not ours
    }
  }
  return m;
}

}  // namespace strata::kernel
