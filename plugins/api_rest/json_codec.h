// json_codec.h: Qdrant's REST JSON <-> the kernel's proto messages, by hand, exactly.
// Parsing errors are INVALID_ARGUMENT naming the JSON path ("filter.must[0].match").
#ifndef STRATA_PLUGINS_API_REST_JSON_CODEC_H_
#define STRATA_PLUGINS_API_REST_JSON_CODEC_H_

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <string>

#include "collections.pb.h"
#include "points.pb.h"
#include "strata/sdk/status.hpp"

namespace strata::rest {

using Json = rapidjson::Value;
using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// Requests.
Status ParsePointId(const Json& j, const std::string& at, qdrant::PointId* out);
Status ParseValue(const Json& j, qdrant::Value* out);
Status ParsePayload(const Json& j, const std::string& at,
                    google::protobuf::Map<std::string, qdrant::Value>* out);
Status ParseFilter(const Json& j, const std::string& at, qdrant::Filter* out);
Status ParseWithPayload(const Json& j, const std::string& at, qdrant::WithPayloadSelector* out);
Status ParseWithVectors(const Json& j, const std::string& at, qdrant::WithVectorsSelector* out);
Status ParseVectorStruct(const Json& j, const std::string& at, qdrant::Vectors* out);
Status ParseDense(const Json& j, const std::string& at, qdrant::DenseVector* out);
// {"indices": [...], "values": [...]} (lengths and uniqueness are the kernel's to check).
Status ParseSparse(const Json& j, const std::string& at, qdrant::SparseVector* out);
Status ParseUpsert(const Json& body, qdrant::UpsertPoints* out);
Status ParseCreateCollection(const Json& j, qdrant::CreateCollection* out);
Status ParseUpdateCollection(const Json& j, qdrant::UpdateCollection* out);
Status ParsePointsSelector(const Json& j, const std::string& at, qdrant::PointsSelector* out);
Status ParseSearchParams(const Json& j, const std::string& at, qdrant::SearchParams* out);
Status ParseAliasActions(const Json& j, qdrant::ChangeAliases* out);
// The object form of `field_schema` ({"type": "integer", "lookup": true, ...}) into the index
// parameters of that type; fields this build does not know are an error naming them.
Status ParseIndexParams(const Json& j, const std::string& type, qdrant::PayloadIndexParams* out);

// Responses.
void WritePointId(JsonWriter& w, const qdrant::PointId& id);
void WriteValue(JsonWriter& w, const qdrant::Value& v);
void WritePayload(JsonWriter& w, const google::protobuf::Map<std::string, qdrant::Value>& p);
void WriteVectors(JsonWriter& w, const qdrant::VectorsOutput& v);
void WriteRecord(JsonWriter& w, const qdrant::RetrievedPoint& p);
void WriteScoredPoint(JsonWriter& w, const qdrant::ScoredPoint& p);
void WriteCollectionInfo(JsonWriter& w, const qdrant::CollectionInfo& info);
void WriteUpdateResult(JsonWriter& w, const qdrant::UpdateResult& r);

}  // namespace strata::rest

#endif  // STRATA_PLUGINS_API_REST_JSON_CODEC_H_
