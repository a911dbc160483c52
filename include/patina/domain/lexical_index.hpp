/// @file
/// patina/domain/lexical_index.hpp — keeps the lexical (BM25) index in step with
/// the database and searches it.
///
/// The index itself is a lexical_store: a local sidecar file (`.patina/local.db`
/// in a project), never the synced database. LexicalIndex<DB> reads the code
/// index and the knowledge items from the database `DB` and updates the store:
/// refresh() first compares two cheap stamps (one query); when the code stamp
/// moved it compares every file's stamp (content hash and index time) and
/// rewrites only the files that changed or disappeared, in batches of files,
/// each batch one transaction; when the knowledge stamp moved it rewrites the
/// knowledge documents (there are few). An interrupted refresh resumes at the
/// next one. Searches refresh first, so the index is not stale, unless another
/// process holds the store for writing past its busy timeout (a scrape's
/// follower): the search then goes on with the index as it is and stale() says
/// so. The sync code may also call refresh() after a pull to pay the cost up front.
///
/// LexicalIndex<DB> is a template over the database type: plain calls for a
/// db::SyncDatabase (SQLite build); awaitables for a db::AsyncDatabase (Turso
/// build), where every sidecar operation runs on the index's own thread, never
/// on the caller's I/O thread, and completes on the caller's executor.
///
/// Thread safety: borrows the database and the store; one operation at a time
/// per LexicalIndex (the Turso build's thread serialises the store's work, but
/// two refreshes must not interleave). Both must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <span>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "patina/core/error.hpp"
#include "patina/db/concepts.hpp"
#include "patina/domain/detail/search.hpp"
#include "patina/domain/lexical_store.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#endif

namespace patina::domain {

/// What one refresh did.
struct lexical_refresh {
  std::size_t files_updated = 0;  ///< Files whose symbols were (re)indexed.
  std::size_t files_removed = 0;  ///< Files gone from the database, removed from the index.
  std::size_t symbols_indexed = 0;  ///< Symbols written to the index.
  std::size_t knowledge_indexed = 0;  ///< Beliefs and observations written to the index.
  bool knowledge_rebuilt = false;  ///< True when the knowledge part was rebuilt from scratch.
};

/// Keyword search (BM25) over symbols and knowledge, kept in a lexical_store
/// beside the database. Plain calls over a db::SyncDatabase, awaitables over a
/// db::AsyncDatabase; see the file description for the contract and thread safety.
template <class DB>
class LexicalIndex {
 public:
  /// REQUIRES: db and store outlive this object.
  LexicalIndex(DB& db, lexical_store& store) : db_(db), store_(store) {}
  LexicalIndex(const LexicalIndex&) = delete;
  LexicalIndex& operator=(const LexicalIndex&) = delete;

  /// The BM25 field weights used by symbol searches; may be changed between searches.
  lexical_weights& weights() noexcept { return weights_; }

  // --- SQLite build (synchronous) ---------------------------------------------

  /// Brings the store up to date with the database (see above).
  lexical_refresh refresh()
    requires db::SyncDatabase<DB>
  {
    lexical_refresh done;
    const auto stamps_q = detail::select_index_stamps();
    const auto stamps = db_.query(stamps_q.sql, stamps_q.params);
    const auto [code_stamp, knowledge_stamp] = stamps_of(stamps);
    if (code_stamp != store_.stamp(detail::stamp_code)) {
      const auto files_q = detail::select_file_stamps();
      const auto current = detail::file_stamps_from(db_.query(files_q.sql, files_q.params));
      const auto changes = detail::diff_files(current, store_.file_stamps());
      const std::span<const std::int64_t> removed(changes.removed);
      const std::span<const std::pair<std::int64_t, std::string>> changed(changes.changed);
      store_.replace_files({}, removed, {});
      for (std::size_t start = 0; start < changed.size(); start += files_per_batch) {
        const auto chunk = changed.subspan(start, std::min(files_per_batch, changed.size() - start));
        const auto st = detail::select_lexical_symbols(chunk);
        const auto docs = detail::lexical_symbols_from(db_.query(st.sql, st.params));
        done.symbols_indexed += store_.replace_files(chunk, {}, docs);
      }
      store_.set_stamp(detail::stamp_code, code_stamp);
      done.files_updated = changes.changed.size();
      done.files_removed = changes.removed.size();
    }
    if (knowledge_stamp != store_.stamp(detail::stamp_knowledge)) {
      const auto st = detail::select_lexical_knowledge();
      const auto docs = detail::lexical_knowledge_from(db_.query(st.sql, st.params));
      done.knowledge_indexed = store_.replace_knowledge(docs, knowledge_stamp);
      done.knowledge_rebuilt = true;
    }
    return done;
  }

