// http_server.h: a small HTTP/1.1 server on Boost.Beast over the plugin's own Asio threads.
// Keep-alive, one request at a time per connection (so pipelined requests are answered in
// order), a body size limit (413), optional TLS (OpenSSL through Asio), and a graceful stop
// that drains in-flight requests.
#ifndef STRATA_PLUGINS_API_REST_HTTP_SERVER_H_
#define STRATA_PLUGINS_API_REST_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "strata/sdk/status.hpp"

namespace strata::rest {

struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // path + query
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;
  // A body sent piece by piece instead of `body` (a snapshot download): stream_size bytes in
  // all; stream(offset) returns the piece at offset (not empty before the end). A failing piece
  // closes the connection, so the client sees a short body.
  std::function<Result<std::string>(uint64_t offset)> stream;
  uint64_t stream_size = 0;
};

using Handler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  struct Options {
    std::string host = "0.0.0.0";
    int port = 6333;
    size_t max_body_bytes = 32u << 20;
    // Requests for which upload_body(method, target) is true (snapshot uploads) may carry up to
    // max_upload_bytes instead.
    size_t max_upload_bytes = 32u << 20;
    std::function<bool(const std::string& method, const std::string& target)> upload_body;
    unsigned threads = 2;
    // TLS when set: the certificate chain and private key, PEM text.
    std::string tls_cert_pem;
    std::string tls_key_pem;
  };
  HttpServer(Options options, Handler handler);
  ~HttpServer();
  // Binds and starts the threads; returns the bound port (useful with port 0).
  Result<int> Start();
  // Stops accepting, lets in-flight requests finish until the deadline, joins the threads.
  void Stop(int64_t deadline_unix_ms);

  struct Impl;  // public so the connection code in http_server.cc can reach it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace strata::rest

#endif  // STRATA_PLUGINS_API_REST_HTTP_SERVER_H_
