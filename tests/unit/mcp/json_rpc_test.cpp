// JSON-RPC 2.0 as MCP narrows it: every kind of message, every error code the
// parser produces, and the id rules.
#include "mcp/json_rpc.hpp"

#include <gtest/gtest.h>

#include <string>

using nlohmann::json;
using namespace patina::mcp;

namespace {

invalid_message expect_invalid(const std::string& line) {
  auto m = parse_message(line);
  auto* bad = std::get_if<invalid_message>(&m);
  EXPECT_NE(bad, nullptr) << line;
  return bad != nullptr ? *bad : invalid_message{};
}

}  // namespace

TEST(mcp_json_rpc, request_with_integer_id) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":7,"method":"tools/list","params":{"cursor":"x"}})");
  auto* r = std::get_if<request>(&m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->id, json(7));
  EXPECT_EQ(r->method, "tools/list");
  EXPECT_EQ(r->params, json({{"cursor", "x"}}));
}

TEST(mcp_json_rpc, request_with_string_id_and_no_params) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":"abc","method":"ping"})");
  auto* r = std::get_if<request>(&m);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->id, json("abc"));
  EXPECT_TRUE(r->params.is_null());
}

TEST(mcp_json_rpc, large_and_negative_integer_ids_are_kept_exactly) {
  for (const char* id : {"9223372036854775807", "18446744073709551615", "-5", "0"}) {
    auto m = parse_message(std::string(R"({"jsonrpc":"2.0","method":"ping","id":)") + id + "}");
    auto* r = std::get_if<request>(&m);
    ASSERT_NE(r, nullptr) << id;
    EXPECT_EQ(make_result(r->id, json::object()),
              std::string(R"({"id":)") + id + R"(,"jsonrpc":"2.0","result":{}})");
  }
}

TEST(mcp_json_rpc, notification_has_no_id) {
  auto m = parse_message(R"({"jsonrpc":"2.0","method":"notifications/initialized"})");
  auto* n = std::get_if<notification>(&m);
  ASSERT_NE(n, nullptr);
  EXPECT_EQ(n->method, "notifications/initialized");
}

TEST(mcp_json_rpc, response_from_the_client) {
  auto m = parse_message(R"({"jsonrpc":"2.0","id":3,"result":{}})");
  EXPECT_TRUE(std::holds_alternative<client_response>(m));
  auto e = parse_message(R"({"jsonrpc":"2.0","id":3,"error":{"code":1,"message":"x"}})");
  EXPECT_TRUE(std::holds_alternative<client_response>(e));
}

TEST(mcp_json_rpc, malformed_json_is_a_parse_error_with_null_id) {
  for (const char* line : {"{", "not json", R"({"jsonrpc":"2.0","id":1,"method":"ping")", "{\"a\":1} trailing",
                           "\"unterminated"}) {
    auto bad = expect_invalid(line);
    EXPECT_EQ(bad.error.code, error_code::parse_error) << line;
    EXPECT_TRUE(bad.id.is_null()) << line;
  }
}

TEST(mcp_json_rpc, invalid_utf8_is_a_parse_error) {
  const std::string line = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xff\xfe\"}";
  EXPECT_EQ(expect_invalid(line).error.code, error_code::parse_error);
}

