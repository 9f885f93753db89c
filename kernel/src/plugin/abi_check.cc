#include "plugin/abi_check.h"

#include <cstring>

#include "strata/abi/strata_consensus.h"
#include "strata/abi/strata_frontend.h"
#include "strata/abi/strata_index.h"
#include "strata/abi/strata_storage.h"

namespace strata::kernel {
namespace {

std::string Version(uint32_t major, uint32_t minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

// Every slot named here must be non-NULL.
template <class Vtable>
Status CheckSlots(const Vtable* vt,
                  std::initializer_list<std::pair<const char*, const void*>> slots) {
  for (auto& [name, ptr] : slots) {
    if (ptr == nullptr)
      return FailedPrecondition(std::string("mandatory slot ") + name + " is NULL");
  }
  return Status::Ok();
}

// ABI 1.0 minimum: the whole 1.0 table (`size_1_0` bytes). Later minors append slots, which a
// plugin built against an older minor does not have: readers test STRATA_HAS before use.
template <class Vtable>
Status CheckSize(const void* vtable, const char* kind, size_t size_1_0 = sizeof(Vtable)) {
  auto* vt = static_cast<const Vtable*>(vtable);
  if (vt->struct_size < size_1_0) {
    return FailedPrecondition(std::string(kind) + " vtable is " + std::to_string(vt->struct_size) +
                              " bytes, ABI 1.0 needs at least " + std::to_string(size_1_0));
  }
  return Status::Ok();
}

}  // namespace

const char* KindName(uint32_t kind) {
  switch (kind) {
    case STRATA_KIND_INDEX:
      return "index";
    case STRATA_KIND_STORAGE:
      return "storage";
    case STRATA_KIND_FRONTEND:
      return "frontend";
    case STRATA_KIND_CONSENSUS:
      return "consensus";
    default:
      return "unknown";
  }
}

const char* TierName(uint32_t tier) {
  switch (tier) {
    case STRATA_TIER_STABLE:
      return "stable";
    case STRATA_TIER_BUNDLE:
      return "bundle";
    default:
      return "unknown";
  }
}

int KindInitRank(uint32_t kind) {
  switch (kind) {
    case STRATA_KIND_STORAGE:
      return 0;
    case STRATA_KIND_INDEX:
      return 1;
    case STRATA_KIND_CONSENSUS:
      return 2;
    case STRATA_KIND_FRONTEND:
      return 3;
    default:
      return 4;
  }
}

Status CheckAbiVersion(uint32_t plugin_major, uint32_t plugin_minor) {
  const std::string mine = Version(STRATA_ABI_MAJOR, STRATA_ABI_MINOR);
  if (plugin_major != STRATA_ABI_MAJOR) {
    return FailedPrecondition(
        "built for plugin ABI " + Version(plugin_major, plugin_minor) +
        ", this server implements ABI " + mine +
        " (major versions must match); rebuild the plugin against StrataSdk " +
        std::to_string(STRATA_ABI_MAJOR) + ".x");
  }
  if (plugin_minor > STRATA_ABI_MINOR) {
    return FailedPrecondition(
        "needs plugin ABI " + Version(plugin_major, plugin_minor) +
        ", this server implements ABI " + mine + " (accepts " + Version(STRATA_ABI_MAJOR, 0) +
        " to " + mine + "); upgrade the server or rebuild the plugin against StrataSdk <= " + mine);
  }
  return Status::Ok();
}

Status CheckTier(uint32_t tier, const char* plugin_build_id, const std::string& kernel_build_id) {
  if (tier == STRATA_TIER_STABLE) return Status::Ok();
  if (tier != STRATA_TIER_BUNDLE) {
    return FailedPrecondition("unknown tier " + std::to_string(tier) +
                              " (expected 1 = stable or 2 = bundle); rebuild with the StrataSdk");
  }
  const std::string theirs = plugin_build_id ? plugin_build_id : "(none)";
  if (theirs != kernel_build_id) {
    return FailedPrecondition("BUNDLE-tier plugin built for " + theirs + ", this server is " +
                              kernel_build_id +
                              "; bundle plugins must come from the same build as the server: "
                              "rebuild it together with the server, or build it as STABLE tier");
  }
  return Status::Ok();
}

Status CheckPluginName(const char* name) {
  if (name == nullptr || *name == '\0') return FailedPrecondition("plugin name is empty");
  size_t n = std::strlen(name);
  if (n > 32)
    return FailedPrecondition(std::string("plugin name '") + name + "' is longer than 32");
  for (size_t i = 0; i < n; ++i) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return FailedPrecondition(std::string("plugin name '") + name + "' must match [a-z0-9_]+");
    }
  }
  return Status::Ok();
}

