#include "reflection.h"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/descriptor_database.h>
#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>
#include <google/protobuf/wire_format_lite.h>

#include <cstddef>
#include <map>
#include <set>
#include <vector>

extern const unsigned char strata_served_descriptors[];
extern const std::size_t strata_served_descriptors_size;

namespace strata_grpc {
namespace {

namespace pb = google::protobuf;
using pb::internal::WireFormatLite;

// gRPC status codes used in error_response.error_code.
constexpr int kInvalidArgument = 3;
constexpr int kNotFound = 5;

// The services a client can call on the public port, as list_services reports them.
const char* const kServices[] = {
    "qdrant.Qdrant",
    "qdrant.Collections",
    "qdrant.Points",
    "qdrant.Snapshots",
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
};

// The embedded descriptor set: symbols resolve to files through a descriptor database; each
// file is kept serialized once, with its imports, for the answers.
class Index {
 public:
  struct File {
    std::string bytes;  // the serialized FileDescriptorProto, as answered
    std::vector<std::string> imports;
  };

  Index() {
    pb::FileDescriptorSet set;
    if (!set.ParseFromArray(strata_served_descriptors,
                            static_cast<int>(strata_served_descriptors_size))) {
      return;  // every lookup then answers NOT_FOUND; the build guarantees a valid set
    }
    for (const pb::FileDescriptorProto& file : set.file()) {
      db_.Add(file);
      files_[file.name()] = {file.SerializeAsString(),
                             {file.dependency().begin(), file.dependency().end()}};
    }
  }

  const File* ByName(const std::string& name) const {
    auto it = files_.find(name);
    return it == files_.end() ? nullptr : &it->second;
  }
  // The name of the file defining `symbol` (or the symbol it is nested in), "" when none.
  std::string WithSymbol(const std::string& symbol) {
    pb::FileDescriptorProto found;
    return db_.FindFileContainingSymbol(symbol, &found) ? found.name() : std::string();
  }
  std::string WithExtension(const std::string& type, int number) {
    pb::FileDescriptorProto found;
    return db_.FindFileContainingExtension(type, number, &found) ? found.name() : std::string();
  }
  bool ExtensionNumbers(const std::string& type, std::vector<int>* out) {
    if (WithSymbol(type).empty()) return false;
    db_.FindAllExtensionNumbers(type, out);  // none is a valid answer for a known type
    return true;
  }

  // `name` and everything it imports, transitively, each file once, `name` first.
  std::vector<const File*> WithImports(const std::string& name) const {
    std::vector<const File*> out;
    const File* first = ByName(name);
    if (first == nullptr) return out;
    out.push_back(first);
    std::set<std::string> seen{name};
    for (size_t i = 0; i < out.size(); ++i) {
      for (const std::string& dep : out[i]->imports) {
        const File* d = ByName(dep);
        if (d != nullptr && seen.insert(dep).second) out.push_back(d);
      }
    }
    return out;
  }

