// End to end: the built `patina mcp`, driven with raw JSON lines over its
// stdin/stdout in a temporary project, the way an MCP client drives it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "mcp/json_schema.hpp"
#include "mcp_driver.hpp"
#include "patina/backend.hpp"
#include "subprocess.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using patina::test::mcp_driver;
using patina::test::mcp_driver_options;

namespace {

class temp_dir {
 public:
  temp_dir() {
    std::random_device rd;
    path_ = fs::temp_directory_path() / ("patina-mcp-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(path_);
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

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
  // Scope all says that code was not searched (no code index in this build yet).
  ASSERT_EQ(out["notes"].size(), 1u);
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

TEST_F(mcp_server, code_scope_and_symbol_are_tool_errors_until_the_code_index_lands) {
  auto s = start_initialized();
  for (const auto& [tool, args] : std::vector<std::pair<std::string, json>>{
           {"search", {{"query", "upload"}, {"scope", "code"}}}, {"symbol", {{"name", "upload"}, {"callers", true}}}}) {
    auto r = s->call_tool(tool, tool, args);
    EXPECT_EQ(r["result"]["isError"], true) << r.dump();
    EXPECT_FALSE(r["result"].contains("structuredContent"));
    EXPECT_NE(text_of(r).find("code index is not available"), std::string::npos) << text_of(r);
  }
  finish(*s);
}

TEST_F(mcp_server, input_the_schema_allows_but_patina_refuses_is_a_tool_error) {
  auto s = start_initialized();
  auto r = s->call_tool(1, "add_belief", {{"statement", "   "}});
  EXPECT_EQ(r["result"]["isError"], true) << r.dump();
  EXPECT_FALSE(text_of(r).empty());
  auto st = s->call_tool(2, "status", json::object());
  EXPECT_EQ(st["result"]["structuredContent"]["beliefs"], 0);
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