TEST(mcp_json_rpc, batches_are_invalid_requests) {
  for (const char* line : {R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", "[]"}) {
    auto bad = expect_invalid(line);
    EXPECT_EQ(bad.error.code, error_code::invalid_request) << line;
    EXPECT_TRUE(bad.id.is_null());
    EXPECT_NE(bad.error.message.find("batch"), std::string::npos);
  }
}

TEST(mcp_json_rpc, non_objects_are_invalid_requests) {
  for (const char* line : {"1", "\"text\"", "null", "true"}) {
    EXPECT_EQ(expect_invalid(line).error.code, error_code::invalid_request) << line;
  }
}

TEST(mcp_json_rpc, wrong_or_missing_jsonrpc_version_is_invalid_and_keeps_a_valid_id) {
  auto missing = expect_invalid(R"({"id":4,"method":"ping"})");
  EXPECT_EQ(missing.error.code, error_code::invalid_request);
  EXPECT_EQ(missing.id, json(4));
  auto wrong = expect_invalid(R"({"jsonrpc":"1.0","id":"x","method":"ping"})");
  EXPECT_EQ(wrong.error.code, error_code::invalid_request);
  EXPECT_EQ(wrong.id, json("x"));
  auto number = expect_invalid(R"({"jsonrpc":2.0,"id":1,"method":"ping"})");
  EXPECT_EQ(number.error.code, error_code::invalid_request);
}

TEST(mcp_json_rpc, bad_id_types_are_invalid_requests_with_null_id) {
  for (const char* id : {"null", "1.5", "true", "{}", "[1]"}) {
    auto bad = expect_invalid(std::string(R"({"jsonrpc":"2.0","method":"ping","id":)") + id + "}");
    EXPECT_EQ(bad.error.code, error_code::invalid_request) << id;
    EXPECT_TRUE(bad.id.is_null()) << id;
  }
}

TEST(mcp_json_rpc, method_must_be_a_string) {
  auto missing = expect_invalid(R"({"jsonrpc":"2.0","id":1})");
  EXPECT_EQ(missing.error.code, error_code::invalid_request);
  EXPECT_EQ(missing.id, json(1));
  auto number = expect_invalid(R"({"jsonrpc":"2.0","id":1,"method":5})");
  EXPECT_EQ(number.error.code, error_code::invalid_request);
  // Without an id, a broken message is still answered, to null (JSON-RPC 2.0 §5).
  auto no_id = expect_invalid(R"({"jsonrpc":"2.0","method":1,"params":"bar"})");
  EXPECT_EQ(no_id.error.code, error_code::invalid_request);
  EXPECT_TRUE(no_id.id.is_null());
}

TEST(mcp_json_rpc, params_must_be_structured) {
  for (const char* params : {"\"text\"", "1", "true"}) {
    auto bad = expect_invalid(std::string(R"({"jsonrpc":"2.0","id":2,"method":"ping","params":)") + params + "}");
    EXPECT_EQ(bad.error.code, error_code::invalid_request) << params;
    EXPECT_EQ(bad.id, json(2));
  }
}

TEST(mcp_json_rpc, deeply_nested_input_does_not_crash) {
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  EXPECT_EQ(expect_invalid(deep).error.code, error_code::invalid_request);
  const std::string params = R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":)" + deep + "}}";
  EXPECT_TRUE(std::holds_alternative<request>(parse_message(params)));
}

TEST(mcp_json_rpc, responses_are_single_lines_of_json) {
  const auto ok = make_result(json(1), json{{"text", "two\nlines"}});
  EXPECT_EQ(ok.find('\n'), std::string::npos);
  EXPECT_EQ(json::parse(ok)["result"]["text"], "two\nlines");

  const auto err = make_error(nullptr, rpc_error{error_code::method_not_found, "no", json{{"k", 1}}});
  const auto parsed = json::parse(err);
  EXPECT_TRUE(parsed["id"].is_null());
  EXPECT_EQ(parsed["jsonrpc"], "2.0");
  EXPECT_EQ(parsed["error"]["code"], -32601);
  EXPECT_EQ(parsed["error"]["message"], "no");
  EXPECT_EQ(parsed["error"]["data"]["k"], 1);
  EXPECT_FALSE(json::parse(make_error(1, rpc_error{error_code::internal_error, "x", nullptr}))["error"].contains("data"));
}

TEST(mcp_json_rpc, invalid_utf8_in_a_result_is_replaced_not_thrown) {
  const auto line = make_result(json(1), json{{"text", std::string("bad \xff byte")}});
  const auto parsed = json::parse(line);
  EXPECT_EQ(parsed["result"]["text"], "bad \xEF\xBF\xBD byte");
}

TEST(mcp_json_rpc, error_codes_are_the_json_rpc_ones) {
  EXPECT_EQ(static_cast<int>(error_code::parse_error), -32700);
  EXPECT_EQ(static_cast<int>(error_code::invalid_request), -32600);
  EXPECT_EQ(static_cast<int>(error_code::method_not_found), -32601);
  EXPECT_EQ(static_cast<int>(error_code::invalid_params), -32602);
  EXPECT_EQ(static_cast<int>(error_code::internal_error), -32603);
}
