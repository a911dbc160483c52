// End-to-end tests of how `patina` treats stored vectors when the engine in use
// is not the one that made them: a wrong PATINA_MODEL_DIR, a changed
// hashing_dimension, and the MCP server. Commands that read never drop or
// rewrite vectors; only `patina embeddings generate` replaces them.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "subprocess.hpp"
#include "text_file.hpp"

namespace fs = std::filesystem;
using patina::test::process_options;
using patina::test::process_result;

namespace {

class embeddings_cli : public ::testing::Test {
 protected:
  embeddings_cli() {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("patina-embeddings-cli-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  ~embeddings_cli() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  process_result patina(std::vector<std::string> args, std::map<std::string, std::string> env = {},
                        std::string stdin_text = {}) {
    args.insert(args.begin(), PATINA_CLI_PATH);
    process_options opts;
    opts.cwd = dir_;
    opts.env = std::move(env);
    opts.stdin_text = std::move(stdin_text);
    for (const char* v : {"PATINA_DB", "PATINA_TURSO_URL", "PATINA_TURSO_TOKEN", "PATINA_MODEL_DIR"}) {
      if (opts.env.count(v) == 0) opts.unset_env.emplace_back(v);
    }
    return patina::test::run_process(args, opts);
  }

  void edit_config(const std::string& from, const std::string& to) {
    const auto config = dir_ / ".patina" / "config.toml";
    ASSERT_TRUE(patina::test::replace_in_file(config, from, to)) << from << " is not in " << config;
  }

  // A scraped project of the fixture tree with a belief; everything embedded
  // by the engine `engine` names ("auto" or "hashing").
  void embedded_project(const std::string& engine) {
    auto init = patina({"init"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    if (engine != "auto") edit_config("engine = \"auto\"", "engine = \"" + engine + "\"");
    fs::copy(fs::path(PATINA_TEST_SOURCE_DIR) / "tests" / "cli" / "fixtures" / "search", dir_ / "src",
             fs::copy_options::recursive);
    auto scrape = patina({"scrape", "--quiet"});
    ASSERT_EQ(scrape.exit_code, 0) << scrape.err;
    auto belief = patina({"belief", "add", "configuration is read once at start"});
    ASSERT_EQ(belief.exit_code, 0) << belief.err;
    auto gen = patina({"embeddings", "generate", "--quiet"});
    ASSERT_EQ(gen.exit_code, 0) << gen.err;
    auto st = status();
    ASSERT_GT(st["symbols"].get<std::int64_t>(), 0);
    ASSERT_EQ(st["missing"].get<std::int64_t>(), 0) << st.dump();
  }

  nlohmann::json status() {
    auto r = patina({"embeddings", "status", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  fs::path dir_;
};

// With engine = "auto", a PATINA_MODEL_DIR that does not hold the model is an
// error naming the variable; it used to fall back to the hashing engine, which
// dropped every stored vector (exit 0, a note on stderr only).
TEST_F(embeddings_cli, a_wrong_model_dir_is_an_error_and_keeps_the_vectors) {
  embedded_project("auto");
  const auto before = status();
  const auto model = before["stored_model"].get<std::string>();

  auto missing = patina({"search", "configuration"}, {{"PATINA_MODEL_DIR", (dir_ / "nonexistent").string()}});
  EXPECT_EQ(missing.exit_code, 1) << missing.err;
  EXPECT_NE(missing.err.find("PATINA_MODEL_DIR"), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("does not exist"), std::string::npos) << missing.err;

  fs::create_directories(dir_ / "broken");
  std::ofstream(dir_ / "broken" / "model.json") << "{";
  auto broken = patina({"belief", "add", "not stored"}, {{"PATINA_MODEL_DIR", (dir_ / "broken").string()}});
  EXPECT_EQ(broken.exit_code, 1) << broken.err;
  EXPECT_NE(broken.err.find("PATINA_MODEL_DIR"), std::string::npos) << broken.err;
  EXPECT_EQ(broken.err.find("not installed"), std::string::npos) << broken.err;

  std::ofstream(dir_ / "broken" / "vocab.json") << "{";
  auto malformed = patina({"search", "configuration"}, {{"PATINA_MODEL_DIR", (dir_ / "broken").string()}});
  EXPECT_EQ(malformed.exit_code, 1) << malformed.err;
  EXPECT_EQ(malformed.err.find("not installed"), std::string::npos) << malformed.err;

  auto after = status();
  EXPECT_EQ(after["stored_model"], model);
  EXPECT_EQ(after["symbols_embedded"], before["symbols_embedded"]);
  EXPECT_EQ(after["embedded"], before["embedded"]);
  EXPECT_EQ(after["beliefs"], before["beliefs"]);
}

// A changed engine (here hashing_dimension) does not make reading or adding
// drop the stored vectors: search ranks by words and says so, a new belief is
// stored without a vector, and `embeddings generate` is what switches.
TEST_F(embeddings_cli, another_engine_reads_by_words_and_only_generate_switches) {
  embedded_project("hashing");
  const auto before = status();
  ASSERT_EQ(before["stored_model"], "hashing-v1-256");
  edit_config("hashing_dimension = 256", "hashing_dimension = 64");

  auto found = patina({"search", "configuration is read", "--json"});
  EXPECT_EQ(found.exit_code, 0) << found.err;
  EXPECT_NE(found.err.find("search ranks by words only"), std::string::npos) << found.err;
  auto doc = nlohmann::json::parse(found.out, nullptr, false);
  ASSERT_TRUE(doc.contains("results")) << found.out;
  EXPECT_FALSE(doc["results"].empty()) << found.out;
  auto searched = status();
  EXPECT_EQ(searched["stored_model"], "hashing-v1-256");
  EXPECT_EQ(searched["vector_dimension"], 256);

  auto beliefs = patina({"search", "configuration", "--in", "beliefs"});
  EXPECT_EQ(beliefs.exit_code, 0) << beliefs.err;
  EXPECT_NE(beliefs.out.find("configuration is read once"), std::string::npos) << beliefs.out;

  auto added = patina({"belief", "add", "added while the engine differs"});
  EXPECT_EQ(added.exit_code, 0) << added.err;
  EXPECT_NE(added.err.find("patina embeddings generate"), std::string::npos) << added.err;

  auto mid = status();
  EXPECT_EQ(mid["stored_model"], "hashing-v1-256");
  EXPECT_EQ(mid["vector_dimension"], 256);
  EXPECT_EQ(mid["beliefs"], before["beliefs"].get<std::int64_t>() + 1);

  // Back to the old configuration: every old vector is still there.
  edit_config("hashing_dimension = 64", "hashing_dimension = 256");
  auto restored = status();
  EXPECT_EQ(restored["symbols_embedded"], before["symbols_embedded"]);
  EXPECT_EQ(restored["beliefs_embedded"], before["beliefs_embedded"]);

  edit_config("hashing_dimension = 256", "hashing_dimension = 64");
  auto gen = patina({"embeddings", "generate", "--quiet"});
  EXPECT_EQ(gen.exit_code, 0) << gen.err;
  auto switched = status();
  EXPECT_EQ(switched["stored_model"], "hashing-v1-64");
  EXPECT_EQ(switched["missing"], 0);
}

// MCP add_belief while the database's vectors belong to another model: the
// belief is stored and the result says so (no isError that would make the
// client add it again), and search still answers, by words.
TEST_F(embeddings_cli, mcp_add_belief_tells_the_truth_when_it_cannot_embed) {
  embedded_project("hashing");
  edit_config("hashing_dimension = 256", "hashing_dimension = 48");
  const std::string input =
      R"({"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"1"}}})"
      "\n"
      R"({"jsonrpc":"2.0","method":"notifications/initialized"})"
      "\n"
      R"({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"add_belief","arguments":{"statement":"added through mcp"}}})"
      "\n"
      R"({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"search","arguments":{"query":"configuration","limit":3}}})"
      "\n"
      R"({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"search","arguments":{"query":"added through mcp","scope":"beliefs","limit":1}}})"
      "\n";
  auto r = patina({"mcp"}, {}, input);
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<int, nlohmann::json> replies;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("id") && j["id"].is_number()) replies[j["id"].get<int>()] = j;
  }
  ASSERT_EQ(replies.count(2), 1u) << r.out << r.err;
  const auto& add = replies[2]["result"];
  EXPECT_FALSE(add.value("isError", false)) << add.dump();
  ASSERT_TRUE(add.contains("structuredContent")) << add.dump();
  EXPECT_FALSE(add["structuredContent"].value("embedded", true)) << add.dump();
  EXPECT_NE(add["structuredContent"].value("note", "").find("patina embeddings generate"), std::string::npos);

  ASSERT_EQ(replies.count(3), 1u) << r.out;
  EXPECT_FALSE(replies[3]["result"].value("isError", false)) << replies[3].dump();
  EXPECT_FALSE(replies[3]["result"]["structuredContent"]["results"].empty()) << replies[3].dump();
  ASSERT_EQ(replies.count(4), 1u) << r.out;
  const auto& found = replies[4]["result"]["structuredContent"]["results"];
  ASSERT_EQ(found.size(), 1u) << replies[4].dump();
  EXPECT_EQ(found[0]["text"], "added through mcp");

  auto st = status();
  EXPECT_EQ(st["beliefs"], 2);
  EXPECT_EQ(st["stored_model"], "hashing-v1-256");
}

}  // namespace
