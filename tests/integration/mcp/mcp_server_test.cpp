// End to end: the built `patina mcp`, driven with raw JSON lines over its
// stdin/stdout in a temporary project, the way an MCP client drives it.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "temp_dir.hpp"
#include "mcp/json_schema.hpp"
#include "mcp_driver.hpp"
#include "patina/backend.hpp"
#include "subprocess.hpp"
#include "text_file.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using patina::test::mcp_driver;
using patina::test::mcp_driver_options;

namespace {

using patina::test::temp_dir;

const std::vector<std::string> isolated_env{"PATINA_DB", "PATINA_TURSO_URL", "PATINA_TURSO_TOKEN"};

json initialize_params(const std::string& version) {
  return json{{"protocolVersion", version},
              {"capabilities", json::object()},
              {"clientInfo", {{"name", "patina-test"}, {"version", "1"}}}};
}

class mcp_server : public ::testing::Test {
 protected:
  void SetUp() override {
    patina::test::process_options opts;
    opts.cwd = dir_.path();
    opts.unset_env = isolated_env;
    auto r = patina::test::run_process({PATINA_CLI_PATH, "init"}, opts);
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  std::unique_ptr<mcp_driver> start(mcp_driver_options opts = {}) {
    if (opts.cwd.empty()) opts.cwd = dir_.path();
    opts.unset_env = isolated_env;
    return std::make_unique<mcp_driver>(std::vector<std::string>{PATINA_CLI_PATH, "mcp"}, opts);
  }

  // A started server after initialize + notifications/initialized.
  std::unique_ptr<mcp_driver> start_initialized(const std::string& version = "2025-06-18") {
    auto s = start();
    auto r = s->request(0, "initialize", initialize_params(version));
    EXPECT_EQ(r["result"]["protocolVersion"], version) << r.dump();
    s->send_json(json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
    return s;
  }

  json tool_schema(mcp_driver& s, const std::string& tool, const char* which) {
    auto list = s.request("list", "tools/list");
    for (const auto& t : list["result"]["tools"]) {
      if (t["name"] == tool) return t[which];
    }
    ADD_FAILURE() << "no tool " << tool;
    return nullptr;
  }

  // Ends the session and checks the clean shutdown.
  void finish(mcp_driver& s) {
    s.close_stdin();
    EXPECT_FALSE(s.read(std::chrono::seconds(30)).has_value()) << "output after the last answer";
    auto rc = s.wait();
    ASSERT_TRUE(rc.has_value()) << "the server did not exit at end of input";
    EXPECT_EQ(*rc, 0) << s.log();
  }

  temp_dir dir_;
};

int error_code_of(const json& response) {
  EXPECT_TRUE(response.contains("error")) << response.dump();
  return response.contains("error") ? response["error"]["code"].get<int>() : 0;
}

std::string text_of(const json& response) {
  return response["result"]["content"][0]["text"].get<std::string>();
}

}  // namespace

TEST_F(mcp_server, initialize_answers_the_requested_version_and_server_info) {
  auto s = start();
  auto r = s->request(1, "initialize", initialize_params("2025-06-18"));
  EXPECT_EQ(r["id"], 1);
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-06-18");
  EXPECT_EQ(r["result"]["serverInfo"]["name"], "patina");
  EXPECT_EQ(r["result"]["serverInfo"]["version"], patina::version_string);
  EXPECT_EQ(r["result"]["capabilities"], (json{{"tools", json::object()}}));
  // A notification gets no answer: the next message is the ping's.
  s->send_json(json{{"jsonrpc", "2.0"}, {"method", "notifications/initialized"}});
  auto ping = s->request(2, "ping");
  EXPECT_EQ(ping["result"], json::object());
  EXPECT_TRUE(s->take_pending().empty());
  finish(*s);
}

TEST_F(mcp_server, initialize_with_an_unsupported_version_gets_the_newest) {
  auto s = start();
  auto r = s->request("init", "initialize", initialize_params("2099-01-01"));
  EXPECT_EQ(r["result"]["protocolVersion"], "2025-06-18");
  finish(*s);
}

TEST_F(mcp_server, tools_list_has_the_five_tools_with_schemas) {
  auto s = start_initialized();
  auto r = s->request(2, "tools/list");
  std::vector<std::string> names;
  for (const auto& t : r["result"]["tools"]) {
    names.push_back(t["name"]);
    EXPECT_EQ(t["inputSchema"]["type"], "object") << t.dump();
    EXPECT_EQ(t["outputSchema"]["type"], "object") << t.dump();
    EXPECT_TRUE(t["description"].is_string());
  }
  EXPECT_EQ(names, (std::vector<std::string>{"search", "add_belief", "add_observation", "status", "symbol"}));
  finish(*s);
}

TEST_F(mcp_server, add_belief_then_search_finds_it_first) {
  auto s = start_initialized();
  const auto output_schema = tool_schema(*s, "search", "outputSchema");
  const auto belief_schema = tool_schema(*s, "add_belief", "outputSchema");

  std::string target_id;
  int id = 10;
  for (const char* statement : {"The database schema is versioned with numbered migrations",
                                "Failed uploads are retried three times with exponential backoff",
                                "Log lines are written as JSON objects to stderr"}) {
    auto r = s->call_tool(id++, "add_belief", {{"statement", statement}, {"confidence", 0.9}});
    ASSERT_EQ(r["result"]["isError"], false) << r.dump();
    const auto& b = r["result"]["structuredContent"];
    EXPECT_FALSE(patina::mcp::validate(belief_schema, b).has_value()) << b.dump();
    EXPECT_EQ(b["statement"], statement);
    EXPECT_DOUBLE_EQ(b["confidence"].get<double>(), 0.9);
    EXPECT_NE(text_of(r).find(b["id"].get<std::string>()), std::string::npos);
    if (std::string(statement).find("uploads") != std::string::npos) target_id = b["id"];
  }

  auto r = s->call_tool(20, "search", {{"query", "retrying failed uploads"}});
  ASSERT_EQ(r["result"]["isError"], false) << r.dump();
  const auto& out = r["result"]["structuredContent"];
  EXPECT_FALSE(patina::mcp::validate(output_schema, out).has_value()) << out.dump();
  ASSERT_FALSE(out["results"].empty());
  EXPECT_EQ(out["results"][0]["id"], target_id);
  EXPECT_EQ(out["results"][0]["type"], "belief");
  EXPECT_EQ(out["results"][0]["rank"], 1);
  EXPECT_EQ(out["scope"], "all");
  // Scope all says that code was not searched: nothing was scraped.
  ASSERT_EQ(out["notes"].size(), 1u);
  EXPECT_NE(out["notes"][0].get<std::string>().find("patina scrape"), std::string::npos) << out.dump();
  // The readable rendering names the hit first.
  const auto text = text_of(r);
  EXPECT_LT(text.find("Failed uploads are retried"), text.find("\n2. ")) << text;

  auto limited = s->call_tool(21, "search", {{"query", "uploads"}, {"scope", "beliefs"}, {"limit", 1}});
  EXPECT_EQ(limited["result"]["structuredContent"]["results"].size(), 1u);
  finish(*s);
}

TEST_F(mcp_server, add_observation_and_filter_by_type) {
  auto s = start_initialized();
  const auto schema = tool_schema(*s, "add_observation", "outputSchema");
  auto d = s->call_tool(1, "add_observation",
                        {{"content", "We chose SQLite for local storage"}, {"type", "decision"}, {"source", "ADR-7"}});
  ASSERT_EQ(d["result"]["isError"], false) << d.dump();
  EXPECT_FALSE(patina::mcp::validate(schema, d["result"]["structuredContent"]).has_value());
  EXPECT_EQ(d["result"]["structuredContent"]["type"], "decision");
  EXPECT_EQ(d["result"]["structuredContent"]["source"], "ADR-7");
  auto n = s->call_tool(2, "add_observation", {{"content", "SQLite storage is slow on network drives"},
                                               {"type", "challenge"}});
  ASSERT_EQ(n["result"]["isError"], false) << n.dump();
  EXPECT_EQ(n["result"]["structuredContent"]["source"], "");

  auto r = s->call_tool(3, "search", {{"query", "SQLite storage"}, {"observation_type", "challenge"}});
  const auto& results = r["result"]["structuredContent"]["results"];
  ASSERT_EQ(results.size(), 1u) << r.dump();
  EXPECT_EQ(results[0]["observation_type"], "challenge");
  EXPECT_EQ(results[0]["id"], n["result"]["structuredContent"]["id"]);

  auto wrong = s->call_tool(4, "search", {{"query", "x"}, {"scope", "beliefs"}, {"observation_type", "note"}});
  EXPECT_EQ(wrong["result"]["isError"], true) << wrong.dump();
  finish(*s);
}

TEST_F(mcp_server, status_has_the_counts_of_patina_status) {
  auto s = start_initialized();
  s->call_tool(1, "add_belief", {{"statement", "Every public header has a contract paragraph"}});
  s->call_tool(2, "add_observation", {{"content", "Tests use temporary directories"}, {"type", "pattern"}});
  auto r = s->call_tool(3, "status", json::object());
  ASSERT_EQ(r["result"]["isError"], false) << r.dump();
  const auto& st = r["result"]["structuredContent"];
  EXPECT_FALSE(patina::mcp::validate(tool_schema(*s, "status", "outputSchema"), st).has_value()) << st.dump();
  EXPECT_EQ(st["beliefs"], 1);
  EXPECT_EQ(st["observations"], 1);
  EXPECT_EQ(st["embedded"], 2);
  EXPECT_EQ(st["backend"], patina::backend_name);
  finish(*s);

  patina::test::process_options opts;
  opts.cwd = dir_.path();
  opts.unset_env = isolated_env;
  auto cli = patina::test::run_process({PATINA_CLI_PATH, "status", "--json"}, opts);
  ASSERT_EQ(cli.exit_code, 0) << cli.err;
  const auto expected = json::parse(cli.out);
  for (const char* key : {"backend", "database", "schema_version", "beliefs", "observations", "symbols", "files",
                          "embedded", "vector_dimension", "model"}) {
    EXPECT_EQ(st[key], expected[key]) << key;
  }
}

TEST_F(mcp_server, protocol_2024_11_05_gets_text_content_only) {
  auto s = start_initialized("2024-11-05");
  auto list = s->request(1, "tools/list");
  for (const auto& t : list["result"]["tools"]) EXPECT_FALSE(t.contains("outputSchema")) << t.dump();
  auto r = s->call_tool(2, "status", json::object());
  EXPECT_FALSE(r["result"].contains("structuredContent"));
  EXPECT_NE(text_of(r).find("beliefs: 0"), std::string::npos) << text_of(r);
  finish(*s);
}

TEST_F(mcp_server, before_a_scrape_code_search_says_so_and_symbols_are_not_found) {
  auto s = start_initialized();
  auto r = s->call_tool(1, "search", {{"query", "upload"}, {"scope", "code"}});
  ASSERT_EQ(r["result"]["isError"], false) << r.dump();
  EXPECT_TRUE(r["result"]["structuredContent"]["results"].empty());
  EXPECT_NE(text_of(r).find("run `patina scrape`"), std::string::npos) << text_of(r);
  auto sym = s->call_tool(2, "symbol", {{"name", "upload"}, {"callers", true}});
  EXPECT_EQ(sym["result"]["isError"], true) << sym.dump();
  EXPECT_NE(text_of(sym).find("patina scrape"), std::string::npos) << text_of(sym);
  finish(*s);
}

TEST_F(mcp_server, input_the_schema_allows_but_patina_refuses_is_a_tool_error) {
  auto s = start_initialized();
  auto r = s->call_tool(1, "add_belief", {{"statement", "   "}});
  EXPECT_EQ(r["result"]["isError"], true) << r.dump();
  EXPECT_FALSE(text_of(r).empty());
  auto st = s->call_tool(2, "status", json::object());
  EXPECT_EQ(st["result"]["structuredContent"]["beliefs"], 0);
  // A blank query used to return arbitrary results.
  auto blank = s->call_tool(3, "search", {{"query", "  "}});
  EXPECT_EQ(blank["result"]["isError"], true) << blank.dump();
  EXPECT_NE(text_of(blank).find("the query is empty"), std::string::npos) << blank.dump();
  finish(*s);
}

TEST_F(mcp_server, every_error_is_answered_and_the_server_keeps_running) {
  auto s = start_initialized();
  auto next = [&] {
    auto m = s->read();
    EXPECT_TRUE(m.has_value()) << s->log();
    return m.value_or(json());
  };
  auto expect_error = [&](const std::string& line, int code, const json& id) {
    s->send(line);
    const auto r = next();
    EXPECT_EQ(error_code_of(r), code) << line << " -> " << r.dump();
    EXPECT_EQ(r["id"], id) << line;
  };
  expect_error("{not json", -32700, nullptr);
  expect_error("\xff\xfe{}", -32700, nullptr);
  expect_error(R"([{"jsonrpc":"2.0","id":1,"method":"ping"}])", -32600, nullptr);
  expect_error("17", -32600, nullptr);
  expect_error(R"({"jsonrpc":"1.0","id":3,"method":"ping"})", -32600, 3);
  expect_error(R"({"jsonrpc":"2.0","id":null,"method":"ping"})", -32600, nullptr);
  expect_error(R"({"jsonrpc":"2.0","id":1.5,"method":"ping"})", -32600, nullptr);
  expect_error(R"({"jsonrpc":"2.0","id":{"a":1},"method":"ping"})", -32600, nullptr);
  expect_error(R"({"jsonrpc":"2.0","id":4,"method":7})", -32600, 4);
  expect_error(R"({"jsonrpc":"2.0","id":5,"method":"resources/list"})", -32601, 5);
  expect_error(R"({"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"nope","arguments":{}}})", -32602,
               6);
  expect_error(R"({"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"search","arguments":{}}})",
               -32602, 7);
  expect_error(R"({"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"search","arguments":{"query":3}}})",
               -32602, 8);
  expect_error(
      R"({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"add_belief","arguments":{"statement":"x","confidence":2}}})",
      -32602, 9);
  expect_error(R"({"jsonrpc":"2.0","id":10,"method":"tools/call","params":"search"})", -32600, 10);
  expect_error(R"({"jsonrpc":"2.0","id":11,"method":"tools/call","params":["search"]})", -32602, 11);
  expect_error(R"({"jsonrpc":"2.0","id":12,"method":"initialize","params":{"protocolVersion":"2025-06-18"}})",
               -32600, 12);

  // Notifications, known or not, are never answered.
  s->send(R"({"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":99}})");
  s->send(R"({"jsonrpc":"2.0","method":"no/such/notification"})");
  EXPECT_EQ(s->request(13, "ping")["result"], json::object());
  EXPECT_TRUE(s->take_pending().empty());
  finish(*s);
}

