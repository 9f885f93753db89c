#include "snapshot_transfer.h"

#include <sys/socket.h>
#include <sys/time.h>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <vector>

namespace strata::rest {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A parameter of a header value: `boundary=...` in `multipart/form-data; boundary=...`.
std::string HeaderParam(std::string_view value, const std::string& name) {
  const std::string lower = Lower(std::string(value));
  size_t at = 0;
  while ((at = lower.find(name + "=", at)) != std::string::npos) {
    if (at == 0 || lower[at - 1] == ';' || lower[at - 1] == ' ') break;
    at += name.size();
  }
  if (at == std::string::npos) return "";
  size_t start = at + name.size() + 1;
  if (start < value.size() && value[start] == '"') {
    size_t end = value.find('"', start + 1);
    return std::string(value.substr(
        start + 1, end == std::string_view::npos ? std::string_view::npos : end - start - 1));
  }
  size_t end = value.find(';', start);
  std::string v(
      value.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
  while (!v.empty() && v.back() == ' ') v.pop_back();
  return v;
}

struct Url {
  bool tls = false;
  std::string host, port, target;
};

Result<Url> ParseUrl(const std::string& url) {
  Url u;
  std::string rest;
  if (Lower(url.substr(0, 7)) == "http://") {
    rest = url.substr(7);
  } else if (Lower(url.substr(0, 8)) == "https://") {
    u.tls = true;
    rest = url.substr(8);
  } else {
    return InvalidArgument("location: '" + url + "' is not an http(s) URL");
  }
  const size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  u.target = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.find('@') != std::string::npos) {
    return InvalidArgument("location: credentials in the URL are not supported; use api_key");
  }
  u.port = u.tls ? "443" : "80";
  if (!authority.empty() && authority[0] == '[') {  // [v6]:port
    const size_t close = authority.find(']');
    if (close == std::string::npos) return InvalidArgument("location: bad IPv6 host in " + url);
    u.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') {
      u.port = authority.substr(close + 2);
    }
  } else {
    const size_t colon = authority.rfind(':');
    u.host = authority.substr(0, colon);
    if (colon != std::string::npos) u.port = authority.substr(colon + 1);
  }
  if (u.host.empty()) return InvalidArgument("location: no host in " + url);
  return u;
}

