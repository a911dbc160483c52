// The shared SQLite connection layer: values, statements, caching, atomic
// batches, read-only statements, opening and error mapping.
#include "db/common/connection.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "db_test_support.hpp"

namespace patina::db::detail {
namespace {

using test::read_bytes;
using test::scratch_dir;
using test::write_bytes;

connection memory_db() { return connection::open(":memory:").value(); }

TEST(Connection, RoundTripsEveryValueType) {
  auto db = memory_db();
  ASSERT_TRUE(db.exec_script("CREATE TABLE t (a, b, c, d, e, f)"));
  const std::vector<value> row{value{}, std::int64_t{-42}, 2.5, std::string("héllo"),
                               blob{0, 1, 255}, blob{}};
  auto inserted = db.execute("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5, ?6)", row);
  ASSERT_TRUE(inserted) << inserted.err().describe();
  EXPECT_EQ(inserted->changes, 1);
  EXPECT_EQ(inserted->last_insert_rowid, 1);

  auto rows = db.query("SELECT a, b, c, d, e, f, typeof(f) FROM t");
  ASSERT_TRUE(rows) << rows.err().describe();
  ASSERT_EQ(rows->rows.size(), 1U);
  EXPECT_EQ(rows->columns, (std::vector<std::string>{"a", "b", "c", "d", "e", "f", "typeof(f)"}));
  const auto& got = rows->rows[0];
  for (std::size_t i = 0; i < row.size(); ++i) EXPECT_EQ(got[i], row[i]) << "column " << i;
  // An empty blob stays a blob, not NULL.
  EXPECT_EQ(got[6], value{std::string("blob")});
}

TEST(Connection, CachedStatementsRunAgainWithNewParameters) {
  auto db = memory_db();
  ASSERT_TRUE(db.exec_script("CREATE TABLE t (x INTEGER)"));
  for (std::int64_t i = 0; i < 10; ++i) {
    const std::vector<value> p{i};
    ASSERT_TRUE(db.execute("INSERT INTO t VALUES (?1)", p));
  }
  const std::vector<value> p{std::int64_t{5}};
  auto rows = db.query("SELECT count(*) FROM t WHERE x < ?1", p);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->rows[0][0], value{std::int64_t{5}});
  // Many distinct statements: the bounded cache empties itself and keeps working.
  for (int i = 0; i < 600; ++i) {
    auto r = db.query("SELECT " + std::to_string(i));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->rows[0][0], value{std::int64_t{i}});
  }
  rows = db.query("SELECT count(*) FROM t WHERE x < ?1", p);
  ASSERT_TRUE(rows);
  EXPECT_EQ(rows->rows[0][0], value{std::int64_t{5}});
}

TEST(Connection, RejectsWrongParameterCount) {
  auto db = memory_db();
  const std::vector<value> p{std::int64_t{1}, std::int64_t{2}};
  auto r = db.query("SELECT ?1", p);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::invalid_argument);
  EXPECT_NE(r.err().message.find("takes 1 parameters but 2"), std::string::npos);
}

TEST(Connection, OneStatementAtATime) {
  auto db = memory_db();
  EXPECT_TRUE(db.query("SELECT 1;  -- trailing comment\n"));
  auto two = db.query("SELECT 1; SELECT 2");
  ASSERT_FALSE(two);
  EXPECT_EQ(two.err().code, errc::invalid_argument);
  auto none = db.query("  -- nothing\n");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.err().code, errc::invalid_argument);
}

TEST(Connection, SqlErrorsKeepSqliteTextAsDetail) {
  auto db = memory_db();
  auto r = db.query("SELEC 1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::sql_error);
  EXPECT_NE(r.err().detail.find("syntax error"), std::string::npos);
  auto missing = db.query("SELECT * FROM nowhere");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.err().detail.find("no such table"), std::string::npos);
}

TEST(Connection, ReadOnlyAccessRefusesWritesBeforeRunningThem) {
  auto db = memory_db();
  ASSERT_TRUE(db.exec_script("CREATE TABLE t (x)"));
  auto write = db.query("INSERT INTO t VALUES (1)", {}, access::read_only);
  ASSERT_FALSE(write);
  EXPECT_EQ(write.err().code, errc::read_only);
  EXPECT_NE(write.err().message.find("--write"), std::string::npos);
  auto drop = db.query("DROP TABLE t", {}, access::read_only);
  ASSERT_FALSE(drop);
  EXPECT_EQ(drop.err().code, errc::read_only);
  auto count = db.query("SELECT count(*) FROM t", {}, access::read_only);
  ASSERT_TRUE(count);
  EXPECT_EQ(count->rows[0][0], value{std::int64_t{0}});
}

