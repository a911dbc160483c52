// The `patina` command against a real tursodb: two project folders made with
// `init --remote URL` (embedded replicas), beliefs added in each, `sync` in turn,
// until both list the same beliefs; remote mode; `status` and `sync --json`.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include <nlohmann/json.hpp>

#include "subprocess.hpp"
#include "sync_fixtures.hpp"

namespace {

namespace fs = std::filesystem;
using patina::test::process_options;
using patina::test::process_result;

constexpr const char* token = "cli-secret-token-77";

class CliSync : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why_not;
    auto started = patina::test::sync_server::start(why_not);
    if (!started) GTEST_SKIP() << "SKIPPED LOUDLY: " << why_not;
    server_.emplace(std::move(*started));
    root_ = fs::temp_directory_path() /
            ("patina-cli-sync-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    for (const char* name : {"one", "two", "three"}) fs::create_directories(root_ / name);
  }
  void TearDown() override {
    std::error_code ignored;
    if (!root_.empty()) fs::remove_all(root_, ignored);
  }

  process_result patina(const std::string& project, std::vector<std::string> args) {
    args.insert(args.begin(), PATINA_CLI_PATH);
    process_options opts;
    opts.cwd = root_ / project;
    for (const char* v : {"PATINA_DB", "PATINA_TURSO_URL", "PATINA_MODEL_DIR"}) opts.unset_env.emplace_back(v);
    opts.env["PATINA_TURSO_TOKEN"] = token;
    auto r = patina::test::run_process(args, opts);
    EXPECT_EQ(r.out.find(token), std::string::npos);
    EXPECT_EQ(r.err.find(token), std::string::npos);
    return r;
  }

