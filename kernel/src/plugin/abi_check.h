// abi_check.h: pure validation rules for plugin manifests (no I/O; unit-tested).
#ifndef STRATA_KERNEL_PLUGIN_ABI_CHECK_H_
#define STRATA_KERNEL_PLUGIN_ABI_CHECK_H_

#include <string>

#include "strata/abi/strata_plugin.h"
#include "strata/sdk/status.hpp"

namespace strata::kernel {

// "index", "storage", "frontend", "consensus", or "unknown".
const char* KindName(uint32_t kind);
const char* TierName(uint32_t tier);
// Rank in the init order storage (0) -> index (1) -> consensus (2) -> frontend (3).
int KindInitRank(uint32_t kind);

// The kernel accepts ABI major == kernel major and minor <= kernel minor. The message names both
// versions and the fix.
Status CheckAbiVersion(uint32_t plugin_major, uint32_t plugin_minor);

// BUNDLE-tier libraries must come from the same build as the kernel.
Status CheckTier(uint32_t tier, const char* plugin_build_id, const std::string& kernel_build_id);

// Name rule: [a-z0-9_]{1,32}.
Status CheckPluginName(const char* name);

// Kind known, name valid, vtable present, large enough and with every mandatory slot set.
Status CheckPluginInfo(const strata_plugin_info& info);

}  // namespace strata::kernel

#endif  // STRATA_KERNEL_PLUGIN_ABI_CHECK_H_
