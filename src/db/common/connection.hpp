// db/common/connection.hpp — RAII connection to a SQLite-format database file.
//
// The shared connection layer under both backends: the SQLite backend adds
// sqlite-vec on top of it, the Turso backend adds its native vector SQL. Nothing
// here knows about vectors, extensions or async runtimes.
//
// A connection owns one `sqlite3*` and a cache of prepared statements keyed by
// SQL text. Every operation returns `result<T>`; `.value()` on it is the throwing
// form. Errors are mapped to `errc` by `map_sqlite_error` (sqlite_error.hpp).
//
// Opening never writes: `open` validates the file (header, schema page) and sets
// only per-connection pragmas. Changes to the file itself (WAL, migrations) are
// separate steps (`enable_wal`, schema.hpp) that the backend runs after its own
// checks, so a file that fails a check is left byte-for-byte unchanged.
//
// Thread safety: a connection is used by one thread at a time (it may move between
// threads); it is movable, not copyable. Moving it while a `transaction` on it is
// alive is a programmer error.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/db/open_options.hpp"
#include "patina/db/types.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace patina::db::detail {

// read_only, read_write, create (patina/db/open_options.hpp).
using db::open_mode;

struct connection_options {
  open_mode mode = open_mode::create;
  std::chrono::milliseconds busy_timeout{5000};
  // PRAGMA cache_size = -cache_kib; 0 keeps SQLite's default (2 MiB). The large
  // default keeps vec0 chunks in memory (research: inserts across filter values
  // 5-10x faster, KNN 2x faster).
  std::int64_t cache_kib = open_options{}.cache_kib;
  // PRAGMA mmap_size; 0 disables memory-mapped I/O.
  std::int64_t mmap_bytes = open_options{}.mmap_bytes;

  static connection_options from(const open_options& o) {
    return {o.mode, o.busy_timeout, o.cache_kib, o.mmap_bytes};
  }
};

// Whether a statement may change the database.
enum class access {
  read_write,
  read_only,  // refuse (errc::read_only) any statement that would write
};

struct sqlite3_closer {
  void operator()(sqlite3* db) const noexcept;
};
struct statement_finalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept;
};
using sqlite3_ptr = std::unique_ptr<sqlite3, sqlite3_closer>;
using statement_ptr = std::unique_ptr<sqlite3_stmt, statement_finalizer>;

class connection {
 public:
  // Opens `path` (or ":memory:") and validates it without writing anything.
  // Errors: not_found (missing file without create), not_a_database, corrupt_database,
  // busy, io_error.
  static result<connection> open(const std::filesystem::path& path,
                                 const connection_options& options = {});

  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;
  ~connection();

  // Runs one statement (a trailing `;` is fine) and returns all its rows.
  // Parameters bind to ?1..?N; their count must match the statement's.
  result<query_result> query(std::string_view sql, std::span<const value> params = {},
                             access mode = access::read_write);
  // Runs one statement and reports changes and the last rowid.
  result<exec_result> execute(std::string_view sql, std::span<const value> params = {});
  // Runs several `;`-separated statements without parameters (DDL scripts).
  result<void> exec_script(std::string_view sql);
  // Runs all statements atomically: in a new IMMEDIATE transaction, or in a
  // savepoint when a transaction is already open. All or nothing.
  result<void> execute_batch(std::span<const statement> statements);

  // Runs `body` (returning result<T>) atomically, as execute_batch does. Any
  // error from `body`, or an exception thrown by it, rolls back.
  template <class F>
  auto atomically(F&& body) -> decltype(body());

  // Integrity check (PRAGMA quick_check): corrupt_database on any problem.
  result<void> verify_integrity();
  // Switches a file database to WAL if it is not already (writes the header).
  // No-op for in-memory and read-only databases.
  result<void> enable_wal();
  // Current journal mode, lower case ("wal", "delete", "memory").
  result<std::string> journal_mode();

  bool in_transaction() const noexcept;
  // Rolls back the open transaction, if any, ignoring errors (for destructors).
  void rollback_quietly() noexcept;
  bool is_memory() const noexcept { return memory_; }
  bool is_read_only() const noexcept { return mode_ == open_mode::read_only; }
  const std::filesystem::path& path() const noexcept { return path_; }
  // The raw handle, for backend-specific registration (extensions, functions).
  sqlite3* handle() const noexcept { return db_.get(); }

  // Drops every cached prepared statement (e.g. before DROP TABLE).
  void clear_statement_cache() noexcept;

  // Error for the connection's last failure with result code `rc`.
  error last_error(int rc, std::string_view context) const;

 private:
  connection(sqlite3_ptr db, std::filesystem::path path, open_mode mode, bool memory);

  result<sqlite3_stmt*> prepare(std::string_view sql, bool cache);
  void release(sqlite3_stmt* stmt, bool cached) noexcept;
  result<void> bind(sqlite3_stmt* stmt, std::span<const value> params);
  // An open atomic scope: a top-level transaction (empty name) or a savepoint.
  struct atomic_scope {
    std::string savepoint;     // empty for a top-level transaction
    std::string commit_sql;    // COMMIT or RELEASE <savepoint>
    std::string rollback_sql;  // ROLLBACK or ROLLBACK TO <savepoint>; RELEASE <savepoint>
  };
  result<atomic_scope> begin_atomic();
  result<void> commit_atomic(const atomic_scope& scope);  // rolls back if it fails
  void rollback_atomic(const atomic_scope& scope) noexcept;

  sqlite3_ptr db_;
  std::filesystem::path path_;
  open_mode mode_ = open_mode::create;
  bool memory_ = false;
  std::uint64_t savepoint_counter_ = 0;
  // Prepared statements keyed by SQL text; reset after every use. Bounded so
  // that ad-hoc SQL (patina sql) does not grow it without limit.
  struct text_hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };
  std::unordered_map<std::string, statement_ptr, text_hash, std::equal_to<>> cache_;
};

template <class F>
auto connection::atomically(F&& body) -> decltype(body()) {
  auto scope = begin_atomic();
  if (!scope) return fail(scope.err());
  try {
    auto outcome = body();
    if (!outcome) {
      rollback_atomic(*scope);
      return outcome;
    }
    if (auto committed = commit_atomic(*scope); !committed) return fail(committed.err());
    return outcome;
  } catch (...) {
    rollback_atomic(*scope);
    throw;
  }
}

}  // namespace patina::db::detail
