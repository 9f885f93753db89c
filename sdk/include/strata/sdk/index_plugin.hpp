// index_plugin.hpp: write a vector index plugin in C++ (C++17).
//
// A plugin author writes a class with these members and derives from IndexPlugin<Impl>:
//
//   static Result<std::unique_ptr<Impl>> Create(const Host&, const Params&, const VectorSource&);
//   Status Build(const Filter& live, const Cancel& cancel);
//   Status Search(const SearchRequest& request, SearchOutput& out) const;   // thread-safe
//   Status Save(const Dir& dir) const;
//   Status Load(const Dir& dir);
// optional:
//   Status Insert(uint32_t offset);   Status Remove(uint32_t offset);
//   std::vector<std::string> Files() const;   uint64_t MemoryUsage() const;
//   Status LinkGroup(const uint32_t* offsets, size_t n, uint32_t m, const Cancel& cancel);
//     (ABI 1.1: links among the points sharing a payload value; see strata_index.h)
//
// IndexPlugin<Impl>::Vtable() is the strata_index_vtable whose noexcept thunks forward to it.
#ifndef STRATA_SDK_INDEX_PLUGIN_HPP_
#define STRATA_SDK_INDEX_PLUGIN_HPP_

#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "strata/abi/strata_host.h"
#include "strata/abi/strata_index.h"
#include "strata/sdk/guard.hpp"
#include "strata/sdk/host.hpp"
#include "strata/sdk/params.hpp"
#include "strata/sdk/status.hpp"
#include "strata/sdk/storage_view.hpp"

namespace strata::sdk {

// Borrowed view of the host's vectors for one segment.
class VectorSource {
 public:
  VectorSource() = default;
  explicit VectorSource(const strata_vector_source* src) : src_(src) {}

  uint32_t dim() const { return src_->dim; }
  uint32_t count() const { return src_->count; }
  uint32_t metric() const { return src_->metric; }
  uint32_t dtype() const { return src_->dtype; }
  const strata_vector_source* raw() const { return src_; }

  // Zero-copy float32 pointer to vector `offset`, or nullptr when storage is not dense f32.
  const float* DenseF32(uint32_t offset) const {
    if (src_->dense_base == nullptr || src_->dtype != STRATA_DTYPE_F32) return nullptr;
    return reinterpret_cast<const float*>(static_cast<const char*>(src_->dense_base) +
                                          static_cast<uint64_t>(offset) * src_->stride_bytes);
  }
  // Copies vector `offset` as float32 into out (dim floats). Only f32 sources are converted here.
  Status CopyF32(uint32_t offset, float* out) const {
    if (src_->dtype != STRATA_DTYPE_F32) return Unimplemented("only float32 sources are copied");
    strata_error err{};
    return Status::FromAbi(src_->get(src_->ctx, offset, out, &err), &err);
  }

 private:
  const strata_vector_source* src_ = nullptr;
};

// Borrowed filter: which offsets a search (or build) may return. Null filter allows everything.
class Filter {
 public:
  Filter() = default;
  explicit Filter(const strata_filter* f) : f_(f) {}
  bool is_null() const { return f_ == nullptr; }
  bool Allows(uint32_t offset) const {
    if (f_ == nullptr) return true;
    if (f_->allow_bits != nullptr) {
      if (offset >= f_->n_bits) return false;
      return (f_->allow_bits[offset >> 6] >> (offset & 63)) & 1u;
    }
    if (f_->allow != nullptr) return f_->allow(f_->ctx, offset) != 0;
    return true;
  }
  strata_cardinality estimate() const { return f_ ? f_->estimate : strata_cardinality{}; }
  const strata_filter* raw() const { return f_; }

 private:
  const strata_filter* f_ = nullptr;
};

class SearchRequest {
 public:
  SearchRequest(const strata_search_request* r, const VectorSource& src) : r_(r), src_(src) {}
  uint32_t n_queries() const { return r_->n_queries; }
  uint32_t top_k() const { return r_->top_k; }
  // Query i as float32 (requires an f32 source).
  const float* QueryF32(uint32_t i) const {
    return static_cast<const float*>(r_->queries) + static_cast<size_t>(i) * src_.dim();
  }
  Filter filter() const { return Filter(r_->filter); }
  Params params() const { return Params(r_->params); }
  Cancel cancel() const { return Cancel(r_->cancel); }

