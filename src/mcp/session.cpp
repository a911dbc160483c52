#include "mcp/session.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "mcp/json_schema.hpp"

namespace patina::mcp {

namespace {

using json = nlohmann::json;

step reply(std::string line) {
  step s;
  s.reply = std::move(line);
  return s;
}

step error_reply(const json& id, error_code code, std::string message) {
  return reply(make_error(id, rpc_error{code, std::move(message), nullptr}));
}

// The JSON text of a method name, cut, for messages and logs.
std::string shown_name(std::string_view name) {
  constexpr std::size_t max_shown = 80;
  json j = std::string(name.substr(0, max_shown));
  return j.dump(-1, ' ', false, json::error_handler_t::replace) + (name.size() > max_shown ? "…" : "");
}

}  // namespace

std::string_view negotiate_protocol_version(std::string_view requested) noexcept {
  const auto it = std::find(supported_protocol_versions.begin(), supported_protocol_versions.end(), requested);
  return it != supported_protocol_versions.end() ? *it : latest_protocol_version;
}

session::session(server_info info, tool_registry tools) : info_(std::move(info)), tools_(std::move(tools)) {}

step session::handle(const frame& f) {
  if (f.type == frame::kind::oversized) {
    return error_reply(nullptr, error_code::invalid_request,
                       fmt::format("Invalid Request: the message is longer than {} bytes and was discarded; "
                                   "send smaller messages",
                                   default_max_line_bytes));
  }
  return handle_line(f.text);
}

step session::handle_line(std::string_view line) {
  auto msg = parse_message(line);
  if (auto* r = std::get_if<request>(&msg)) return handle_request(std::move(*r));
  if (auto* n = std::get_if<notification>(&msg)) return handle_notification(*n);
  if (auto* bad = std::get_if<invalid_message>(&msg)) return reply(make_error(bad->id, bad->error));
  step s;
  s.note = "ignored a response from the client: this server sends no requests";
  return s;
}

step session::handle_notification(const notification& n) {
  step s;
  if (n.method == "notifications/initialized") {
    // Nothing to do: this server sends no requests it would have to hold back.
  } else if (n.method == "notifications/cancelled") {
    // Tool calls here are short and cannot be interrupted; the reply, if it
    // comes after the cancellation, is one the client will ignore, as the
    // specification allows.
  } else {
    s.note = fmt::format("ignored the notification {}", shown_name(n.method));
  }
  return s;
}

step session::handle_request(request r) {
  if (r.method == "initialize") return initialize(r);
  if (r.method == "ping") {
    if (!r.params.is_null() && !r.params.is_object()) {
      return error_reply(r.id, error_code::invalid_params, "Invalid params: ping takes an object or no params");
    }
    return reply(make_result(r.id, json::object()));
  }
  if (r.method == "tools/list") {
    if (!r.params.is_null() && !r.params.is_object()) {
      return error_reply(r.id, error_code::invalid_params, "Invalid params: tools/list takes an object or no params");
    }
    return reply(make_result(r.id, tools_.list(version_)));
  }
  if (r.method == "tools/call") return call_tool(r);
  return error_reply(r.id, error_code::method_not_found,
                     fmt::format("Method not found: {}; this server offers initialize, ping, tools/list and "
                                 "tools/call",
                                 shown_name(r.method)));
}

step session::initialize(const request& r) {
  if (initialized_) {
    return error_reply(r.id, error_code::invalid_request,
                       "Invalid Request: the session is already initialized; start a new server process for a "
                       "new session");
  }
  if (!r.params.is_object()) {
    return error_reply(r.id, error_code::invalid_params, "Invalid params: initialize needs an object of params");
  }
  const auto v = r.params.find("protocolVersion");
  if (v == r.params.end() || !v->is_string()) {
    return error_reply(r.id, error_code::invalid_params,
                       R"(Invalid params: initialize needs "protocolVersion", a string such as "2025-06-18")");
  }
  version_ = std::string(negotiate_protocol_version(v->get_ref<const std::string&>()));
  initialized_ = true;

  json server{{"name", info_.name}, {"version", info_.version}};
  if (has_structured_tools(version_) && !info_.title.empty()) server["title"] = info_.title;
  json result{{"protocolVersion", version_}, {"capabilities", {{"tools", json::object()}}}, {"serverInfo", server}};
  if (!info_.instructions.empty()) result["instructions"] = info_.instructions;

  step s = reply(make_result(r.id, result));
  if (version_ != v->get_ref<const std::string&>()) {
    s.note = fmt::format("the client asked for protocol version {}; answering with {}",
                         shown_name(v->get_ref<const std::string&>()), version_);
  }
  return s;
}

step session::call_tool(const request& r) {
  if (!r.params.is_object()) {
    return error_reply(r.id, error_code::invalid_params,
                       R"(Invalid params: tools/call needs an object with "name" and "arguments")");
  }
  const auto name = r.params.find("name");
  if (name == r.params.end() || !name->is_string()) {
    return error_reply(r.id, error_code::invalid_params, R"(Invalid params: tools/call needs "name", a string)");
  }
  const auto* tool = tools_.find(name->get_ref<const std::string&>());
  if (tool == nullptr) {
    std::string known;
    for (const auto& t : tools_.tools()) known += (known.empty() ? "" : ", ") + t.name;
    return error_reply(r.id, error_code::invalid_params,
                       fmt::format("Unknown tool: {}; the tools are {} (see tools/list)",
                                   shown_name(name->get_ref<const std::string&>()), known));
  }
  json args = json::object();
  if (const auto a = r.params.find("arguments"); a != r.params.end() && !a->is_null()) {
    if (!a->is_object()) {
      return error_reply(r.id, error_code::invalid_params,
                         fmt::format(R"(Invalid params: the "arguments" of {} must be an object)", tool->name));
    }
    args = *a;
  }
  if (auto failure = validate(tool->input_schema, args)) {
    rpc_error e{error_code::invalid_params,
                fmt::format("Invalid arguments for tool {}: {}", tool->name, *failure), nullptr};
    e.data = json{{"tool", tool->name}, {"inputSchema", tool->input_schema}};
    return reply(make_error(r.id, e));
  }
  step s;
  s.call = tool_call{r.id, tool->name, with_defaults(tool->input_schema, std::move(args)), version_};
  return s;
}

std::string session::complete(const tool_call& call, const tool_result& result) const {
  return make_result(call.id, to_json(result, call.protocol_version));
}

std::string session::fail(const tool_call& call, const rpc_error& error) const {
  return make_error(call.id, error);
}

}  // namespace patina::mcp