TEST_F(mcp_server, an_oversized_line_is_refused_and_the_server_keeps_running) {
  auto s = start_initialized();
  std::string huge = R"({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search","arguments":{"query":")";
  huge.append(5 * 1024 * 1024, 'a');
  huge += R"("}}})";
  s->send(huge);
  auto r = s->read();
  ASSERT_TRUE(r.has_value()) << s->log();
  EXPECT_EQ(error_code_of(*r), -32600);
  EXPECT_TRUE((*r)["id"].is_null());
  EXPECT_EQ(s->request(2, "ping")["result"], json::object());
  finish(*s);
}

TEST_F(mcp_server, end_of_input_answers_everything_in_flight_then_exits_zero) {
  auto s = start_initialized();
  std::set<int> ids;
  for (int i = 1; i <= 12; ++i) {
    s->send_json(json{{"jsonrpc", "2.0"},
                 {"id", i},
                 {"method", "tools/call"},
                 {"params", {{"name", "search"}, {"arguments", {{"query", "question " + std::to_string(i)}}}}}});
    ids.insert(i);
  }
  // A last request without its newline still counts.
  s->send_raw(R"({"jsonrpc":"2.0","id":13,"method":"ping"})");
  ids.insert(13);
  s->close_stdin();
  std::set<int> answered;
  while (auto m = s->read()) {
    EXPECT_FALSE(m->contains("error")) << m->dump();
    answered.insert((*m)["id"].get<int>());
  }
  EXPECT_EQ(answered, ids) << s->log();
  auto rc = s->wait();
  ASSERT_TRUE(rc.has_value());
  EXPECT_EQ(*rc, 0) << s->log();
}

