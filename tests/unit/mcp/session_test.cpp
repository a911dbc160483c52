// The MCP session, sans-io: lifecycle and version negotiation, tools/list per
// version, tools/call checks, notifications, every error the session answers.
#include "mcp/session.hpp"

#include <gtest/gtest.h>

#include <string>

using nlohmann::json;
using namespace patina::mcp;

namespace {

tool_registry sample_tools() {
  tool_registry tools;
  tools.add(tool_definition{
      "echo", "Echo", "Returns its text.",
      json::parse(R"({"type": "object", "properties": {"text": {"type": "string", "minLength": 1},
                      "times": {"type": "integer", "minimum": 1, "default": 1}},
                      "required": ["text"], "additionalProperties": false})"),
      json::parse(R"({"type": "object", "properties": {"text": {"type": "string"}}, "required": ["text"]})"),
      tool_hints{true, false, true, false}});
  tools.add(tool_definition{"plain", "Plain", "No output schema.", json::parse(R"({"type": "object"})"), nullptr, {}});
  return tools;
}

session make_session() {
  return session(server_info{"patina", "9.9.9", "Patina", "use it"}, sample_tools());
}

std::string request_line(const json& id, const std::string& method, const json& params = nullptr) {
  json r{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) r["params"] = params;
  return r.dump();
}

json initialize_params(const std::string& version) {
  return json{{"protocolVersion", version},
              {"capabilities", json::object()},
              {"clientInfo", {{"name", "test"}, {"version", "1"}}}};
}

json reply_of(const step& s) {
  EXPECT_TRUE(s.reply.has_value());
  EXPECT_FALSE(s.call.has_value());
  if (!s.reply) return nullptr;
  EXPECT_EQ(s.reply->find('\n'), std::string::npos);
  return json::parse(*s.reply);
}

int error_of(const step& s) {
  const auto r = reply_of(s);
  EXPECT_TRUE(r.contains("error")) << r.dump();
  return r.contains("error") ? r["error"]["code"].get<int>() : 0;
}

json initialize(session& s, const std::string& version) {
  return reply_of(s.handle_line(request_line(1, "initialize", initialize_params(version))));
}

}  // namespace

TEST(mcp_session, negotiation_answers_a_supported_version_with_itself) {
  EXPECT_EQ(negotiate_protocol_version("2025-06-18"), "2025-06-18");
  EXPECT_EQ(negotiate_protocol_version("2024-11-05"), "2024-11-05");
}

TEST(mcp_session, negotiation_answers_anything_else_with_the_newest) {
  for (const char* v : {"2025-11-25", "2025-03-26", "2024-10-07", "", "garbage"}) {
    EXPECT_EQ(negotiate_protocol_version(v), "2025-06-18") << v;
  }
  EXPECT_EQ(latest_protocol_version, "2025-06-18");
}

TEST(mcp_session, initialize_result) {
  auto s = make_session();
  const auto r = initialize(s, "2025-06-18");
  EXPECT_EQ(r["jsonrpc"], "2.0");
  EXPECT_EQ(r["id"], 1);
  const auto& result = r["result"];
  EXPECT_EQ(result["protocolVersion"], "2025-06-18");
  EXPECT_EQ(result["capabilities"], (json{{"tools", json::object()}}));
  EXPECT_EQ(result["serverInfo"]["name"], "patina");
  EXPECT_EQ(result["serverInfo"]["version"], "9.9.9");
  EXPECT_EQ(result["serverInfo"]["title"], "Patina");
  EXPECT_EQ(result["instructions"], "use it");
  EXPECT_TRUE(s.initialized());
  EXPECT_EQ(s.protocol_version(), "2025-06-18");
}

TEST(mcp_session, initialize_with_the_old_version) {
  auto s = make_session();
  const auto r = initialize(s, "2024-11-05");
  EXPECT_EQ(r["result"]["protocolVersion"], "2024-11-05");
  EXPECT_FALSE(r["result"]["serverInfo"].contains("title"));  // Implementation.title is 2025-06-18
  EXPECT_EQ(s.protocol_version(), "2024-11-05");
}

TEST(mcp_session, initialize_with_an_unknown_version_answers_the_newest_and_notes_it) {
  auto s = make_session();
  const auto st = s.handle_line(request_line("a", "initialize", initialize_params("2025-11-25")));
  EXPECT_EQ(reply_of(st)["result"]["protocolVersion"], "2025-06-18");
  EXPECT_EQ(reply_of(st)["id"], "a");
  ASSERT_TRUE(st.note.has_value());
  EXPECT_NE(st.note->find("2025-11-25"), std::string::npos);
}

TEST(mcp_session, initialize_needs_a_protocol_version) {
  auto s = make_session();
  EXPECT_EQ(error_of(s.handle_line(request_line(1, "initialize"))), -32602);
  EXPECT_EQ(error_of(s.handle_line(request_line(1, "initialize", json{{"protocolVersion", 2025}}))), -32602);
  EXPECT_EQ(error_of(s.handle_line(request_line(1, "initialize", json::array({"2025-06-18"})))), -32602);
  EXPECT_FALSE(s.initialized());
  EXPECT_EQ(initialize(s, "2024-11-05")["result"]["protocolVersion"], "2024-11-05");
}

