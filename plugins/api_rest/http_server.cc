#include "http_server.h"

#include <array>
#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <thread>
#include <vector>

namespace strata::rest {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpServer::Impl {
  Options options;
  Handler handler;
  asio::io_context io;
  std::unique_ptr<asio::ssl::context> tls;  // set when the options carry a certificate
  std::unique_ptr<tcp::acceptor> acceptor;
  std::vector<std::thread> threads;
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};

  Impl(Options o, Handler h) : options(std::move(o)), handler(std::move(h)) {}

  void Accept();
};

namespace {

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// One connection, over plain TCP (Stream = beast::tcp_stream) or TLS (TlsStream).
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server)
      : stream_(std::move(socket)), server_(server) {}
  Session(tcp::socket socket, asio::ssl::context& tls, HttpServer::Impl* server)
      : stream_(std::move(socket), tls), server_(server) {}

  void Start() {
    if constexpr (kTls) {
      Lowest().expires_after(std::chrono::seconds(30));
      stream_.async_handshake(asio::ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec) return self->Drop();
                                self->Read();
                              });
    } else {
      Read();
    }
  }

 private:
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }
  std::shared_ptr<Session> self() { return this->shared_from_this(); }
  // Closes the socket without a TLS goodbye (a failed handshake or a broken connection).
  void Drop() {
    beast::error_code ec;
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().socket().close(ec);
  }

  void Read() {
    parser_.emplace();
    observer_.reset();
    // The larger limit until the headers say whether the body streams (the parser refuses a
    // Content-Length over its limit while reading the headers); OnHeader narrows it.
    parser_->body_limit(std::max(server_->options.max_body_bytes,
                                 server_->options.stream ? server_->options.max_stream_bytes : 0));
    parser_->header_limit(64 * 1024);
    Lowest().expires_after(std::chrono::seconds(300));
    http::async_read_header(stream_, buffer_, *parser_,
                            [self = self()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  // Clients sending large bodies (curl above 1 MiB, some HTTP libraries always) ask with
  // `Expect: 100-continue` and wait for the interim answer before the body.
  void OnHeader(beast::error_code ec) {
    if (ec) return OnRead(ec);
    const auto& msg = parser_->get();
    if (server_->options.stream) {
      StreamStart start = server_->options.stream(Head());
      if (start.refuse) return Write(std::move(*start.refuse), false);
      if (start.sink) return StartStream(std::move(start.sink));
      observer_ = std::move(start.observer);
    }
    parser_->body_limit(server_->options.max_body_bytes);
    if (parser_->content_length() && *parser_->content_length() > server_->options.max_body_bytes) {
      return OnRead(http::error::body_limit);
    }
    if (!beast::iequals(msg[http::field::expect], "100-continue")) return ReadBody();
    const auto length = parser_->content_length();
    if (length && *length > server_->options.max_body_bytes) {
      return OnRead(http::error::body_limit);  // refuse before the client sends it
    }
    auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    http::async_write(stream_, *cont, [self = self(), cont](beast::error_code wec, size_t) {
      if (wec) return self->Close();
      self->ReadBody();
    });
  }

  void ReadBody() {
    const auto length = parser_->content_length();
    if (!length || *length <= buffer_.size() || parser_->chunked()) {
      http::async_read(stream_, buffer_, *parser_,
                       [self = self()](beast::error_code ec, size_t) { self->OnRead(ec); });
      return;
    }
    if (*length > server_->options.max_body_bytes) return OnRead(http::error::body_limit);
    // A sized body: read it straight into its final string in as few large reads as the socket
    // allows (the parser's path reads at most 64 KiB at a time, re-arming timers each time).
    body_.assign(static_cast<size_t>(*length), '\0');
    const size_t have = buffer_.size();
    asio::buffer_copy(asio::buffer(body_), buffer_.data());
    buffer_.consume(have);
    if (observer_) {
      received_ = have;
      return ReadObserved();
    }
    asio::async_read(stream_, asio::buffer(body_.data() + have, body_.size() - have),
                     [self = self()](beast::error_code ec, size_t) {
                       if (ec) return self->OnRead(ec);
                       self->parser_->get().body() = std::move(self->body_);
                       self->Dispatch();
                     });
  }

  // A sized body read piece by piece, each piece shown to the observer unless it completes
  // the body (the handler takes the complete body).
  void ReadObserved() {
    if (received_ == body_.size()) {
      parser_->get().body() = std::move(body_);
      return Dispatch();
    }
    stream_.async_read_some(
        asio::buffer(body_.data() + received_, body_.size() - received_),
        [self = self()](beast::error_code ec, size_t n) {
          if (ec) return self->OnRead(ec);
          self->received_ += n;
          if (self->received_ < self->body_.size()) {
            const size_t missing = self->body_.size() - self->received_;
            self->observer_->Received(
                std::string_view(self->body_.data(), self->received_), [&self, missing] {
                  beast::error_code aec;
                  return self->Lowest().socket().available(aec) >= missing || aec;
                });
          }
          self->ReadObserved();
        });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout) return Close();
    if (ec == http::error::body_limit) {
      HttpResponse r;
      r.status = 413;
      r.body =
          "{\"status\":{\"error\":\"Payload too large: the request body exceeds "
          "service.max_request_size_mb (snapshot uploads: "
          "service.max_snapshot_upload_mb)\"},\"time\":0}";
      return Write(std::move(r), false);
    }
    if (ec) return Close();
    Dispatch();
  }

  // The request line and headers (header names in lower case), without the body.
  HttpRequest Head() const {
    const auto& msg = parser_->get();
    HttpRequest req;
    req.method = std::string(msg.method_string());
    req.target = std::string(msg.target());
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      req.headers[name] = std::string(f.value());
    }
    return req;
  }

  // A streamed body: Content-Length bytes read in pieces and handed to the sink as they come.
  void StartStream(std::unique_ptr<BodySink> sink) {
    const auto length = parser_->content_length();
    auto fail = [&](int status, const char* text) {
      HttpResponse r;
      r.status = status;
      r.body = std::string("{\"status\":{\"error\":\"") + text + "\"},\"time\":0}";
      Write(std::move(r), false);
    };
    if (parser_->chunked() || !length) {
      return fail(411, "Length required: send the upload with a Content-Length");
    }
    if (*length > server_->options.max_stream_bytes) {
      return fail(413, "Payload too large: the upload exceeds service.max_snapshot_upload_mb");
    }
    keep_alive_ = parser_->get().keep_alive();
    sink_ = std::move(sink);
    remaining_ = *length;
    ++server_->in_flight;
    // Bytes that arrived with the headers.
    const size_t have = std::min<size_t>(buffer_.size(), remaining_);
    if (have > 0) {
      const auto data = buffer_.data();
      std::string first(static_cast<const char*>(data.data()), have);
      buffer_.consume(have);
      remaining_ -= have;
      Status s = sink_->Write(first);
      if (!s.ok()) return EndStream(s);
    }
    if (!beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      return ReadPiece();
    }
    auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
    http::async_write(stream_, *cont, [self = self(), cont](beast::error_code wec, size_t) {
      if (wec) return self->EndStream(Unavailable("the client went away"));
      self->ReadPiece();
    });
  }

  void ReadPiece() {
    if (remaining_ == 0) return EndStream(Status::Ok());
    piece_.resize(static_cast<size_t>(std::min<uint64_t>(remaining_, 1u << 20)));
    Lowest().expires_after(std::chrono::seconds(300));
    stream_.async_read_some(asio::buffer(piece_), [self = self()](beast::error_code ec, size_t n) {
      if (ec) return self->EndStream(Unavailable("reading the upload: " + ec.message()));
      self->remaining_ -= n;
      Status s = self->sink_->Write(std::string_view(self->piece_.data(), n));
      if (!s.ok()) return self->EndStream(s);
      self->ReadPiece();
    });
  }

  void EndStream(const Status& read) {
    HttpResponse r = sink_->Finish(read);
    sink_.reset();
    --server_->in_flight;
    // A body not read to its end cannot be followed by another request on this connection.
    Write(std::move(r), keep_alive_ && read.ok() && remaining_ == 0);
  }

  // Hands the complete request to the handler and writes its answer.
  void Dispatch() {
    if (server_->stopping) return Close();
    auto& msg = parser_->get();
    HttpRequest req = Head();
    req.body = std::move(msg.body());
    req.observer = std::move(observer_);
    keep_alive_ = msg.keep_alive();
    ++server_->in_flight;
    HttpResponse resp = server_->handler(req);
    --server_->in_flight;
    Write(std::move(resp), keep_alive_);
  }

  // Status line and headers of an answer.
  template <class Message>
  static void FillHead(Message& res, const HttpResponse& r) {
    res.version(11);
    res.result(static_cast<http::status>(r.status));
    res.set(http::field::server, "strata");
    res.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) res.set(k, v);
  }

  void Write(HttpResponse r, bool keep_alive) {
    if (r.stream) return WriteStream(std::move(r), keep_alive);
    auto res = std::make_shared<http::response<http::string_body>>();
    FillHead(*res, r);
    res->body() = std::move(r.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    http::async_write(stream_, *res,
                      [self = self(), res, keep_alive](beast::error_code ec, size_t) {
                        if (ec || !keep_alive || self->server_->stopping) return self->Close();
                        self->Read();
                      });
  }

  // The header with the whole length, then the pieces one after another.
  void WriteStream(HttpResponse r, bool keep_alive) {
    auto res = std::make_shared<http::response<http::empty_body>>();
    FillHead(*res, r);
    res->set(http::field::content_length, std::to_string(r.stream_size));
    res->keep_alive(keep_alive);
    auto sr = std::make_shared<http::response_serializer<http::empty_body>>(*res);
    auto source = std::make_shared<HttpResponse>(std::move(r));
    http::async_write_header(
        stream_, *sr, [self = self(), res, sr, source, keep_alive](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          self->WritePiece(source, 0, keep_alive);
        });
  }

  void WritePiece(std::shared_ptr<HttpResponse> source, uint64_t offset, bool keep_alive) {
    if (offset >= source->stream_size) {
      if (!keep_alive || server_->stopping) return Close();
      return Read();
    }
    Result<std::string> piece = source->stream(offset);
    if (!piece.ok() || piece->empty() || piece->size() > source->stream_size - offset) {
      return Drop();  // the client sees a body shorter than announced
    }
    auto data = std::make_shared<std::string>(std::move(piece).value());
    asio::async_write(
        stream_, asio::buffer(*data),
        [self = self(), source, data, offset, keep_alive](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          self->WritePiece(source, offset + data->size(), keep_alive);
        });
  }

  void Close() {
    if constexpr (kTls) {
      // TLS: send close_notify, then drop the connection.
      Lowest().expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = self()](beast::error_code) { self->Drop(); });
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      Linger();
    }
  }

  // A lingering close: after our answer, read and drop what the client is still sending (a
  // body we refused, say) so it gets to read the answer instead of a reset connection.
  void Linger() {
    Lowest().expires_after(std::chrono::seconds(5));
    stream_.async_read_some(asio::buffer(discard_), [self = self()](beast::error_code ec, size_t) {
      if (!ec) self->Linger();
    });
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::string body_;                        // a sized body being read past the parser
  size_t received_ = 0;                     // of body_, when read piece by piece for observer_
  std::shared_ptr<BodyObserver> observer_;  // the current request's, if any
  std::unique_ptr<BodySink> sink_;          // a streamed body's receiver
  uint64_t remaining_ = 0;                  // its bytes still to read
  std::vector<char> piece_;
  HttpServer::Impl* server_;
  bool keep_alive_ = true;
  std::array<char, 16384> discard_{};
};

}  // namespace

