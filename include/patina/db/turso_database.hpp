/// @file
/// patina/db/turso_database.hpp — the Turso backend's database.
///
/// `TursoDatabase` is Patina's asynchronous database: a SQLite-format file, read and
/// written by stock SQLite with Turso's vector SQL (vector32, vector64,
/// vector_extract, vector_distance_cos/l2/dot) registered natively, so a statement
/// gives the same result here as on a Turso server. It meets `AsyncDatabase`
/// (patina/db/concepts.hpp): every operation returns `boost::asio::awaitable<T>`.
///
/// Three modes, chosen by the opening function (docs/sync.md):
///   * local (`open`): the file only, no network.
///   * remote (`open_remote`): every operation runs on a Turso server over its SQL
///     pipeline; vector search is the server's `vector_distance_cos` scan. The first
///     client creates Patina's schema on an empty server.
///   * embedded (`open_embedded`): a local replica of a Turso server. Reads and writes
///     are local (as in local mode) and recorded; `sync()` pushes the recorded rows in
///     one all-or-nothing batch and pulls the server's changed pages, then replays the
///     local changes made meanwhile. Conflicts are last-writer-wins per primary key.
///     The first open bootstraps the file from the server; an interrupted sync is
///     finished at the next open. While a replica is open nothing else may open its
///     file (the sqlite3 shell would checkpoint it and break the replica).
/// The token (may be empty: then no Authorization header) is sent to the server only
/// and never appears in an error or a file.
///
/// Execution: SQLite work runs on the database's own threads — reader threads with
/// read-only connections (reads run in parallel) and one writer thread with the only
/// read-write connection — never on the caller's thread. Every operation completes
/// by posting to the awaiting coroutine's executor, never inline. Exceptions raised
/// while an operation runs on a pool thread reach the awaiting caller.
///
/// Errors: each `try_` operation is the primary form and returns `result<T>` for
/// expected failures (bad input, missing dimension, dimension mismatch, busy...);
/// the operation of the same name without `try_` returns the value and throws
/// `patina::exception` instead. Infrastructure failures (out of memory, a thread
/// that cannot start) are thrown by both.
///
/// Vector search has two paths: the fast path (default) scans a contiguous in-memory
/// copy of each vector table, normalised, with the vectorised dot-product kernel; the
/// SQL path runs the statement a Turso server would run
/// (`SELECT id, vector_distance_cos(embedding, vector32(?)) AS d ... ORDER BY d`).
/// Both return the same ids in the same order. The in-memory copy follows every
/// write: writes through this object update it in place; writes by anyone else
/// (another connection, another process, the sqlite3 shell) are noticed at the next
/// search through per-table change counters kept by triggers, and the copy is
/// reloaded from a consistent snapshot.
///
/// Lifetimes: arguments are copied before an operation starts, so they may die as
/// soon as the call returns. Each operation keeps the database's internals alive
/// until it completes: the object may be destroyed (or moved) while operations are in
/// flight; they complete normally, and the threads stop when the last one is done.
/// The executor's execution context must outlive the operations.
///
/// Thread safety: a TursoDatabase may be used from several coroutines and threads at
/// once (the operations are internally synchronised); moving or destroying it must not
/// race with starting an operation on it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/db/concepts.hpp"
#include "patina/db/open_options.hpp"
#include "patina/db/types.hpp"

namespace patina::db {

namespace turso {
struct database_state;
struct database_access;
}  // namespace turso

/// How TursoDatabase::vector_search finds the nearest vectors; both give the same result.
enum class vector_search_path {
  fast,  ///< in-memory exact scan (default)
  sql,   ///< vector_distance_cos in SQL, as a Turso server runs it
};

/// Where a TursoDatabase keeps its data (see TursoDatabase's opening functions).
enum class database_mode {
  local,     ///< a local file (open)
  remote,    ///< every operation on a Turso server (open_remote)
  embedded,  ///< a local replica of a Turso server, synchronised by sync() (open_embedded)
};

/// How to open a TursoDatabase: the shared file options plus the Turso-only ones.
struct turso_database_options {
  /// The defaults: create the file, fast vector search, 2 to 4 readers.
  turso_database_options() = default;
  /// The options both backends share; implicit so that code written for either
  /// backend passes an open_options.
  turso_database_options(const open_options& shared) : file(shared) {}  // NOLINT(google-explicit-constructor)

