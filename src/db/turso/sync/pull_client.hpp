// db/turso/sync/pull_client.hpp — `POST /pull-updates`: pages changed on a Turso
// server since a revision, handed on one by one as they arrive.
//
// Errors: those of http_client; protocol_error for a malformed page stream (see
// pull_protocol.hpp); unsupported for an MVCC or compressed stream; whatever a
// handler returns (the request stops there).
//
// Asynchrony and lifetimes: as http_client; the handlers are called on the request's
// own strand, one at a time, and are kept alive by the operation.
//
// Thread safety: a free function; any number of pulls may run at once.
#pragma once

#include "db/turso/sync/http_client.hpp"
#include "db/turso/sync/pull_protocol.hpp"

namespace patina::db::turso::sync {

struct pull_outcome {
  pull_header header;
  std::uint64_t pages = 0;       // pages handed to on_page
  std::uint64_t body_bytes = 0;  // size of the response body
};

awaitable<result<pull_outcome>> pull_updates(const http_client& http, pull_request request,
                                             pull_stream_decoder::header_handler on_header,
                                             pull_stream_decoder::page_handler on_page);

}  // namespace patina::db::turso::sync