void HttpServer::Impl::Accept() {
  acceptor->async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
    if (ec) {
      if (!stopping && acceptor->is_open()) Accept();
      return;
    }
    beast::error_code nodelay_ec;
    socket.set_option(tcp::no_delay(true), nodelay_ec);  // answers go out whole, no Nagle wait
    if (tls) {
      std::make_shared<Session<TlsStream>>(std::move(socket), *tls, this)->Start();
    } else {
      std::make_shared<Session<beast::tcp_stream>>(std::move(socket), this)->Start();
    }
    Accept();
  });
}

HttpServer::HttpServer(Options options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}

HttpServer::~HttpServer() { Stop(0); }

Result<int> HttpServer::Start() {
  beast::error_code ec;
  if (!impl_->options.tls_cert_pem.empty()) {
    auto ctx = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    ctx->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    const std::string& cert = impl_->options.tls_cert_pem;
    const std::string& key = impl_->options.tls_key_pem;
    ctx->use_certificate_chain(asio::buffer(cert.data(), cert.size()), ec);
    if (ec) return InvalidArgument("tls.cert: not a usable PEM certificate: " + ec.message());
    ctx->use_private_key(asio::buffer(key.data(), key.size()), asio::ssl::context::pem, ec);
    if (ec) return InvalidArgument("tls.key: not a usable PEM private key: " + ec.message());
    impl_->tls = std::move(ctx);
  }
  auto address = asio::ip::make_address(impl_->options.host, ec);
  if (ec)
    return InvalidArgument("service.host: '" + impl_->options.host + "' is not an IP address");
  tcp::endpoint endpoint(address, static_cast<uint16_t>(impl_->options.port));
  auto acceptor = std::make_unique<tcp::acceptor>(impl_->io);
  acceptor->open(endpoint.protocol(), ec);
  if (!ec) acceptor->set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor->bind(endpoint, ec);
  if (!ec) acceptor->listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Unavailable("cannot listen on " + impl_->options.host + ":" +
                       std::to_string(impl_->options.port) + ": " + ec.message() +
                       "; change service.host or service.http_port");
  }
  int port = acceptor->local_endpoint().port();
  impl_->acceptor = std::move(acceptor);
  impl_->Accept();
  for (unsigned i = 0; i < impl_->options.threads; ++i) {
    impl_->threads.emplace_back([this] { impl_->io.run(); });
  }
  return port;
}

void HttpServer::Stop(int64_t deadline_unix_ms) {
  if (impl_->threads.empty()) return;
  impl_->stopping = true;
  asio::post(impl_->io, [this] {
    beast::error_code ec;
    impl_->acceptor->close(ec);
  });
  // Drain: requests being handled finish (their sessions close afterwards).
  while (impl_->in_flight.load() > 0) {
    auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::system_clock::now().time_since_epoch())
                   .count();
    if (deadline_unix_ms != 0 && now >= deadline_unix_ms) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  impl_->io.stop();
  for (std::thread& t : impl_->threads) t.join();
  impl_->threads.clear();
}

}  // namespace strata::rest
