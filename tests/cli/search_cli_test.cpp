// End-to-end tests of `patina embeddings generate|status` and `patina search`
// over code: the built binary in a temporary project holding a small
// three-language tree (tests/cli/fixtures/search), with the hashing engine so
// that no model files are needed.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include "db/common/connection.hpp"
#include "subprocess.hpp"
#include "text_file.hpp"

namespace fs = std::filesystem;
using patina::test::process_options;
using patina::test::process_result;

namespace {

class search_cli : public ::testing::Test {
 protected:
  search_cli() {
    std::random_device rd;
    dir_ = fs::temp_directory_path() / ("patina-search-cli-" + std::to_string(rd()) + std::to_string(rd()));
    fs::create_directories(dir_);
  }
  ~search_cli() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  process_result patina(std::vector<std::string> args) {
    args.insert(args.begin(), PATINA_CLI_PATH);
    process_options opts;
    opts.cwd = dir_;
    for (const char* v : {"PATINA_DB", "PATINA_TURSO_URL", "PATINA_TURSO_TOKEN", "PATINA_MODEL_DIR"})
      opts.unset_env.emplace_back(v);
    return patina::test::run_process(args, opts);
  }

  nlohmann::json json_of(std::vector<std::string> args) {
    args.push_back("--json");
    auto r = patina(args);
    EXPECT_EQ(r.exit_code, 0) << r.err;
    return nlohmann::json::parse(r.out, nullptr, false);
  }

  // A project using the hashing engine, with the fixture tree scraped.
  void scraped_project() {
    auto init = patina({"init"});
    ASSERT_EQ(init.exit_code, 0) << init.err;
    ASSERT_TRUE(patina::test::replace_in_file(dir_ / ".patina" / "config.toml", "engine = \"auto\"",
                                              "engine = \"hashing\""));
    fs::copy(fs::path(PATINA_TEST_SOURCE_DIR) / "tests" / "cli" / "fixtures" / "search", dir_ / "src",
             fs::copy_options::recursive);
    auto scrape = patina({"scrape", "--quiet"});
    ASSERT_EQ(scrape.exit_code, 0) << scrape.err;
  }

  // src/m<N>.py for N < files, each with 400 small documented functions.
  void python_tree(int files) {
    fs::create_directories(dir_ / "src");
    for (int f = 0; f < files; ++f) {
      std::ofstream out(dir_ / "src" / ("m" + std::to_string(f) + ".py"));
      for (int i = 0; i < 400; ++i)
        out << "def f" << f << "_" << i << "(a, b):\n    \"\"\"Adds two numbers.\"\"\"\n    return g(a) + b\n\n";
    }
  }

