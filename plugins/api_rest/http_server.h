// http_server.h: a small HTTP/1.1 server on Boost.Beast over the plugin's own Asio threads.
// Keep-alive, one request at a time per connection (so pipelined requests are answered in
// order), a body size limit (413), optional TLS (OpenSSL through Asio), and a graceful stop
// that drains in-flight requests.
#ifndef STRATA_PLUGINS_API_REST_HTTP_SERVER_H_
#define STRATA_PLUGINS_API_REST_HTTP_SERVER_H_

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "strata/sdk/status.hpp"

namespace strata::rest {

class BodyObserver;

struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  std::string target;  // path + query
  std::string body;
  std::map<std::string, std::string> headers;  // lower-case names
  // The observer that saw the body arrive (StreamStart::observer), if the handler set one.
  std::shared_ptr<BodyObserver> observer;
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

// A request body taken piece by piece as it arrives (snapshot uploads) instead of collected
// whole in memory.
class BodySink {
 public:
  virtual ~BodySink() = default;
  // The next piece; an error stops the reading and becomes the answer (via Finish).
  virtual Status Write(std::string_view piece) = 0;
  // The body is complete (read OK) or is not (why, e.g. the write's error): the answer.
  virtual HttpResponse Finish(const Status& read) = 0;
};
// Shown a request body while it arrives, which is collected whole as usual and then handed to
// the handler together with this observer (HttpRequest::observer): work on the body can start
// before its last byte. Called on the connection's thread, never after the body is complete.
class BodyObserver {
 public:
  virtual ~BodyObserver() = default;
  // The body's first so_far.size() bytes (each call a longer prefix; maybe none at all).
  // rest_arrived() tells whether the rest of the body is waiting to be read: an observer that
  // works through what it has can stop then, so that the complete body is not kept waiting.
  virtual void Received(std::string_view so_far, const std::function<bool()>& rest_arrived) = 0;
};
struct StreamStart {
  std::unique_ptr<BodySink> sink;          // null: not a streamed request, the handler gets it
  std::optional<HttpResponse> refuse;      // set: answer this at once, the body is not read
  std::shared_ptr<BodyObserver> observer;  // set (without sink): shown the body as it comes
};
// Called with the request's head (no body) once its headers are in.
using StreamHandler = std::function<StreamStart(const HttpRequest& head)>;

class HttpServer {
 public:
  struct Options {
    std::string host = "0.0.0.0";
    int port = 6333;
    size_t max_body_bytes = 32u << 20;
    // Streamed bodies (see StreamHandler) may carry up to max_stream_bytes; they need a
    // Content-Length (411 otherwise).
    size_t max_stream_bytes = 32u << 20;
    StreamHandler stream;
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
