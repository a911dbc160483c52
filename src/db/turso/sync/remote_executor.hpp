// db/turso/sync/remote_executor.hpp — runs Patina's statements on a Turso server
// (remote mode): the piece `TursoDatabase::open_remote` delegates to.
//
// Each operation is one HTTP request holding one Hrana batch shaped so that it cannot
// disturb, or be disturbed by, the server's single shared connection:
//   * query/execute run their statement only when the server is outside a
//     transaction (`is_autocommit`), and a statement that leaves one open (a lone
//     BEGIN or SAVEPOINT) is rolled back at once and refused (invalid_argument):
//     transactions never span operations, as in local mode.
//   * execute reads `changes()` and `last_insert_rowid()` in the same batch, because
//     the server's own counters are always 0/absent.
//   * execute_batch is all or nothing (`build_atomic_batch`).
// If another client has left the server inside a transaction, nothing runs and the
// error is errc::busy (retry later).
//
// Errors (result<T>): busy, sql_error (the server's message in detail),
// invalid_argument, network_error, protocol_error. The throwing forms throw
// patina::exception with the same error.
//
// Asynchrony and lifetimes: as http_client. Arguments are copied at the call.
//
// Thread safety: immutable; any number of operations may run at once.
#pragma once

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/turso/sync/hrana_client.hpp"
#include "patina/db/types.hpp"

namespace patina::db::turso::sync {

// The all-or-nothing batch around `statements` (n of them):
//   0        BEGIN IMMEDIATE
//   1..n     statement k, when ok(k-1)
//   n+1      COMMIT, when ok(n)
//   n+2      ROLLBACK, when and(ok(0), not(ok(n+1)), not(is_autocommit))
// The ROLLBACK also requires ok(0) so that it never ends a transaction another
// client left open (then BEGIN fails and nothing of ours ran).
std::vector<hrana::batch_step> build_atomic_batch(std::vector<hrana::stmt> statements);

// Judges the outcome of a batch from build_atomic_batch with `statement_count`
// statements: ok when COMMIT ran and no step failed. Otherwise busy (BEGIN failed),
// sql_error naming the failed statement (k of n) or COMMIT, or protocol_error if
// the ROLLBACK failed too (then the server may still be inside our transaction).
result<void> check_atomic_batch(const http_client& http, const hrana::batch_result& outcome,
                                std::size_t statement_count);

// True if `sql` starts (after blanks and comments) with BEGIN, COMMIT, END,
// ROLLBACK, SAVEPOINT or RELEASE.
bool is_transaction_control(std::string_view sql);

class remote_executor {
 public:
  explicit remote_executor(hrana_client client) noexcept : client_(std::move(client)) {}
  // Errors: invalid_argument (URL, token), io_error (CA file).
  static result<remote_executor> create(std::string_view url, std::optional<std::string> token,
                                        http_options options = {});

  // One statement; its rows.
  awaitable<result<query_result>> try_query(std::string_view sql, std::span<const value> params = {}) const;
  awaitable<query_result> query(std::string_view sql, std::span<const value> params = {}) const;

  // One statement; rows changed and the server connection's last insert rowid.
  awaitable<result<exec_result>> try_execute(std::string_view sql, std::span<const value> params = {}) const;
  awaitable<exec_result> execute(std::string_view sql, std::span<const value> params = {}) const;

  // All statements in one server transaction: all or nothing. Transaction-control
  // statements are refused (invalid_argument). An empty batch does nothing.
  awaitable<result<void>> try_execute_batch(std::span<const statement> statements) const;
  awaitable<void> execute_batch(std::span<const statement> statements) const;

  const hrana_client& client() const noexcept { return client_; }

 private:
  hrana_client client_;
};

}  // namespace patina::db::turso::sync