  /// refresh() for a search: when another process holds the store for writing
  /// past its busy timeout (a scrape's follower, another search catching up),
  /// the search goes on with the index as it is rather than failing, and stale()
  /// says so until the next refresh succeeds.
  void refresh_for_search()
    requires db::SyncDatabase<DB>
  {
    try {
      refresh();
      stale_ = false;
    } catch (const exception& e) {
      if (e.code() != errc::busy) throw;
      stale_ = true;
    }
  }

  /// True when the last search's refresh gave way to another process (see
  /// refresh_for_search): the index may miss the newest changes.
  bool stale() const noexcept { return stale_; }

  /// The best k symbols for the query's words after `filter` (refresh first).
  std::vector<lexical_match> search_symbols(const std::string& query, const code_filter& filter, std::size_t k)
    requires db::SyncDatabase<DB>
  {
    refresh_for_search();
    return store_.search_symbols(query, filter, k, weights_);
  }

  /// The best k beliefs and observations for the query's words (refresh first).
  std::vector<lexical_match> search_knowledge(const std::string& query, std::size_t k)
    requires db::SyncDatabase<DB>
  {
    refresh_for_search();
    return store_.search_knowledge(query, k);
  }

  /// Both searches after a single refresh, for hybrid search.
  std::pair<std::vector<lexical_match>, std::vector<lexical_match>> search(const std::string& query,
                                                                           const code_filter& filter,
                                                                           std::size_t k, bool symbols,
                                                                           bool knowledge)
    requires db::SyncDatabase<DB>
  {
    refresh_for_search();
    return search_indexed(query, filter, k, symbols, knowledge);
  }

