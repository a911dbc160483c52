// Turso's vector SQL on stock SQLite: a table of expressions with the results and
// error messages measured on the Turso server 0.7.0, plus hostile blobs.
#include "db/turso/vector_functions.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "sql_eval.hpp"
#include "vector_sql_cases.hpp"

namespace {

using patina::test::eval;
using patina::test::evaluation;
using patina::test::raw_db;
namespace vector_sql = patina::test::vector_sql;

class VectorFunctions : public ::testing::Test {
 protected:
  raw_db db_ = raw_db::open_memory_with_vector_functions();
};

TEST_F(VectorFunctions, TextAndBlobResultsMatchTheServer) {
  for (const auto& c : vector_sql::text_cases) {
    const evaluation got = eval(db_.get(), c.sql);
    EXPECT_TRUE(got.ok) << c.sql << " failed: " << got.error;
    EXPECT_EQ(got.text, c.expected) << c.sql;
  }
}

TEST_F(VectorFunctions, ErrorsCarryTheServersMessages) {
  for (const auto& c : vector_sql::error_cases) {
    const evaluation got = eval(db_.get(), c.sql);
    EXPECT_FALSE(got.ok) << c.sql << " gave " << got.text;
    EXPECT_EQ(got.error, c.message) << c.sql;
  }
}

TEST_F(VectorFunctions, DistancesMatchTheServer) {
  for (const auto& c : vector_sql::real_cases) {
    const evaluation got = eval(db_.get(), c.sql);
    ASSERT_TRUE(got.ok) << c.sql << " failed: " << got.error;
    ASSERT_EQ(got.type, SQLITE_FLOAT) << c.sql;
    EXPECT_NEAR(got.real, c.expected, c.tolerance) << c.sql;
  }
  // The server answers -0.0 for the dot product of empty vectors.
  const evaluation empty_dot = eval(db_.get(), "SELECT vector_distance_dot(vector('[]'),vector('[]'))");
  ASSERT_TRUE(empty_dot.ok);
  EXPECT_EQ(empty_dot.real, 0.0);
  EXPECT_TRUE(std::signbit(empty_dot.real));
}

TEST_F(VectorFunctions, WrongArgumentCountIsRefusedAtPrepare) {
  const evaluation got = eval(db_.get(), "SELECT vector32('[1,2]', 3)");
  EXPECT_FALSE(got.ok);
  EXPECT_EQ(got.error, "wrong number of arguments to function vector32()");
}

TEST_F(VectorFunctions, QueryVectorCachedAcrossRowsGivesPerRowResults) {
  // A scan where one argument is constant (cached between rows) and the other varies.
  ASSERT_TRUE(eval(db_.get(), "CREATE TABLE t(id INTEGER PRIMARY KEY, e BLOB)").ok);
  ASSERT_TRUE(eval(db_.get(),
                   "INSERT INTO t VALUES (1, vector('[1,0]')), (2, vector('[0,1]')), "
                   "(3, vector('[1,1]')), (4, vector('[0,0]'))")
                  .ok);
  const evaluation got = eval(db_.get(),
                              "SELECT group_concat(id || ':' || round(vector_distance_cos(e, "
                              "vector32('[1,0]')), 4), ' ') FROM (SELECT * FROM t ORDER BY id)");
  ASSERT_TRUE(got.ok) << got.error;
  EXPECT_EQ(got.text, "1:0.0 2:1.0 3:0.2929 4:1.0");
  // Both arguments vary per row.
  const evaluation pairs =
      eval(db_.get(),
           "SELECT group_concat(round(vector_distance_l2(a.e, b.e), 4), ' ') FROM t a JOIN t b "
           "ON b.id = a.id % 4 + 1");
  ASSERT_TRUE(pairs.ok) << pairs.error;
  EXPECT_EQ(pairs.text, "1.4142 1.0 1.4142 1.0");
}

TEST_F(VectorFunctions, RandomBlobsNeverCrash) {
  std::mt19937 rng(20240521);
  std::uniform_int_distribution<int> byte(0, 255);
  const char* templates[] = {"SELECT vector_extract(?1)", "SELECT vector32(?1)", "SELECT vector64(?1)",
                             "SELECT vector_distance_cos(?1, ?1)", "SELECT vector_distance_l2(?1, ?1)",
                             "SELECT vector_distance_dot(?1, vector32(?1))"};
  int errors = 0;
  int successes = 0;
  for (int round = 0; round < 3000; ++round) {
    std::vector<unsigned char> blob(static_cast<std::size_t>(round % 48));
    for (auto& b : blob) b = static_cast<unsigned char>(byte(rng));
    // Steer the last byte to the known type tags half of the time.
    if (!blob.empty() && round % 2 == 0) {
      constexpr unsigned char tags[] = {1, 2, 3, 4, 9};
      blob.back() = tags[round % 5];
    }
    for (const char* sql : templates) {
      const evaluation got = patina::test::eval_blob(db_.get(), sql, blob);
      (got.ok ? successes : errors) += 1;
      if (!got.ok) {
        EXPECT_FALSE(got.error.empty()) << sql;
      }
    }
  }
  // Both outcomes occur: the generator reaches valid and invalid encodings.
  EXPECT_GT(errors, 0);
  EXPECT_GT(successes, 0);
}

}  // namespace