TEST(mcp_session, initialize_only_once) {
  auto s = make_session();
  initialize(s, "2024-11-05");
  EXPECT_EQ(error_of(s.handle_line(request_line(2, "initialize", initialize_params("2025-06-18")))), -32600);
  EXPECT_EQ(s.protocol_version(), "2024-11-05");
}

TEST(mcp_session, ping_answers_an_empty_result_before_and_after_initialize) {
  auto s = make_session();
  EXPECT_EQ(reply_of(s.handle_line(request_line(5, "ping")))["result"], json::object());
  initialize(s, "2025-06-18");
  EXPECT_EQ(reply_of(s.handle_line(request_line(6, "ping", json::object())))["result"], json::object());
  EXPECT_EQ(error_of(s.handle_line(request_line(7, "ping", json::array()))), -32602);
}

TEST(mcp_session, notifications_are_never_answered) {
  auto s = make_session();
  for (const char* line : {R"({"jsonrpc":"2.0","method":"notifications/initialized"})",
                           R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}})",
                           R"({"jsonrpc":"2.0","method":"tools/call","params":{"name":"echo"}})",
                           R"({"jsonrpc":"2.0","method":"no/such/thing"})"}) {
    const auto st = s.handle_line(line);
    EXPECT_FALSE(st.reply.has_value()) << line;
    EXPECT_FALSE(st.call.has_value()) << line;
  }
  EXPECT_TRUE(s.handle_line(R"({"jsonrpc":"2.0","method":"no/such/thing"})").note.has_value());
}

TEST(mcp_session, client_responses_are_ignored) {
  auto s = make_session();
  const auto st = s.handle_line(R"({"jsonrpc":"2.0","id":9,"result":{}})");
  EXPECT_FALSE(st.reply.has_value());
  EXPECT_TRUE(st.note.has_value());
}

TEST(mcp_session, unknown_method) {
  auto s = make_session();
  initialize(s, "2025-06-18");
  const auto r = reply_of(s.handle_line(request_line(3, "resources/list")));
  EXPECT_EQ(r["error"]["code"], -32601);
  EXPECT_EQ(r["id"], 3);
}

TEST(mcp_session, parse_errors_and_invalid_requests_are_answered) {
  auto s = make_session();
  EXPECT_EQ(error_of(s.handle_line("{oops")), -32700);
  EXPECT_EQ(error_of(s.handle_line(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])")), -32600);
  EXPECT_EQ(error_of(s.handle_line(R"({"jsonrpc":"2.0","id":null,"method":"ping"})")), -32600);
  EXPECT_EQ(error_of(s.handle_line("42")), -32600);
}

TEST(mcp_session, oversized_frame_is_an_invalid_request_with_null_id) {
  auto s = make_session();
  const auto r = reply_of(s.handle(frame{frame::kind::oversized, {}}));
  EXPECT_EQ(r["error"]["code"], -32600);
  EXPECT_TRUE(r["id"].is_null());
  EXPECT_NE(r["error"]["message"].get<std::string>().find("4194304"), std::string::npos);
  // The session goes on.
  EXPECT_EQ(reply_of(s.handle_line(request_line(1, "ping")))["result"], json::object());
}

TEST(mcp_session, tools_list_2025_06_18_has_titles_annotations_and_output_schemas) {
  auto s = make_session();
  initialize(s, "2025-06-18");
  const auto r = reply_of(s.handle_line(request_line(2, "tools/list")));
  const auto& tools = r["result"]["tools"];
  ASSERT_EQ(tools.size(), 2u);
  EXPECT_FALSE(r["result"].contains("nextCursor"));
  EXPECT_EQ(tools[0]["name"], "echo");
  EXPECT_EQ(tools[0]["title"], "Echo");
  EXPECT_EQ(tools[0]["description"], "Returns its text.");
  EXPECT_EQ(tools[0]["inputSchema"]["required"], json::array({"text"}));
  EXPECT_EQ(tools[0]["outputSchema"]["required"], json::array({"text"}));
  EXPECT_EQ(tools[0]["annotations"]["readOnlyHint"], true);
  EXPECT_EQ(tools[0]["annotations"]["destructiveHint"], false);
  EXPECT_FALSE(tools[1].contains("outputSchema"));
}

TEST(mcp_session, tools_list_2024_11_05_has_name_description_and_input_schema_only) {
  auto s = make_session();
  initialize(s, "2024-11-05");
  const auto r = reply_of(s.handle_line(request_line(2, "tools/list", json{{"cursor", "ignored"}})));
  for (const auto& t : r["result"]["tools"]) {
    std::vector<std::string> keys;
    for (const auto& [k, v] : t.items()) keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<std::string>{"description", "inputSchema", "name"}));
  }
  EXPECT_EQ(error_of(s.handle_line(request_line(3, "tools/list", json::array()))), -32602);
}

