/* Every public ABI header must compile as strict C99 with no padding holes (see CMakeLists.txt:
 * -std=c99 -pedantic -Wall -Wextra -Wpadded -Werror). */
#include "strata/abi/strata_abi.h"
#include "strata/abi/strata_consensus.h"
#include "strata/abi/strata_frontend.h"
#include "strata/abi/strata_host.h"
#include "strata/abi/strata_index.h"
#include "strata/abi/strata_methods.h"
#include "strata/abi/strata_plugin.h"
#include "strata/abi/strata_storage.h"

/* Use a few declarations so the compiler checks them in context. */
int strata_c99_probe(const strata_host_api* host, strata_error* err) {
  strata_plugin_marker marker = {{'S', 'T', 'R', 'A', 'T', 'A', 'P', 'L', 'G', '1'}, 1, 0, 1, {0}};
  (void)marker;
  if (!STRATA_HAS_T(strata_host_api, host, fs)) return STRATA_FAILED_PRECONDITION;
  return err != NULL ? err->code : STRATA_METHOD_Points_Upsert;
}
