// The only translation unit with Beast and Asio's TLS in the sync library: everything
// else talks to the server through http_client's small interface.
#include "db/turso/sync/http_client.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include <algorithm>
#include <vector>

namespace patina::db::turso::sync {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;

struct http_client::state {
  server_endpoint endpoint;
  std::optional<std::string> token;
  http_options options;
  std::shared_ptr<ssl::context> tls;  // https only
};

namespace {

constexpr auto as_result = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t read_chunk_bytes = 64 * 1024;
constexpr std::size_t max_error_body_bytes = 4096;

using state = http_client::state;

std::string redact_token(const std::optional<std::string>& token, std::string text) {
  if (!token || token->empty()) return text;
  constexpr std::string_view mark = "<redacted>";
  for (std::size_t at = text.find(*token); at != std::string::npos; at = text.find(*token, at + mark.size())) {
    text.replace(at, token->size(), mark);
  }
  return text;
}

// A Bearer token is visible ASCII; anything else could split the header.
bool valid_token(std::string_view token) {
  return !token.empty() &&
         std::all_of(token.begin(), token.end(), [](char c) { return c > ' ' && c < 0x7f; });
}

std::string where(const state& s) { return "the Turso server at " + s.endpoint.authority(); }

failure timeout_error(const state& s, bool connecting) {
  const auto ms = connecting ? std::min(s.options.connect_timeout, s.options.request_timeout)
                             : s.options.request_timeout;
  return fail(errc::network_error,
              where(s) + (connecting ? " could not be reached" : " did not answer") + " within " +
                  std::to_string(ms.count()) + " ms; check that it is running, or raise the timeout");
}

bool is_tls_error(const beast::error_code& ec) {
  return ec.category() == asio::error::get_ssl_category() || ec == ssl::error::stream_truncated;
}

// Maps a failure while reading the response.
failure read_error(const state& s, const beast::error_code& ec, bool header_seen) {
  if (ec == beast::error::timeout) return timeout_error(s, false);
  if (ec == http::error::end_of_stream && !header_seen) {
    return fail(errc::protocol_error,
                where(s) + " closed the connection without answering; check the server's log", ec.message());
  }
  if (ec == http::error::partial_message || ec == http::error::end_of_stream ||
      ec == ssl::error::stream_truncated) {
    return fail(errc::protocol_error,
                where(s) + " closed the connection before its response was complete; retry, and check the "
                           "server's log if it persists",
                ec.message());
  }
  if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
    return fail(errc::protocol_error,
                where(s) + " sent something that is not a valid HTTP response; check that the URL points "
                           "at a Turso server",
                ec.message());
  }
  if (is_tls_error(ec)) {
    return fail(errc::network_error, "the TLS connection to " + where(s) + " failed while reading", ec.message());
  }
  return fail(errc::network_error, "reading from " + where(s) + " failed; retry, and check the network",
              ec.message());
}

struct request_plan {
  std::string target;
  std::string content_type;
  std::string body;
  body_sink sink;
};

template <class Stream>
awaitable<result<void>> exchange(Stream& stream, const state& s, request_plan& plan, clock_type::time_point deadline) {
  auto& lowest = beast::get_lowest_layer(stream);

  http::request<http::string_body> req(http::verb::post, plan.target, 11);
  req.set(http::field::host, s.endpoint.host_header());
  req.set(http::field::user_agent, "patina");
  req.set(http::field::content_type, plan.content_type);
  req.set(http::field::connection, "close");
  if (s.token) req.set(http::field::authorization, "Bearer " + *s.token);
  req.body() = std::move(plan.body);
  req.prepare_payload();  // Content-Length, also for an empty body

  lowest.expires_at(deadline);
  auto [write_ec, written] = co_await http::async_write(stream, req, as_result);
  (void)written;
  if (write_ec) {
    if (write_ec == beast::error::timeout) co_return timeout_error(s, false);
    co_return fail(errc::network_error, "sending the request to " + where(s) + " failed; retry, and check the network",
                   write_ec.message());
  }

  beast::flat_buffer buffer;
  http::response_parser<http::buffer_body> parser;
  parser.body_limit(boost::none);  // the sink decides how much it accepts
  lowest.expires_at(deadline);
  auto [header_ec, header_bytes] = co_await http::async_read_header(stream, buffer, parser, as_result);
  (void)header_bytes;
  if (header_ec) co_return read_error(s, header_ec, false);

  const unsigned status = parser.get().result_int();
  std::string error_body;
  std::vector<std::uint8_t> chunk(read_chunk_bytes);
  while (!parser.is_done()) {
    parser.get().body().data = chunk.data();
    parser.get().body().size = chunk.size();
    lowest.expires_at(deadline);
    auto [body_ec, body_bytes] = co_await http::async_read(stream, buffer, parser, as_result);
    (void)body_bytes;
    if (body_ec && body_ec != http::error::need_buffer) co_return read_error(s, body_ec, true);
    const std::size_t got = chunk.size() - parser.get().body().size;
    if (status == 200) {
      auto accepted = plan.sink(std::span<const std::uint8_t>(chunk.data(), got));
      if (!accepted) co_return fail(accepted.err());
    } else {
      const std::size_t room = max_error_body_bytes - error_body.size();
      error_body.append(reinterpret_cast<const char*>(chunk.data()), std::min(room, got));
      if (error_body.size() >= max_error_body_bytes) break;
    }
  }
  if (status != 200) {
    co_return fail(errc::protocol_error,
                   where(s) + " answered HTTP " + std::to_string(status) + " to POST " + plan.target +
                       "; see the detail, and check that the URL points at a Turso server",
                   redact_token(s.token, std::move(error_body)));
  }
  co_return result<void>{};
}

// Runs one request on a strand of its own, so that its timers and I/O never race
// whatever the caller's executor is.
awaitable<result<void>> run_request(std::shared_ptr<const state> s, request_plan plan) {
  auto executor = co_await asio::this_coro::executor;
  const auto start = clock_type::now();
  const auto deadline = start + s->options.request_timeout;
  const auto connect_deadline = std::min(deadline, start + s->options.connect_timeout);

  // Name resolution has no timeout of its own: a timer cancels it.
  auto resolver = std::make_shared<tcp::resolver>(executor);
  auto resolve_timed_out = std::make_shared<bool>(false);
  asio::steady_timer resolve_timer(executor);
  resolve_timer.expires_at(connect_deadline);
  resolve_timer.async_wait([resolver, resolve_timed_out](const beast::error_code& ec) {
    if (ec) return;  // cancelled: resolution finished first
    *resolve_timed_out = true;
    resolver->cancel();
  });
  auto [resolve_ec, endpoints] =
      co_await resolver->async_resolve(s->endpoint.host, std::to_string(s->endpoint.port), as_result);
  resolve_timer.cancel();
  if (*resolve_timed_out) co_return timeout_error(*s, true);
  if (resolve_ec) {
    co_return fail(errc::network_error,
                   "cannot resolve the host name of " + where(*s) + "; check the URL and the network",
                   resolve_ec.message());
  }

  auto connect_failed = [&](const beast::error_code& ec) -> failure {
    if (ec == beast::error::timeout) return timeout_error(*s, true);
    return fail(errc::network_error,
                "cannot connect to " + where(*s) + "; check that it is running and that the URL is right",
                ec.message());
  };

  if (!s->endpoint.tls) {
    beast::tcp_stream stream(executor);
    stream.expires_at(connect_deadline);
    auto [connect_ec, connected] = co_await stream.async_connect(endpoints, as_result);
    (void)connected;
    if (connect_ec) co_return connect_failed(connect_ec);
    auto outcome = co_await exchange(stream, *s, plan, deadline);
    beast::error_code ignored;
    stream.socket().shutdown(tcp::socket::shutdown_both, ignored);
    co_return outcome;
  }

  beast::ssl_stream<beast::tcp_stream> stream(executor, *s->tls);
  // SNI is for host names only (RFC 6066 §3); verification covers names and addresses.
  beast::error_code ip_check;
  asio::ip::make_address(s->endpoint.host, ip_check);
  // SSL_set_tlsext_host_name spelled out: the macro's C cast trips -Wold-style-cast.
  if (ip_check && SSL_ctrl(stream.native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                           const_cast<char*>(s->endpoint.host.c_str())) != 1) {
    co_return fail(errc::network_error, "cannot set up TLS (SNI) for " + where(*s), "SSL_set_tlsext_host_name failed");
  }
  stream.set_verify_mode(ssl::verify_peer);
  stream.set_verify_callback(ssl::host_name_verification(s->endpoint.host));

  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_at(connect_deadline);
  auto [connect_ec, connected] = co_await lowest.async_connect(endpoints, as_result);
  (void)connected;
  if (connect_ec) co_return connect_failed(connect_ec);
  lowest.expires_at(connect_deadline);
  auto [handshake_ec] = co_await stream.async_handshake(ssl::stream_base::client, as_result);
  if (handshake_ec) {
    if (handshake_ec == beast::error::timeout) {
      co_return fail(errc::network_error,
                     "the TLS handshake with " + where(*s) + " did not complete within " +
                         std::to_string(std::min(s->options.connect_timeout, s->options.request_timeout).count()) +
                         " ms; check that the server speaks https at this port");
    }
    co_return fail(errc::network_error,
                   "the TLS handshake with " + where(*s) +
                       " failed; check the server's certificate, the host name in the URL, or the CA file",
                   handshake_ec.message());
  }
  auto outcome = co_await exchange(stream, *s, plan, deadline);
  // The server closes after one response; skip the TLS close_notify exchange.
  beast::error_code ignored;
  lowest.socket().shutdown(tcp::socket::shutdown_both, ignored);
  co_return outcome;
}

awaitable<result<void>> post_streamed_impl(std::shared_ptr<const state> s, request_plan plan) {
  auto executor = co_await asio::this_coro::executor;
  auto outcome = co_await asio::co_spawn(asio::make_strand(executor), run_request(std::move(s), std::move(plan)),
                                         asio::use_awaitable);
  co_return outcome;
}

awaitable<result<std::string>> post_impl(std::shared_ptr<const state> s, request_plan plan) {
  auto collected = std::make_shared<std::string>();
  const std::size_t limit = s->options.max_body_bytes;
  const std::string origin = where(*s);
  plan.sink = [collected, limit, origin](std::span<const std::uint8_t> piece) -> result<void> {
    if (piece.size() > limit - collected->size()) {
      return fail(errc::protocol_error, origin + " sent a response larger than " + std::to_string(limit) +
                                            " bytes; raise the limit or check the server");
    }
    collected->append(reinterpret_cast<const char*>(piece.data()), piece.size());
    return {};
  };
  auto outcome = co_await post_streamed_impl(std::move(s), std::move(plan));
  if (!outcome) co_return fail(outcome.err());
  co_return std::move(*collected);
}

}  // namespace