  fs::path dir_;
};

// The lexical index follows a scrape while it writes (several transactions
// here) and is complete when `patina scrape` returns: the sidecar holds every
// symbol before any search refreshes it, also after a rescan that deletes files.
TEST_F(search_cli, scrape_leaves_the_lexical_index_complete) {
  auto init = patina({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const int files = 100;
  python_tree(files);
  auto indexed = [&] {
    auto conn = patina::db::detail::connection::open(dir_ / ".patina" / "local.db").value();
    auto rows = conn.query("SELECT count(*) FROM lexical_symbols").value();
    return std::get<std::int64_t>(rows.rows.at(0).at(0));
  };
  auto scrape = patina({"scrape", "--quiet", "src"});
  ASSERT_EQ(scrape.exit_code, 0) << scrape.err;
  auto status = json_of({"status"});
  EXPECT_EQ(status["symbols"].get<std::int64_t>(), files * 400);
  EXPECT_EQ(indexed(), status["symbols"].get<std::int64_t>());

  for (int f = 0; f < 10; ++f) fs::remove(dir_ / "src" / ("m" + std::to_string(f) + ".py"));
  auto rescan = patina({"scrape", "--quiet", "src"});
  ASSERT_EQ(rescan.exit_code, 0) << rescan.err;
  auto after = json_of({"status"});
  EXPECT_EQ(after["symbols"].get<std::int64_t>(), (files - 10) * 400);
  EXPECT_EQ(indexed(), after["symbols"].get<std::int64_t>());
}

// Other processes read while a scrape writes (several transactions, and the
// scrape's own second connection for the lexical index): every search succeeds
// and every snapshot a reader sees is intact. When opening a connection still
// closed a descriptor of the file, the scrape lost its SQLite locks, a reader
// closing its connection deleted the WAL under it, and readers saw damage.
TEST_F(search_cli, reads_during_a_scrape_see_an_intact_database) {
  auto init = patina({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  python_tree(80);
  auto scraping = std::async(std::launch::async, [&] { return patina({"scrape", "--quiet", "src"}); });
  patina::db::detail::connection_options read_only;
  read_only.mode = patina::db::open_mode::read_only;
  int rounds = 0;
  std::vector<std::string> problems;
  while (scraping.wait_for(std::chrono::milliseconds(0)) != std::future_status::ready) {
    auto found = patina({"search", "adds two numbers", "--limit", "1"});
    if (found.exit_code != 0) problems.push_back("search: " + found.err);
    if (fs::exists(dir_ / ".patina" / "patina.db")) {
      auto conn = patina::db::detail::connection::open(dir_ / ".patina" / "patina.db", read_only);
      if (conn) {
        auto check = conn->query("PRAGMA quick_check");
        if (!check) {
          problems.push_back("quick_check: " + check.err().describe());
        } else if (check->rows.empty() || check->rows[0][0] != patina::db::value{std::string("ok")}) {
          problems.push_back("quick_check found damage");
        }
      }
    }
    ++rounds;
  }
  auto scrape = scraping.get();
  ASSERT_EQ(scrape.exit_code, 0) << scrape.err;
  EXPECT_GT(rounds, 1) << "the scrape ended before the readers overlapped it";
  EXPECT_TRUE(problems.empty()) << problems.size() << " of " << rounds << " rounds failed; first: " << problems.front();
  auto status = json_of({"status"});
  EXPECT_EQ(status["symbols"].get<std::int64_t>(), 80 * 400);
}

// One scrape per database at a time: a second one waits for the first (two at
// once used to fail with "UNIQUE constraint failed: files.id", having diffed the
// tree against the same snapshot), then finds the tree indexed.
TEST_F(search_cli, a_second_scrape_waits_for_the_first) {
  auto init = patina({"init"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  python_tree(40);
  // Two at once into an empty index.
  auto first = std::async(std::launch::async, [&] { return patina({"scrape", "--quiet", "src"}); });
  auto second = patina({"scrape", "--quiet", "src"});
  auto first_done = first.get();
  EXPECT_EQ(first_done.exit_code, 0) << first_done.err;
  EXPECT_EQ(second.exit_code, 0) << second.err;
  EXPECT_EQ(json_of({"status"})["symbols"].get<std::int64_t>(), 40 * 400);

  // The test holds the lock as a running scrape would: a scrape waits, says so,
  // and runs once the lock is free.
  const int fd = ::open((dir_ / ".patina" / "scrape.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto waiting = std::async(std::launch::async, [&] { return patina({"scrape", "--full", "src"}); });
  EXPECT_EQ(waiting.wait_for(std::chrono::seconds(1)), std::future_status::timeout);
  ::close(fd);
  auto done = waiting.get();
  ASSERT_EQ(done.exit_code, 0) << done.err;
  EXPECT_NE(done.err.find("waiting for it to finish"), std::string::npos) << done.err;
  EXPECT_EQ(json_of({"status"})["symbols"].get<std::int64_t>(), 40 * 400);
}

TEST_F(search_cli, embeddings_generate_and_status) {
  scraped_project();
  auto before = json_of({"embeddings", "status"});
  ASSERT_TRUE(before.is_object());
  EXPECT_GE(before["symbols"].get<int>(), 6);
  EXPECT_EQ(before["symbols_embedded"], 0);
  EXPECT_EQ(before["missing"], before["total"].get<int>() - before["embedded"].get<int>());
  EXPECT_EQ(before["model"]["id"], "hashing-v1-256");
  EXPECT_EQ(before["model"]["dimension"], 256);
  EXPECT_TRUE(before["backend"].is_string());
  EXPECT_TRUE(before["database"].is_string());

  auto gen = patina({"embeddings", "generate"});
  ASSERT_EQ(gen.exit_code, 0) << gen.err;
  EXPECT_NE(gen.out.find("embedded " + std::to_string(before["symbols"].get<int>()) + " item(s)"), std::string::npos)
      << gen.out;
  // Not a terminal: no progress display.
  EXPECT_EQ(gen.err.find("embedding symbols"), std::string::npos) << gen.err;

  auto after = json_of({"embeddings", "status"});
  EXPECT_EQ(after["symbols_embedded"], after["symbols"]);
  EXPECT_EQ(after["missing"], 0);

  auto again = patina({"embeddings", "generate"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("embedded 0 item(s)"), std::string::npos) << again.out;
  auto forced = patina({"embeddings", "generate", "--force", "--quiet"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  EXPECT_TRUE(forced.out.empty()) << forced.out;

  auto status = json_of({"status"});
  EXPECT_EQ(status["symbols"], after["symbols"]);
  EXPECT_EQ(status["embedded"], after["embedded"]);

  auto usage = patina({"embeddings"});
  EXPECT_EQ(usage.exit_code, 2);
}

TEST_F(search_cli, search_code_json_lexical_then_hybrid) {
  scraped_project();
  auto lexical = patina({"search", "retry the upload after a failure", "--in", "code", "--json"});
  ASSERT_EQ(lexical.exit_code, 0) << lexical.err;
  EXPECT_NE(lexical.err.find("patina embeddings generate"), std::string::npos) << lexical.err;
  auto doc = nlohmann::json::parse(lexical.out);
  EXPECT_EQ(doc["query"], "retry the upload after a failure");
  ASSERT_FALSE(doc["results"].empty());
  const auto& top = doc["results"][0];
  EXPECT_EQ(top["rank"], 1);
  EXPECT_EQ(top["type"], "symbol");
  EXPECT_EQ(top["name"], "retry_upload");
  EXPECT_EQ(top["qualified_name"], "net.upload.retry_upload");
  EXPECT_EQ(top["path"], "src/net/upload.py");
  EXPECT_EQ(top["line"], 4);
  EXPECT_EQ(top["kind"], "function");
  EXPECT_NE(top["signature"].get<std::string>().find("retry_upload"), std::string::npos);
  EXPECT_TRUE(top["id"].is_number_integer());
  EXPECT_TRUE(top["score"].is_number());
  EXPECT_TRUE(top["text"].is_string());
  EXPECT_NE(top["why"].get<std::string>().find("\"retry\""), std::string::npos) << top["why"];
  EXPECT_TRUE(top["signals"]["vector"].is_null());

  ASSERT_EQ(patina({"embeddings", "generate", "--quiet"}).exit_code, 0);
  auto hybrid = patina({"search", "retry the upload after a failure", "--in", "code", "--json"});
  ASSERT_EQ(hybrid.exit_code, 0) << hybrid.err;
  EXPECT_EQ(hybrid.err.find("embeddings generate"), std::string::npos) << hybrid.err;
  auto h = nlohmann::json::parse(hybrid.out);
  ASSERT_FALSE(h["results"].empty());
  EXPECT_EQ(h["results"][0]["name"], "retry_upload");
  EXPECT_EQ(h["results"][0]["signals"]["vector"].is_null(), false);
  EXPECT_EQ(h["results"][0]["signals"]["lexical"]["rank"], 1);

  auto go = json_of({"search", "retry a job", "--in", "code", "--lang", "go"});
  ASSERT_FALSE(go["results"].empty());
  for (const auto& r : go["results"]) EXPECT_EQ(r["language"], "go") << r;
  auto store = json_of({"search", "retry a job", "--in", "code", "--path", "src/store/*"});
  for (const auto& r : store["results"]) EXPECT_EQ(r["path"], "src/store/cache.c") << r;

  auto text = patina({"search", "least recently used entry", "--in", "code", "--explain"});
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_NE(text.out.find("src/store/cache.c:4  function  cache_evict"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("lexical #1"), std::string::npos) << text.out;
  EXPECT_NE(text.out.find("vector #"), std::string::npos) << text.out;

  auto bad = patina({"search", "x", "--lang", "cobol"});
  EXPECT_EQ(bad.exit_code, 2);
}

TEST_F(search_cli, search_all_ranks_code_and_knowledge_together) {
  scraped_project();
  ASSERT_EQ(patina({"belief", "add", "failed uploads are retried with a growing delay"}).exit_code, 0);
  ASSERT_EQ(patina({"embeddings", "generate", "--quiet"}).exit_code, 0);
  auto all = json_of({"search", "failed uploads retried"});
  bool belief = false;
  bool symbol = false;
  for (const auto& r : all["results"]) {
    if (r["type"] == "belief") {
      belief = true;
      EXPECT_FALSE(r.contains("path")) << r;
    }
    if (r["type"] == "symbol" && r["name"] == "retry_upload") symbol = true;
  }
  EXPECT_TRUE(belief) << all;
  EXPECT_TRUE(symbol) << all;
  // The lexical index is a sidecar beside the database, never inside it.
  EXPECT_TRUE(fs::exists(dir_ / ".patina" / "local.db"));
}

TEST_F(search_cli, unusable_lexical_index_file_falls_back_with_a_warning) {
  scraped_project();
  const auto sidecar = dir_ / ".patina" / "local.db";
  fs::remove(sidecar);
  fs::create_directories(sidecar);  // a folder where the index file should be
  auto r = patina({"search", "least recently used entry", "--in", "code", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("temporary index"), std::string::npos) << r.err;
  auto doc = nlohmann::json::parse(r.out);
  ASSERT_FALSE(doc["results"].empty());
  EXPECT_EQ(doc["results"][0]["name"], "cache_evict");
}

}  // namespace