  std::vector<std::string> beliefs(const std::string& project) {
    auto r = patina(project, {"belief", "list", "--json"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> out;
    const auto doc = nlohmann::json::parse(r.out);
    for (const auto& item : doc["items"]) out.push_back(item["statement"].get<std::string>());
    std::sort(out.begin(), out.end());
    return out;
  }

  std::optional<patina::test::sync_server> server_;
  fs::path root_;
};

TEST_F(CliSync, TwoProjectsConvergeThroughSync) {
  auto init_one = patina("one", {"init", "--remote", server_->url()});
  ASSERT_EQ(init_one.exit_code, 0) << init_one.err;
  EXPECT_NE(init_one.out.find("embedded replica"), std::string::npos) << init_one.out;
  ASSERT_EQ(patina("one", {"belief", "add", "uploads are retried three times"}).exit_code, 0);
  auto synced = patina("one", {"sync", "--json"});
  ASSERT_EQ(synced.exit_code, 0) << synced.err;
  const auto doc = nlohmann::json::parse(synced.out);
  EXPECT_GE(doc["pushed"].get<int>(), 1) << synced.out;
  for (const char* key : {"pulled_pages", "duration_ms", "revision"}) EXPECT_TRUE(doc.contains(key)) << key;

  auto init_two = patina("two", {"init", "--remote", server_->url(), "--mode", "embedded"});
  ASSERT_EQ(init_two.exit_code, 0) << init_two.err;
  ASSERT_EQ(patina("two", {"belief", "add", "the cache is rebuilt nightly"}).exit_code, 0);
  auto two_synced = patina("two", {"sync"});
  ASSERT_EQ(two_synced.exit_code, 0) << two_synced.err;
  EXPECT_NE(two_synced.out.find("pushed"), std::string::npos) << two_synced.out;
  ASSERT_EQ(patina("one", {"sync"}).exit_code, 0);

  const std::vector<std::string> both{"the cache is rebuilt nightly", "uploads are retried three times"};
  EXPECT_EQ(beliefs("one"), both);
  EXPECT_EQ(beliefs("two"), both);

  auto status = patina("one", {"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto state = nlohmann::json::parse(status.out);
  ASSERT_TRUE(state.contains("sync")) << status.out;
  EXPECT_EQ(state["sync"]["mode"], "embedded");
  EXPECT_EQ(state["sync"]["url"], server_->url());
  EXPECT_EQ(state["sync"]["unsynced_changes"], 0);
  EXPECT_FALSE(state["sync"]["revision"].get<std::string>().empty());

  // A third project in remote mode sees both without syncing.
  auto init_three = patina("three", {"init", "--remote", server_->url(), "--mode", "remote"});
  ASSERT_EQ(init_three.exit_code, 0) << init_three.err;
  EXPECT_EQ(beliefs("three"), both);
  auto remote_status = patina("three", {"status", "--json"});
  ASSERT_EQ(remote_status.exit_code, 0) << remote_status.err;
  const auto remote_state = nlohmann::json::parse(remote_status.out);
  EXPECT_EQ(remote_state["database"], server_->url()) << "remote mode has no local database file";
  EXPECT_EQ(remote_state["sync"]["mode"], "remote");
  auto not_a_replica = patina("three", {"sync"});
  EXPECT_EQ(not_a_replica.exit_code, 1);
  EXPECT_NE(not_a_replica.err.find("embedded"), std::string::npos) << not_a_replica.err;
}

// A scrape in remote mode writes the code index on the server: more rows than
// one write request carries (about 200k bound values), then an incremental
// rescan, `symbol` and `search` read it back.
TEST_F(CliSync, CodeIsScrapedAndSearchedInRemoteMode) {
  auto init = patina("three", {"init", "--remote", server_->url(), "--mode", "remote"});
  ASSERT_EQ(init.exit_code, 0) << init.err;
  const fs::path src = root_ / "three" / "src";
  fs::create_directories(src);
  constexpr int files = 6;
  constexpr int functions_per_file = 2000;  // 12k symbols and calls: ~280k bound values
  for (int f = 0; f < files; ++f) {
    std::ofstream out(src / ("module_" + std::to_string(f) + ".py"));
    for (int i = 0; i < functions_per_file; ++i) {
      out << "def step_" << f << "_" << i << "(value):\n"
          << "    return step_" << f << "_" << (i + 1) % functions_per_file << "(value)\n\n";
    }
  }
  {
    std::ofstream out(src / "upload.py");
    out << "def retry_upload(request, attempts):\n"
        << "    \"\"\"Send the request again after a failure, waiting longer each time.\"\"\"\n"
        << "    return request\n";
  }
  auto scraped = patina("three", {"scrape", "--quiet", src.string()});
  ASSERT_EQ(scraped.exit_code, 0) << scraped.err;
  auto status = patina("three", {"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  const auto state = nlohmann::json::parse(status.out);
  EXPECT_EQ(state["files"], files + 1);
  EXPECT_EQ(state["symbols"], files * functions_per_file + 1);

  auto rescan = patina("three", {"scrape", src.string()});
  ASSERT_EQ(rescan.exit_code, 0) << rescan.err;
  EXPECT_NE(rescan.out.find("(0 parsed, 7 unchanged"), std::string::npos) << rescan.out;

  auto found = patina("three", {"symbol", "step_5_1999", "--callees", "--json"});
  ASSERT_EQ(found.exit_code, 0) << found.err;
  EXPECT_NE(found.out.find("step_5_0"), std::string::npos) << "its callee, resolved: " << found.out;
  auto answer = patina("three", {"search", "retry the upload after a failure", "--in", "code", "--json"});
  ASSERT_EQ(answer.exit_code, 0) << answer.err;
  const auto results = nlohmann::json::parse(answer.out)["results"];
  ASSERT_FALSE(results.empty()) << answer.out;
  EXPECT_EQ(results[0]["qualified_name"], "upload.retry_upload") << answer.out;
}

TEST_F(CliSync, BadInitOptionsAreUsageErrors) {
  EXPECT_EQ(patina("one", {"init", "--mode", "remote"}).exit_code, 2) << "--mode needs --remote";
  EXPECT_EQ(patina("one", {"init", "--remote", server_->url(), "--mode", "sideways"}).exit_code, 2);
  auto bad_url = patina("one", {"init", "--remote", "ftp://example.com"});
  EXPECT_EQ(bad_url.exit_code, 1) << bad_url.err;
}

}  // namespace
