#include "plugin/elf_marker.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <vector>

namespace strata::kernel {
namespace {

bool ReadAt(std::ifstream& in, uint64_t off, void* buf, size_t len) {
  in.seekg(static_cast<std::streamoff>(off));
  in.read(static_cast<char*>(buf), static_cast<std::streamsize>(len));
  return static_cast<size_t>(in.gcount()) == len;
}

}  // namespace

Result<strata_plugin_marker> ReadPluginMarker(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot open file");
  const std::string not_plugin = path + " is not a Strata plugin: ";
  Elf64_Ehdr eh{};
  if (!ReadAt(in, 0, &eh, sizeof(eh)) || std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) {
    return FailedPrecondition(not_plugin + "not an ELF shared library (checked without loading)");
  }
  if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB) {
    return FailedPrecondition(not_plugin + "not a 64-bit little-endian ELF file");
  }
  if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum) {
    return FailedPrecondition(not_plugin + "ELF file without a section table");
  }
  std::vector<Elf64_Shdr> sections(eh.e_shnum);
  if (!ReadAt(in, eh.e_shoff, sections.data(), sizeof(Elf64_Shdr) * eh.e_shnum)) {
    return FailedPrecondition(not_plugin + "truncated ELF section table");
  }
  const Elf64_Shdr& names = sections[eh.e_shstrndx];
  if (names.sh_size > (1u << 20)) return FailedPrecondition(not_plugin + "implausible ELF");
  std::vector<char> strtab(names.sh_size + 1, '\0');
  if (!ReadAt(in, names.sh_offset, strtab.data(), names.sh_size)) {
    return FailedPrecondition(not_plugin + "truncated ELF section names");
  }
  for (const Elf64_Shdr& s : sections) {
    if (s.sh_name >= names.sh_size) continue;
    if (std::strcmp(&strtab[s.sh_name], STRATA_PLUGIN_SECTION) != 0) continue;
    strata_plugin_marker marker{};
    if (s.sh_size < sizeof(marker) || !ReadAt(in, s.sh_offset, &marker, sizeof(marker))) {
      return FailedPrecondition(not_plugin + "its strata_plugin section is truncated");
    }
    if (std::memcmp(marker.magic, STRATA_PLUGIN_MARKER_MAGIC, sizeof(marker.magic)) != 0) {
      return FailedPrecondition(not_plugin + "its strata_plugin section has a wrong magic");
    }
    return marker;
  }
  return FailedPrecondition(not_plugin +
                            "no strata_plugin section (checked without loading); build it with "
                            "strata_add_plugin() and the STRATA_PLUGIN_MANIFEST macro");
}

}  // namespace strata::kernel
