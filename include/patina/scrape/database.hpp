/// @file
/// patina/scrape/database.hpp — the code index: scrapes a source tree into the
/// database and answers symbol lookups.
///
/// scrape::Database<DB> is a template over the database type: plain calls for a
/// db::SyncDatabase (SQLite build), awaitables for a db::AsyncDatabase (Turso
/// build), same names and parameters. A scrape walks the tree (respecting
/// .gitignore), parses files on all cores, and writes through the one database
/// connection in batched transactions; only files whose content hash changed are
/// parsed again, files gone from the tree lose their rows, and call edges are
/// resolved to the one definition their callee denotes in the caller's language,
/// if there is exactly one (rules: detail::call_resolver).
///
/// Failure semantics: a file that cannot be read or parsed never stops a scrape
/// (it is recorded as skipped or partial); a database failure does, and what was
/// committed before it stays (the next scrape continues from there).
///
/// Thread safety: borrows the database; as thread-safe as the database. The
/// database must outlive the object. Two scrapes of one database must not run at
/// the same time (each diffs the tree against the index it read first); the CLI
/// serialises them with a lock file.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <filesystem>
#include <limits>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "patina/db/concepts.hpp"
#include "patina/scrape/code_index.hpp"
#include "patina/scrape/detail/storage.hpp"
#include "patina/scrape/scanner.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#endif

namespace patina::scrape {

/// The code index of one database: scrape a tree, look up symbols and call
/// edges. See the file description for failure semantics and thread safety.
template <class DB>
class Database {
 public:
  /// REQUIRES: db outlives this object.
  explicit Database(DB& db) : db_(db) {}

  // --- SQLite build (synchronous) ---------------------------------------------

  /// Scrapes the tree at `root` into the database (incrementally unless
  /// `options.full`). Unreadable or unparsable files are recorded, not fatal;
  /// database failures throw patina::exception.
  scrape_report scrape(const std::filesystem::path& root, scrape_options options)
    requires db::SyncDatabase<DB>
  {
    const auto started = std::chrono::steady_clock::now();
    const auto known_q = detail::select_known_files();
    const auto skipped_q = detail::select_skipped_paths();
    const auto version_q = detail::select_extraction_version();
    auto known = db_.query(known_q.sql, known_q.params);
    auto skipped = db_.query(skipped_q.sql, skipped_q.params);
    const auto version = db_.query(version_q.sql, version_q.params);
    if (!known.rows.empty() && !detail::rows_grouped_by_file(version)) {
      // An index from before extraction version 3: its row ids are not grouped by
      // file, so the per-file deletes would miss rows. It is parsed again in full
      // anyway; start it from empty.
      db_.execute_batch(detail::clear_code_index());
      known.rows.clear();
      skipped.rows.clear();
    }
    const bool current_extraction = detail::extraction_version_current(version);
    const bool outdated = !current_extraction && !known.rows.empty();
    detail::scrape_session session(known, skipped, options.full || outdated);
    options.scan.walked = [&session](std::size_t files, std::uint64_t bytes) { session.set_totals(files, bytes); };
    options.scan.already_known = [&session](std::string_view p, std::string_view h) {
      return session.is_known(p, h);
    };
    // Batches are gathered into transactions of about values_per_write values:
    // a commit rewrites every page it touched, so fewer, larger commits write less.
    std::vector<db::statement> pending;
    std::size_t pending_values = 0;
    auto summary = scan(root, options.scan, [&](scan_batch& batch) -> result<void> {
      pending_values += session.append_statements_for(batch, now_ms(), pending);
      if (pending_values >= detail::values_per_write) {
        try {
          db_.execute_batch(pending);
        } catch (const exception& e) {
          return fail(e.get());
        }
        pending.clear();
        pending_values = 0;
        if (options.committed) options.committed();
      }
      report_progress(options, session);
      return {};
    });
    if (!summary) throw exception(std::move(summary).err());
    session.append_finish_statements(pending);
    if (!current_extraction) pending.push_back(detail::record_extraction_version());
    db_.execute_batch(pending);
    if (options.committed) options.committed();
    if (session.calls_changed()) resolve_calls();
    drop_orphan_vectors();
    return finish(session, *summary, started);
  }

  /// Symbols whose name or qualified name is exactly `name` (definitions
  /// before declarations, then by path and line), at most `limit`.
  std::vector<symbol_record> find_symbols(const std::string& name, std::size_t limit = 100)
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::select_symbols_named(name, limit);
    return detail::symbols_from(db_.query(st.sql, st.params));
  }
  /// The calls to symbol `symbol_id`.
  std::vector<call_record> callers(std::int64_t symbol_id)
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::select_callers(symbol_id);
    return detail::calls_from(db_.query(st.sql, st.params));
  }
  /// The calls made by symbol `symbol_id`.
  std::vector<call_record> callees(std::int64_t symbol_id)
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::select_callees(symbol_id);
    return detail::calls_from(db_.query(st.sql, st.params));
  }
  /// The files the last scrape skipped.
  std::vector<skipped_record> skipped_files()
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::select_skipped_files();
    return detail::skipped_from(db_.query(st.sql, st.params));
  }

