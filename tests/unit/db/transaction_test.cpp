// patina::db::transaction over the shared connection layer.
#include "patina/db/transaction.hpp"

#include <gtest/gtest.h>

#include <stdexcept>

#include "db/common/connection.hpp"

namespace patina::db {
namespace {

using detail::connection;

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(db_.exec_script("CREATE TABLE t (x INTEGER PRIMARY KEY)")); }
  std::int64_t count() { return std::get<std::int64_t>(db_.query("SELECT count(*) FROM t")->rows[0][0]); }
  void insert(std::int64_t x) { db_.execute("INSERT INTO t VALUES (?1)", std::vector<value>{x}).value(); }

  connection db_ = connection::open(":memory:").value();
};

TEST_F(TransactionTest, CommitKeepsChanges) {
  auto tx = transaction::begin(db_).value();
  EXPECT_TRUE(tx.active());
  EXPECT_TRUE(db_.in_transaction());
  insert(1);
  ASSERT_TRUE(tx.try_commit());
  EXPECT_FALSE(tx.active());
  EXPECT_FALSE(db_.in_transaction());
  EXPECT_EQ(count(), 1);
}

TEST_F(TransactionTest, DestructorRollsBack) {
  {
    auto tx = transaction::begin(db_).value();
    insert(1);
  }
  EXPECT_FALSE(db_.in_transaction());
  EXPECT_EQ(count(), 0);
}

TEST_F(TransactionTest, ExceptionUnwindingRollsBack) {
  auto work = [&] {
    auto tx = transaction::begin(db_).value();
    insert(1);
    insert(2);
    throw std::runtime_error("failed half way");
  };
  EXPECT_THROW(work(), std::runtime_error);
  EXPECT_FALSE(db_.in_transaction());
  EXPECT_EQ(count(), 0);
}

TEST_F(TransactionTest, CommitTwiceIsAnError) {
  auto tx = transaction::begin(db_).value();
  insert(1);
  tx.commit();
  auto again = tx.try_commit();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.err().code, errc::transaction_state);
  EXPECT_NE(again.err().message.find("already committed"), std::string::npos);
  try {
    tx.commit();
    FAIL() << "commit() twice must throw";
  } catch (const exception& e) {
    EXPECT_EQ(e.code(), errc::transaction_state);
  }
  EXPECT_EQ(count(), 1);
}

TEST_F(TransactionTest, CommitAfterRollbackIsAnError) {
  auto tx = transaction::begin(db_).value();
  insert(1);
  ASSERT_TRUE(tx.try_rollback());
  EXPECT_EQ(count(), 0);
  auto commit = tx.try_commit();
  ASSERT_FALSE(commit);
  EXPECT_EQ(commit.err().code, errc::transaction_state);
  EXPECT_NE(commit.err().message.find("rolled back"), std::string::npos);
  auto rollback = tx.try_rollback();
  ASSERT_FALSE(rollback);
  EXPECT_EQ(rollback.err().code, errc::transaction_state);
}

TEST_F(TransactionTest, OnlyOneAtATime) {
  auto tx = transaction::begin(db_).value();
  auto second = transaction::begin(db_);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.err().code, errc::transaction_state);
  EXPECT_TRUE(tx.active());
}

TEST_F(TransactionTest, MovedTransactionOwnsTheWork) {
  auto tx = transaction::begin(db_).value();
  insert(1);
  transaction other = std::move(tx);
  EXPECT_FALSE(tx.active());  // NOLINT(bugprone-use-after-move): checking the moved-from state
  EXPECT_EQ(tx.try_commit().err().code, errc::transaction_state);
  EXPECT_TRUE(db_.in_transaction());
  other.commit();
  EXPECT_EQ(count(), 1);
}

TEST_F(TransactionTest, MoveAssignmentRollsBackTheOverwrittenOne) {
  auto tx = transaction::begin(db_).value();
  insert(1);
  auto empty = transaction::begin(db_);  // refused: one is open
  ASSERT_FALSE(empty);
  {
    auto replaced = std::move(tx);
    tx = std::move(replaced);  // back again: still the same open transaction
  }
  EXPECT_TRUE(tx.active());
  auto other_db = connection::open(":memory:").value();
  tx = transaction::begin(other_db).value();  // the first one is rolled back
  EXPECT_FALSE(db_.in_transaction());
  EXPECT_EQ(count(), 0);
  tx.rollback();
}

TEST_F(TransactionTest, BatchesNestAsSavepoints) {
  auto tx = transaction::begin(db_).value();
  insert(1);
  const std::vector<statement> ok{{"INSERT INTO t VALUES (2)", {}}};
  ASSERT_TRUE(db_.execute_batch(ok));
  const std::vector<statement> bad{{"INSERT INTO t VALUES (3)", {}}, {"INSERT INTO t VALUES (1)", {}}};
  ASSERT_FALSE(db_.execute_batch(bad));
  EXPECT_TRUE(tx.active());
  tx.commit();
  EXPECT_EQ(count(), 2);
}

TEST_F(TransactionTest, DeferredTransactionsWork) {
  auto tx = transaction::begin(db_, transaction::kind::deferred).value();
  insert(5);
  tx.commit();
  EXPECT_EQ(count(), 1);
}

}  // namespace
}  // namespace patina::db