TEST(Connection, ReadOnlyAccessRefusesAttachAndSettingPragmas) {
  scratch_dir dir;
  auto db = memory_db();
  ASSERT_TRUE(db.exec_script("CREATE TABLE t (x); CREATE INDEX t_x ON t (x);"));
  const auto other = dir.file("other.db");
  auto attach = db.query("ATTACH '" + other.string() + "' AS other", {}, access::read_only);
  ASSERT_FALSE(attach);
  EXPECT_EQ(attach.err().code, errc::read_only);
  EXPECT_FALSE(std::filesystem::exists(other));
  for (const char* sql : {"PRAGMA foreign_keys = OFF", "PRAGMA user_version = 3", "REINDEX t",
                          "ANALYZE", "PRAGMA optimize"}) {
    auto r = db.query(sql, {}, access::read_only);
    ASSERT_FALSE(r) << sql;
    EXPECT_EQ(r.err().code, errc::read_only) << sql;
  }
  EXPECT_EQ(db.query("PRAGMA foreign_keys")->rows[0][0], value{std::int64_t{1}});
  for (const char* sql : {"PRAGMA table_info(t)", "PRAGMA user_version", "PRAGMA index_list('t')",
                          "SELECT name FROM pragma_table_info('t')"}) {
    EXPECT_TRUE(db.query(sql, {}, access::read_only)) << sql;
  }
  // The authorizer is gone afterwards: ordinary statements may write again.
  EXPECT_TRUE(db.execute("PRAGMA user_version = 3"));
}

TEST(Connection, ExtensionLoadingFromSqlIsRefused) {
  auto db = memory_db();
  auto r = db.query("SELECT load_extension('/nonexistent/vec0')");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::sql_error);
}

TEST(Connection, ExecuteBatchIsAllOrNothing) {
  auto db = memory_db();
  ASSERT_TRUE(db.exec_script("CREATE TABLE t (x INTEGER PRIMARY KEY)"));
  const std::vector<statement> batch{
      {"INSERT INTO t VALUES (?1)", {std::int64_t{1}}},
      {"INSERT INTO t VALUES (?1)", {std::int64_t{2}}},
      {"INSERT INTO t VALUES (?1)", {std::int64_t{1}}},  // primary key clash
  };
  auto r = db.execute_batch(batch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::sql_error);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.query("SELECT count(*) FROM t")->rows[0][0], value{std::int64_t{0}});

  const std::vector<statement> good{{"INSERT INTO t VALUES (?1)", {std::int64_t{1}}},
                                    {"INSERT INTO t VALUES (?1)", {std::int64_t{2}}}};
  ASSERT_TRUE(db.execute_batch(good));
  EXPECT_EQ(db.query("SELECT count(*) FROM t")->rows[0][0], value{std::int64_t{2}});
}

TEST(Connection, ExecuteBatchInsideATransactionRollsBackOnlyItself) {
  auto db = memory_db();
  ASSERT_TRUE(db.exec_script("CREATE TABLE t (x INTEGER PRIMARY KEY)"));
  ASSERT_TRUE(db.execute("BEGIN"));
  ASSERT_TRUE(db.execute("INSERT INTO t VALUES (10)"));
  const std::vector<statement> bad{{"INSERT INTO t VALUES (11)", {}},
                                   {"INSERT INTO t VALUES (10)", {}}};
  EXPECT_FALSE(db.execute_batch(bad));
  EXPECT_TRUE(db.in_transaction());
  ASSERT_TRUE(db.execute("COMMIT"));
  auto rows = db.query("SELECT x FROM t ORDER BY x");
  ASSERT_EQ(rows->rows.size(), 1U);
  EXPECT_EQ(rows->rows[0][0], value{std::int64_t{10}});
}

TEST(Connection, AtomicallyRollsBackWhenTheBodyThrows) {
  auto db = memory_db();
  ASSERT_TRUE(db.exec_script("CREATE TABLE t (x)"));
  bool inserted = false;
  auto body = [&]() -> result<void> {
    auto r = db.execute("INSERT INTO t VALUES (1)");
    if (!r) return fail(r.err());
    inserted = true;
    throw std::runtime_error("boom");
  };
  EXPECT_THROW((void)db.atomically(body), std::runtime_error);
  EXPECT_TRUE(inserted);
  EXPECT_FALSE(db.in_transaction());
  EXPECT_EQ(db.query("SELECT count(*) FROM t")->rows[0][0], value{std::int64_t{0}});
}

