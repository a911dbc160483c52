/// @file
/// patina/db/transaction.hpp — RAII transaction on a SQLite-format connection.
///
/// A `transaction` is opened by a database (e.g. `SqliteDatabase::begin_transaction`)
/// and is either committed explicitly or rolled back when it goes out of scope,
/// including when an exception unwinds through it. Committing or rolling back a
/// transaction that is already finished is `errc::transaction_state`. The destructor
/// never throws.
///
/// Only one transaction can be open per connection; statements run through the
/// database while it is open are part of it (atomic operations such as
/// `execute_batch` nest as savepoints).
///
/// Thread safety: use a transaction on the thread that uses its database. It must
/// not outlive the database it was opened on.
#pragma once

#include "patina/core/result.hpp"

namespace patina::db {

namespace detail {
class connection;
}  // namespace detail

/// A write transaction on one connection (RAII): rolled back when destroyed
/// unless commit() succeeded. Movable, not copyable.
///
/// Thread safety: none; use it on the thread that owns its connection.
class transaction {
 public:
  /// When the transaction takes the write lock.
  enum class kind {
    deferred,   ///< BEGIN: takes the write lock at the first write
    immediate,  ///< BEGIN IMMEDIATE: takes the write lock now (for writers)
  };

  /// Opens a transaction on `conn`. Errors: transaction_state if one is already
  /// open on the connection, busy if the write lock stays taken past the timeout.
  /// REQUIRES: `conn` outlives the transaction and is not moved meanwhile.
  static result<transaction> begin(detail::connection& conn, kind k = kind::immediate);

  /// Takes over `other`'s open transaction; `other` is left finished.
  transaction(transaction&& other) noexcept;
  /// Rolls back this transaction if open, then takes over `other`'s.
  transaction& operator=(transaction&& other) noexcept;
  transaction(const transaction&) = delete;
  transaction& operator=(const transaction&) = delete;
  /// Rolls back unless committed; never throws.
  ~transaction();

  /// Makes the changes permanent. On failure (busy, disk full) the transaction is
  /// rolled back and finished. Errors: transaction_state if already finished.
  result<void> try_commit();
  /// Throwing form of try_commit(): returns the value, throws patina::exception on failure.
  void commit() { try_commit().value(); }

  /// Discards the changes. Errors: transaction_state if already finished.
  result<void> try_rollback();
  /// Throwing form of try_rollback(): returns the value, throws patina::exception on failure.
  void rollback() { try_rollback().value(); }

  /// True until commit or rollback.
  bool active() const noexcept { return state_ == state::active; }

 private:
  enum class state { active, committed, rolled_back, moved_from };

  explicit transaction(detail::connection& conn) noexcept : conn_(&conn) {}
  result<void> require_active(const char* operation) const;

  detail::connection* conn_ = nullptr;
  state state_ = state::active;
};

}  // namespace patina::db