 private:
  const strata_search_request* r_;
  VectorSource src_;
};

struct ScoredOffset {
  float score;
  uint32_t offset;
};

// Writes results into the caller's arrays.
class SearchOutput {
 public:
  SearchOutput(const strata_search_request* r, strata_search_result* out) : r_(r), out_(out) {}
  // `hits` must be sorted best first; at most top_k are written.
  void Set(uint32_t query, const std::vector<ScoredOffset>& hits) {
    uint32_t k = r_->top_k;
    uint32_t n = static_cast<uint32_t>(hits.size() < k ? hits.size() : k);
    size_t base = static_cast<size_t>(query) * k;
    for (uint32_t i = 0; i < n; ++i) {
      out_->ids[base + i] = hits[i].offset;
      out_->scores[base + i] = hits[i].score;
    }
    out_->counts[query] = n;
  }

 private:
  const strata_search_request* r_;
  strata_search_result* out_;
};

namespace detail {
template <class T, class = void>
struct HasInsert : std::false_type {};
template <class T>
struct HasInsert<T, std::void_t<decltype(std::declval<T&>().Insert(0u))>> : std::true_type {};
template <class T, class = void>
struct HasRemove : std::false_type {};
template <class T>
struct HasRemove<T, std::void_t<decltype(std::declval<T&>().Remove(0u))>> : std::true_type {};
template <class T, class = void>
struct HasFiles : std::false_type {};
template <class T>
struct HasFiles<T, std::void_t<decltype(std::declval<const T&>().Files())>> : std::true_type {};
template <class T, class = void>
struct HasLinkGroup : std::false_type {};
template <class T>
struct HasLinkGroup<
    T, std::void_t<decltype(std::declval<T&>().LinkGroup(
           static_cast<const uint32_t*>(nullptr), size_t{0}, 0u, std::declval<const Cancel&>()))>>
    : std::true_type {};
template <class T, class = void>
struct HasLinkGroupAdd : std::false_type {};
template <class T>
struct HasLinkGroupAdd<
    T, std::void_t<decltype(std::declval<T&>().LinkGroupAdd(
           static_cast<const uint32_t*>(nullptr), size_t{0}, static_cast<const uint32_t*>(nullptr),
           size_t{0}, 0u, std::declval<const Cancel&>()))>> : std::true_type {};
template <class T, class = void>
struct HasMemoryUsage : std::false_type {};
template <class T>
struct HasMemoryUsage<T, std::void_t<decltype(std::declval<const T&>().MemoryUsage())>>
    : std::true_type {};
}  // namespace detail

template <class Impl>
class IndexPlugin {
 public:
  static const strata_index_vtable* Vtable() noexcept {
    static const strata_index_vtable table = {
        sizeof(strata_index_vtable),
        0,
        &CreateThunk,
        &DestroyThunk,
        &BuildThunk,
        detail::HasInsert<Impl>::value ? &InsertThunk : nullptr,
        detail::HasRemove<Impl>::value ? &RemoveThunk : nullptr,
        &SearchThunk,
        &SaveThunk,
        &LoadThunk,
        &ListFilesThunk,
        &MemoryThunk,
        detail::HasLinkGroup<Impl>::value ? &LinkGroupThunk : nullptr,
        detail::HasLinkGroupAdd<Impl>::value ? &LinkGroupAddThunk : nullptr,
    };
    return &table;
  }

  // The source this index was created with (set by the SDK).
  const VectorSource& source() const { return source_; }
  const Host& host() const { return host_; }

 private:
  static Impl& Self(strata_index* idx) { return *reinterpret_cast<Impl*>(idx); }
  static const Impl& Self(const strata_index* idx) { return *reinterpret_cast<const Impl*>(idx); }