TEST(Connection, ExecScriptRunsSeveralStatements) {
  auto db = memory_db();
  ASSERT_TRUE(db.exec_script("CREATE TABLE a (x); CREATE TABLE b (y); INSERT INTO a VALUES (1);"));
  EXPECT_EQ(db.query("SELECT count(*) FROM a")->rows[0][0], value{std::int64_t{1}});
  auto bad = db.exec_script("CREATE TABLE c (z); CREATE TABLE a (x);");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.err().detail.find("already exists"), std::string::npos);
}

TEST(ConnectionOpen, MissingFileWithoutCreateIsNotFound) {
  scratch_dir dir;
  connection_options o;
  o.mode = open_mode::read_write;
  auto r = connection::open(dir.file("absent.db"), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::not_found);
  EXPECT_NE(r.err().message.find("patina init"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir.file("absent.db")));
}

TEST(ConnectionOpen, CreateInAMissingFolderIsNotFound) {
  scratch_dir dir;
  auto r = connection::open(dir.file("no/such/folder/p.db"));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::not_found);
}

TEST(ConnectionOpen, CreatesAFile) {
  scratch_dir dir;
  {
    auto db = connection::open(dir.file("new.db"));
    ASSERT_TRUE(db) << db.err().describe();
    ASSERT_TRUE(db->exec_script("CREATE TABLE t (x); INSERT INTO t VALUES (7);"));
  }
  connection_options o;
  o.mode = open_mode::read_only;
  auto db = connection::open(dir.file("new.db"), o);
  ASSERT_TRUE(db);
  EXPECT_EQ(db->query("SELECT x FROM t")->rows[0][0], value{std::int64_t{7}});
}

TEST(ConnectionOpen, NotADatabaseLeavesTheFileAlone) {
  scratch_dir dir;
  const auto file = dir.file("notes.txt");
  const std::string text(5000, 'x');
  write_bytes(file, "these are my notes, not a database\n" + text);
  const auto before = read_bytes(file);
  auto r = connection::open(file);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::not_a_database);
  EXPECT_NE(r.err().message.find("is not a Patina database (not a SQLite file)"), std::string::npos);
  EXPECT_NE(r.err().message.find("patina init"), std::string::npos);
  EXPECT_EQ(read_bytes(file), before);

  write_bytes(dir.file("short"), "SQLite");
  auto short_file = connection::open(dir.file("short"));
  ASSERT_FALSE(short_file);
  EXPECT_EQ(short_file.err().code, errc::not_a_database);

  auto folder = connection::open(dir.path());
  ASSERT_FALSE(folder);
  EXPECT_EQ(folder.err().code, errc::not_a_database);
}

// Whether another process could take SQLite's exclusive lock on `file` now (the
// byte range that readers share-lock, as SQLite lays it out on POSIX systems).
// Asked from a child: POSIX locks never conflict within one process.
bool another_process_could_lock_exclusively(const std::filesystem::path& file) {
  const pid_t child = ::fork();
  if (child == 0) {
    const int fd = ::open(file.c_str(), O_RDWR);
    struct flock probe {};
    probe.l_type = F_WRLCK;
    probe.l_whence = SEEK_SET;
    probe.l_start = 0x40000000 + 2;  // SQLite's shared-lock bytes: PENDING_BYTE + 2 ...
    probe.l_len = 510;               // ... for SHARED_SIZE bytes
    const bool free = fd >= 0 && ::fcntl(fd, F_GETLK, &probe) == 0 && probe.l_type == F_UNLCK;
    ::_exit(free ? 0 : 1);
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// SQLite's locks are POSIX advisory locks, which a process loses on *every* lock
// of a file as soon as it closes *any* descriptor of it. Opening a second
// connection must therefore not open and close the file behind SQLite's back:
// the first connection's shared lock would vanish, and another process closing
// its last connection would take the exclusive lock, checkpoint and delete the
// WAL under the first one (a scrape's concurrent searches saw a damaged file).
TEST(ConnectionOpen, ASecondConnectionKeepsTheFirstOnesLocks) {
  scratch_dir dir;
  const auto file = dir.file("locks.db");
  auto first = connection::open(file);
  ASSERT_TRUE(first) << first.err().describe();
  ASSERT_TRUE(first->enable_wal());
  ASSERT_TRUE(first->exec_script("CREATE TABLE t (x); INSERT INTO t VALUES (1);"));
  ASSERT_TRUE(first->query("SELECT count(*) FROM t"));
  // In WAL mode an open connection keeps its shared lock between transactions.
  ASSERT_FALSE(another_process_could_lock_exclusively(file));

  connection_options o;
  o.mode = open_mode::read_only;
  auto second = connection::open(file, o);
  ASSERT_TRUE(second) << second.err().describe();
  EXPECT_FALSE(another_process_could_lock_exclusively(file));
  auto third = connection::open(file);
  ASSERT_TRUE(third) << third.err().describe();
  EXPECT_FALSE(another_process_could_lock_exclusively(file));
}

TEST(ConnectionOpen, ForgedHeaderIsNotADatabaseOrCorrupt) {
  scratch_dir dir;
  const auto file = dir.file("forged.db");
  std::string bytes("SQLite format 3");
  bytes.push_back('\0');
  bytes.append(8192 - bytes.size(), '\x5a');
  write_bytes(file, bytes);
  auto r = connection::open(file);
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.err().code == errc::not_a_database || r.err().code == errc::corrupt_database)
      << r.err().describe();
  EXPECT_EQ(read_bytes(file), bytes);
}

TEST(ConnectionOpen, ReadOnlyRefusesWrites) {
  scratch_dir dir;
  ASSERT_TRUE(connection::open(dir.file("ro.db"))->exec_script("CREATE TABLE t (x)"));
  connection_options o;
  o.mode = open_mode::read_only;
  auto db = connection::open(dir.file("ro.db"), o).value();
  auto r = db.execute("INSERT INTO t VALUES (1)");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::read_only);
  EXPECT_TRUE(db.enable_wal());  // a no-op when read-only
  EXPECT_EQ(db.journal_mode().value(), "delete");
}