TEST(mcp_session, tools_call_yields_a_checked_call_with_defaults) {
  auto s = make_session();
  initialize(s, "2025-06-18");
  const auto st = s.handle_line(
      request_line(11, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", "hi"}}}}));
  EXPECT_FALSE(st.reply.has_value());
  ASSERT_TRUE(st.call.has_value());
  EXPECT_EQ(st.call->id, 11);
  EXPECT_EQ(st.call->name, "echo");
  EXPECT_EQ(st.call->arguments, (json{{"text", "hi"}, {"times", 1}}));
  EXPECT_EQ(st.call->protocol_version, "2025-06-18");
}

TEST(mcp_session, tools_call_without_arguments_checks_an_empty_object) {
  auto s = make_session();
  const auto plain = s.handle_line(request_line(1, "tools/call", json{{"name", "plain"}}));
  ASSERT_TRUE(plain.call.has_value());
  EXPECT_EQ(plain.call->arguments, json::object());
  const auto echo = s.handle_line(request_line(2, "tools/call", json{{"name", "echo"}, {"arguments", nullptr}}));
  EXPECT_EQ(error_of(echo), -32602);
}

TEST(mcp_session, tools_call_errors_are_invalid_params) {
  auto s = make_session();
  initialize(s, "2025-06-18");
  EXPECT_EQ(error_of(s.handle_line(request_line(1, "tools/call"))), -32602);
  EXPECT_EQ(error_of(s.handle_line(request_line(1, "tools/call", json{{"arguments", json::object()}}))), -32602);
  EXPECT_EQ(error_of(s.handle_line(request_line(1, "tools/call", json{{"name", 3}}))), -32602);

  const auto unknown = reply_of(s.handle_line(request_line(4, "tools/call", json{{"name", "nope"}})));
  EXPECT_EQ(unknown["error"]["code"], -32602);
  EXPECT_EQ(unknown["id"], 4);
  EXPECT_NE(unknown["error"]["message"].get<std::string>().find("Unknown tool"), std::string::npos);

  EXPECT_EQ(error_of(s.handle_line(request_line(5, "tools/call", json{{"name", "echo"}, {"arguments", "x"}}))),
            -32602);
  const auto missing = reply_of(
      s.handle_line(request_line(6, "tools/call", json{{"name", "echo"}, {"arguments", json::object()}})));
  EXPECT_EQ(missing["error"]["code"], -32602);
  EXPECT_NE(missing["error"]["message"].get<std::string>().find("\"text\" is missing"), std::string::npos);
  EXPECT_EQ(missing["error"]["data"]["tool"], "echo");
  EXPECT_EQ(error_of(s.handle_line(request_line(
                7, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", "a"}, {"times", "2"}}}}))),
            -32602);
  EXPECT_EQ(error_of(s.handle_line(request_line(
                8, "tools/call", json{{"name", "echo"}, {"arguments", {{"text", "a"}, {"extra", 1}}}}))),
            -32602);
}

TEST(mcp_session, complete_writes_structured_content_for_2025_06_18_only) {
  auto s = make_session();
  const tool_result ok{"hi", json{{"text", "hi"}}, false};

  const auto now = json::parse(s.complete(tool_call{1, "echo", json::object(), "2025-06-18"}, ok));
  EXPECT_EQ(now["id"], 1);
  EXPECT_EQ(now["result"]["content"], json::parse(R"([{"type":"text","text":"hi"}])"));
  EXPECT_EQ(now["result"]["structuredContent"], (json{{"text", "hi"}}));
  EXPECT_EQ(now["result"]["isError"], false);

  const auto old = json::parse(s.complete(tool_call{"x", "echo", json::object(), "2024-11-05"}, ok));
  EXPECT_EQ(old["id"], "x");
  EXPECT_EQ(old["result"]["content"][0]["text"], "hi");
  EXPECT_FALSE(old["result"].contains("structuredContent"));
}

TEST(mcp_session, tool_errors_are_results_with_is_error_and_no_structured_content) {
  auto s = make_session();
  const auto r =
      json::parse(s.complete(tool_call{2, "echo", json::object(), "2025-06-18"}, tool_result::error("it broke")));
  EXPECT_EQ(r["result"]["isError"], true);
  EXPECT_EQ(r["result"]["content"][0]["text"], "it broke");
  EXPECT_FALSE(r["result"].contains("structuredContent"));
  EXPECT_FALSE(r.contains("error"));
}

TEST(mcp_session, fail_writes_an_internal_error) {
  auto s = make_session();
  const auto r = json::parse(s.fail(tool_call{3, "echo", json::object(), "2025-06-18"},
                                    rpc_error{error_code::internal_error, "Internal error: boom", nullptr}));
  EXPECT_EQ(r["id"], 3);
  EXPECT_EQ(r["error"]["code"], -32603);
  EXPECT_EQ(r["error"]["message"], "Internal error: boom");
}

TEST(mcp_session, requests_before_initialize_use_the_newest_version) {
  auto s = make_session();
  const auto r = reply_of(s.handle_line(request_line(1, "tools/list")));
  EXPECT_TRUE(r["result"]["tools"][0].contains("outputSchema"));
}