TEST_F(mcp_server, regular_file_and_dev_null_as_stdin) {
  const auto requests = dir_.path() / "requests.jsonl";
  {
    std::ofstream f(requests);
    f << json{{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"}, {"params", initialize_params("2024-11-05")}}
             .dump()
      << "\n"
      << R"({"jsonrpc":"2.0","method":"notifications/initialized"})" << "\n"
      << R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"status"}})" << "\n";
  }
  mcp_driver_options opts;
  opts.stdin_file = requests;
  auto s = start(opts);
  std::set<int> answered;
  while (auto m = s->read()) answered.insert((*m)["id"].get<int>());
  EXPECT_EQ(answered, (std::set<int>{1, 2})) << s->log();
  EXPECT_EQ(s->wait().value_or(-1), 0) << s->log();

  mcp_driver_options null_opts;
  null_opts.stdin_file = "/dev/null";
  auto n = start(null_opts);
  EXPECT_FALSE(n->read().has_value());
  EXPECT_EQ(n->wait().value_or(-1), 0) << n->log();
}

TEST_F(mcp_server, logs_go_to_stderr_only) {
  auto s = start_initialized();
  s->request(1, "ping");
  finish(*s);
  EXPECT_NE(s->log().find("patina mcp: serving"), std::string::npos) << s->log();
}

