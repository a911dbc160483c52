// mcp/session.hpp — the server side of one MCP session, sans-io.
//
// The driver reads frames (mcp/line_reader.hpp) and hands each to handle(),
// which answers everything it can at once — initialize, ping, tools/list, and
// every error — and turns a valid tools/call into a `tool_call` for the driver to
// run. When the call is done the driver asks complete() (or fail()) for the
// response line. The session never blocks and does no I/O, so the same session
// serves the synchronous driver (SQLite build) and the asynchronous one, where
// several tool calls may be in flight and finish in any order (Turso build).
//
// Lifecycle: `initialize` picks the protocol version (the client's when this
// server supports it, else the newest it supports) and may come only once.
// Requests that arrive before it are served as under the newest version; ping
// is always answered. Notifications are never answered; unknown ones, and
// responses from the client (this server sends no requests), are ignored with a
// note for the log.
//
// Error mapping (MCP 2025-06-18 "Error Handling"): unknown tool and arguments
// that do not match the tool's inputSchema are protocol errors (-32602);
// failures while a tool runs are the tool's business (a result with isError).
//
// Thread safety: none; a session is used from one thread (the driver's I/O
// thread). complete() and fail() only read the call they are given.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "mcp/json_rpc.hpp"
#include "mcp/line_reader.hpp"
#include "mcp/tool_registry.hpp"

namespace patina::mcp {

// Newest first.
inline constexpr std::array<std::string_view, 2> supported_protocol_versions{"2025-06-18", "2024-11-05"};
inline constexpr std::string_view latest_protocol_version = supported_protocol_versions.front();

// `requested` when supported, else the newest supported version.
std::string_view negotiate_protocol_version(std::string_view requested) noexcept;

struct server_info {
  std::string name;          // "patina"
  std::string version;       // "0.1.0"
  std::string title;         // for people (sent from 2025-06-18 on)
  std::string instructions;  // how to use the server, for the model; may be empty
};

// A tools/call that passed every check: a known tool, arguments that match its
// input schema, with the schema's defaults filled in.
struct tool_call {
  nlohmann::json id;
  std::string name;
  nlohmann::json arguments;      // an object
  std::string protocol_version;  // the session's at the time of the call
};

// What the driver must do after a frame.
struct step {
  std::optional<std::string> reply;  // a response line to write (without its newline)
  std::optional<tool_call> call;     // a tool to run; answer with complete() or fail()
  std::optional<std::string> note;   // something worth a line in the log
};

class session {
 public:
  session(server_info info, tool_registry tools);

  step handle(const frame& f);
  step handle_line(std::string_view line);

  // The response to a finished call.
  std::string complete(const tool_call& call, const tool_result& result) const;
  // The response to a call that failed in the server itself (-32603 and the like).
  std::string fail(const tool_call& call, const rpc_error& error) const;

  bool initialized() const noexcept { return initialized_; }
  // Set by initialize; the newest supported version before that.
  const std::string& protocol_version() const noexcept { return version_; }
  const tool_registry& tools() const noexcept { return tools_; }

 private:
  step handle_request(request r);
  step handle_notification(const notification& n);
  step initialize(const request& r);
  step call_tool(const request& r);

  server_info info_;
  tool_registry tools_;
  std::string version_{latest_protocol_version};
  bool initialized_ = false;
};

}  // namespace patina::mcp
