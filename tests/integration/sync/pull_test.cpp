// /pull-updates against a real tursodb: bootstrap a local file from the server's
// pages, then incremental pulls after server-side changes; each time stock SQLite
// must find the file intact and holding exactly the server's data.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <random>

#include "db/turso/sync/page_file.hpp"
#include "db/turso/sync/page_selector.hpp"
#include "db/turso/sync/pull_client.hpp"
#include "db/turso/sync/remote_executor.hpp"
#include "io_runner.hpp"
#include "turso_server.hpp"

namespace patina::db::turso::sync {
namespace {

namespace fs = std::filesystem;
using test::run_io;
using table_rows = std::vector<std::vector<value>>;
using snapshot = std::map<std::string, table_rows>;

// Reads a database file with stock SQLite, without writing anything to it
// (immutable: no locks, no -wal/-shm).
class local_reader {
 public:
  explicit local_reader(const fs::path& path) {
    const std::string uri = "file:" + path.string() + "?immutable=1";
    if (sqlite3_open_v2(uri.c_str(), &db_, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr) != SQLITE_OK) {
      throw std::runtime_error("cannot open " + path.string());
    }
  }
  ~local_reader() { sqlite3_close(db_); }
  local_reader(const local_reader&) = delete;
  local_reader& operator=(const local_reader&) = delete;

  table_rows rows(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
      throw std::runtime_error(std::string("prepare failed: ") + sqlite3_errmsg(db_));
    }
    table_rows out;
    int rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      std::vector<value> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_INTEGER: row.emplace_back(std::int64_t{sqlite3_column_int64(stmt, i)}); break;
          case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(stmt, i)); break;
          case SQLITE_TEXT:
            row.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)),
                                         static_cast<std::size_t>(sqlite3_column_bytes(stmt, i))));
            break;
          case SQLITE_BLOB: {
            const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, i));
            row.emplace_back(db::blob(p, p + sqlite3_column_bytes(stmt, i)));
            break;
          }
          default: row.emplace_back(); break;
        }
      }
      out.push_back(std::move(row));
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_DONE) throw std::runtime_error(std::string("step failed: ") + sqlite3_errmsg(db_));
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

const char* tables_sql = "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name";

std::string select_all(const value& table) {
  return "SELECT * FROM \"" + std::get<std::string>(table) + "\" ORDER BY rowid";
}

