// db/turso/sync/http_client.hpp — HTTP/1.1 POST client for a Turso server.
//
// One request per connection (the Turso sync server answers `Connection: close` and
// serves one connection at a time), request bodies always sent with Content-Length
// (the server cannot read chunked bodies). `https` uses TLS with certificate and
// host name verification against the system's trust store, or against `ca_file`
// when one is given, and sends SNI for DNS names.
//
// The token, when set, is sent as `Authorization: Bearer <token>` and nowhere else:
// it never appears in an error's message or detail. Text that came from the server
// (status bodies) is copied into `detail` with any occurrence of the token removed.
//
// Errors (result<T>, never thrown for expected failures):
//   network_error  — name resolution, connection refused/reset, TLS failure, timeout;
//   protocol_error — a status other than 200 (the server's text in detail), a response
//                    that is not HTTP, a body cut short, a body over the size limit;
//   whatever the body sink returns, unchanged.
//
// Asynchrony: every operation is an `asio::awaitable` that runs on the awaiting
// coroutine's executor and always performs I/O before completing (never inline).
// Arguments are copied at the call, and the client's state is shared with the
// operation, so the client may be destroyed while operations are in flight.
//
// Thread safety: an http_client is immutable after creation; any number of
// operations may run at once from any threads (each has its own connection).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "db/turso/sync/server_url.hpp"
#include "patina/core/result.hpp"

namespace patina::db::turso::sync {

template <class T>
using awaitable = boost::asio::awaitable<T>;

struct http_options {
  // Connecting (resolve + TCP + TLS handshake) must finish within this...
  std::chrono::milliseconds connect_timeout{10'000};
  // ...and the whole request, connecting included, within this.
  std::chrono::milliseconds request_timeout{120'000};
  // Largest body `post` collects in memory; `post_streamed` has no limit.
  std::size_t max_body_bytes = std::size_t{256} << 20;
  // PEM file of trusted CA certificates for https; empty: the system's trust store.
  std::filesystem::path ca_file;
};

// Receives a response body piece by piece. An error stops the request and becomes
// the request's error.
using body_sink = std::function<result<void>(std::span<const std::uint8_t>)>;

class http_client {
 public:
  // Errors: invalid_argument (bad URL, a token with characters a header cannot carry),
  // io_error (ca_file unreadable or not PEM).
  static result<http_client> create(std::string_view url, std::optional<std::string> token,
                                    http_options options = {});

  // POSTs `body` to base_path + `route`; on status 200 returns the whole body.
  awaitable<result<std::string>> post(std::string route, std::string content_type, std::string body) const;

  // POSTs `body`; on status 200 hands the body to `sink` as it arrives. Non-200
  // bodies are collected (up to a few KiB) into the error's detail instead.
  awaitable<result<void>> post_streamed(std::string route, std::string content_type, std::string body,
                                        body_sink sink) const;

  const server_endpoint& endpoint() const noexcept;
  const http_options& options() const noexcept;
  bool has_token() const noexcept;

  // `text` with every occurrence of the token replaced by "<redacted>". For callers
  // that put server-provided text into an error.
  std::string redact(std::string text) const;

  struct state;

 private:
  explicit http_client(std::shared_ptr<const state> s) noexcept : state_(std::move(s)) {}
  std::shared_ptr<const state> state_;
};

}  // namespace patina::db::turso::sync
