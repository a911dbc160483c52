// Schema migrations, version checks and patina_meta, on the shared layer.
#include "db/common/schema.hpp"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "patina/db/transaction.hpp"
#include "db_test_support.hpp"

namespace patina::db::detail {
namespace {

using test::read_bytes;
using test::scratch_dir;

std::set<std::string> table_names(connection& db) {
  std::set<std::string> names;
  auto rows = db.query("SELECT name FROM sqlite_schema WHERE type = 'table'").value();
  for (const auto& row : rows.rows) names.insert(std::get<std::string>(row[0]));
  return names;
}

TEST(Schema, MigrationsAreOrderedAndStartAtOne) {
  const auto list = migrations();
  ASSERT_FALSE(list.empty());
  EXPECT_EQ(list.front().version, 1);
  for (std::size_t i = 1; i < list.size(); ++i) EXPECT_EQ(list[i].version, list[i - 1].version + 1);
  EXPECT_EQ(latest_schema_version(), list.back().version);
}

TEST(Schema, FreshDatabaseIsMigratedToTheLatestVersion) {
  auto db = connection::open(":memory:").value();
  EXPECT_EQ(read_schema_version(db).value(), 0);
  EXPECT_EQ(apply_migrations(db).value(), latest_schema_version());
  EXPECT_EQ(read_schema_version(db).value(), latest_schema_version());
  const auto names = table_names(db);
  for (const char* t : {"patina_schema", "patina_meta", "beliefs", "observations", "embeddings"}) {
    EXPECT_TRUE(names.count(t)) << t;
  }
  auto applied = db.query("SELECT version, applied_at FROM patina_schema").value();
  ASSERT_EQ(applied.rows.size(), static_cast<std::size_t>(latest_schema_version()));
  EXPECT_GT(std::get<std::int64_t>(applied.rows[0][1]), 1'600'000'000'000);  // unix ms
  // Applying again changes nothing.
  EXPECT_EQ(apply_migrations(db).value(), latest_schema_version());
  EXPECT_EQ(db.query("SELECT count(*) FROM patina_schema")->rows[0][0],
            value{std::int64_t{latest_schema_version()}});
}

TEST(Schema, ConstraintsHold) {
  auto db = connection::open(":memory:").value();
  ASSERT_TRUE(apply_migrations(db));
  auto bad_type = db.execute(
      "INSERT INTO observations (id, content, obs_type, created_at, updated_at) "
      "VALUES (1, 'x', 'gossip', 0, 0)");
  ASSERT_FALSE(bad_type);
  EXPECT_NE(bad_type.err().detail.find("CHECK constraint failed"), std::string::npos);
  auto bad_confidence = db.execute(
      "INSERT INTO beliefs (id, statement, confidence, created_at, updated_at) "
      "VALUES (1, 'x', 1.5, 0, 0)");
  ASSERT_FALSE(bad_confidence);
  ASSERT_TRUE(db.execute(
      "INSERT INTO beliefs (id, statement, confidence, created_at, updated_at) "
      "VALUES (9007199254740993, 'big ids fit', 0.5, 1, 2)"));
  auto row = db.query("SELECT id, active FROM beliefs").value();
  EXPECT_EQ(row.rows[0][0], value{std::int64_t{9007199254740993}});
  EXPECT_EQ(row.rows[0][1], value{std::int64_t{1}});
}

TEST(Schema, MetaReadsAndOverwrites) {
  auto db = connection::open(":memory:").value();
  ASSERT_TRUE(apply_migrations(db));
  EXPECT_FALSE(read_meta(db, "embedding_model").value().has_value());
  ASSERT_TRUE(write_meta(db, "embedding_model", "use-lite"));
  ASSERT_TRUE(write_meta(db, "embedding_model", "hashing-512"));
  EXPECT_EQ(read_meta(db, "embedding_model").value(), std::optional<std::string>("hashing-512"));
}

TEST(Schema, NewerDatabaseIsRefusedAndLeftAlone) {
  scratch_dir dir;
  const auto file = dir.file("future.db");
  {
    auto db = connection::open(file).value();
    ASSERT_TRUE(prepare_schema(db));
    const std::vector<value> row{std::int64_t{latest_schema_version() + 5}, std::int64_t{0}};
    ASSERT_TRUE(db.execute("INSERT INTO patina_schema VALUES (?1, ?2)", row));
  }
  const auto before = read_bytes(file);
  auto db = connection::open(file).value();
  auto r = prepare_schema(db);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::schema_too_new);
  const std::string expected = "written by a newer Patina (schema v" +
                               std::to_string(latest_schema_version() + 5) + ", this build knows v" +
                               std::to_string(latest_schema_version()) + "); upgrade Patina";
  EXPECT_NE(r.err().message.find(expected), std::string::npos) << r.err().message;
  EXPECT_EQ(apply_migrations(db).err().code, errc::schema_too_new);
  EXPECT_EQ(read_bytes(file), before);
}

TEST(Schema, PrepareSwitchesFilesToWal) {
  scratch_dir dir;
  auto db = connection::open(dir.file("p.db")).value();
  EXPECT_EQ(prepare_schema(db).value(), latest_schema_version());
  EXPECT_EQ(db.journal_mode().value(), "wal");
}

TEST(Schema, ForeignDatabaseIsRefusedAndLeftAlone) {
  scratch_dir dir;
  const auto file = dir.file("someone-else.db");
  ASSERT_TRUE(connection::open(file)->exec_script("CREATE TABLE orders (id INTEGER PRIMARY KEY)"));
  const auto before = read_bytes(file);
  auto db = connection::open(file).value();
  auto r = prepare_schema(db);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::not_a_database);
  EXPECT_NE(r.err().message.find("not a Patina one"), std::string::npos);
  EXPECT_EQ(read_bytes(file), before);
}

TEST(Schema, CorruptDatabaseIsRefusedBeforeAnyWrite) {
  scratch_dir dir;
  const auto file = dir.file("old-journal.db");
  {
    auto db = connection::open(file).value();
    ASSERT_TRUE(db.exec_script("PRAGMA page_size = 4096"));
    ASSERT_TRUE(apply_migrations(db));  // no WAL: opening again will want to write
    auto tx = transaction::begin(db).value();
    for (std::int64_t i = 1; i <= 300; ++i) {
      const std::vector<value> p{i, std::string(200, 'n')};
      ASSERT_TRUE(db.execute(
          "INSERT INTO observations (id, content, obs_type, created_at, updated_at) "
          "VALUES (?1, ?2, 'note', 0, 0)",
          p));
    }
    tx.commit();
  }
  // Damage only the last pages (observation rows): the schema and version still read.
  auto bytes = read_bytes(file);
  ASSERT_GT(bytes.size(), 8U * 4096U);
  for (std::size_t i = bytes.size() - 4 * 4096; i < bytes.size(); ++i) bytes[i] = '\x11';
  test::write_bytes(file, bytes);

  auto db = connection::open(file);
  ASSERT_TRUE(db) << db.err().describe();
  auto r = prepare_schema(*db);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::corrupt_database);
  EXPECT_EQ(read_bytes(file), bytes);
}

TEST(Schema, ReadOnlyConnectionIsOnlyChecked) {
  scratch_dir dir;
  const auto file = dir.file("ro.db");
  ASSERT_TRUE(connection::open(file)->exec_script("SELECT 1"));  // empty database file
  connection_options o;
  o.mode = open_mode::read_only;
  auto db = connection::open(file, o).value();
  EXPECT_EQ(prepare_schema(db).value(), 0);
}

}  // namespace
}  // namespace patina::db::detail
