// The embedded replica's durable records (no server): metadata, saved changes, the
// base fingerprint, the inter-process lock; and remote mode's write detection.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <random>

#include "db/turso/sync/remote_database.hpp"
#include "db/turso/sync/replica.hpp"
#include "db/turso/sync/replica_files.hpp"

namespace patina::db::turso::sync {
namespace {

namespace fs = std::filesystem;

class ReplicaFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("patina-replica-files-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  void write(const fs::path& p, const std::string& bytes) {
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  fs::path dir_;
};

TEST_F(ReplicaFiles, MetadataRoundTripsAndDamageIsReported) {
  const auto file = dir_ / "patina.db.sync";
  auto absent = read_metadata(file);
  ASSERT_TRUE(absent);
  EXPECT_FALSE(*absent);

  replica_metadata m;
  m.client_id = new_client_id();
  m.server = "https://example.turso.io";
  m.synced_revision = "1234";
  m.pull_gen = 7;
  m.phase = replica_phase::replaying;
  m.base.size = 4096 * 3;
  m.base.mtime_ns = 1700000000123456789;
  m.base.hash = "00112233445566778899aabbccddeeff";
  ASSERT_TRUE(write_metadata(file, m));
  auto back = read_metadata(file);
  ASSERT_TRUE(back && *back);
  EXPECT_EQ((*back)->client_id, m.client_id);
  EXPECT_EQ((*back)->server, m.server);
  EXPECT_EQ((*back)->synced_revision, "1234");
  EXPECT_EQ((*back)->pull_gen, 7);
  EXPECT_EQ((*back)->phase, replica_phase::replaying);
  EXPECT_EQ((*back)->base.size, m.base.size);
  EXPECT_EQ((*back)->base.mtime_ns, m.base.mtime_ns);
  EXPECT_EQ((*back)->base.hash, m.base.hash);
  EXPECT_FALSE(fs::exists(dir_ / "patina.db.sync.tmp"));

  write(file, "{\"format\": 1, \"client_id\": 3}");
  auto damaged = read_metadata(file);
  ASSERT_FALSE(damaged);
  EXPECT_EQ(damaged.err().code, errc::corrupt_database);
  write(file, "not json at all");
  EXPECT_EQ(read_metadata(file).err().code, errc::corrupt_database);
}

TEST_F(ReplicaFiles, ClientIdsAreUuids) {
  const auto a = new_client_id();
  const auto b = new_client_id();
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 7u + 36u);
  EXPECT_EQ(a.substr(0, 7), "patina-");
  EXPECT_EQ(a[7 + 14], '4') << "version 4";
  EXPECT_NE(std::string("89ab").find(a[7 + 19]), std::string::npos) << "RFC 4122 variant";
}

TEST_F(ReplicaFiles, PendingChangesRoundTripEveryValueType) {
  std::vector<row_statement> rows(2);
  rows[0].change_id = 41;
  rows[0].statement.sql = "INSERT INTO \"t\" (\"a\", \"b\", \"c\", \"d\", \"e\") VALUES (?1, ?2, ?3, ?4, ?5)";
  rows[0].statement.params = {value{}, value{std::int64_t{-9223372036854775807 - 1}}, value{-0.25},
                              value{std::string("žluťoučký 🐴")}, value{db::blob{0, 1, 0xff}}};
  rows[1].change_id = 42;
  rows[1].statement.sql = "DELETE FROM \"t\" WHERE \"id\" = ?1";
  rows[1].statement.params = {value{std::int64_t{9223372036854775807}}};
  const auto file = dir_ / "patina.db.pending";
  ASSERT_TRUE(write_pending(file, rows));
  auto back = read_pending(file);
  ASSERT_TRUE(back) << back.err().describe();
  ASSERT_EQ(back->size(), 2u);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ((*back)[i].change_id, rows[i].change_id);
    EXPECT_EQ((*back)[i].statement.sql, rows[i].statement.sql);
    EXPECT_EQ((*back)[i].statement.params, rows[i].statement.params);
  }
  // A flipped byte or a cut file is refused, never half-read.
  std::ifstream in(file, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  bytes[bytes.size() - 3] = static_cast<char>(bytes[bytes.size() - 3] ^ 0x40);
  write(file, bytes);
  EXPECT_EQ(read_pending(file).err().code, errc::corrupt_database);
  write(file, bytes.substr(0, bytes.size() / 2));
  EXPECT_EQ(read_pending(file).err().code, errc::corrupt_database);
}

TEST_F(ReplicaFiles, TheFingerprintSeesAnyChange) {
  const auto file = dir_ / "patina.db";
  write(file, std::string(10000, 'a'));
  auto first = fingerprint_file(file);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->size, 10000u);
  EXPECT_EQ(first->hash.size(), 32u);
  auto same = looks_unchanged(file, *first);
  ASSERT_TRUE(same);
  EXPECT_TRUE(*same);
  std::string changed(10000, 'a');
  changed[5000] = 'b';
  write(file, changed);
  auto second = fingerprint_file(file);
  ASSERT_TRUE(second);
  EXPECT_NE(second->hash, first->hash);
}