class Pull : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why_not;
    auto started = test::turso_server::start(why_not);
    if (!started) GTEST_SKIP() << "SKIPPED LOUDLY: " << why_not;
    server_.emplace(std::move(*started));
    const std::string url = "http://127.0.0.1:" + std::to_string(server_->port());
    http_.emplace(http_client::create(url, std::nullopt).value());
    exec_.emplace(hrana_client(*http_));
    dir_ = fs::temp_directory_path() / ("patina-pull-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    db_ = dir_ / "local.db";
  }
  void TearDown() override {
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  void exec(const std::string& sql, std::vector<value> params = {}) {
    run_io([&]() -> awaitable<void> { co_await exec_->execute(sql, params); });
  }
  void batch(const std::vector<statement>& statements) {
    run_io([&]() -> awaitable<void> { co_await exec_->execute_batch(statements); });
  }

  snapshot server_snapshot() {
    snapshot out;
    run_io([&]() -> awaitable<void> {
      const auto tables = co_await exec_->query(tables_sql);
      for (const auto& t : tables.rows) {
        auto rows = co_await exec_->query(select_all(t[0]));
        out[std::get<std::string>(t[0])] = std::move(rows.rows);
      }
    });
    return out;
  }

  // integrity_check must say ok; then every table's rows.
  snapshot local_snapshot() {
    local_reader reader(db_);
    const auto check = reader.rows("PRAGMA integrity_check");
    EXPECT_EQ(check, (table_rows{{value{std::string("ok")}}}));
    snapshot out;
    for (const auto& t : reader.rows(tables_sql)) out[std::get<std::string>(t[0])] = reader.rows(select_all(t[0]));
    return out;
  }

  pull_outcome bootstrap() {
    auto file = bootstrap_file::create(db_).value();
    std::optional<result<pull_outcome>> r;
    const pull_request bootstrap_request;
    run_io([&]() -> awaitable<void> {
      auto p = co_await pull_updates(*http_, bootstrap_request, nullptr,
                                     [&](std::uint64_t id, page_span page) { return file.write_page(id, page); });
      r.emplace(std::move(p));
    });
    EXPECT_TRUE(*r) << r->err().describe();
    file.commit((*r)->header.db_size).value();
    return **r;
  }

  // Pulls the changes since `revision` into a stage file, then applies it.
  pull_outcome pull_and_apply(const std::string& revision) {
    const fs::path stage_path = dir_ / "local.db.pull";
    auto stage = page_stage::create(stage_path).value();
    pull_request request;
    request.client_revision = revision;
    std::optional<result<pull_outcome>> r;
    run_io([&]() -> awaitable<void> {
      auto p = co_await pull_updates(*http_, request, nullptr,
                                     [&](std::uint64_t id, page_span page) { return stage.add(id, page); });
      r.emplace(std::move(p));
    });
    EXPECT_TRUE(*r) << r->err().describe();
    stage.seal((*r)->header.server_revision, (*r)->header.db_size).value();
    const auto applied = apply_page_stage(stage_path, db_).value();
    EXPECT_EQ(applied.server_revision, (*r)->header.server_revision);
    return **r;
  }

  void seed() {
    exec("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT, payload BLOB, score REAL)");
    exec("CREATE INDEX items_name ON items(name)");
    std::mt19937 rng(5);
    std::vector<statement> rows;
    for (std::int64_t i = 1; i <= 50; ++i) {
      db::blob payload(10 + rng() % 20000);  // up to 20 KB: overflow pages
      for (auto& b : payload) b = static_cast<std::uint8_t>(rng());
      rows.push_back({"INSERT INTO items VALUES (?, ?, ?, ?)",
                      {value{i}, value{"item-" + std::to_string(i)}, value{std::move(payload)}, value{i * 0.25}}});
    }
    batch(rows);
  }

  std::optional<test::turso_server> server_;
  std::optional<http_client> http_;
  std::optional<remote_executor> exec_;
  fs::path dir_;
  fs::path db_;
};

std::uint32_t header_page_count(const fs::path& db) {
  std::ifstream in(db, std::ios::binary);
  unsigned char h[32];
  in.read(reinterpret_cast<char*>(h), sizeof h);
  return (std::uint32_t{h[28]} << 24) | (std::uint32_t{h[29]} << 16) | (std::uint32_t{h[30]} << 8) | h[31];
}

TEST_F(Pull, BootstrapGivesAnIntactCopyOfTheServer) {
  seed();
  const auto outcome = bootstrap();
  EXPECT_FALSE(outcome.header.server_revision.empty());
  EXPECT_GT(outcome.header.db_size, 50u);
  EXPECT_EQ(outcome.pages, outcome.header.db_size);
  EXPECT_EQ(fs::file_size(db_), outcome.header.db_size * page_size);
  EXPECT_EQ(header_page_count(db_), outcome.header.db_size);
  const auto local = local_snapshot();
  EXPECT_EQ(local.at("items").size(), 50u);
  EXPECT_EQ(local, server_snapshot());
}

