// mcp/json_rpc.hpp — JSON-RPC 2.0 as MCP uses it: classifying one incoming
// message and writing responses.
//
// MCP narrows JSON-RPC: ids are strings or integers (never null, never
// fractional), params are objects, and batches (JSON arrays) are not part of the
// 2025-06-18 revision. parse_message() never throws: whatever the bytes, it
// returns a request, a notification, a response from the client, or an invalid
// message carrying the error to answer with (id null when no valid id was found).
//
// Thread safety: free functions over values; safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include <nlohmann/json.hpp>

namespace patina::mcp {

// The JSON-RPC 2.0 error codes this server answers with.
enum class error_code : int {
  parse_error = -32700,       // not JSON (or not UTF-8)
  invalid_request = -32600,   // JSON, but not a valid request object (also: batches, oversized lines)
  method_not_found = -32601,  // no such method
  invalid_params = -32602,    // wrong or missing parameters (also: unknown tool, invalid tool arguments)
  internal_error = -32603,    // a bug or an infrastructure failure in the server
};

struct rpc_error {
  error_code code = error_code::internal_error;
  std::string message;
  nlohmann::json data;  // sent as "data" unless null
};

// A request: a reply is owed, with the same id.
struct request {
  nlohmann::json id;      // a string or an integer, echoed verbatim
  std::string method;
  nlohmann::json params;  // an object, an array, or null when absent
};

// A notification: never answered.
struct notification {
  std::string method;
  nlohmann::json params;
};

// A response (result or error) sent by the client to a request of ours.
struct client_response {
  nlohmann::json id;
};

// Anything else: answer with `error`, addressed to `id` (null when unknown).
struct invalid_message {
  nlohmann::json id;
  rpc_error error;
};

using incoming_message = std::variant<request, notification, client_response, invalid_message>;

// Classifies one line of input. Never throws.
incoming_message parse_message(std::string_view line);

// The text of a response (no trailing newline). Strings that are not valid UTF-8
// are written with U+FFFD in place of the bad bytes, so a response is always JSON.
std::string make_result(const nlohmann::json& id, const nlohmann::json& result);
std::string make_error(const nlohmann::json& id, const rpc_error& error);

}  // namespace patina::mcp
