// elf_marker.h: reads a plugin's strata_plugin marker record from the file, without loading it.
#ifndef STRATA_KERNEL_PLUGIN_ELF_MARKER_H_
#define STRATA_KERNEL_PLUGIN_ELF_MARKER_H_

#include <string>

#include "strata/abi/strata_plugin.h"
#include "strata/sdk/status.hpp"

namespace strata::kernel {

// Parses `path` as a 64-bit little-endian ELF file and returns the record in its
// "strata_plugin" section. FAILED_PRECONDITION with a message naming the file when the file is
// not ELF, has no such section, or the record's magic is wrong; NOT_FOUND when it is missing.
Result<strata_plugin_marker> ReadPluginMarker(const std::string& path);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_PLUGIN_ELF_MARKER_H_