  /// search() without the refresh (call refresh() first). It touches only the
  /// store, never the database, so it may run on another thread while the
  /// caller uses the database (hybrid search overlaps it with the vector signal).
  std::pair<std::vector<lexical_match>, std::vector<lexical_match>> search_indexed(const std::string& query,
                                                                                   const code_filter& filter,
                                                                                   std::size_t k, bool symbols,
                                                                                   bool knowledge)
    requires db::SyncDatabase<DB>
  {
    std::pair<std::vector<lexical_match>, std::vector<lexical_match>> out;
    if (symbols) out.first = store_.search_symbols(query, filter, k, weights_);
    if (knowledge) out.second = store_.search_knowledge(query, k);
    return out;
  }

#if defined(PATINA_BACKEND_TURSO)
  // --- Turso build (asynchronous): same operations, same semantics -----------
  // Arguments are copied before the operation starts.

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<lexical_refresh> refresh()
    requires db::AsyncDatabase<DB>
  {
    lexical_refresh done;
    const auto stamps_q = detail::select_index_stamps();
    const auto stamps = co_await db_.query(stamps_q.sql, stamps_q.params);
    const auto both = stamps_of(stamps);
    const std::string code_stamp = both.first;
    const std::string knowledge_stamp = both.second;
    auto* store = &store_;
    const auto indexed_code = co_await on_store([store] { return store->stamp(detail::stamp_code); });
    if (code_stamp != indexed_code) {
      const auto files_q = detail::select_file_stamps();
      const auto rows = co_await db_.query(files_q.sql, files_q.params);
      const auto current = detail::file_stamps_from(rows);
      const auto indexed = co_await on_store([store] { return store->file_stamps(); });
      const auto changes = detail::diff_files(current, indexed);
      co_await on_store([store, &changes] {
        const std::span<const std::int64_t> removed(changes.removed);
        return store->replace_files({}, removed, {});
      });
      const std::span<const std::pair<std::int64_t, std::string>> changed(changes.changed);
      for (std::size_t start = 0; start < changed.size(); start += files_per_batch) {
        const auto chunk = changed.subspan(start, std::min(files_per_batch, changed.size() - start));
        const auto st = detail::select_lexical_symbols(chunk);
        const auto symbol_rows = co_await db_.query(st.sql, st.params);
        const auto docs = detail::lexical_symbols_from(symbol_rows);
        const auto n = co_await on_store([store, chunk, &docs] { return store->replace_files(chunk, {}, docs); });
        done.symbols_indexed += n;
      }
      co_await on_store([store, &code_stamp] {
        store->set_stamp(detail::stamp_code, code_stamp);
        return true;
      });
      done.files_updated = changes.changed.size();
      done.files_removed = changes.removed.size();
    }
    const auto indexed_knowledge = co_await on_store([store] { return store->stamp(detail::stamp_knowledge); });
    if (knowledge_stamp != indexed_knowledge) {
      const auto st = detail::select_lexical_knowledge();
      const auto rows = co_await db_.query(st.sql, st.params);
      const auto docs = detail::lexical_knowledge_from(rows);
      const auto n = co_await on_store(
          [store, &docs, &knowledge_stamp] { return store->replace_knowledge(docs, knowledge_stamp); });
      done.knowledge_indexed = n;
      done.knowledge_rebuilt = true;
    }
    co_return done;
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<void> refresh_for_search()
    requires db::AsyncDatabase<DB>
  {
    std::exception_ptr failure;
    try {
      co_await refresh();
      stale_ = false;
    } catch (const exception& e) {
      if (e.code() == errc::busy) {
        stale_ = true;
      } else {
        failure = std::current_exception();
      }
    }
    if (failure) std::rethrow_exception(failure);
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<lexical_match>> search_symbols(std::string query, code_filter filter, std::size_t k)
    requires db::AsyncDatabase<DB>
  {
    co_await refresh_for_search();
    auto* store = &store_;
    const auto w = weights_;
    auto out = co_await on_store([store, &query, &filter, k, w] { return store->search_symbols(query, filter, k, w); });
    co_return out;
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<lexical_match>> search_knowledge(std::string query, std::size_t k)
    requires db::AsyncDatabase<DB>
  {
    co_await refresh_for_search();
    auto* store = &store_;
    auto out = co_await on_store([store, &query, k] { return store->search_knowledge(query, k); });
    co_return out;
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::pair<std::vector<lexical_match>, std::vector<lexical_match>>> search(
      std::string query, code_filter filter, std::size_t k, bool symbols, bool knowledge)
    requires db::AsyncDatabase<DB>
  {
    co_await refresh_for_search();
    auto* store = &store_;
    const auto w = weights_;
    auto out = co_await on_store([store, &query, &filter, k, w, symbols, knowledge] {
      std::pair<std::vector<lexical_match>, std::vector<lexical_match>> found;
      if (symbols) found.first = store->search_symbols(query, filter, k, w);
      if (knowledge) found.second = store->search_knowledge(query, k);
      return found;
    });
    co_return out;
  }
#endif

 private:
  static constexpr std::size_t files_per_batch = 256;
  bool stale_ = false;

  static std::pair<std::string, std::string> stamps_of(const db::query_result& r) {
    std::pair<std::string, std::string> out;
    if (r.rows.empty() || r.rows.front().size() < 2) return out;
    if (const auto* s = std::get_if<std::string>(&r.rows.front()[0])) out.first = *s;
    if (const auto* s = std::get_if<std::string>(&r.rows.front()[1])) out.second = *s;
    return out;
  }

#if defined(PATINA_BACKEND_TURSO)
  /// Runs `f` (returning a non-void value) on the store's thread and resumes the
  /// caller on its own executor with the value (or the exception). The caller's
  /// executor is kept busy meanwhile so that its io_context does not run dry.
  template <class F>
  db::awaitable<std::invoke_result_t<F&>> on_store(F f) {
    namespace asio = boost::asio;
    using value_type = std::invoke_result_t<F&>;
    auto caller = co_await asio::this_coro::executor;
    auto guard = asio::make_work_guard(caller);
    auto value = co_await asio::co_spawn(
        thread_.get_executor(), [f = std::move(f)]() mutable -> db::awaitable<value_type> { co_return f(); },
        asio::use_awaitable);
    co_return value;
  }

  boost::asio::thread_pool thread_{1};
#endif

  DB& db_;
  lexical_store& store_;
  lexical_weights weights_;
};

}  // namespace patina::domain
