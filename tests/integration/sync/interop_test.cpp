// Interoperability with the official Turso sync client (@tursodatabase/sync, pinned
// in tests/package.json, driven by interop_client.mjs): rows it pushes appear in
// Patina's replica after sync(), and Patina's appear in its replica after a pull.
// Skips loudly without node or the package (run scripts/setup).
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include <nlohmann/json.hpp>

#include "io_runner.hpp"
#include "patina/db/turso_database.hpp"
#include "subprocess.hpp"
#include "sync_fixtures.hpp"

namespace patina::db {
namespace {

namespace fs = std::filesystem;
using test::run_io;
template <class T>
using aw = boost::asio::awaitable<T>;

const fs::path script = fs::path(PATINA_TEST_SOURCE_DIR) / "tests" / "integration" / "sync" / "interop_client.mjs";
const fs::path package = fs::path(PATINA_TEST_SOURCE_DIR) / "tests" / "node_modules" / "@tursodatabase" / "sync";

class Interop : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(package)) GTEST_SKIP() << "SKIPPED LOUDLY: " << package << " is missing (run scripts/setup)";
    if (test::run_process({"node", "--version"}).exit_code != 0) GTEST_SKIP() << "SKIPPED LOUDLY: node is missing";
    std::string why_not;
    auto started = test::sync_server::start(why_not);
    if (!started) GTEST_SKIP() << "SKIPPED LOUDLY: " << why_not;
    server_.emplace(std::move(*started));
    dir_ = fs::temp_directory_path() /
           ("patina-interop-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  test::process_result js(const std::vector<std::string>& args) {
    std::vector<std::string> argv{"node", script.string(), (dir_ / "js.db").string(), server_->url()};
    argv.insert(argv.end(), args.begin(), args.end());
    return test::run_process(argv);
  }

  std::optional<test::sync_server> server_;
  fs::path dir_;
};

statement belief(std::int64_t id, const std::string& text) {
  return statement{"INSERT INTO beliefs (id, statement, confidence, active, created_at, updated_at) VALUES "
                   "(?1, ?2, 0.5, 1, 1, 1)",
                   {value{id}, value{text}}};
}

TEST_F(Interop, RowsFlowBothWaysBetweenPatinaAndTheOfficialClient) {
  const fs::path ours = dir_ / "patina.db";
  run_io([&]() -> aw<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    auto db = co_await TursoDatabase::open_embedded(executor, ours, server_->url(), "");
    const std::vector<statement> rows{belief(1001, "from patina, first")};
    co_await db.execute_batch(rows);
    co_await db.sync();
  });

  auto wrote = js({"write", "2002", "from the official client"});
  ASSERT_EQ(wrote.exit_code, 0) << wrote.err;

  run_io([&]() -> aw<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    auto db = co_await TursoDatabase::open_embedded(executor, ours, server_->url(), "");
    auto synced = co_await db.sync();
    EXPECT_GT(synced.pulled_pages, 0u);
    auto theirs = co_await db.query("SELECT statement FROM beliefs WHERE id = 2002");
    EXPECT_EQ(theirs.rows.size(), 1u) << "the official client's row reached Patina's replica";
    const std::vector<statement> rows{belief(3003, "from patina, second")};
    co_await db.execute_batch(rows);
    co_await db.sync();
  });

  auto read = js({"read"});
  ASSERT_EQ(read.exit_code, 0) << read.err;
  const auto rows = nlohmann::json::parse(read.out);
  const auto expected = nlohmann::json::array({nlohmann::json::array({"1001", "from patina, first"}),
                                              nlohmann::json::array({"2002", "from the official client"}),
                                              nlohmann::json::array({"3003", "from patina, second"})});
  EXPECT_EQ(rows, expected) << read.out;
}

}  // namespace
}  // namespace patina::db