result<http_client> http_client::create(std::string_view url, std::optional<std::string> token,
                                        http_options options) {
  auto endpoint = parse_server_url(url);
  if (!endpoint) return fail(endpoint.err());
  if (token && !valid_token(*token)) {
    return fail(errc::invalid_argument,
                "the Turso token is empty or contains spaces or control characters; copy it again "
                "(PATINA_TURSO_TOKEN), or unset it to send no token");
  }
  if (options.connect_timeout.count() <= 0 || options.request_timeout.count() <= 0) {
    return fail(errc::invalid_argument, "HTTP timeouts must be positive");
  }
  auto s = std::make_shared<state>();
  s->endpoint = std::move(*endpoint);
  s->token = std::move(token);
  s->options = std::move(options);
  if (s->endpoint.tls) {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    beast::error_code ec;
    if (s->options.ca_file.empty()) {
      ctx->set_default_verify_paths(ec);
      if (ec) {
        return fail(errc::io_error, "cannot load the system's trusted certificates; install ca-certificates",
                    ec.message());
      }
    } else {
      ctx->load_verify_file(s->options.ca_file.string(), ec);
      if (ec) {
        return fail(errc::io_error,
                    "cannot load CA certificates from " + s->options.ca_file.string() +
                        "; check that the file exists and is PEM",
                    ec.message());
      }
    }
    ctx->set_verify_mode(ssl::verify_peer);
    s->tls = std::move(ctx);
  }
  return http_client(std::move(s));
}

awaitable<result<std::string>> http_client::post(std::string route, std::string content_type,
                                                 std::string body) const {
  request_plan plan{state_->endpoint.target(route), std::move(content_type), std::move(body), {}};
  return post_impl(state_, std::move(plan));
}

awaitable<result<void>> http_client::post_streamed(std::string route, std::string content_type, std::string body,
                                                   body_sink sink) const {
  request_plan plan{state_->endpoint.target(route), std::move(content_type), std::move(body), std::move(sink)};
  return post_streamed_impl(state_, std::move(plan));
}

const server_endpoint& http_client::endpoint() const noexcept { return state_->endpoint; }
const http_options& http_client::options() const noexcept { return state_->options; }
bool http_client::has_token() const noexcept { return state_->token.has_value(); }
std::string http_client::redact(std::string text) const { return redact_token(state_->token, std::move(text)); }

}  // namespace patina::db::turso::sync
