// Unit tests (no network) of change capture on a plain SQLite file: what is logged,
// what is refused, and that replaying the push statements on a copy of the starting
// state reproduces the changed database exactly.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <random>

#include "db/turso/sync/change_log.hpp"

namespace patina::db::turso::sync {
namespace {

namespace fs = std::filesystem;
using rows = std::vector<std::vector<value>>;

class sqlite_file {
 public:
  explicit sqlite_file(const fs::path& path) {
    if (sqlite3_open(path.c_str(), &db_) != SQLITE_OK) throw std::runtime_error("open failed");
    exec("PRAGMA synchronous = OFF");  // test speed only
  }
  ~sqlite_file() { sqlite3_close(db_); }
  sqlite_file(const sqlite_file&) = delete;
  sqlite_file& operator=(const sqlite_file&) = delete;
  sqlite3* get() const { return db_; }

  void exec(const std::string& sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
      const std::string text = message ? message : "?";
      sqlite3_free(message);
      throw std::runtime_error(sql + ": " + text);
    }
  }
  void run(const statement& s) {
    sqlite3_stmt* stmt = nullptr;
    ASSERT_EQ(sqlite3_prepare_v2(db_, s.sql.c_str(), -1, &stmt, nullptr), SQLITE_OK) << sqlite3_errmsg(db_) << " " << s.sql;
    for (std::size_t i = 0; i < s.params.size(); ++i) {
      const int at = static_cast<int>(i + 1);
      const value& v = s.params[i];
      if (auto* n = std::get_if<std::int64_t>(&v)) sqlite3_bind_int64(stmt, at, *n);
      else if (auto* d = std::get_if<double>(&v)) sqlite3_bind_double(stmt, at, *d);
      else if (auto* t = std::get_if<std::string>(&v)) sqlite3_bind_text(stmt, at, t->c_str(), static_cast<int>(t->size()), SQLITE_TRANSIENT);
      else if (auto* b = std::get_if<db::blob>(&v)) sqlite3_bind_blob(stmt, at, b->data(), static_cast<int>(b->size()), SQLITE_TRANSIENT);
    }
    EXPECT_EQ(sqlite3_step(stmt), SQLITE_DONE) << sqlite3_errmsg(db_) << " " << s.sql;
    sqlite3_finalize(stmt);
  }
  rows query(const std::string& sql) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) throw std::runtime_error(sqlite3_errmsg(db_));
    rows out;
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      std::vector<value> row;
      for (int i = 0; i < sqlite3_column_count(stmt); ++i) {
        switch (sqlite3_column_type(stmt, i)) {
          case SQLITE_INTEGER: row.emplace_back(std::int64_t{sqlite3_column_int64(stmt, i)}); break;
          case SQLITE_FLOAT: row.emplace_back(sqlite3_column_double(stmt, i)); break;
          case SQLITE_TEXT: row.emplace_back(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, i)))); break;
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
    return out;
  }

 private:
  sqlite3* db_ = nullptr;
};

const char* schema =
    "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT UNIQUE, v REAL);"
    "CREATE TABLE tags (name TEXT PRIMARY KEY, n INTEGER) WITHOUT ROWID;"
    "CREATE TABLE \"odd \"\"name\"\"\" (id INTEGER PRIMARY KEY, \"x y\" BLOB);"
    "CREATE TABLE nokey (x);"
    "CREATE TABLE comp (a, b, PRIMARY KEY (a, b));"
    "CREATE VIRTUAL TABLE docs USING fts5(body);"
    "CREATE TABLE local_cache (id INTEGER PRIMARY KEY, x);"
    "INSERT INTO items VALUES (1, 'one', 1.0), (2, 'two', 2.0), (3, 'three', 3.0);"
    "INSERT INTO tags VALUES ('a', 1);";

class ChangeLog : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("patina-changelog-" + std::to_string(::getpid()) + "-" +
                                        std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
    for (const char* name : {"local.db", "base.db"}) {
      sqlite_file f(dir_ / name);
      f.exec(schema);
    }
    db_ = std::make_unique<sqlite_file>(dir_ / "local.db");
    const std::vector<std::string> excluded{"local_cache"};
    auto report = install_change_capture(db_->get(), excluded);
    ASSERT_TRUE(report) << report.err().describe();
    report_ = std::move(*report);
  }
  void TearDown() override {
    db_.reset();
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  std::vector<logged_change> changes(std::int64_t floor = 0) { return read_changes(db_->get(), floor).value(); }

  fs::path dir_;
  std::unique_ptr<sqlite_file> db_;
  capture_report report_;
};

TEST_F(ChangeLog, CapturesKeyedTablesAndRefusesTheOthers) {
  std::vector<std::string> names;
  for (const auto& t : report_.tables) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"items", "odd \"name\"", "tags"}));
  std::sort(report_.refused.begin(), report_.refused.end());
  ASSERT_EQ(report_.refused.size(), 3u);
  EXPECT_EQ(report_.refused[0], "comp: a composite PRIMARY KEY");
  EXPECT_EQ(report_.refused[1], "docs: a virtual table");
  EXPECT_EQ(report_.refused[2], "nokey: no declared PRIMARY KEY");
  EXPECT_TRUE(is_internal_table("_patina_sync_changes"));
  EXPECT_TRUE(is_internal_table("SQLITE_sequence"));
  EXPECT_TRUE(is_internal_table("turso_sync_last_change_id"));
  EXPECT_FALSE(is_internal_table("items"));
}

