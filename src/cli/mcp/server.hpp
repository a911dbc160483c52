// `patina mcp`: the MCP server over stdio. Opens the project's database once,
// then reads newline-delimited JSON-RPC from stdin and answers on stdout until
// stdin ends; logs go to stderr.
//
// SQLite build: a synchronous read–dispatch–write loop.
// Turso build: one io_context. A reader thread reads stdin (any kind of file: a
// pipe, a terminal, a regular file, /dev/null) and posts each message to the
// io_context; every request runs as its own coroutine, so tool calls overlap;
// responses are written one at a time, in the order they complete. At most
// `mcp_max_in_flight` messages are in flight; past that the reader stops reading
// (backpressure). At end of input the server waits for the calls in flight, then
// returns.
#pragma once

#include <cstddef>

#include "../context.hpp"
#include "../maybe_async.hpp"

namespace patina::cli {

inline constexpr std::size_t mcp_max_in_flight = 16;

// Returns the exit code: 0 at end of input (also when the client stopped
// reading), errors before serving (no database...) throw as in any command.
task<int> serve_mcp(context& ctx);

}  // namespace patina::cli