  static int32_t CreateThunk(const strata_host_api* host, const strata_kv* params,
                             const strata_vector_source* src, strata_index** out,
                             strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      if (src == nullptr || out == nullptr) return InvalidArgument("create: null source/out");
      Host h(host);
      VectorSource vs(src);
      STRATA_ASSIGN_OR_RETURN(std::unique_ptr<Impl> impl, Impl::Create(h, Params(params), vs));
      impl->source_ = vs;
      impl->host_ = h;
      *out = reinterpret_cast<strata_index*>(impl.release());
      return Status::Ok();
    });
  }
  static void DestroyThunk(strata_index* idx) noexcept { delete &Self(idx); }
  static int32_t BuildThunk(strata_index* idx, const strata_filter* live,
                            const strata_cancel* cancel, strata_error* err) noexcept {
    return Guard(err, [&] { return Self(idx).Build(Filter(live), Cancel(cancel)); });
  }
  static int32_t InsertThunk(strata_index* idx, uint32_t offset, strata_error* err) noexcept {
    if constexpr (detail::HasInsert<Impl>::value) {
      return Guard(err, [&] { return Self(idx).Insert(offset); });
    } else {
      return SetError(err, STRATA_UNIMPLEMENTED, "insert not supported");
    }
  }
  static int32_t RemoveThunk(strata_index* idx, uint32_t offset, strata_error* err) noexcept {
    if constexpr (detail::HasRemove<Impl>::value) {
      return Guard(err, [&] { return Self(idx).Remove(offset); });
    } else {
      return SetError(err, STRATA_UNIMPLEMENTED, "remove not supported");
    }
  }
  static int32_t SearchThunk(const strata_index* idx, const strata_search_request* req,
                             strata_search_result* res, strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      if (req == nullptr || res == nullptr) return InvalidArgument("search: null request/result");
      const Impl& self = Self(idx);
      for (uint32_t q = 0; q < req->n_queries; ++q) res->counts[q] = 0;
      SearchRequest request(req, self.source_);
      STRATA_RETURN_IF_ERROR(request.cancel().Check("search"));
      SearchOutput output(req, res);
      return self.Search(request, output);
    });
  }
  static int32_t LinkGroupThunk(strata_index* idx, const uint32_t* offsets, size_t n, uint32_t m,
                                const strata_cancel* cancel, strata_error* err) noexcept {
    if constexpr (detail::HasLinkGroup<Impl>::value) {
      return Guard(err, [&] { return Self(idx).LinkGroup(offsets, n, m, Cancel(cancel)); });
    } else {
      return SetError(err, STRATA_UNIMPLEMENTED, "link_group not supported");
    }
  }
  static int32_t LinkGroupAddThunk(strata_index* idx, const uint32_t* members, size_t n_members,
                                   const uint32_t* added, size_t n_added, uint32_t m,
                                   const strata_cancel* cancel, strata_error* err) noexcept {
    if constexpr (detail::HasLinkGroupAdd<Impl>::value) {
      return Guard(err, [&] {
        return Self(idx).LinkGroupAdd(members, n_members, added, n_added, m, Cancel(cancel));
      });
    } else {
      return SetError(err, STRATA_UNIMPLEMENTED, "link_group_add not supported");
    }
  }
  static int32_t SaveThunk(const strata_index* idx, const strata_dir* dir,
                           strata_error* err) noexcept {
    return Guard(err, [&] { return Self(idx).Save(Dir(dir)); });
  }
  static int32_t LoadThunk(strata_index* idx, const strata_dir* dir, strata_error* err) noexcept {
    return Guard(err, [&] { return Self(idx).Load(Dir(dir)); });
  }
  static int32_t ListFilesThunk(const strata_index* idx, strata_file_emit emit, void* ctx,
                                strata_error* err) noexcept {
    return Guard(err, [&]() -> Status {
      if constexpr (detail::HasFiles<Impl>::value) {
        for (const std::string& f : Self(idx).Files()) emit(ctx, f.c_str(), 1);
      }
      return Status::Ok();
    });
  }
  static uint64_t MemoryThunk(const strata_index* idx) noexcept {
    if constexpr (detail::HasMemoryUsage<Impl>::value) {
      try {
        return Self(idx).MemoryUsage();
      } catch (...) {
        return 0;
      }
    } else {
      return 0;
    }
  }

  VectorSource source_;
  Host host_;
};

}  // namespace strata::sdk

#endif  // STRATA_SDK_INDEX_PLUGIN_HPP_