TEST_F(Pull, IncrementalPullsFollowServerChanges) {
  seed();
  std::string revision = bootstrap().header.server_revision;
  std::mt19937 rng(9);
  const auto blob_of = [&](std::size_t n) {
    db::blob b(n);
    for (auto& x : b) x = static_cast<std::uint8_t>(rng());
    return value{std::move(b)};
  };
  const std::vector<std::function<void()>> rounds = {
      [&] {
        std::vector<statement> s;
        for (std::int64_t i = 51; i <= 80; ++i) s.push_back({"INSERT INTO items VALUES (?, ?, ?, ?)", {value{i}, value{std::string("new")}, blob_of(300), value{1.5}}});
        s.push_back({"UPDATE items SET name = 'renamed' WHERE id % 7 = 0", {}});
        s.push_back({"DELETE FROM items WHERE id BETWEEN 10 AND 14", {}});
        batch(s);
      },
      [&] {
        exec("CREATE TABLE other (id INTEGER PRIMARY KEY, big BLOB)");
        for (std::int64_t i = 1; i <= 4; ++i) exec("INSERT INTO other VALUES (?, ?)", {value{i}, blob_of(50000)});
      },
      [&] {
        exec("DROP INDEX items_name");
        exec("CREATE INDEX items_score ON items(score)");
        exec("UPDATE items SET payload = ? WHERE id = 3", {blob_of(60000)});
      },
      [&] {
        exec("DROP TABLE other");
        exec("DELETE FROM items WHERE id % 3 = 0");
      },
      [&] { exec("UPDATE items SET score = score * 2"); },
      [&] { exec("DELETE FROM items"); },
  };
  for (std::size_t round = 0; round < rounds.size(); ++round) {
    SCOPED_TRACE("round " + std::to_string(round + 1));
    rounds[round]();
    const auto outcome = pull_and_apply(revision);
    EXPECT_NE(outcome.header.server_revision, revision);
    EXPECT_GT(outcome.pages, 0u);
    EXPECT_LT(outcome.pages, outcome.header.db_size + 1);
    revision = outcome.header.server_revision;
    EXPECT_EQ(header_page_count(db_), outcome.header.db_size);
    EXPECT_EQ(local_snapshot(), server_snapshot());
  }
}

TEST_F(Pull, NothingNewGivesAHeaderOnly) {
  seed();
  const auto first = bootstrap();
  const auto before = fs::file_size(db_);
  const auto again = pull_and_apply(first.header.server_revision);
  EXPECT_EQ(again.pages, 0u);
  EXPECT_EQ(again.header.server_revision, first.header.server_revision);
  EXPECT_EQ(fs::file_size(db_), before);
  EXPECT_EQ(local_snapshot(), server_snapshot());
}

TEST_F(Pull, SelectorLimitsThePages) {
  seed();
  pull_request request;
  const std::vector<std::uint32_t> wanted{0, 2};
  request.server_pages_selector = encode_page_selector(wanted);
  std::vector<std::uint64_t> ids;
  std::optional<result<pull_outcome>> r;
  run_io([&]() -> awaitable<void> {
    auto p = co_await pull_updates(*http_, request, nullptr, [&](std::uint64_t id, page_span page) {
      ids.push_back(id);
      if (id == 0) {
        EXPECT_EQ(std::string(reinterpret_cast<const char*>(page.data()), 15), "SQLite format 3");
      }
      return result<void>{};
    });
    r.emplace(std::move(p));
  });
  ASSERT_TRUE(*r) << r->err().describe();
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::uint64_t>{0, 2}));
}

TEST_F(Pull, BootstrapOfAnEmptyServerFailsClearly) {
  std::optional<result<pull_outcome>> r;
  auto file = bootstrap_file::create(db_).value();
  const pull_request bootstrap_request;
  run_io([&]() -> awaitable<void> {
    auto p = co_await pull_updates(*http_, bootstrap_request, nullptr,
                                   [&](std::uint64_t id, page_span page) { return file.write_page(id, page); });
    r.emplace(std::move(p));
  });
  ASSERT_TRUE(*r) << r->err().describe();
  if ((*r)->header.db_size == 0) {
    auto committed = file.commit(0);
    ASSERT_FALSE(committed);
    EXPECT_EQ(committed.err().code, errc::protocol_error);
    EXPECT_FALSE(fs::exists(db_));
  } else {
    // tursodb wrote an initial page for its new file: the copy must be valid too.
    ASSERT_TRUE(file.commit((*r)->header.db_size));
    EXPECT_EQ(local_snapshot(), server_snapshot());
  }
}

TEST_F(Pull, LogicalStreamIsRefused) {
  seed();
  pull_request request;
  request.kind = stream_kind::mvcc_logical_log;
  std::optional<result<pull_outcome>> r;
  run_io([&]() -> awaitable<void> {
    auto p = co_await pull_updates(*http_, request, nullptr, nullptr);
    r.emplace(std::move(p));
  });
  if (*r) {
    // 0.7.0 answers a WAL database with a replace-base page stream marked as pages.
    EXPECT_EQ((*r)->header.mode, static_cast<std::uint64_t>(apply_mode::replace_base));
  } else {
    EXPECT_EQ(r->err().code, errc::unsupported) << r->err().describe();
  }
}

}  // namespace
}  // namespace patina::db::turso::sync
