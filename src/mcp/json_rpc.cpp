#include "mcp/json_rpc.hpp"

#include <fmt/format.h>

namespace patina::mcp {

namespace {

using json = nlohmann::json;

// MCP: "Unlike base JSON-RPC, the ID MUST NOT be null"; fractional ids are
// discouraged by JSON-RPC and not allowed by MCP's schema (string | integer).
bool valid_id(const json& id) {
  return id.is_string() || id.is_number_integer();
}

invalid_message invalid(json id, std::string message) {
  return invalid_message{std::move(id), rpc_error{error_code::invalid_request, std::move(message), nullptr}};
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace

incoming_message parse_message(std::string_view line) {
  json doc = json::parse(line.begin(), line.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) {
    return invalid_message{nullptr, rpc_error{error_code::parse_error,
                                              "Parse error: the message is not valid JSON (or not UTF-8); send one "
                                              "JSON-RPC object per line",
                                              nullptr}};
  }
  if (doc.is_array()) {
    return invalid(nullptr, "Invalid Request: batches (JSON arrays) are not supported by MCP 2025-06-18; send one "
                            "request object per line");
  }
  if (!doc.is_object()) return invalid(nullptr, "Invalid Request: a message must be a JSON object");

  const auto id_it = doc.find("id");
  const bool has_id = id_it != doc.end();
  json id = has_id && valid_id(*id_it) ? *id_it : json(nullptr);

  const auto version = doc.find("jsonrpc");
  if (version == doc.end() || !version->is_string() || version->get_ref<const std::string&>() != "2.0") {
    return invalid(std::move(id), R"(Invalid Request: "jsonrpc" must be "2.0")");
  }
  if (has_id && !valid_id(*id_it)) {
    return invalid(nullptr, R"(Invalid Request: "id" must be a string or an integer (MCP does not allow null))");
  }

  const auto method = doc.find("method");
  if (method == doc.end()) {
    if (has_id && (doc.contains("result") || doc.contains("error"))) return client_response{std::move(id)};
    return invalid(std::move(id), R"(Invalid Request: "method" is missing)");
  }
  if (!method->is_string()) return invalid(std::move(id), R"(Invalid Request: "method" must be a string)");

  json params = nullptr;
  if (const auto p = doc.find("params"); p != doc.end()) {
    if (!p->is_object() && !p->is_array()) {
      return invalid(std::move(id), R"(Invalid Request: "params" must be an object)");
    }
    params = std::move(*p);
  }
  auto name = method->get<std::string>();
  if (!has_id) return notification{std::move(name), std::move(params)};
  return request{std::move(id), std::move(name), std::move(params)};
}

std::string make_result(const json& id, const json& result) {
  return dump(json{{"jsonrpc", "2.0"}, {"id", id}, {"result", result}});
}

std::string make_error(const json& id, const rpc_error& error) {
  json err{{"code", static_cast<int>(error.code)}, {"message", error.message}};
  if (!error.data.is_null()) err["data"] = error.data;
  return dump(json{{"jsonrpc", "2.0"}, {"id", id}, {"error", std::move(err)}});
}

}  // namespace patina::mcp