  /// Mode, busy timeout, page cache (the writer's; readers take at most 16 MiB and
  /// rely on the memory map). `sqlite_vec` is not used by this backend.
  open_options file;
  /// Reader threads (each with its own connection); 0 picks 2 to 4 by CPU count.
  std::size_t reader_threads = 0;
  vector_search_path search_path = vector_search_path::fast;  ///< The default path for vector_search.

  /// Remote and embedded modes: connecting (name lookup, TCP, TLS) and a whole request
  /// must finish within these.
  std::chrono::milliseconds connect_timeout{10'000};
  std::chrono::milliseconds request_timeout{120'000};  ///< The longest a whole request to the server may take.
  /// PEM file of the CA certificates trusted for https; empty: the system's store.
  std::filesystem::path ca_file;
  /// Embedded: push the replica's unpushed changes, then replace it with a fresh
  /// bootstrap from the server (for a replica refused because its file no longer
  /// matches the server). Changes that cannot be pushed stop it, nothing is deleted.
  bool rebootstrap = false;
};

/// What one sync() did.
/// What one TursoDatabase::sync() did.
struct sync_summary {
  std::uint64_t pushed_rows = 0;   ///< rows sent to the server (upserts and deletes)
  std::uint64_t pulled_pages = 0;  ///< database pages received
  std::uint64_t replayed = 0;      ///< local changes re-applied on top of the pulled pages
  std::uint64_t skipped = 0;       ///< local changes dropped: their table no longer exists on the server
  std::chrono::milliseconds duration{0};  ///< How long the sync took.
  std::string revision;            ///< the server revision the replica now mirrors
};

/// An embedded replica's sync state.
/// An embedded replica's sync state (TursoDatabase::replica()).
struct replica_status {
  std::string url;        ///< the server (a URL never holds the token)
  std::string client_id;  ///< this replica's name on the server
  std::string revision;   ///< the server revision of the last sync
  std::int64_t pulls = 0; ///< pulls applied since the bootstrap
};

/// Memory held by one vector table's in-memory copy (fast path).
/// Memory held by one vector table's in-memory copy (fast path).
struct vector_cache_info {
  std::size_t rows = 0;  ///< Vectors held.
  std::size_t dimension = 0;  ///< Their dimension.
  std::size_t bytes = 0;             ///< everything the copy holds
  std::size_t raw_vector_bytes = 0;  ///< rows * dimension * 4, for comparison
  std::uint64_t rebuilds = 0;        ///< full reloads from the table so far
};

/// The Turso backend's asynchronous database: a local file, a Turso server
/// (remote), or an embedded replica of one. Every operation returns
/// `boost::asio::awaitable<T>`; see the file description for execution, lifetime
/// and thread-safety rules.
class TursoDatabase {
 public:
  /// Opens the database file at `path` (with open_mode::create, the default, creating
  /// it) and brings its schema up to date (open_mode::read_only only checks it);
  /// ":memory:" opens a private temporary file that is deleted with the database.
  /// On failure nothing in the file has changed. Completes on `executor`.
  /// Errors: not_found, not_a_database, corrupt_database, schema_too_new, read_only,
  /// busy, io_error.
  static awaitable<result<TursoDatabase>> try_open(boost::asio::any_io_executor executor,
                                                   std::filesystem::path path,
                                                   turso_database_options options = {});
  /// Throwing form of try_open(): returns the value, throws patina::exception on failure.
  static awaitable<TursoDatabase> open(boost::asio::any_io_executor executor,
                                       std::filesystem::path path,
                                       turso_database_options options = {});

  /// Remote mode: the database on the Turso server at `url` (http://, https://,
  /// libsql:// = https://). Creates or migrates Patina's schema there if needed.
  /// Errors: invalid_argument (URL, token), network_error, protocol_error, busy,
  /// schema_too_new, not_a_database (a server database of someone else's), sql_error.
  static awaitable<result<TursoDatabase>> try_open_remote(boost::asio::any_io_executor executor,
                                                          std::string url, std::string token,
                                                          turso_database_options options = {});
  /// Throwing form of try_open_remote(): returns the value, throws patina::exception on failure.
  static awaitable<TursoDatabase> open_remote(boost::asio::any_io_executor executor, std::string url,
                                              std::string token, turso_database_options options = {});

  /// Embedded mode: the replica at `path` of the server at `url`. Without a replica
  /// at `path` (no `<path>.sync`), creates Patina's schema on the server if needed
  /// and bootstraps the file from it; otherwise opens it offline, first finishing or
  /// undoing a sync a crash interrupted. A replica always opens read-write (its open
  /// may have to finish a sync); `options.file.mode` is not used. Errors: those of
  /// try_open_remote (network only when bootstrapping), not_a_database (`path` is an
  /// ordinary database),
  /// corrupt_database (the file no longer matches the server: see the message for
  /// how to re-bootstrap), busy (another process is applying a sync), io_error.
  static awaitable<result<TursoDatabase>> try_open_embedded(boost::asio::any_io_executor executor,
                                                            std::filesystem::path path, std::string url,
                                                            std::string token,
                                                            turso_database_options options = {});
  /// Throwing form of try_open_embedded(): returns the value, throws patina::exception on failure.
  static awaitable<TursoDatabase> open_embedded(boost::asio::any_io_executor executor,
                                                std::filesystem::path path, std::string url,
                                                std::string token, turso_database_options options = {});

  /// Takes over the database; the moved-from object may only be destroyed or assigned.
  TursoDatabase(TursoDatabase&&) noexcept;
  /// Releases this database (its in-flight operations still complete), then takes over the other.
  TursoDatabase& operator=(TursoDatabase&&) noexcept;
  TursoDatabase(const TursoDatabase&) = delete;
  TursoDatabase& operator=(const TursoDatabase&) = delete;
  ~TursoDatabase();

  // REQUIRES for every operation below: the object is not moved-from.
  // Transactions never span operations: a lone BEGIN/COMMIT/SAVEPOINT is rolled back
  // and refused (invalid_argument); execute_batch is the unit of atomicity.

  /// One statement with parameters bound to ?1..?N; its rows. Runs on a reader; a
  /// statement that writes is moved to the writer.
  awaitable<result<query_result>> try_query(std::string_view sql, std::span<const value> params = {});
  /// Throwing form of try_query(): returns the value, throws patina::exception on failure.
  awaitable<query_result> query(std::string_view sql, std::span<const value> params = {});

  /// One statement on the writer: rows changed and the last rowid.
  awaitable<result<exec_result>> try_execute(std::string_view sql, std::span<const value> params = {});
  /// Throwing form of try_execute(): returns the value, throws patina::exception on failure.
  awaitable<exec_result> execute(std::string_view sql, std::span<const value> params = {});

  /// All statements in one transaction on the writer: all or nothing.
  awaitable<result<void>> try_execute_batch(std::span<const statement> statements);
  /// Throwing form of try_execute_batch(): returns the value, throws patina::exception on failure.
  awaitable<void> execute_batch(std::span<const statement> statements);

  /// Like query, but refuses (errc::read_only, telling to pass --write; nothing run)
  /// a statement that would change the database. For user-typed SQL (`patina sql`
  /// without --write; with --write, use query).
  awaitable<result<query_result>> try_query_readonly(std::string_view sql,
                                                     std::span<const value> params = {});
  /// Throwing form of try_query_readonly(): returns the value, throws patina::exception on failure.
  awaitable<query_result> query_readonly(std::string_view sql, std::span<const value> params = {});

  /// Dimension the vector tables were created for; 0 if none.
  awaitable<result<std::size_t>> try_vector_dimension();
  /// Throwing form of try_vector_dimension(): returns the value, throws patina::exception on failure.
  awaitable<std::size_t> vector_dimension();

  /// Creates the vector tables for `dimension` (1..8192). If they exist with another
  /// dimension they are dropped and recreated empty, with the `embeddings` bookkeeping
  /// cleared, in one transaction. Errors: invalid_argument.
  awaitable<result<void>> try_set_vector_dimension(std::size_t dimension);
  /// Throwing form of try_set_vector_dimension(): returns the value, throws patina::exception on failure.
  awaitable<void> set_vector_dimension(std::size_t dimension);

  /// Inserts or replaces vectors (and their filter values) in one transaction.
  /// Errors: dimension_mismatch, invalid_argument (NaN/inf, no dimension set).
  awaitable<result<void>> try_vector_upsert(vector_table table, std::span<const vector_item> items);
  /// Throwing form of try_vector_upsert(): returns the value, throws patina::exception on failure.
  awaitable<void> vector_upsert(vector_table table, std::span<const vector_item> items);

  /// Removes vectors; absent ids are ignored. One transaction.
  awaitable<result<void>> try_vector_delete(vector_table table, std::span<const std::int64_t> ids);
  /// Throwing form of try_vector_delete(): returns the value, throws patina::exception on failure.
  awaitable<void> vector_delete(vector_table table, std::span<const std::int64_t> ids);

  /// The k nearest vectors by cosine distance, nearest first (ties by ascending id),
  /// after the filter. Uses the path chosen at open unless one is given.
  /// Errors: dimension_mismatch (query), invalid_argument (NaN/inf query, a filter on
  /// a column the table lacks, no dimension set), dimension_mismatch or
  /// corrupt_database if a row holds a foreign vector (fast path; the SQL path reports
  /// the SQL function's error).
  awaitable<result<std::vector<vector_match>>> try_vector_search(vector_table table,
                                                                 std::span<const float> query,
                                                                 const vector_filter& filter,
                                                                 std::size_t k);
  /// As above, through the given search path instead of the default.
  awaitable<result<std::vector<vector_match>>> try_vector_search(vector_table table,
                                                                 std::span<const float> query,
                                                                 const vector_filter& filter,
                                                                 std::size_t k,
                                                                 vector_search_path path);
  /// Throwing form of try_vector_search(): returns the value, throws patina::exception on failure.
  awaitable<std::vector<vector_match>> vector_search(vector_table table, std::span<const float> query,
                                                     const vector_filter& filter, std::size_t k);
  /// Throwing form of try_vector_search(): returns the value, throws patina::exception on failure.
  awaitable<std::vector<vector_match>> vector_search(vector_table table, std::span<const float> query,
                                                     const vector_filter& filter, std::size_t k,
                                                     vector_search_path path);

  /// The in-memory copy of `table` right now (empty before the first fast search).
  /// Thread-safe; does not wait for running operations.
  vector_cache_info vector_cache(vector_table table) const;
  /// Forgets every in-memory copy; the next fast search reloads. For code that
  /// changes the file behind SQLite's back (sync applying pulled pages).
  void invalidate_vector_caches();

  /// Embedded mode: pushes the rows changed locally since the last sync, then pulls
  /// the server's changes and replays local changes made meanwhile on top of them.
  /// Other operations may run meanwhile; applying pulled pages holds them off for a
  /// moment (it reopens the connections). After pages were applied, the vector
  /// caches are dropped and the pull listeners called. One sync at a time.
  /// Errors: unsupported (not a replica), busy (a sync is running, or another
  /// process has the replica open while pages must be applied), network_error,
  /// protocol_error, sql_error (the server refused the push: nothing of it applied),
  /// corrupt_database (the file no longer matches the server), io_error.
  /// A failed sync loses nothing: the next one starts over.
  awaitable<result<sync_summary>> try_sync();
  /// Throwing form of try_sync(): returns the value, throws patina::exception on failure.
  awaitable<sync_summary> sync();

  /// Embedded mode: rows changed locally since the last sync (0 in other modes).
  awaitable<result<std::int64_t>> try_unsynced_changes();

  /// Called after each sync that applied pulled pages (on the sync's caller's
  /// executor, before sync completes), so that derived indexes can refresh.
  using pull_listener = std::function<void()>;
  /// Adds a listener; listeners are called in the order added.
  void add_pull_listener(pull_listener listener);

  /// Local, remote or embedded (which function opened it).
  database_mode mode() const noexcept;
  /// The server's URL ("" in local mode).
  const std::string& server_url() const noexcept;
  /// Embedded mode: the replica's sync state; nullopt in other modes.
  std::optional<replica_status> replica() const;

  /// Schema version of the file when it was opened (this build's latest, unless it
  /// was opened read-only on an older database).
  int schema_version() const noexcept;
  /// The path given to open (":memory:" for an in-memory database; empty in remote
  /// mode).
  const std::filesystem::path& path() const noexcept;
  /// The executor given to open, on which operations complete.
  boost::asio::any_io_executor get_executor() const noexcept;

 private:
  friend struct turso::database_access;
  explicit TursoDatabase(std::shared_ptr<turso::database_state> state) noexcept;

  std::shared_ptr<turso::database_state> state_;
};

static_assert(AsyncDatabase<TursoDatabase>, "TursoDatabase must meet the AsyncDatabase contract");

}  // namespace patina::db
