/*
 * strata_methods.h: the method ids of host->call (C99). APPEND-ONLY: ids are never reused or
 * renumbered. Each method takes the serialized protobuf request named in the table and answers
 * with the serialized response (package `qdrant`, the Qdrant gRPC wire contract).
 *
 * STRATA_METHOD_LIST(X) expands X(id, service, rpc, request_type, response_type) once per
 * method, so frontends and the kernel derive their tables from this single list.
 */
#ifndef STRATA_ABI_STRATA_METHODS_H_
#define STRATA_ABI_STRATA_METHODS_H_

/* clang-format off */
#define STRATA_METHOD_LIST(X) \
  X(1,   Qdrant, HealthCheck, HealthCheckRequest, HealthCheckReply) \
  X(100, Collections, Get, GetCollectionInfoRequest, GetCollectionInfoResponse) \
  X(101, Collections, List, ListCollectionsRequest, ListCollectionsResponse) \
  X(102, Collections, Create, CreateCollection, CollectionOperationResponse) \
  X(103, Collections, Update, UpdateCollection, CollectionOperationResponse) \
  X(104, Collections, Delete, DeleteCollection, CollectionOperationResponse) \
  X(105, Collections, UpdateAliases, ChangeAliases, CollectionOperationResponse) \
  X(106, Collections, ListCollectionAliases, ListCollectionAliasesRequest, ListAliasesResponse) \
  X(107, Collections, ListAliases, ListAliasesRequest, ListAliasesResponse) \
  X(108, Collections, CollectionClusterInfo, CollectionClusterInfoRequest, CollectionClusterInfoResponse) \
  X(109, Collections, CollectionExists, CollectionExistsRequest, CollectionExistsResponse) \
  X(110, Collections, UpdateCollectionClusterSetup, UpdateCollectionClusterSetupRequest, UpdateCollectionClusterSetupResponse) \
  X(111, Collections, CreateShardKey, CreateShardKeyRequest, CreateShardKeyResponse) \
  X(112, Collections, DeleteShardKey, DeleteShardKeyRequest, DeleteShardKeyResponse) \
  X(113, Collections, ListShardKeys, ListShardKeysRequest, ListShardKeysResponse) \
  X(200, Points, Upsert, UpsertPoints, PointsOperationResponse) \
  X(201, Points, Delete, DeletePoints, PointsOperationResponse) \
  X(202, Points, Get, GetPoints, GetResponse) \
  X(203, Points, UpdateVectors, UpdatePointVectors, PointsOperationResponse) \
  X(204, Points, DeleteVectors, DeletePointVectors, PointsOperationResponse) \
  X(205, Points, SetPayload, SetPayloadPoints, PointsOperationResponse) \
  X(206, Points, OverwritePayload, SetPayloadPoints, PointsOperationResponse) \
  X(207, Points, DeletePayload, DeletePayloadPoints, PointsOperationResponse) \
  X(208, Points, ClearPayload, ClearPayloadPoints, PointsOperationResponse) \
  X(209, Points, CreateFieldIndex, CreateFieldIndexCollection, PointsOperationResponse) \
  X(210, Points, DeleteFieldIndex, DeleteFieldIndexCollection, PointsOperationResponse) \
  X(211, Points, Search, SearchPoints, SearchResponse) \
  X(212, Points, SearchBatch, SearchBatchPoints, SearchBatchResponse) \
  X(213, Points, SearchGroups, SearchPointGroups, SearchGroupsResponse) \
  X(214, Points, Scroll, ScrollPoints, ScrollResponse) \
  X(215, Points, Recommend, RecommendPoints, RecommendResponse) \
  X(216, Points, RecommendBatch, RecommendBatchPoints, RecommendBatchResponse) \
  X(217, Points, RecommendGroups, RecommendPointGroups, RecommendGroupsResponse) \
  X(218, Points, Discover, DiscoverPoints, DiscoverResponse) \
  X(219, Points, DiscoverBatch, DiscoverBatchPoints, DiscoverBatchResponse) \
  X(220, Points, Count, CountPoints, CountResponse) \
  X(221, Points, UpdateBatch, UpdateBatchPoints, UpdateBatchResponse) \
  X(222, Points, Query, QueryPoints, QueryResponse) \
  X(223, Points, QueryBatch, QueryBatchPoints, QueryBatchResponse) \
  X(224, Points, QueryGroups, QueryPointGroups, QueryGroupsResponse) \
  X(225, Points, Facet, FacetCounts, FacetResponse) \
  X(226, Points, SearchMatrixPairs, SearchMatrixPoints, SearchMatrixPairsResponse) \
  X(227, Points, SearchMatrixOffsets, SearchMatrixPoints, SearchMatrixOffsetsResponse) \
  X(228, Points, CreateVectorName, CreateVectorNameRequest, PointsOperationResponse) \
  X(229, Points, DeleteVectorName, DeleteVectorNameRequest, PointsOperationResponse) \
  X(300, Snapshots, Create, CreateSnapshotRequest, CreateSnapshotResponse) \
  X(301, Snapshots, List, ListSnapshotsRequest, ListSnapshotsResponse) \
  X(302, Snapshots, Delete, DeleteSnapshotRequest, DeleteSnapshotResponse) \
  X(303, Snapshots, CreateFull, CreateFullSnapshotRequest, CreateSnapshotResponse) \
  X(304, Snapshots, ListFull, ListFullSnapshotsRequest, ListSnapshotsResponse) \
  X(305, Snapshots, DeleteFull, DeleteFullSnapshotRequest, DeleteSnapshotResponse)
/* clang-format on */

/*
 * Strata's own methods, for what the Qdrant gRPC contract has no rpc for (the REST API's
 * snapshot download, upload and recovery, optimization progress). Their messages are in package
 * `strata` (strata_internal.proto); they are never served on gRPC. Same rules: append-only. A host
 * older than a method answers STRATA_UNIMPLEMENTED for it.
 */
/* clang-format off */
#define STRATA_INTERNAL_METHOD_LIST(X) \
  X(1000, Strata, SnapshotRead, SnapshotReadRequest, SnapshotReadResponse) \
  X(1001, Strata, SnapshotUpload, SnapshotUploadRequest, SnapshotUploadResponse) \
  X(1002, Strata, SnapshotRecover, SnapshotRecoverRequest, SnapshotRecoverResponse) \
  X(1003, Strata, SnapshotUploadAbort, SnapshotUploadRequest, SnapshotUploadResponse) \
  X(1004, Strata, Optimizations, OptimizationsRequest, OptimizationsResponse)
/* clang-format on */

#define STRATA_METHOD_ENUM_ENTRY(id, service, rpc, req, resp) STRATA_METHOD_##service##_##rpc = id,
enum strata_method_id { STRATA_METHOD_LIST(STRATA_METHOD_ENUM_ENTRY) STRATA_METHOD_MAX_ };
enum strata_internal_method_id { STRATA_INTERNAL_METHOD_LIST(STRATA_METHOD_ENUM_ENTRY) };
#undef STRATA_METHOD_ENUM_ENTRY

#endif /* STRATA_ABI_STRATA_METHODS_H_ */
