// builtin.h: the plugins compiled into the kernel (storage/posix, index/flat). They are
// registered as a static manifest and go through the same validation as loaded libraries.
#ifndef STRATA_KERNEL_PLUGIN_BUILTIN_H_
#define STRATA_KERNEL_PLUGIN_BUILTIN_H_

#include "strata/abi/strata_plugin.h"

extern "C" const strata_plugin_manifest* strata_plugin_manifest_builtin(void);

#endif  // STRATA_KERNEL_PLUGIN_BUILTIN_H_
