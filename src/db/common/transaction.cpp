#include "patina/db/transaction.hpp"

#include <string>
#include <utility>

#include "db/common/connection.hpp"

namespace patina::db {

result<transaction> transaction::begin(detail::connection& conn, kind k) {
  if (conn.in_transaction()) {
    return fail(errc::transaction_state,
                "a transaction is already open on this database; commit or roll it back first");
  }
  auto begun = conn.execute(k == kind::immediate ? "BEGIN IMMEDIATE" : "BEGIN");
  if (!begun) return fail(begun.err());
  return transaction(conn);
}

transaction::transaction(transaction&& other) noexcept
    : conn_(std::exchange(other.conn_, nullptr)),
      state_(std::exchange(other.state_, state::moved_from)) {}

transaction& transaction::operator=(transaction&& other) noexcept {
  if (this == &other) return *this;
  if (state_ == state::active) conn_->rollback_quietly();
  conn_ = std::exchange(other.conn_, nullptr);
  state_ = std::exchange(other.state_, state::moved_from);
  return *this;
}

transaction::~transaction() {
  if (state_ == state::active) conn_->rollback_quietly();
}

result<void> transaction::require_active(const char* operation) const {
  switch (state_) {
    case state::active: return {};
    case state::committed:
      return fail(errc::transaction_state,
                  std::string(operation) + " on a transaction that was already committed");
    case state::rolled_back:
      return fail(errc::transaction_state,
                  std::string(operation) + " on a transaction that was already rolled back");
    case state::moved_from: break;
  }
  return fail(errc::transaction_state,
              std::string(operation) + " on a transaction that was moved from");
}

result<void> transaction::try_commit() {
  if (auto ok = require_active("commit()"); !ok) return ok;
  if (!conn_->in_transaction()) {
    // Some errors (disk full, I/O) make SQLite roll the whole transaction back.
    state_ = state::rolled_back;
    return fail(errc::transaction_state,
                "commit() on a transaction that SQLite already rolled back after an error; "
                "nothing was written");
  }
  auto done = conn_->execute("COMMIT");
  if (!done) {
    conn_->rollback_quietly();
    state_ = state::rolled_back;
    return fail(done.err());
  }
  state_ = state::committed;
  return {};
}

result<void> transaction::try_rollback() {
  if (auto ok = require_active("rollback()"); !ok) return ok;
  state_ = state::rolled_back;
  if (!conn_->in_transaction()) return {};
  auto done = conn_->execute("ROLLBACK");
  if (!done) return fail(done.err());
  return {};
}

}  // namespace patina::db
