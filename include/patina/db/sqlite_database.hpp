/// @file
/// patina/db/sqlite_database.hpp — the SQLite backend: a local database file with
/// sqlite-vec for vector search (SQLite build only).
///
/// `SqliteDatabase` is a synchronous database over one local SQLite file (or
/// ":memory:"). It loads the sqlite-vec extension (vec0.so) at run time, applies
/// the schema migrations on open, and stores vectors in `vec0` virtual tables with
/// cosine distance, whose filter columns (observation type, symbol language and
/// kind) are applied inside the KNN. It satisfies `db::SyncDatabase`
/// (patina/db/concepts.hpp).
///
/// Every fallible operation has a non-throwing form `try_x` returning `result<T>`
/// and a throwing form `x` (throws patina::exception) that the concept uses.
///
/// Thread safety: none inside. Use one SqliteDatabase per thread (several may
/// open the same file; SQLite's WAL lets readers run beside one writer, and a
/// writer waits up to `busy_timeout` for the lock). A database may be moved to
/// another thread between calls. It is movable, not copyable.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/db/concepts.hpp"
#include "patina/db/open_options.hpp"
#include "patina/db/transaction.hpp"
#include "patina/db/types.hpp"

namespace patina::db {

namespace detail {
class connection;
}  // namespace detail

/// The SQLite backend's database: synchronous, one local file, sqlite-vec for
/// vectors. See the file description for the thread-safety contract.
class SqliteDatabase {
 public:
  /// Opens (and with open_mode::create, creates) the database at `path`, or an
  /// in-memory one for ":memory:", loads sqlite-vec and brings the schema up to
  /// date. On failure nothing in the file has changed.
  /// Errors: missing_asset (vec0.so not found or not loadable: run scripts/setup),
  /// not_found, not_a_database, corrupt_database, schema_too_new, busy, io_error.
  static result<SqliteDatabase> try_open(const std::filesystem::path& path,
                                         const open_options& options = {});
  /// Throwing form of try_open(): returns the value, throws patina::exception on failure.
  static SqliteDatabase open(const std::filesystem::path& path, const open_options& options = {}) {
    return try_open(path, options).value();
  }

  /// Takes over the connection; the moved-from object may only be destroyed or assigned.
  SqliteDatabase(SqliteDatabase&&) noexcept;
  /// Closes this database, then takes over the other's connection.
  SqliteDatabase& operator=(SqliteDatabase&&) noexcept;
  SqliteDatabase(const SqliteDatabase&) = delete;
  SqliteDatabase& operator=(const SqliteDatabase&) = delete;
  ~SqliteDatabase();

  /// Runs one statement with parameters bound to ?1..?N and returns its rows.
  result<query_result> try_query(std::string_view sql, const std::vector<value>& params = {});
  /// Throwing form of try_query(): returns the value, throws patina::exception on failure.
  query_result query(std::string_view sql, const std::vector<value>& params = {}) {
    return try_query(sql, params).value();
  }

  /// Like query, but refuses (errc::read_only, nothing run) a statement that would
  /// change the database. For user-typed SQL (`patina sql` without --write).
  result<query_result> try_query_readonly(std::string_view sql,
                                          const std::vector<value>& params = {});
  /// Throwing form of try_query_readonly(): returns the value, throws patina::exception on failure.
  query_result query_readonly(std::string_view sql, const std::vector<value>& params = {}) {
    return try_query_readonly(sql, params).value();
  }

  /// Runs one statement and reports the rows changed and the last rowid.
  result<exec_result> try_execute(std::string_view sql, const std::vector<value>& params = {});
  /// Throwing form of try_execute(): returns the value, throws patina::exception on failure.
  exec_result execute(std::string_view sql, const std::vector<value>& params = {}) {
    return try_execute(sql, params).value();
  }