TEST_F(ReplicaFiles, TheLockIsExclusiveOnlyWhenNobodyElseHoldsIt) {
  const auto file = dir_ / "patina.db.lock";
  auto one = replica_lock::acquire_shared(file, std::chrono::milliseconds(100));
  ASSERT_TRUE(one);
  auto acquired = replica_lock::acquire_shared(file, std::chrono::milliseconds(100));
  ASSERT_TRUE(acquired);
  std::optional<replica_lock> two(std::move(*acquired));
  auto refused = one->make_exclusive();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.err().code, errc::busy);
  // After the failed attempt the first still holds its shared lock: the second
  // cannot become exclusive either.
  EXPECT_FALSE(two->make_exclusive());
  two.reset();
  EXPECT_TRUE(one->make_exclusive());
  auto waits = replica_lock::acquire_shared(file, std::chrono::milliseconds(50));
  ASSERT_FALSE(waits);
  EXPECT_EQ(waits.err().code, errc::busy);
  EXPECT_TRUE(one->make_shared());
  EXPECT_TRUE(replica_lock::acquire_shared(file, std::chrono::milliseconds(50)));
}

TEST(RevisionOrder, OnlyNumbersCompare) {
  EXPECT_TRUE(revision_went_back("120", "40"));
  EXPECT_FALSE(revision_went_back("40", "120"));
  EXPECT_FALSE(revision_went_back("40", "40"));
  EXPECT_FALSE(revision_went_back("page:4", "3"));
  EXPECT_FALSE(revision_went_back("", "3"));
}

TEST(PushedFloor, FollowsThePullGeneration) {
  EXPECT_EQ(pushed_floor(std::nullopt, 3).value(), 0);
  EXPECT_EQ(pushed_floor(high_water{2, 99}, 3).value(), 0) << "pushed in an older generation: all is new";
  EXPECT_EQ(pushed_floor(high_water{3, 17}, 3).value(), 17);
  EXPECT_EQ(pushed_floor(high_water{4, 1}, 3).err().code, errc::protocol_error);
}

TEST(MayWrite, RecognisesStatementsThatChangeTheDatabase) {
  for (const char* sql : {"SELECT 1", "  select * from t", "-- c\n/* d */ VALUES (1)", "EXPLAIN SELECT 1",
                          "WITH x AS (SELECT 1) SELECT * FROM x", "PRAGMA table_info(t)", "(SELECT 1)"}) {
    EXPECT_FALSE(may_write(sql)) << sql;
  }
  for (const char* sql : {"INSERT INTO t VALUES (1)", "update t set a = 1", "DELETE FROM t", "CREATE TABLE x (a)",
                          "DROP TABLE t", "WITH x AS (SELECT 1) DELETE FROM t", "PRAGMA user_version = 3",
                          "BEGIN", "ATTACH 'x' AS y", "REPLACE INTO t VALUES (1)"}) {
    EXPECT_TRUE(may_write(sql)) << sql;
  }
  EXPECT_FALSE(may_write("WITH x AS (SELECT 'DELETE') SELECT * FROM x")) << "quoted words do not count";
}

}  // namespace
}  // namespace patina::db::turso::sync