void SetSocketTimeouts(tcp::socket& s, int seconds) {
  timeval tv{};
  tv.tv_sec = seconds;
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  ::setsockopt(s.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

// One GET on an open stream; *redirect is set for a 3xx with a Location.
template <class Stream>
Status Get(Stream& stream, const Url& u, const FetchOptions& o, std::string* redirect,
           const std::function<Status(std::string_view)>& sink) {
  http::request<http::empty_body> req(http::verb::get, u.target, 11);
  req.set(http::field::host, u.host);
  req.set(http::field::user_agent, "strata");
  if (!o.api_key.empty()) req.set("api-key", o.api_key);
  beast::error_code ec;
  http::write(stream, req, ec);
  if (ec) return Unavailable("sending the request to " + u.host + ": " + ec.message());
  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(o.max_bytes == 0 ? std::numeric_limits<uint64_t>::max() : o.max_bytes);
  http::read_header(stream, buffer, parser, ec);
  if (ec) return Unavailable("reading the answer of " + u.host + ": " + ec.message());
  const unsigned status = parser.get().result_int();
  if (status >= 300 && status < 400) {
    *redirect = std::string(parser.get()[http::field::location]);
    if (redirect->empty())
      return Unavailable(u.host + " answered " + std::to_string(status) + " without a Location");
    return Status::Ok();
  }
  if (status < 200 || status >= 300) {
    return InvalidArgument("location: " + u.host + " answered HTTP " + std::to_string(status) +
                           " for " + u.target);
  }
  std::vector<char> piece(1 << 20);
  while (!parser.is_done()) {
    parser.get().body().data = piece.data();
    parser.get().body().size = piece.size();
    http::read(stream, buffer, parser, ec);
    if (ec == http::error::need_buffer) ec = {};
    if (ec == http::error::body_limit) {
      return ResourceExhausted("the snapshot at the URL is larger than the upload limit");
    }
    if (ec) return Unavailable("reading the snapshot from " + u.host + ": " + ec.message());
    const size_t n = piece.size() - parser.get().body().size;
    if (n > 0) STRATA_RETURN_IF_ERROR(sink(std::string_view(piece.data(), n)));
  }
  return Status::Ok();
}

}  // namespace

Result<MultipartFile> MultipartFile::Start(const std::string& content_type, std::string field) {
  if (Lower(content_type).rfind("multipart/form-data", 0) != 0) {
    return InvalidArgument("Content-Type: expected multipart/form-data with the snapshot file");
  }
  const std::string boundary = HeaderParam(content_type, "boundary");
  if (boundary.empty()) return InvalidArgument("Content-Type: the multipart boundary is missing");
  MultipartFile m;
  m.field_ = std::move(field);
  m.delimiter_ = "\r\n--" + boundary;
  m.buf_ = "\r\n";  // so the first delimiter, at the very start, has its CRLF too
  return m;
}

Status MultipartFile::Feed(std::string_view data,
                           const std::function<Status(std::string_view)>& out) {
  buf_.append(data);
  size_t at = 0;  // consumed bytes of buf_
  for (;;) {
    const std::string_view rest(buf_.data() + at, buf_.size() - at);
    if (state_ == State::kDone) {
      at = buf_.size();  // the epilogue
      break;
    }
    if (state_ == State::kSkip || state_ == State::kFile) {
      const size_t pos = rest.find(delimiter_);
      const size_t keep = delimiter_.size() - 1;  // a delimiter may straddle two pieces
      const size_t take = pos != std::string_view::npos ? pos
                          : rest.size() > keep          ? rest.size() - keep
                                                        : 0;
      if (state_ == State::kFile && take > 0) STRATA_RETURN_IF_ERROR(out(rest.substr(0, take)));
      at += take;
      if (pos == std::string_view::npos) break;
      at += delimiter_.size();
      if (state_ == State::kFile) have_file_ = true;
      state_ = State::kAfterDelimiter;
      continue;
    }
    if (state_ == State::kAfterDelimiter) {
      if (rest.size() < 2) break;
      if (rest.substr(0, 2) == "--") {
        state_ = State::kDone;
        continue;
      }
      if (rest.substr(0, 2) != "\r\n") {
        return InvalidArgument("multipart body: malformed boundary line");
      }
      at += 2;
      state_ = State::kHeaders;
      continue;
    }
    // kHeaders: up to the blank line.
    const size_t end = rest.find("\r\n\r\n");
    if (end == std::string_view::npos) {
      if (rest.size() > (16u << 10))
        return InvalidArgument("multipart body: part headers too long");
      break;
    }
    std::string disposition;
    for (size_t line = 0; line < end;) {
      size_t eol = rest.find("\r\n", line);
      if (eol == std::string_view::npos || eol > end) eol = end;
      const std::string_view h = rest.substr(line, eol - line);
      if (Lower(std::string(h.substr(0, 20))) == "content-disposition:") {
        disposition = std::string(h.substr(20));
      }
      line = eol + 2;
    }
    const bool named = HeaderParam(disposition, "name") == field_;
    const bool file = disposition.find("filename") != std::string::npos;
    state_ = !have_file_ && (named || file) ? State::kFile : State::kSkip;
    at += end + 4;
  }
  buf_.erase(0, at);
  return Status::Ok();
}

Status MultipartFile::Finish() const {
  if (!have_file_) {
    return InvalidArgument("multipart body: no complete `" + field_ + "` file part");
  }
  return Status::Ok();
}

Status HttpFetch(const std::string& url, const FetchOptions& o,
                 const std::function<Status(std::string_view)>& sink) {
  std::string current = url;
  for (int hop = 0; hop <= o.max_redirects; ++hop) {
    STRATA_ASSIGN_OR_RETURN(Url u, ParseUrl(current));
    asio::io_context io;
    beast::error_code ec;
    tcp::resolver resolver(io);
    auto endpoints = resolver.resolve(u.host, u.port, ec);
    if (ec) return Unavailable("location: cannot resolve " + u.host + ": " + ec.message());
    std::string redirect;
    Status s;
    if (u.tls) {
      asio::ssl::context ctx(asio::ssl::context::tls_client);
      ctx.set_default_verify_paths(ec);
      ctx.set_verify_mode(asio::ssl::verify_peer);
      beast::ssl_stream<tcp::socket> stream(io, ctx);
      SSL_set_tlsext_host_name(stream.native_handle(), u.host.c_str());
      SSL_set1_host(stream.native_handle(), u.host.c_str());
      asio::connect(stream.next_layer(), endpoints, ec);
      if (ec) return Unavailable("location: cannot connect to " + u.host + ": " + ec.message());
      SetSocketTimeouts(stream.next_layer(), o.timeout_seconds);
      stream.handshake(asio::ssl::stream_base::client, ec);
      if (ec) return Unavailable("location: TLS with " + u.host + " failed: " + ec.message());
      s = Get(stream, u, o, &redirect, sink);
      stream.shutdown(ec);
    } else {
      tcp::socket socket(io);
      asio::connect(socket, endpoints, ec);
      if (ec) return Unavailable("location: cannot connect to " + u.host + ": " + ec.message());
      SetSocketTimeouts(socket, o.timeout_seconds);
      s = Get(socket, u, o, &redirect, sink);
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
    if (!s.ok() || redirect.empty()) return s;
    if (redirect[0] == '/') {
      redirect = (u.tls ? "https://" : "http://") + u.host + ":" + u.port + redirect;
    }
    current = redirect;
  }
  return Unavailable("location: more than " + std::to_string(o.max_redirects) + " redirects");
}

}  // namespace strata::rest
