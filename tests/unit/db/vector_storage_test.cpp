// Recognising which build wrote a database file (db/common/vector_storage), with
// real files of both layouts: vec0 tables made by sqlite-vec loaded at run time, and
// the Turso build's ordinary vector tables.
#include "db/common/vector_storage.hpp"

#include <gtest/gtest.h>

#include <string>

#include "build_format_fixtures.hpp"
#include "db/common/schema.hpp"
#include "db_test_support.hpp"

namespace patina::db::detail {
namespace {

using test::read_bytes;
using test::scratch_dir;

TEST(VectorStorage, FreshDatabaseHasNoVectorTablesAndOpensInEitherBuild) {
  scratch_dir dir;
  auto db = connection::open(dir.file("fresh.db")).value();
  ASSERT_TRUE(prepare_schema(db));
  EXPECT_EQ(detect_vector_storage(db).value(), vector_storage::none);
  EXPECT_TRUE(check_vector_storage(db, vector_storage::vec0));
  EXPECT_TRUE(check_vector_storage(db, vector_storage::vector32));
}

TEST(VectorStorage, SqliteBuildFileIsRefusedByTheTursoBuildAndLeftAlone) {
  scratch_dir dir;
  const auto file = dir.file("sqlite-build.db");
  patina::test::make_sqlite_build_database(file);
  const auto before = read_bytes(file);
  {
    // Without sqlite-vec loaded, as the Turso build opens it.
    auto db = connection::open(file).value();
    EXPECT_EQ(detect_vector_storage(db).value(), vector_storage::vec0);
    EXPECT_TRUE(check_vector_storage(db, vector_storage::vec0));
    auto refused = check_vector_storage(db, vector_storage::vector32);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.err().code, errc::unsupported);
    const auto& message = refused.err().message;
    EXPECT_NE(message.find("written by the SQLite build"), std::string::npos) << message;
    EXPECT_NE(message.find("`patina migrate --from " + file.string() + "`"), std::string::npos) << message;
  }
  EXPECT_EQ(read_bytes(file), before);
}

TEST(VectorStorage, TursoBuildFileIsRefusedByTheSqliteBuildAndLeftAlone) {
  scratch_dir dir;
  const auto file = dir.file("turso-build.db");
  patina::test::make_turso_build_database(file);
  const auto before = read_bytes(file);
  {
    auto db = connection::open(file).value();
    EXPECT_EQ(detect_vector_storage(db).value(), vector_storage::vector32);
    EXPECT_TRUE(check_vector_storage(db, vector_storage::vector32));
    auto refused = check_vector_storage(db, vector_storage::vec0);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.err().code, errc::unsupported);
    EXPECT_NE(refused.err().message.find("written by the Turso build"), std::string::npos) << refused.err().message;
    EXPECT_NE(refused.err().message.find("open it with the Turso build"), std::string::npos);
  }
  EXPECT_EQ(read_bytes(file), before);
}

TEST(VectorStorage, ChangeCountersAloneMarkTheTursoLayout) {
  auto db = connection::open(":memory:").value();
  ASSERT_TRUE(apply_migrations(db));
  ASSERT_TRUE(db.exec_script("CREATE TABLE patina_vector_generation (name TEXT PRIMARY KEY, generation INTEGER)"));
  EXPECT_EQ(detect_vector_storage(db).value(), vector_storage::vector32);
}

}  // namespace
}  // namespace patina::db::detail