#if defined(PATINA_BACKEND_TURSO)
  // --- Turso build (asynchronous): same operations, same semantics -----------
  //
  // The walk and the parsing run on threads of their own; batches come back to
  // the awaiting coroutine through a bounded hand-off (at most `max_waiting`
  // batches wait), so memory stays bounded and the caller's executor only
  // writes.

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<scrape_report> scrape(std::filesystem::path root, scrape_options options)
    requires db::AsyncDatabase<DB>
  {
    namespace asio = boost::asio;
    const auto started = std::chrono::steady_clock::now();
    const auto known_q = detail::select_known_files();
    const auto skipped_q = detail::select_skipped_paths();
    const auto version_q = detail::select_extraction_version();
    auto known = co_await db_.query(known_q.sql, known_q.params);
    auto skipped = co_await db_.query(skipped_q.sql, skipped_q.params);
    const auto version = co_await db_.query(version_q.sql, version_q.params);
    if (!known.rows.empty() && !detail::rows_grouped_by_file(version)) {
      // As in the synchronous form: an index older than extraction version 3 starts from empty.
      const auto clearing = detail::clear_code_index();
      co_await db_.execute_batch(clearing);
      known.rows.clear();
      skipped.rows.clear();
    }
    const bool current_extraction = detail::extraction_version_current(version);
    const bool outdated = !current_extraction && !known.rows.empty();
    detail::scrape_session session(known, skipped, options.full || outdated);
    options.scan.walked = [&session](std::size_t files, std::uint64_t bytes) { session.set_totals(files, bytes); };
    options.scan.already_known = [&session](std::string_view p, std::string_view h) {
      return session.is_known(p, h);
    };

    using channel_type =
        asio::experimental::concurrent_channel<void(boost::system::error_code, std::vector<db::statement>, bool)>;
    auto ex = co_await asio::this_coro::executor;
    channel_type channel(ex, max_waiting + 1);
    handoff gate;
    result<scan_summary> summary = fail(errc::internal, "the scan did not finish");

    std::exception_ptr scan_failure;
    // Batches are gathered into transactions of about values_per_write values (see
    // the synchronous form); the last ones are written with the finishing statements.
    std::vector<db::statement> pending;
    std::size_t pending_values = 0;
    std::thread worker([&] {
      try {
        summary = scan(root, options.scan, [&](scan_batch& batch) -> result<void> {
          pending_values += session.append_statements_for(batch, now_ms(), pending);
          if (pending_values < detail::values_per_write) return {};
          if (!gate.acquire()) return fail(errc::internal, "the scrape was stopped by a database error");
          channel.try_send(boost::system::error_code{}, std::move(pending), false);
          pending = {};
          pending_values = 0;
          return {};
        });
      } catch (...) {
        scan_failure = std::current_exception();
      }
      // Always room: at most max_waiting data messages are ever buffered.
      std::vector<db::statement> none;
      channel.try_send(boost::system::error_code{}, std::move(none), true);
    });

    std::exception_ptr failure;
    for (;;) {
      auto [statements, done] = co_await channel.async_receive(asio::use_awaitable);
      if (done) break;
      if (!failure) {
        try {
          co_await db_.execute_batch(statements);
          if (options.committed) options.committed();
          report_progress(options, session);
        } catch (...) {
          failure = std::current_exception();
          gate.stop();
        }
      }
      gate.release();
    }
    worker.join();
    if (failure) std::rethrow_exception(failure);
    if (scan_failure) std::rethrow_exception(scan_failure);
    if (!summary) throw exception(std::move(summary).err());
    session.append_finish_statements(pending);
    if (!current_extraction) pending.push_back(detail::record_extraction_version());
    co_await db_.execute_batch(pending);
    if (options.committed) options.committed();
    if (session.calls_changed()) co_await resolve_calls();
    co_await drop_orphan_vectors();
    co_return finish(session, *summary, started);
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<symbol_record>> find_symbols(std::string name, std::size_t limit = 100)
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::select_symbols_named(name, limit);
    const auto rows = co_await db_.query(st.sql, st.params);
    co_return detail::symbols_from(rows);
  }
  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<call_record>> callers(std::int64_t symbol_id)
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::select_callers(symbol_id);
    const auto rows = co_await db_.query(st.sql, st.params);
    co_return detail::calls_from(rows);
  }
  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<call_record>> callees(std::int64_t symbol_id)
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::select_callees(symbol_id);
    const auto rows = co_await db_.query(st.sql, st.params);
    co_return detail::calls_from(rows);
  }
  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<skipped_record>> skipped_files()
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::select_skipped_files();
    const auto rows = co_await db_.query(st.sql, st.params);
    co_return detail::skipped_from(rows);
  }
