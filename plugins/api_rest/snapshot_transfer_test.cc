// MultipartFile against whole bodies cut into pieces of every size: the file part comes out
// byte for byte wherever the boundaries fall, other parts are skipped, broken bodies are
// refused.
#include "snapshot_transfer.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

namespace strata::rest {
namespace {

const char* kType = "multipart/form-data; boundary=XyZ123";

// Feeds `body` in pieces of the given sizes (cycled); returns the file or the first error.
Result<std::string> Extract(const std::string& body, const std::vector<size_t>& sizes,
                            const std::string& type = kType) {
  STRATA_ASSIGN_OR_RETURN(MultipartFile m, MultipartFile::Start(type, "snapshot"));
  std::string file;
  size_t at = 0;
  for (size_t i = 0; at < body.size(); ++i) {
    const size_t n = std::min(sizes[i % sizes.size()], body.size() - at);
    STRATA_RETURN_IF_ERROR(m.Feed(std::string_view(body).substr(at, n), [&](std::string_view b) {
      file.append(b);
      return Status::Ok();
    }));
    at += n;
  }
  STRATA_RETURN_IF_ERROR(m.Finish());
  return file;
}

std::string Part(const std::string& headers, const std::string& content) {
  return "--XyZ123\r\n" + headers + "\r\n\r\n" + content + "\r\n";
}

TEST(MultipartFileTest, TheFilePartComesOutWhateverThePieces) {
  std::mt19937 rng(3);
  std::string payload(20000, '\0');
  for (char& c : payload) c = static_cast<char>(rng());
  // Bytes that look like the start of a delimiter inside the file.
  payload.replace(5000, 12, "\r\n--XyZ12\r\n-");
  const std::string body =
      "preamble\r\n" +
      Part("Content-Disposition: form-data; name=\"note\"", "not the file --XyZ1") +
      Part(
          "Content-Disposition: form-data; name=\"snapshot\"; filename=\"a.snapshot\"\r\n"
          "Content-Type: application/octet-stream",
          payload) +
      Part("Content-Disposition: form-data; name=\"other\"; filename=\"b\"", "later file") +
      "--XyZ123--\r\nepilogue";
  for (std::vector<size_t> sizes :
       {std::vector<size_t>{1}, {2}, {3}, {7}, {13}, {64}, {4096}, {1 << 20}, {1, 500, 3, 9000}}) {
    Result<std::string> got = Extract(body, sizes);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_EQ(*got, payload) << "piece sizes starting " << sizes[0];
  }
  // Without a part named `snapshot`, the first file part is taken.
  const std::string unnamed =
      Part("Content-Disposition: form-data; name=\"file\"; filename=\"x\"", "abc") + "--XyZ123--";
  EXPECT_EQ(*Extract(unnamed, {5}), "abc");
  // An empty file part is a file.
  EXPECT_EQ(
      *Extract(Part("Content-Disposition: form-data; name=\"snapshot\"", "") + "--XyZ123--", {1}),
      "");
}

TEST(MultipartFileTest, BrokenBodiesAndTypesAreRefused) {
  const std::string full =
      Part("Content-Disposition: form-data; name=\"snapshot\"; filename=\"a\"", "data") +
      "--XyZ123--";
  EXPECT_EQ(Extract(full.substr(0, full.size() / 2), {4}).status().code(),
            StatusCode::kInvalidArgument)
      << "a body cut short has no complete file";
  EXPECT_EQ(Extract(Part("Content-Disposition: form-data; name=\"note\"", "x") + "--XyZ123--", {3})
                .status()
                .code(),
            StatusCode::kInvalidArgument)
      << "no file part";
  EXPECT_EQ(Extract("--XyZ123garbage", {3}).status().code(), StatusCode::kInvalidArgument);
  Result<std::string> wrong_type = Extract(full, {3}, "application/json");
  EXPECT_NE(wrong_type.status().message().find("Content-Type"), std::string::npos);
  EXPECT_FALSE(Extract(full, {3}, "multipart/form-data").ok()) << "no boundary";
  EXPECT_TRUE(Extract(full, {3}, "multipart/form-data; boundary=\"XyZ123\"").ok()) << "quoted";
}

}  // namespace
}  // namespace strata::rest