  /// Runs the statements in one transaction (a savepoint inside an open
  /// transaction): all or nothing.
  result<void> try_execute_batch(const std::vector<statement>& statements);
  /// Throwing form of try_execute_batch(): returns the value, throws patina::exception on failure.
  void execute_batch(const std::vector<statement>& statements) {
    try_execute_batch(statements).value();
  }

  /// Opens a write transaction (BEGIN IMMEDIATE); it rolls back unless committed.
  /// Errors: transaction_state if one is already open, busy.
  result<transaction> try_begin_transaction();
  /// Throwing form of try_begin_transaction(): returns the value, throws patina::exception on failure.
  transaction begin_transaction() { return try_begin_transaction().value(); }

  /// Dimension the vector tables were created for; 0 if none yet.
  result<std::size_t> try_vector_dimension();
  /// Throwing form of try_vector_dimension(): returns the value, throws patina::exception on failure.
  std::size_t vector_dimension() { return try_vector_dimension().value(); }

  /// Creates the vector tables for `dimension` (1..8192). If they exist with
  /// another dimension they are dropped and recreated empty, and the
  /// `embeddings` bookkeeping is cleared, so that everything is re-embedded.
  /// Same dimension: nothing changes. Errors: invalid_argument, read_only, busy.
  result<void> try_set_vector_dimension(std::size_t dimension);
  /// Throwing form of try_set_vector_dimension(): returns the value, throws patina::exception on failure.
  void set_vector_dimension(std::size_t dimension) {
    try_set_vector_dimension(dimension).value();
  }

  /// Inserts or replaces the vectors of `items` (one transaction) with their
  /// filter metadata. Errors: dimension_mismatch (nothing written),
  /// invalid_argument (no dimension set yet, or a NaN/infinite element).
  result<void> try_vector_upsert(vector_table table, std::span<const vector_item> items);
  /// Throwing form of try_vector_upsert(): returns the value, throws patina::exception on failure.
  void vector_upsert(vector_table table, std::span<const vector_item> items) {
    try_vector_upsert(table, items).value();
  }

  /// Removes the vectors of `ids`; absent ids are ignored.
  result<void> try_vector_delete(vector_table table, std::span<const std::int64_t> ids);
  /// Throwing form of try_vector_delete(): returns the value, throws patina::exception on failure.
  void vector_delete(vector_table table, std::span<const std::int64_t> ids) {
    try_vector_delete(table, ids).value();
  }

  /// The `k` nearest vectors to `query` by cosine distance, nearest first (ties by
  /// id), among those matching `filter`. Errors: dimension_mismatch,
  /// invalid_argument (filter field the table lacks, no dimension set, NaN query).
  result<std::vector<vector_match>> try_vector_search(vector_table table,
                                                      std::span<const float> query,
                                                      const vector_filter& filter, std::size_t k);
  /// Throwing form of try_vector_search(): returns the value, throws patina::exception on failure.
  std::vector<vector_match> vector_search(vector_table table, std::span<const float> query,
                                          const vector_filter& filter, std::size_t k) {
    return try_vector_search(table, query, filter, k).value();
  }

  /// Schema version of the open database (this build's latest after open, unless
  /// opened read-only on an older database).
  int schema_version() const noexcept { return schema_version_; }
  /// The path given to open (":memory:" for an in-memory database).
  const std::filesystem::path& path() const noexcept;
  /// The sqlite-vec extension file that was loaded.
  const std::filesystem::path& sqlite_vec_path() const noexcept { return sqlite_vec_path_; }

 private:
  SqliteDatabase(std::unique_ptr<detail::connection> conn, std::filesystem::path sqlite_vec_path,
                 int schema_version) noexcept;

  /// Heap-allocated so that transactions keep a stable pointer when the database moves.
  std::unique_ptr<detail::connection> conn_;
  std::filesystem::path sqlite_vec_path_;
  int schema_version_ = 0;
};

static_assert(SyncDatabase<SqliteDatabase>, "SqliteDatabase must satisfy db::SyncDatabase");

}  // namespace patina::db