 private:
  pb::SimpleDescriptorDatabase db_;
  std::map<std::string, File> files_;
};

Index& TheIndex() {
  static Index* index = new Index();  // lives as long as the plugin; never destroyed
  return *index;
}

struct Request {
  std::string host;
  int kind = 0;  // the field number of the message_request set, 0 = none
  std::string name;
  int extension_number = 0;
};

bool ReadString(pb::io::CodedInputStream* in, std::string* out) {
  uint32_t len = 0;
  return in->ReadVarint32(&len) && in->ReadString(out, static_cast<int>(len));
}

bool ParseExtensionRequest(const std::string& bytes, Request* r) {
  pb::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                              static_cast<int>(bytes.size()));
  while (uint32_t tag = in.ReadTag()) {
    if (tag == WireFormatLite::MakeTag(1, WireFormatLite::WIRETYPE_LENGTH_DELIMITED)) {
      if (!ReadString(&in, &r->name)) return false;
    } else if (tag == WireFormatLite::MakeTag(2, WireFormatLite::WIRETYPE_VARINT)) {
      uint32_t v = 0;
      if (!in.ReadVarint32(&v)) return false;
      r->extension_number = static_cast<int32_t>(v);
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

bool ParseRequest(const std::string& bytes, Request* r) {
  pb::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                              static_cast<int>(bytes.size()));
  while (uint32_t tag = in.ReadTag()) {
    const int field = static_cast<int>(WireFormatLite::GetTagFieldNumber(tag));
    const bool delimited =
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED;
    if (delimited && field == 1) {
      if (!ReadString(&in, &r->host)) return false;
    } else if (delimited && field >= 3 && field <= 7) {
      std::string value;
      if (!ReadString(&in, &value)) return false;
      r->kind = field;  // a oneof: the last one on the wire wins
      r->name.clear();
      r->extension_number = 0;
      if (field == 5) {
        if (!ParseExtensionRequest(value, r)) return false;
      } else {
        r->name = std::move(value);
      }
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  return in.ConsumedEntireMessage();
}

// Appends field `field` as a length-delimited value (string, bytes or an embedded message).
void PutDelimited(int field, const std::string& value, std::string* out) {
  pb::io::StringOutputStream stream(out);
  pb::io::CodedOutputStream coded(&stream);
  WireFormatLite::WriteBytes(field, value, &coded);
}

void PutVarint(int field, int32_t value, std::string* out) {
  pb::io::StringOutputStream stream(out);
  pb::io::CodedOutputStream coded(&stream);
  WireFormatLite::WriteInt32(field, value, &coded);
}

std::string Error(int code, const std::string& message) {
  std::string e;
  PutVarint(1, code, &e);
  PutDelimited(2, message, &e);
  return e;
}

}  // namespace

bool IsReflectionMethod(const std::string& method) {
  return method == "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo" ||
         method == "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
}

std::string AnswerReflection(const std::string& request) {
  Index& index = TheIndex();
  Request r;
  const bool parsed = ParseRequest(request, &r);
  std::string out;
  if (parsed) {
    PutDelimited(1, r.host, &out);
    PutDelimited(2, request, &out);
  }
  auto files = [&](const std::string& name, const std::string& what) {
    const std::vector<const Index::File*> found = index.WithImports(name);
    if (found.empty()) {
      PutDelimited(7, Error(kNotFound, what + " not found"), &out);
      return;
    }
    std::string list;
    for (const Index::File* f : found) PutDelimited(1, f->bytes, &list);
    PutDelimited(4, list, &out);
  };
  if (!parsed) {
    PutDelimited(7, Error(kInvalidArgument, "malformed ServerReflectionRequest"), &out);
    return out;
  }
  switch (r.kind) {
    case 3:
      files(r.name, "file " + r.name);
      break;
    case 4:
      files(index.WithSymbol(r.name), "symbol " + r.name);
      break;
    case 5:
      files(index.WithExtension(r.name, r.extension_number),
            "extension " + std::to_string(r.extension_number) + " of " + r.name);
      break;
    case 6: {
      std::vector<int> numbers;
      if (!index.ExtensionNumbers(r.name, &numbers)) {
        PutDelimited(7, Error(kNotFound, "type " + r.name + " not found"), &out);
        break;
      }
      std::string list;
      PutDelimited(1, r.name, &list);
      for (int n : numbers) PutVarint(2, n, &list);
      PutDelimited(5, list, &out);
      break;
    }
    case 7: {
      std::string list;
      for (const char* name : kServices) {
        std::string service;
        PutDelimited(1, name, &service);
        PutDelimited(1, service, &list);
      }
      PutDelimited(6, list, &out);
      break;
    }
    default:
      PutDelimited(7,
                   Error(kInvalidArgument,
                         "ServerReflectionRequest.message_request: none of file_by_filename, "
                         "file_containing_symbol, file_containing_extension, "
                         "all_extension_numbers_of_type, list_services is set"),
                   &out);
  }
  return out;
}

}  // namespace strata_grpc