Status CheckPluginInfo(const strata_plugin_info& info) {
  if (info.struct_size < sizeof(strata_plugin_info)) {
    return FailedPrecondition("strata_plugin_info is smaller than ABI 1.0's");
  }
  STRATA_RETURN_IF_ERROR(CheckPluginName(info.name));
  if (info.version == nullptr) return FailedPrecondition("plugin version string is NULL");
  if (info.vtable == nullptr) return FailedPrecondition("plugin vtable is NULL");
  switch (info.kind) {
    case STRATA_KIND_INDEX: {
      // 1.1 appended link_group.
      STRATA_RETURN_IF_ERROR(CheckSize<strata_index_vtable>(
          info.vtable, "index", offsetof(strata_index_vtable, link_group)));
      auto* vt = static_cast<const strata_index_vtable*>(info.vtable);
      return CheckSlots(vt, {{"create", reinterpret_cast<const void*>(vt->create)},
                             {"destroy", reinterpret_cast<const void*>(vt->destroy)},
                             {"build", reinterpret_cast<const void*>(vt->build)},
                             {"search", reinterpret_cast<const void*>(vt->search)},
                             {"save", reinterpret_cast<const void*>(vt->save)},
                             {"load", reinterpret_cast<const void*>(vt->load)}});
    }
    case STRATA_KIND_STORAGE: {
      STRATA_RETURN_IF_ERROR(CheckSize<strata_storage_vtable>(info.vtable, "storage"));
      auto* vt = static_cast<const strata_storage_vtable*>(info.vtable);
      return CheckSlots(vt, {{"open_fs", reinterpret_cast<const void*>(vt->open_fs)},
                             {"close_fs", reinterpret_cast<const void*>(vt->close_fs)},
                             {"open", reinterpret_cast<const void*>(vt->open)},
                             {"close", reinterpret_cast<const void*>(vt->close)},
                             {"read_at", reinterpret_cast<const void*>(vt->read_at)},
                             {"write_at", reinterpret_cast<const void*>(vt->write_at)},
                             {"append", reinterpret_cast<const void*>(vt->append)},
                             {"truncate", reinterpret_cast<const void*>(vt->truncate)},
                             {"sync", reinterpret_cast<const void*>(vt->sync)},
                             {"size", reinterpret_cast<const void*>(vt->size)},
                             {"list", reinterpret_cast<const void*>(vt->list)},
                             {"mkdir", reinterpret_cast<const void*>(vt->mkdir)},
                             {"remove", reinterpret_cast<const void*>(vt->remove)},
                             {"rename", reinterpret_cast<const void*>(vt->rename)},
                             {"sync_dir", reinterpret_cast<const void*>(vt->sync_dir)},
                             {"atomic_save", reinterpret_cast<const void*>(vt->atomic_save)},
                             {"lock", reinterpret_cast<const void*>(vt->lock)},
                             {"unlock", reinterpret_cast<const void*>(vt->unlock)},
                             {"stat", reinterpret_cast<const void*>(vt->stat)}});
    }
    case STRATA_KIND_FRONTEND: {
      STRATA_RETURN_IF_ERROR(CheckSize<strata_frontend_vtable>(info.vtable, "frontend"));
      auto* vt = static_cast<const strata_frontend_vtable*>(info.vtable);
      return CheckSlots(vt, {{"create", reinterpret_cast<const void*>(vt->create)},
                             {"start", reinterpret_cast<const void*>(vt->start)},
                             {"stop", reinterpret_cast<const void*>(vt->stop)},
                             {"destroy", reinterpret_cast<const void*>(vt->destroy)}});
    }
    case STRATA_KIND_CONSENSUS: {
      STRATA_RETURN_IF_ERROR(CheckSize<strata_consensus_vtable>(info.vtable, "consensus"));
      auto* vt = static_cast<const strata_consensus_vtable*>(info.vtable);
      return CheckSlots(
          vt, {{"create", reinterpret_cast<const void*>(vt->create)},
               {"destroy", reinterpret_cast<const void*>(vt->destroy)},
               {"start", reinterpret_cast<const void*>(vt->start)},
               {"stop", reinterpret_cast<const void*>(vt->stop)},
               {"propose", reinterpret_cast<const void*>(vt->propose)},
               {"step", reinterpret_cast<const void*>(vt->step)},
               {"change_membership", reinterpret_cast<const void*>(vt->change_membership)},
               {"status", reinterpret_cast<const void*>(vt->status)}});
    }
    default:
      return FailedPrecondition("unknown plugin kind " + std::to_string(info.kind) +
                                " (expected 1 index, 2 storage, 3 frontend, 4 consensus)");
  }
}

}  // namespace strata::kernel