TEST(ConnectionOpen, WalIsEnabledOnRequest) {
  scratch_dir dir;
  auto db = connection::open(dir.file("wal.db")).value();
  ASSERT_TRUE(db.exec_script("CREATE TABLE t (x)"));
  ASSERT_TRUE(db.enable_wal());
  EXPECT_EQ(db.journal_mode().value(), "wal");
  EXPECT_EQ(db.query("PRAGMA foreign_keys")->rows[0][0], value{std::int64_t{1}});
  EXPECT_EQ(db.query("PRAGMA cache_size")->rows[0][0], value{std::int64_t{-262144}});
}

TEST(ConnectionOpen, LockedDatabaseIsBusy) {
  scratch_dir dir;
  auto holder = connection::open(dir.file("busy.db")).value();
  ASSERT_TRUE(holder.exec_script("CREATE TABLE t (x)"));
  ASSERT_TRUE(holder.execute("BEGIN IMMEDIATE"));
  connection_options o;
  o.busy_timeout = std::chrono::milliseconds(20);
  auto other = connection::open(dir.file("busy.db"), o).value();
  const std::vector<statement> batch{{"INSERT INTO t VALUES (1)", {}}};
  auto r = other.execute_batch(batch);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::busy);
  EXPECT_NE(r.err().message.find("locked"), std::string::npos);
  ASSERT_TRUE(holder.execute("ROLLBACK"));
  EXPECT_TRUE(other.execute_batch(batch));
}

TEST(ConnectionOpen, IntegrityCheckReportsCorruption) {
  scratch_dir dir;
  const auto file = dir.file("damaged.db");
  {
    auto db = connection::open(file).value();
    ASSERT_TRUE(db.exec_script("PRAGMA page_size = 4096; CREATE TABLE t (x TEXT); BEGIN;"));
    for (int i = 0; i < 200; ++i) {
      const std::vector<value> p{std::string(100, static_cast<char>('a' + i % 26))};
      ASSERT_TRUE(db.execute("INSERT INTO t VALUES (?1)", p));
    }
    ASSERT_TRUE(db.exec_script("COMMIT"));
  }
  test::scramble_pages_after_first(file, 4096);
  const auto before = read_bytes(file);
  auto db = connection::open(file);
  if (db) {
    auto check = db->verify_integrity();
    ASSERT_FALSE(check);
    EXPECT_EQ(check.err().code, errc::corrupt_database);
    EXPECT_NE(check.err().message.find("damaged"), std::string::npos);
  } else {
    EXPECT_EQ(db.err().code, errc::corrupt_database);
  }
  EXPECT_EQ(read_bytes(file), before);
}

TEST(ConnectionOpen, MovedConnectionKeepsWorking) {
  auto a = memory_db();
  ASSERT_TRUE(a.exec_script("CREATE TABLE t (x); INSERT INTO t VALUES (3);"));
  ASSERT_TRUE(a.query("SELECT x FROM t"));  // cached statement travels along
  connection b = std::move(a);
  EXPECT_EQ(b.query("SELECT x FROM t")->rows[0][0], value{std::int64_t{3}});
  auto c = memory_db();
  c = std::move(b);
  EXPECT_EQ(c.query("SELECT x FROM t")->rows[0][0], value{std::int64_t{3}});
}

}  // namespace
}  // namespace patina::db::detail