#endif

 private:
  static constexpr std::size_t max_waiting = 2;
  // Definitions or calls read per query while resolving calls: bounds the memory
  // of that last step.
  static constexpr std::size_t rows_per_page = 20'000;

  /// Back-pressure between the scan thread (acquire) and the writer (release).
  class handoff {
   public:
    /// Blocks while max_waiting batches wait; false once stop() was called.
    bool acquire() {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return stopped_ || waiting_ < max_waiting; });
      if (stopped_) return false;
      ++waiting_;
      return true;
    }
    void release() {
      {
        std::lock_guard lock(mutex_);
        if (waiting_ > 0) --waiting_;
      }
      cv_.notify_all();
    }
    void stop() {
      {
        std::lock_guard lock(mutex_);
        stopped_ = true;
      }
      cv_.notify_all();
    }

   private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::size_t waiting_ = 0;
    bool stopped_ = false;
  };

  static std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  static void report_progress(const scrape_options& options, const detail::scrape_session& session) {
    if (!options.progress) return;
    scrape_progress p;
    p.files_done = session.files_seen();
    p.bytes_done = session.bytes_seen();
    p.files_total = session.files_total();
    p.bytes_total = session.bytes_total();
    options.progress(p);
  }

  using page_query = db::statement (*)(std::int64_t after_id, std::size_t limit);

  /// Points every call edge at its definition (detail::call_resolver), reading the
  /// definitions and then the calls page by page.
  void resolve_calls()
    requires db::SyncDatabase<DB>
  {
    const auto files_q = detail::select_call_files();
    detail::call_resolver resolver(db_.query(files_q.sql, files_q.params));
    feed_pages(detail::select_callables_page, [&](const db::query_result& p) { return resolver.add_callables(p); });
    feed_pages(detail::select_calls_page, [&](const db::query_result& p) { return resolver.add_calls(p); });
    db_.execute_batch(resolver.statements());
  }
  /// Hands `add` every page of `select`, each starting after the last id `add` returned.
  template <class Add>
  void feed_pages(page_query select, Add add)
    requires db::SyncDatabase<DB>
  {
    for (auto after = std::numeric_limits<std::int64_t>::min();;) {
      const auto q = select(after, rows_per_page);
      const auto last = add(db_.query(q.sql, q.params));
      if (!last) return;
      after = *last;
    }
  }
#if defined(PATINA_BACKEND_TURSO)
  db::awaitable<void> resolve_calls()
    requires db::AsyncDatabase<DB>
  {
    const auto files_q = detail::select_call_files();
    const auto files = co_await db_.query(files_q.sql, files_q.params);
    detail::call_resolver resolver(files);
    // Named first: g++ 12 mishandles temporaries inside co_await expressions.
    const auto add_callables = [&](const db::query_result& p) { return resolver.add_callables(p); };
    const auto add_calls = [&](const db::query_result& p) { return resolver.add_calls(p); };
    co_await feed_pages(detail::select_callables_page, add_callables);
    co_await feed_pages(detail::select_calls_page, add_calls);
    const auto resolving = resolver.statements();
    co_await db_.execute_batch(resolving);
  }
  template <class Add>
  db::awaitable<void> feed_pages(page_query select, Add add)
    requires db::AsyncDatabase<DB>
  {
    for (auto after = std::numeric_limits<std::int64_t>::min();;) {
      const auto q = select(after, rows_per_page);
      const auto page = co_await db_.query(q.sql, q.params);
      const auto last = add(page);
      if (!last) co_return;
      after = *last;
    }
  }
#endif

  /// Symbols that disappeared take their vectors and embedding records along.
  void drop_orphan_vectors()
    requires db::SyncDatabase<DB>
  {
    const auto q = detail::select_orphan_symbol_embeddings();
    const auto ids = ids_from(db_.query(q.sql, q.params));
    if (ids.empty()) return;
    if (db_.vector_dimension() > 0) db_.vector_delete(db::vector_table::symbols, ids);
    const auto d = detail::delete_orphan_symbol_embeddings();
    db_.execute(d.sql, d.params);
  }
#if defined(PATINA_BACKEND_TURSO)
  db::awaitable<void> drop_orphan_vectors()
    requires db::AsyncDatabase<DB>
  {
    const auto q = detail::select_orphan_symbol_embeddings();
    const auto rows = co_await db_.query(q.sql, q.params);
    const auto ids = ids_from(rows);
    if (ids.empty()) co_return;
    const auto dim = co_await db_.vector_dimension();
    if (dim > 0) co_await db_.vector_delete(db::vector_table::symbols, ids);
    const auto d = detail::delete_orphan_symbol_embeddings();
    co_await db_.execute(d.sql, d.params);
  }
#endif
  static std::vector<std::int64_t> ids_from(const db::query_result& r) {
    std::vector<std::int64_t> ids;
    for (const auto& row : r.rows)
      if (const auto* id = std::get_if<std::int64_t>(&row.at(0))) ids.push_back(*id);
    return ids;
  }

  static scrape_report finish(detail::scrape_session& session, const scan_summary& summary,
                              std::chrono::steady_clock::time_point started) {
    auto report = session.report();
    report.files = summary.files;
    report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    return report;
  }

  DB& db_;
};

}  // namespace patina::scrape