TEST_F(ChangeLog, LogsInsertsUpdatesDeletesInOrder) {
  db_->exec("INSERT INTO items VALUES (4, 'four', 4.0)");
  db_->exec("UPDATE items SET v = 9 WHERE id = 2");
  db_->exec("DELETE FROM tags WHERE name = 'a'");
  db_->exec("UPDATE items SET id = 10 WHERE id = 1");  // key change
  db_->exec("INSERT INTO nokey VALUES (1); INSERT INTO local_cache VALUES (1, 2)");  // not captured
  const auto c = changes();
  ASSERT_EQ(c.size(), 5u);
  EXPECT_EQ(c[0].table, "items");
  EXPECT_EQ(c[0].key, value{std::int64_t{4}});
  EXPECT_EQ(c[0].op, change_op::insert);
  EXPECT_EQ(c[1].op, change_op::update);
  EXPECT_EQ(c[2].table, "tags");
  EXPECT_EQ(c[2].key, value{std::string("a")});
  EXPECT_EQ(c[2].op, change_op::remove);
  EXPECT_EQ(c[3].key, value{std::int64_t{1}});
  EXPECT_EQ(c[3].op, change_op::remove);
  EXPECT_EQ(c[4].key, value{std::int64_t{10}});
  EXPECT_EQ(c[4].op, change_op::update);
  for (std::size_t i = 1; i < c.size(); ++i) EXPECT_GT(c[i].change_id, c[i - 1].change_id);
  EXPECT_EQ(changes(c[2].change_id).size(), 2u);
}

TEST_F(ChangeLog, RolledBackChangesLeaveNoTrace) {
  db_->exec("BEGIN; INSERT INTO items VALUES (7, 'seven', 7); ROLLBACK");
  EXPECT_TRUE(changes().empty());
}

TEST_F(ChangeLog, ReinstallingIsIdempotentAndPicksUpNewTables) {
  ASSERT_TRUE(install_change_capture(db_->get()));
  db_->exec("INSERT INTO items VALUES (5, 'five', 5)");
  EXPECT_EQ(changes().size(), 1u);  // one trigger, not two
  db_->exec("CREATE TABLE later (id INTEGER PRIMARY KEY, x)");
  db_->exec("INSERT INTO later VALUES (1, 1)");
  EXPECT_EQ(changes().size(), 1u);  // not captured until reinstalled
  ASSERT_TRUE(install_change_capture(db_->get()));
  db_->exec("INSERT INTO later VALUES (2, 2)");
  EXPECT_EQ(changes().back().table, "later");
  db_->exec("DROP TABLE later");
  ASSERT_TRUE(install_change_capture(db_->get()));  // its triggers went with it
}

TEST_F(ChangeLog, ReplaceConflictsLogTheRowsTheyRemove) {
  db_->exec("INSERT OR REPLACE INTO items VALUES (8, 'one', 8.0)");  // evicts id 1 through UNIQUE(name)
  const auto c = changes();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].key, value{std::int64_t{1}});
  EXPECT_EQ(c[0].op, change_op::remove);
  EXPECT_EQ(c[1].key, value{std::int64_t{8}});
}

TEST_F(ChangeLog, PushStatementsReproduceTheChangesOnTheBase) {
  std::mt19937 rng(1);
  db_->exec("INSERT INTO items VALUES (4, 'four', 4.0), (5, 'five', 5.0)");
  db_->exec("UPDATE items SET v = v * 10 WHERE id >= 2");
  db_->exec("DELETE FROM items WHERE id = 4");  // inserted then deleted: a harmless DELETE
  db_->exec("UPDATE items SET id = 20 WHERE id = 3");
  db_->exec("INSERT INTO tags VALUES ('b', 2), ('c', 3); UPDATE tags SET n = 100 WHERE name = 'a'");
  db_->exec("INSERT INTO \"odd \"\"name\"\"\" VALUES (1, x'00ff10')");
  db_->exec("INSERT OR REPLACE INTO items VALUES (30, 'two', NULL)");
  const auto c = changes();
  auto statements = build_push_statements(db_->get(), c);
  ASSERT_TRUE(statements) << statements.err().describe();
  EXPECT_LT(statements->size(), c.size());  // net effect: one statement per changed row

  sqlite_file base(dir_ / "base.db");
  base.exec("BEGIN");
  for (const auto& s : *statements) base.run(s);
  base.exec("COMMIT");
  for (const char* q : {"SELECT * FROM items ORDER BY id", "SELECT * FROM tags ORDER BY name",
                        "SELECT * FROM \"odd \"\"name\"\"\" ORDER BY id"}) {
    EXPECT_EQ(base.query(q), db_->query(q)) << q;
  }
}

TEST_F(ChangeLog, NoLogTableMeansNoChanges) {
  sqlite_file fresh(dir_ / "fresh.db");
  fresh.exec("CREATE TABLE t (id INTEGER PRIMARY KEY)");
  auto c = read_changes(fresh.get());
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->empty());
}

}  // namespace
}  // namespace patina::db::turso::sync