TEST_F(mcp_server, no_project_fails_at_start_with_a_message) {
  temp_dir empty;
  mcp_driver_options opts;
  opts.cwd = empty.path();
  auto s = start(opts);
  EXPECT_FALSE(s->read().has_value());
  EXPECT_EQ(s->wait().value_or(-1), 1);
  EXPECT_NE(s->log().find("patina init"), std::string::npos) << s->log();
}

TEST_F(mcp_server, symbol_arguments_that_break_its_schema_are_invalid_params) {
  auto s = start_initialized();
  int id = 1;
  for (const auto& args : std::vector<json>{json::object(),
                                            {{"name", 3}},
                                            {{"name", ""}},
                                            {{"name", "x"}, {"callers", "yes"}},
                                            {{"name", "x"}, {"callees", 1}},
                                            {{"name", "x"}, {"depth", 2}}}) {
    auto r = s->call_tool(id++, "symbol", args);
    EXPECT_EQ(error_code_of(r), -32602) << args.dump() << " -> " << r.dump();
    EXPECT_NE(r["error"]["message"].get<std::string>().find("symbol"), std::string::npos) << r.dump();
  }
  EXPECT_EQ(s->request(id, "ping")["result"], json::object());
  finish(*s);
}

namespace {

// A project holding tests/integration/mcp/fixture under src/, scraped and
// embedded with the configured engine.
class mcp_code : public mcp_server {
 protected:
  void SetUp() override {
    mcp_server::SetUp();
    if (HasFatalFailure()) return;
    fs::copy(fs::path(PATINA_TEST_SOURCE_DIR) / "tests" / "integration" / "mcp" / "fixture", dir_.path() / "src",
             fs::copy_options::recursive);
    for (const auto& args : std::vector<std::vector<std::string>>{{"scrape", "--quiet"},
                                                                  {"embeddings", "generate", "--quiet"}}) {
      auto r = cli(args);
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
  }

  patina::test::process_result cli(std::vector<std::string> args) {
    args.insert(args.begin(), PATINA_CLI_PATH);
    patina::test::process_options opts;
    opts.cwd = dir_.path();
    opts.unset_env = isolated_env;
    return patina::test::run_process(args, opts);
  }

  json cli_json(const std::vector<std::string>& args) {
    auto r = cli(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return json::parse(r.out, nullptr, false);
  }
};

// `patina symbol --json` writes ids as numbers, MCP as decimal strings.
json with_text_ids(json j) {
  if (j.is_object()) {
    for (auto& [key, value] : j.items()) {
      if (key == "id" && value.is_number_integer()) {
        value = std::to_string(value.get<std::int64_t>());
      } else {
        value = with_text_ids(value);
      }
    }
  } else if (j.is_array()) {
    for (auto& e : j) e = with_text_ids(e);
  }
  return j;
}

const json* find_call(const json& calls, const std::string& qualified_name) {
  for (const auto& c : calls) {
    if (c.value("qualified_name", "") == qualified_name) return &c;
  }
  return nullptr;
}

}  // namespace

TEST_F(mcp_code, symbol_gives_the_definition_with_path_and_line) {
  auto s = start_initialized();
  const auto schema = tool_schema(*s, "symbol", "outputSchema");
  auto r = s->call_tool(1, "symbol", {{"name", "retry_upload"}});
  ASSERT_EQ(r["result"]["isError"], false) << r.dump();
  const auto out = r["result"]["structuredContent"];
  EXPECT_FALSE(patina::mcp::validate(schema, out).has_value()) << out.dump();
  EXPECT_EQ(out["name"], "retry_upload");
  ASSERT_EQ(out["results"].size(), 1u) << out.dump();
  const auto sym = out["results"][0];
  EXPECT_TRUE(sym["id"].is_string()) << sym.dump();
  EXPECT_EQ(sym["name"], "retry_upload");
  EXPECT_EQ(sym["kind"], "function");
  EXPECT_EQ(sym["language"], "python");
  EXPECT_EQ(sym["path"], "src/net/upload.py");
  EXPECT_EQ(sym["line"], 14);
  EXPECT_NE(sym["doc"].get<std::string>().find("after it failed"), std::string::npos) << sym.dump();
  // Not asked for: no lists at all (an empty list would mean "none").
  EXPECT_FALSE(sym.contains("callers"));
  EXPECT_FALSE(sym.contains("callees"));
  EXPECT_NE(text_of(r).find("src/net/upload.py:14"), std::string::npos) << text_of(r);

  // The qualified name finds the same symbol.
  auto q = s->call_tool(2, "symbol", {{"name", sym["qualified_name"]}});
  ASSERT_EQ(q["result"]["isError"], false) << q.dump();
  EXPECT_EQ(q["result"]["structuredContent"]["results"][0]["id"], sym["id"]);
  finish(*s);

  // The same lookup and shape as `patina symbol --json`.
  auto expected = with_text_ids(cli_json({"symbol", "retry_upload", "--json"})["results"][0]);
  expected.erase("callers");
  expected.erase("callees");
  EXPECT_EQ(sym, expected);
}

TEST_F(mcp_code, symbol_with_callers_and_callees) {
  auto s = start_initialized();
  const auto schema = tool_schema(*s, "symbol", "outputSchema");
  auto insert = s->call_tool(1, "symbol", {{"name", "cache_insert"}, {"callees", true}});
  ASSERT_EQ(insert["result"]["isError"], false) << insert.dump();
  EXPECT_FALSE(patina::mcp::validate(schema, insert["result"]["structuredContent"]).has_value());
  const auto inserted = insert["result"]["structuredContent"]["results"][0];
  EXPECT_FALSE(inserted.contains("callers"));
  const auto* full = find_call(inserted["callees"], "cache_full");
  const auto* evict = find_call(inserted["callees"], "cache_evict");
  ASSERT_TRUE(full != nullptr && evict != nullptr) << inserted.dump();
  EXPECT_EQ((*full)["path"], "src/store/cache.c");
  EXPECT_EQ((*full)["line"], 13);  // the callee's definition
  EXPECT_EQ((*evict)["line"], 7);
  EXPECT_TRUE((*evict)["id"].is_string());

  auto e = s->call_tool(2, "symbol", {{"name", "cache_evict"}, {"callers", true}, {"callees", true}});
  ASSERT_EQ(e["result"]["isError"], false) << e.dump();
  const auto out = e["result"]["structuredContent"];
  EXPECT_FALSE(patina::mcp::validate(schema, out).has_value()) << out.dump();
  const auto evicted = out["results"][0];
  EXPECT_EQ(evicted["id"], (*evict)["id"]);
  ASSERT_EQ(evicted["callers"].size(), 1u) << evicted.dump();
  EXPECT_EQ(evicted["callers"][0]["qualified_name"], "cache_insert");
  EXPECT_EQ(evicted["callers"][0]["path"], "src/store/cache.c");
  EXPECT_EQ(evicted["callers"][0]["line"], 17);  // the call
  EXPECT_EQ(evicted["callers"][0]["id"], inserted["id"]);
  EXPECT_TRUE(evicted["callees"].empty());
  const auto text = text_of(e);
  EXPECT_NE(text.find("src/store/cache.c:7-"), std::string::npos) << text;
  EXPECT_NE(text.find("cache_insert  src/store/cache.c:17"), std::string::npos) << text;
  EXPECT_NE(text.find("callees: none"), std::string::npos) << text;
  finish(*s);

  auto expected = with_text_ids(cli_json({"symbol", "cache_evict", "--json"})["results"][0]);
  EXPECT_EQ(evicted, expected);
}

TEST_F(mcp_code, symbol_not_found_is_a_tool_error_that_says_what_to_check) {
  auto s = start_initialized();
  auto r = s->call_tool(1, "symbol", {{"name", "retry_uploads"}, {"callers", true}});
  EXPECT_EQ(r["result"]["isError"], true) << r.dump();
  EXPECT_FALSE(r["result"].contains("structuredContent"));
  EXPECT_NE(text_of(r).find("no symbol named 'retry_uploads'"), std::string::npos) << text_of(r);
  EXPECT_NE(text_of(r).find("spelling"), std::string::npos) << text_of(r);
  // The server reads on.
  auto ok = s->call_tool(2, "symbol", {{"name", "parse_headers"}});
  EXPECT_EQ(ok["result"]["isError"], false) << ok.dump();
  finish(*s);
}

TEST_F(mcp_code, search_code_ranks_symbols_with_path_line_and_filters) {
  auto s = start_initialized();
  const auto schema = tool_schema(*s, "search", "outputSchema");
  const std::string question = "drop the least recently used entry of the cache";
  auto r = s->call_tool(1, "search", {{"query", question}, {"scope", "code"}});
  ASSERT_EQ(r["result"]["isError"], false) << r.dump();
  const auto out = r["result"]["structuredContent"];
  EXPECT_FALSE(patina::mcp::validate(schema, out).has_value()) << out.dump();
  EXPECT_EQ(out["scope"], "code");
  EXPECT_TRUE(out["notes"].empty()) << out.dump();
  ASSERT_FALSE(out["results"].empty());
  const auto top = out["results"][0];
  EXPECT_EQ(top["rank"], 1);
  EXPECT_EQ(top["type"], "symbol");
  EXPECT_EQ(top["name"], "cache_evict");
  EXPECT_EQ(top["qualified_name"], "cache_evict");
  EXPECT_EQ(top["kind"], "function");
  EXPECT_EQ(top["path"], "src/store/cache.c");
  EXPECT_EQ(top["line"], 7);
  EXPECT_NE(top["signature"].get<std::string>().find("cache_evict"), std::string::npos) << top.dump();
  EXPECT_FALSE(top["why"].get<std::string>().empty());
  EXPECT_GT(top["score"].get<double>(), 0.0);
  EXPECT_TRUE(top["id"].is_string());
  const auto text = text_of(r);
  EXPECT_NE(text.find("1. src/store/cache.c:7  function  cache_evict"), std::string::npos) << text;

  auto python = s->call_tool(2, "search", {{"query", "retry"}, {"scope", "code"}, {"language", "python"}});
  ASSERT_FALSE(python["result"]["structuredContent"]["results"].empty()) << python.dump();
  for (const auto& h : python["result"]["structuredContent"]["results"]) EXPECT_EQ(h["language"], "python") << h;
  auto store = s->call_tool(3, "search", {{"query", "retry the upload"}, {"scope", "code"}, {"path", "src/store/*"}});
  ASSERT_FALSE(store["result"]["structuredContent"]["results"].empty()) << store.dump();
  for (const auto& h : store["result"]["structuredContent"]["results"]) EXPECT_EQ(h["path"], "src/store/cache.c") << h;
  // Scope all: code filters apply to code; knowledge has none.
  s->call_tool(4, "add_belief", {{"statement", "The cache evicts entries when it is full"}});
  auto all = s->call_tool(5, "search", {{"query", "cache full"}, {"kind", "function"}});
  bool belief = false;
  for (const auto& h : all["result"]["structuredContent"]["results"]) {
    if (h["type"] == "symbol") {
      EXPECT_EQ(h["kind"], "function") << h;
    }
    belief = belief || h["type"] == "belief";
  }
  EXPECT_TRUE(belief) << all.dump();

  EXPECT_EQ(error_code_of(s->call_tool(6, "search", {{"query", "x"}, {"scope", "code"}, {"language", "cobol"}})),
            -32602);
  EXPECT_EQ(error_code_of(s->call_tool(7, "search", {{"query", "x"}, {"path", 3}})), -32602);
  auto wrong = s->call_tool(8, "search", {{"query", "x"}, {"scope", "beliefs"}, {"language", "c"}});
  EXPECT_EQ(wrong["result"]["isError"], true) << wrong.dump();
  finish(*s);

  // The same hybrid search, in the same order, as `patina search --in code`.
  auto cli = cli_json({"search", question, "--in", "code", "--json"});
  ASSERT_EQ(cli["results"].size(), out["results"].size()) << cli.dump();
  for (std::size_t i = 0; i < out["results"].size(); ++i) {
    EXPECT_EQ(out["results"][i]["id"], std::to_string(cli["results"][i]["id"].get<std::int64_t>())) << i;
  }
}

TEST_F(mcp_code, overlapping_search_and_symbol_calls_get_the_answers_of_calls_one_by_one) {
  const std::vector<std::pair<std::string, json>> calls{
      {"search", {{"query", "drop the least recently used entry of the cache"}, {"scope", "code"}}},
      {"search", {{"query", "send the upload again after a failure"}}},
      {"symbol", {{"name", "cache_evict"}, {"callers", true}}},
      {"search", {{"query", "retry"}, {"scope", "code"}, {"language", "python"}}},
      {"symbol", {{"name", "retry_upload"}, {"callees", true}, {"callers", true}}},
      {"search", {{"query", "split header lines"}, {"scope", "code"}, {"path", "src/net/*"}}},
      {"status", json::object()},
  };
  auto s = start_initialized();
  // All at once first, so that the first searches also refresh the lexical
  // index at the same time; every call three times.
  std::map<int, std::size_t> sent;
  int id = 100;
  for (int round = 0; round < 3; ++round) {
    for (std::size_t i = 0; i < calls.size(); ++i) {
      s->send_json(json{{"jsonrpc", "2.0"},
                        {"id", id},
                        {"method", "tools/call"},
                        {"params", {{"name", calls[i].first}, {"arguments", calls[i].second}}}});
      sent[id++] = i;
    }
  }
  std::map<int, json> answers;
  while (answers.size() < sent.size()) {
    auto m = s->read();
    ASSERT_TRUE(m.has_value()) << s->log();
    answers[(*m)["id"].get<int>()] = (*m)["result"];
  }
  for (std::size_t i = 0; i < calls.size(); ++i) {
    auto one = s->call_tool(static_cast<int>(i), calls[i].first, calls[i].second);
    ASSERT_EQ(one["result"]["isError"], false) << one.dump();
    for (const auto& [call_id, which] : sent) {
      if (which == i) {
        EXPECT_EQ(answers[call_id], one["result"]) << calls[i].first << " " << calls[i].second;
      }
    }
  }
  finish(*s);
}

// The embedding configuration changes while the server runs, and `patina
// embeddings generate` switches the database to the new model. The server's
// engine is now the old one: add_belief stores the belief and says it has no
// vector and what to do (it used to answer isError after storing it, so a
// client retried and duplicated it), and search keeps answering, by words.
TEST_F(mcp_server, a_model_switch_under_a_running_server_is_reported_not_failed) {
  const auto config = dir_.path() / ".patina" / "config.toml";
  auto set_config = [&](const std::string& from, const std::string& to) {
    ASSERT_TRUE(patina::test::replace_in_file(config, from, to)) << from << " is not in " << config;
  };
  set_config("engine = \"auto\"", "engine = \"hashing\"");
  set_config("hashing_dimension = 256", "hashing_dimension = 48");
  patina::test::process_options opts;
  opts.cwd = dir_.path();
  opts.unset_env = isolated_env;
  auto first = patina::test::run_process({PATINA_CLI_PATH, "belief", "add", "the server starts with 48"}, opts);
  ASSERT_EQ(first.exit_code, 0) << first.err;

  auto s = start_initialized();
  auto before = s->call_tool(1, "search", {{"query", "server starts"}, {"scope", "beliefs"}});
  ASSERT_EQ(before["result"]["isError"], false) << before.dump();

  set_config("hashing_dimension = 48", "hashing_dimension = 96");
  auto gen = patina::test::run_process({PATINA_CLI_PATH, "embeddings", "generate", "--quiet"}, opts);
  ASSERT_EQ(gen.exit_code, 0) << gen.err;

  auto added = s->call_tool(2, "add_belief", {{"statement", "added by a server with a stale engine"}});
  ASSERT_EQ(added["result"]["isError"], false) << added.dump();
  const auto& b = added["result"]["structuredContent"];
  EXPECT_FALSE(patina::mcp::validate(tool_schema(*s, "add_belief", "outputSchema"), b).has_value()) << b.dump();
  EXPECT_EQ(b["embedded"], false) << b.dump();
  EXPECT_NE(text_of(added).find("restart the MCP server"), std::string::npos) << text_of(added);
  EXPECT_NE(text_of(added).find("patina embeddings generate"), std::string::npos) << text_of(added);

  auto found = s->call_tool(3, "search", {{"query", "stale engine"}, {"scope", "beliefs"}, {"limit", 1}});
  ASSERT_EQ(found["result"]["isError"], false) << found.dump();
  ASSERT_EQ(found["result"]["structuredContent"]["results"].size(), 1u) << found.dump();
  EXPECT_EQ(found["result"]["structuredContent"]["results"][0]["text"], "added by a server with a stale engine");
  auto code = s->call_tool(4, "search", {{"query", "stale engine"}});
  EXPECT_EQ(code["result"]["isError"], false) << code.dump();
  finish(*s);

  // Stored once, and `generate` (the server restarted or not) embeds it.
  auto again = patina::test::run_process({PATINA_CLI_PATH, "embeddings", "generate", "--quiet"}, opts);
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto st = patina::test::run_process({PATINA_CLI_PATH, "embeddings", "status", "--json"}, opts);
  ASSERT_EQ(st.exit_code, 0) << st.err;
  const auto doc = json::parse(st.out);
  EXPECT_EQ(doc["beliefs"], 2);
  EXPECT_EQ(doc["beliefs_embedded"], 2);
  EXPECT_EQ(doc["stored_model"], "hashing-v1-96");
}
