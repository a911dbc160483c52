// db/turso/sync/hrana_client.hpp — SQL over HTTP against a Turso server
// (`POST /v2/pipeline`, see hrana.hpp for the dialect).
//
// Every call is one HTTP request on a new connection and a self-contained pipeline
// (no baton, no stream state kept between calls, never a `close` request).
//
// Errors: those of http_client (network_error, protocol_error), invalid_argument for a
// value the wire cannot carry (reported without any I/O), protocol_error for a
// response that does not answer the requests, and sql_error where noted, with the
// server's message (token removed) in detail.
//
// Asynchrony and lifetimes: as http_client. Completes on the awaiting coroutine's
// executor, never inline. The client may be destroyed while calls are in flight.
//
// Thread safety: immutable; any number of calls may run at once.
#pragma once

#include <string_view>
#include <vector>

#include "db/turso/sync/hrana.hpp"
#include "db/turso/sync/http_client.hpp"

namespace patina::db::turso::sync {

class hrana_client {
 public:
  explicit hrana_client(http_client http) noexcept : http_(std::move(http)) {}

  // Sends `requests` as one pipeline. A request the server refused is a
  // hrana::server_error outcome in its slot, not a failure of the call.
  awaitable<result<std::vector<hrana::stream_result>>> pipeline(std::vector<hrana::stream_request> requests) const;

  // Runs one statement. A server error is errc::sql_error.
  awaitable<result<hrana::stmt_result>> execute(hrana::stmt statement) const;

  // Runs one batch. Step errors are in the result; a refused batch is errc::sql_error.
  awaitable<result<hrana::batch_result>> batch(std::vector<hrana::batch_step> steps) const;

  const http_client& http() const noexcept { return http_; }

 private:
  http_client http_;
};

// The sql_error for a server error, with `context` (e.g. "statement 2 of 5") in the
// message and the server's text, without the client's token, in detail.
error make_sql_error(const http_client& http, const hrana::server_error& e, std::string_view context = {});

}  // namespace patina::db::turso::sync
