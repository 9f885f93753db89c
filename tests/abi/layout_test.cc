// GENERATED ONCE, THEN FROZEN: the golden layout of ABI 1.0, plus the fields later minors appended
// (marked with their minor). A failure here means a public struct changed. Within a major version
// structs only grow at the end: append the new field, add its offset below, bump STRATA_ABI_MINOR
// and update docs/plugin-guide.md. Anything else (reorder, remove, retype, resize) needs a new
// major version.
#include <gtest/gtest.h>

#include <cstddef>

#include "strata/abi/strata_abi.h"
#include "strata/abi/strata_consensus.h"
#include "strata/abi/strata_frontend.h"
#include "strata/abi/strata_host.h"
#include "strata/abi/strata_index.h"
#include "strata/abi/strata_methods.h"
#include "strata/abi/strata_plugin.h"
#include "strata/abi/strata_storage.h"

namespace {

TEST(AbiLayoutTest, StrataError) {
  EXPECT_EQ(sizeof(strata_error), 512u);
  EXPECT_EQ(offsetof(strata_error, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_error, code), 4u);
  EXPECT_EQ(offsetof(strata_error, message), 8u);
}

TEST(AbiLayoutTest, StrataKvPair) {
  EXPECT_EQ(sizeof(strata_kv_pair), 16u);
  EXPECT_EQ(offsetof(strata_kv_pair, key), 0u);
  EXPECT_EQ(offsetof(strata_kv_pair, value), 8u);
}

TEST(AbiLayoutTest, StrataKv) {
  EXPECT_EQ(sizeof(strata_kv), 16u);
  EXPECT_EQ(offsetof(strata_kv, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_kv, count), 4u);
  EXPECT_EQ(offsetof(strata_kv, items), 8u);
}

TEST(AbiLayoutTest, StrataCancel) {
  EXPECT_EQ(sizeof(strata_cancel), 32u);
  EXPECT_EQ(offsetof(strata_cancel, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_cancel, reserved0), 4u);
  EXPECT_EQ(offsetof(strata_cancel, is_cancelled), 8u);
  EXPECT_EQ(offsetof(strata_cancel, ctx), 16u);
  EXPECT_EQ(offsetof(strata_cancel, deadline_unix_ms), 24u);
}

TEST(AbiLayoutTest, StrataConsensusHost) {
  EXPECT_EQ(sizeof(strata_consensus_host), 64u);
  EXPECT_EQ(offsetof(strata_consensus_host, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_consensus_host, reserved0), 4u);
  EXPECT_EQ(offsetof(strata_consensus_host, ctx), 8u);
  EXPECT_EQ(offsetof(strata_consensus_host, apply), 16u);
  EXPECT_EQ(offsetof(strata_consensus_host, snapshot_write), 24u);
  EXPECT_EQ(offsetof(strata_consensus_host, snapshot_install), 32u);
  EXPECT_EQ(offsetof(strata_consensus_host, send), 40u);
  EXPECT_EQ(offsetof(strata_consensus_host, on_role_change), 48u);
  EXPECT_EQ(offsetof(strata_consensus_host, host), 56u);
}

TEST(AbiLayoutTest, StrataConsensusStatus) {
  EXPECT_EQ(sizeof(strata_consensus_status), 56u);
  EXPECT_EQ(offsetof(strata_consensus_status, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_consensus_status, role), 4u);
  EXPECT_EQ(offsetof(strata_consensus_status, self_id), 8u);
  EXPECT_EQ(offsetof(strata_consensus_status, leader_id), 16u);
  EXPECT_EQ(offsetof(strata_consensus_status, term), 24u);
  EXPECT_EQ(offsetof(strata_consensus_status, commit_index), 32u);
  EXPECT_EQ(offsetof(strata_consensus_status, applied_index), 40u);
  EXPECT_EQ(offsetof(strata_consensus_status, peer_count), 48u);
  EXPECT_EQ(offsetof(strata_consensus_status, reserved0), 52u);
}

TEST(AbiLayoutTest, StrataConsensusVtable) {
  EXPECT_EQ(sizeof(strata_consensus_vtable), 72u);
  EXPECT_EQ(offsetof(strata_consensus_vtable, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_consensus_vtable, reserved0), 4u);
  EXPECT_EQ(offsetof(strata_consensus_vtable, create), 8u);
  EXPECT_EQ(offsetof(strata_consensus_vtable, destroy), 16u);
  EXPECT_EQ(offsetof(strata_consensus_vtable, start), 24u);
  EXPECT_EQ(offsetof(strata_consensus_vtable, stop), 32u);
  EXPECT_EQ(offsetof(strata_consensus_vtable, propose), 40u);
  EXPECT_EQ(offsetof(strata_consensus_vtable, step), 48u);
  EXPECT_EQ(offsetof(strata_consensus_vtable, change_membership), 56u);
  EXPECT_EQ(offsetof(strata_consensus_vtable, status), 64u);
}

TEST(AbiLayoutTest, StrataFrontendVtable) {
  EXPECT_EQ(sizeof(strata_frontend_vtable), 48u);
  EXPECT_EQ(offsetof(strata_frontend_vtable, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_frontend_vtable, reserved0), 4u);
  EXPECT_EQ(offsetof(strata_frontend_vtable, create), 8u);
  EXPECT_EQ(offsetof(strata_frontend_vtable, start), 16u);
  EXPECT_EQ(offsetof(strata_frontend_vtable, stop), 24u);
  EXPECT_EQ(offsetof(strata_frontend_vtable, destroy), 32u);
  EXPECT_EQ(offsetof(strata_frontend_vtable, send_peer), 40u);
}

TEST(AbiLayoutTest, StrataCall) {
  EXPECT_EQ(sizeof(strata_call), 56u);
  EXPECT_EQ(offsetof(strata_call, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_call, method), 4u);
  EXPECT_EQ(offsetof(strata_call, request), 8u);
  EXPECT_EQ(offsetof(strata_call, request_len), 16u);
  EXPECT_EQ(offsetof(strata_call, principal), 24u);
  EXPECT_EQ(offsetof(strata_call, deadline_unix_ms), 32u);
  EXPECT_EQ(offsetof(strata_call, request_id), 40u);
  EXPECT_EQ(offsetof(strata_call, access), 48u);
  EXPECT_EQ(offsetof(strata_call, reserved0), 52u);
}

TEST(AbiLayoutTest, StrataHostApi) {
  EXPECT_EQ(sizeof(strata_host_api), 136u);
  EXPECT_EQ(offsetof(strata_host_api, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_host_api, abi_major), 4u);
  EXPECT_EQ(offsetof(strata_host_api, abi_minor), 6u);
  EXPECT_EQ(offsetof(strata_host_api, build_id), 8u);
  EXPECT_EQ(offsetof(strata_host_api, version), 16u);
  EXPECT_EQ(offsetof(strata_host_api, host_ctx), 24u);
  EXPECT_EQ(offsetof(strata_host_api, log), 32u);
  EXPECT_EQ(offsetof(strata_host_api, metric_add), 40u);
  EXPECT_EQ(offsetof(strata_host_api, call), 48u);
  EXPECT_EQ(offsetof(strata_host_api, call_stream), 56u);
  EXPECT_EQ(offsetof(strata_host_api, deliver_peer_message), 64u);
  EXPECT_EQ(offsetof(strata_host_api, submit), 72u);
  EXPECT_EQ(offsetof(strata_host_api, parallel_for), 80u);
  EXPECT_EQ(offsetof(strata_host_api, is_cancelled), 88u);
  EXPECT_EQ(offsetof(strata_host_api, timer_start), 96u);
  EXPECT_EQ(offsetof(strata_host_api, timer_cancel), 104u);
  EXPECT_EQ(offsetof(strata_host_api, config_get), 112u);
  EXPECT_EQ(offsetof(strata_host_api, storage), 120u);
  EXPECT_EQ(offsetof(strata_host_api, fs), 128u);
}

TEST(AbiLayoutTest, StrataCardinality) {
  EXPECT_EQ(sizeof(strata_cardinality), 24u);
  EXPECT_EQ(offsetof(strata_cardinality, min), 0u);
  EXPECT_EQ(offsetof(strata_cardinality, exp), 8u);
  EXPECT_EQ(offsetof(strata_cardinality, max), 16u);
}

TEST(AbiLayoutTest, StrataFilter) {
  EXPECT_EQ(sizeof(strata_filter), 56u);
  EXPECT_EQ(offsetof(strata_filter, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_filter, n_bits), 4u);
  EXPECT_EQ(offsetof(strata_filter, allow_bits), 8u);
  EXPECT_EQ(offsetof(strata_filter, allow), 16u);
  EXPECT_EQ(offsetof(strata_filter, ctx), 24u);
  EXPECT_EQ(offsetof(strata_filter, estimate), 32u);
}

TEST(AbiLayoutTest, StrataVectorSource) {
  EXPECT_EQ(sizeof(strata_vector_source), 64u);
  EXPECT_EQ(offsetof(strata_vector_source, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_vector_source, dtype), 4u);
  EXPECT_EQ(offsetof(strata_vector_source, dim), 8u);
  EXPECT_EQ(offsetof(strata_vector_source, metric), 12u);
  EXPECT_EQ(offsetof(strata_vector_source, count), 16u);
  EXPECT_EQ(offsetof(strata_vector_source, reserved0), 20u);
  EXPECT_EQ(offsetof(strata_vector_source, dense_base), 24u);
  EXPECT_EQ(offsetof(strata_vector_source, stride_bytes), 32u);
  EXPECT_EQ(offsetof(strata_vector_source, get), 40u);
  EXPECT_EQ(offsetof(strata_vector_source, score_batch), 48u);
  EXPECT_EQ(offsetof(strata_vector_source, ctx), 56u);
}

TEST(AbiLayoutTest, StrataSearchRequest) {
  EXPECT_EQ(sizeof(strata_search_request), 48u);
  EXPECT_EQ(offsetof(strata_search_request, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_search_request, n_queries), 4u);
  EXPECT_EQ(offsetof(strata_search_request, queries), 8u);
  EXPECT_EQ(offsetof(strata_search_request, top_k), 16u);
  EXPECT_EQ(offsetof(strata_search_request, reserved0), 20u);
  EXPECT_EQ(offsetof(strata_search_request, filter), 24u);
  EXPECT_EQ(offsetof(strata_search_request, params), 32u);
  EXPECT_EQ(offsetof(strata_search_request, cancel), 40u);
}

TEST(AbiLayoutTest, StrataSearchResult) {
  EXPECT_EQ(sizeof(strata_search_result), 32u);
  EXPECT_EQ(offsetof(strata_search_result, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_search_result, reserved0), 4u);
  EXPECT_EQ(offsetof(strata_search_result, ids), 8u);
  EXPECT_EQ(offsetof(strata_search_result, scores), 16u);
  EXPECT_EQ(offsetof(strata_search_result, counts), 24u);
}

TEST(AbiLayoutTest, StrataIndexVtable) {
  EXPECT_EQ(sizeof(strata_index_vtable), 104u);
  EXPECT_EQ(offsetof(strata_index_vtable, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_index_vtable, reserved0), 4u);
  EXPECT_EQ(offsetof(strata_index_vtable, create), 8u);
  EXPECT_EQ(offsetof(strata_index_vtable, destroy), 16u);
  EXPECT_EQ(offsetof(strata_index_vtable, build), 24u);
  EXPECT_EQ(offsetof(strata_index_vtable, insert), 32u);
  EXPECT_EQ(offsetof(strata_index_vtable, remove), 40u);
  EXPECT_EQ(offsetof(strata_index_vtable, search), 48u);
  EXPECT_EQ(offsetof(strata_index_vtable, save), 56u);
  EXPECT_EQ(offsetof(strata_index_vtable, load), 64u);
  EXPECT_EQ(offsetof(strata_index_vtable, list_files), 72u);
  EXPECT_EQ(offsetof(strata_index_vtable, memory_usage), 80u);
  EXPECT_EQ(offsetof(strata_index_vtable, link_group), 88u);      // 1.1
  EXPECT_EQ(offsetof(strata_index_vtable, link_group_add), 96u);  // 1.2
}

TEST(AbiLayoutTest, StrataPluginMarker) {
  EXPECT_EQ(sizeof(strata_plugin_marker), 16u);
  EXPECT_EQ(offsetof(strata_plugin_marker, magic), 0u);
  EXPECT_EQ(offsetof(strata_plugin_marker, abi_major), 10u);
  EXPECT_EQ(offsetof(strata_plugin_marker, abi_minor), 11u);
  EXPECT_EQ(offsetof(strata_plugin_marker, tier), 12u);
  EXPECT_EQ(offsetof(strata_plugin_marker, reserved), 13u);
}

TEST(AbiLayoutTest, StrataPluginInfo) {
  EXPECT_EQ(sizeof(strata_plugin_info), 48u);
  EXPECT_EQ(offsetof(strata_plugin_info, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_plugin_info, kind), 4u);
  EXPECT_EQ(offsetof(strata_plugin_info, name), 8u);
  EXPECT_EQ(offsetof(strata_plugin_info, version), 16u);
  EXPECT_EQ(offsetof(strata_plugin_info, description), 24u);
  EXPECT_EQ(offsetof(strata_plugin_info, capabilities), 32u);
  EXPECT_EQ(offsetof(strata_plugin_info, vtable), 40u);
}

TEST(AbiLayoutTest, StrataPluginManifest) {
  EXPECT_EQ(sizeof(strata_plugin_manifest), 48u);
  EXPECT_EQ(offsetof(strata_plugin_manifest, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_plugin_manifest, abi_major), 4u);
  EXPECT_EQ(offsetof(strata_plugin_manifest, abi_minor), 6u);
  EXPECT_EQ(offsetof(strata_plugin_manifest, tier), 8u);
  EXPECT_EQ(offsetof(strata_plugin_manifest, plugin_count), 12u);
  EXPECT_EQ(offsetof(strata_plugin_manifest, build_id), 16u);
  EXPECT_EQ(offsetof(strata_plugin_manifest, plugins), 24u);
  EXPECT_EQ(offsetof(strata_plugin_manifest, init), 32u);
  EXPECT_EQ(offsetof(strata_plugin_manifest, shutdown), 40u);
}

TEST(AbiLayoutTest, StrataReadReq) {
  EXPECT_EQ(sizeof(strata_read_req), 40u);
  EXPECT_EQ(offsetof(strata_read_req, offset), 0u);
  EXPECT_EQ(offsetof(strata_read_req, len), 8u);
  EXPECT_EQ(offsetof(strata_read_req, buf), 16u);
  EXPECT_EQ(offsetof(strata_read_req, done), 24u);
  EXPECT_EQ(offsetof(strata_read_req, code), 32u);
  EXPECT_EQ(offsetof(strata_read_req, reserved0), 36u);
}

TEST(AbiLayoutTest, StrataMapping) {
  EXPECT_EQ(sizeof(strata_mapping), 32u);
  EXPECT_EQ(offsetof(strata_mapping, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_mapping, writable), 4u);
  EXPECT_EQ(offsetof(strata_mapping, data), 8u);
  EXPECT_EQ(offsetof(strata_mapping, len), 16u);
  EXPECT_EQ(offsetof(strata_mapping, impl), 24u);
}

TEST(AbiLayoutTest, StrataStorageVtable) {
  EXPECT_EQ(sizeof(strata_storage_vtable), 192u);
  EXPECT_EQ(offsetof(strata_storage_vtable, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_storage_vtable, reserved0), 4u);
  EXPECT_EQ(offsetof(strata_storage_vtable, open_fs), 8u);
  EXPECT_EQ(offsetof(strata_storage_vtable, close_fs), 16u);
  EXPECT_EQ(offsetof(strata_storage_vtable, open), 24u);
  EXPECT_EQ(offsetof(strata_storage_vtable, close), 32u);
  EXPECT_EQ(offsetof(strata_storage_vtable, read_at), 40u);
  EXPECT_EQ(offsetof(strata_storage_vtable, read_batch), 48u);
  EXPECT_EQ(offsetof(strata_storage_vtable, write_at), 56u);
  EXPECT_EQ(offsetof(strata_storage_vtable, append), 64u);
  EXPECT_EQ(offsetof(strata_storage_vtable, truncate), 72u);
  EXPECT_EQ(offsetof(strata_storage_vtable, sync), 80u);
  EXPECT_EQ(offsetof(strata_storage_vtable, size), 88u);
  EXPECT_EQ(offsetof(strata_storage_vtable, map), 96u);
  EXPECT_EQ(offsetof(strata_storage_vtable, unmap), 104u);
  EXPECT_EQ(offsetof(strata_storage_vtable, advise), 112u);
  EXPECT_EQ(offsetof(strata_storage_vtable, list), 120u);
  EXPECT_EQ(offsetof(strata_storage_vtable, mkdir), 128u);
  EXPECT_EQ(offsetof(strata_storage_vtable, remove), 136u);
  EXPECT_EQ(offsetof(strata_storage_vtable, rename), 144u);
  EXPECT_EQ(offsetof(strata_storage_vtable, sync_dir), 152u);
  EXPECT_EQ(offsetof(strata_storage_vtable, atomic_save), 160u);
  EXPECT_EQ(offsetof(strata_storage_vtable, lock), 168u);
  EXPECT_EQ(offsetof(strata_storage_vtable, unlock), 176u);
  EXPECT_EQ(offsetof(strata_storage_vtable, stat), 184u);
}

TEST(AbiLayoutTest, StrataDir) {
  EXPECT_EQ(sizeof(strata_dir), 32u);
  EXPECT_EQ(offsetof(strata_dir, struct_size), 0u);
  EXPECT_EQ(offsetof(strata_dir, reserved0), 4u);
  EXPECT_EQ(offsetof(strata_dir, storage), 8u);
  EXPECT_EQ(offsetof(strata_dir, fs), 16u);
  EXPECT_EQ(offsetof(strata_dir, prefix), 24u);
}

TEST(AbiLayoutTest, MethodIdsArePinned) {
  // Method ids cross the ABI in strata_call.method: a plugin built against an older minor must
  // reach the same RPC. New RPCs only append ids; these pin the first, some middle and the last.
  EXPECT_EQ(STRATA_METHOD_Qdrant_HealthCheck, 1);
  EXPECT_EQ(STRATA_METHOD_Collections_Get, 100);
  EXPECT_EQ(STRATA_METHOD_Points_Facet, 225);
  EXPECT_EQ(STRATA_METHOD_Points_CreateVectorName, 228);
  EXPECT_EQ(STRATA_METHOD_Points_DeleteVectorName, 229);
  EXPECT_EQ(STRATA_METHOD_Snapshots_DeleteFull, 305);
  EXPECT_EQ(STRATA_METHOD_Strata_SnapshotRead, 1000);
  EXPECT_EQ(STRATA_METHOD_Strata_SnapshotUpload, 1001);
  EXPECT_EQ(STRATA_METHOD_Strata_SnapshotRecover, 1002);
  EXPECT_EQ(STRATA_METHOD_Strata_SnapshotUploadAbort, 1003);
  EXPECT_EQ(STRATA_METHOD_Strata_Optimizations, 1004);
}

TEST(AbiLayoutTest, VersionIs1_2) {
  EXPECT_EQ(STRATA_ABI_MAJOR, 1);
  EXPECT_EQ(STRATA_ABI_MINOR, 2);
}

}  // namespace
