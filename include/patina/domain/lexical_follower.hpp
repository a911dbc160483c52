/// @file
/// patina/domain/lexical_follower.hpp — keeps a lexical index following a long
/// write to the database (a scrape), so that its cost is paid beside the writer
/// instead of after it.
///
/// After each commit the writer calls notify(); a refresh (LexicalIndex::refresh)
/// then runs beside it, one pending wake-up covering any number of commits.
/// finish() stops following, waits for a refresh under way and refreshes what is
/// left, so the store is complete when it returns. A failed follow-up refresh
/// ends the following quietly: finish() refreshes anyway, and its failure is the
/// one reported. stop() is finish() without the last refresh (the writer failed).
///
/// SQLite build: the refreshes run on a thread of the follower's own, reading
/// through `reader`, a second connection to the same database (in WAL mode it
/// sees each commit); without one nothing follows, and finish() does all the work
/// through the writer's connection. Turso build: a coroutine on the caller's
/// executor reads through the writer's own database (the store's work runs on the
/// LexicalIndex's thread); with `follow` false (remote mode, where every read is a
/// round trip to the server) nothing follows.
///
/// LexicalFollower<DB> is a template over the database type, like LexicalIndex.
///
/// Thread safety: notify(), finish() and stop() are called from the writer's
/// thread (Turso build: its executor). The follower owns the store; the database
/// (and, SQLite build, the reader, which it owns) must outlive it. In the Turso
/// build, stop() or finish() must be awaited before the database goes away.
#pragma once

#include <memory>
#include <optional>
#include <utility>

#include "patina/db/concepts.hpp"
#include "patina/domain/lexical_index.hpp"
#include "patina/domain/lexical_store.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#else
#include <condition_variable>
#include <mutex>
#include <thread>
#endif

namespace patina::domain {

/// Keeps a lexical_store following the writes to a database; see the file
/// description for the contract and thread safety.
template <class DB>
class LexicalFollower {
 public:
  /// Takes over the following; the moved-from object may only be destroyed.
  LexicalFollower(LexicalFollower&&) noexcept = default;
  /// Not assignable: a follower stays with the write it follows.
  LexicalFollower& operator=(LexicalFollower&&) = delete;
  /// Not copyable: one follower per store.
  LexicalFollower(const LexicalFollower&) = delete;
  /// Not copyable: one follower per store.
  LexicalFollower& operator=(const LexicalFollower&) = delete;

  /// The store the follower keeps up to date (complete after finish()).
  lexical_store& store() noexcept { return state_->store; }

#if defined(PATINA_BACKEND_TURSO)
  // --- Turso build (asynchronous) -----------------------------------------------

  /// Starts following `db` on the caller's executor; with `follow` false, only
  /// finish() refreshes. REQUIRES: db outlives the follower (see above).
  static db::awaitable<LexicalFollower> start(DB& db, lexical_store store, bool follow)
    requires db::AsyncDatabase<DB>
  {
    auto ex = co_await boost::asio::this_coro::executor;
    auto s = std::make_shared<state>(ex, db, std::move(store));
    s->following = follow;
    if (follow) boost::asio::co_spawn(ex, follow_loop(s), boost::asio::detached);
    co_return LexicalFollower(std::move(s));
  }

  /// The writer committed. Cheap.
  void notify() {
    if (state_ && state_->following && !state_->stopping) state_->wake.try_send(boost::system::error_code{});
  }

  /// Stops following and waits for a refresh under way, without the last one.
  db::awaitable<void> stop() {
    auto s = state_;
    if (s->following && !s->stopping) {
      s->stopping = true;
      // If the buffer is full, the pending wake-up makes the loop see `stopping`.
      s->wake.try_send(boost::system::error_code{});
      co_await s->done.async_receive(boost::asio::use_awaitable);
    }
    s->stopping = true;
  }

  /// Stops following and brings the store up to date.
  db::awaitable<void> finish() {
    co_await stop();
    co_await state_->index.refresh();
  }

  /// Without stop() or finish() (the writer failed): the loop ends after its current refresh.
  ~LexicalFollower() {
    if (state_ && !state_->stopping) {
      state_->stopping = true;
      state_->wake.try_send(boost::system::error_code{});
    }
  }

 private:
  struct state {
    using channel = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;
    state(boost::asio::any_io_executor ex, DB& db, lexical_store s)
        : store(std::move(s)), index(db, store), wake(ex, 1), done(ex, 1) {}
    lexical_store store;
    LexicalIndex<DB> index;  // over the writer's database and `store`
    bool following = false;
    bool stopping = false;
    channel wake;  // one pending wake-up covers any number of commits
    channel done;  // the loop has ended
  };

  static boost::asio::awaitable<void> follow_loop(std::shared_ptr<state> s) {
    while (!s->stopping) {
      co_await s->wake.async_receive(boost::asio::use_awaitable);
      if (s->stopping) break;
      try {
        co_await s->index.refresh();
      } catch (...) {
        break;  // finish() refreshes again and reports what fails then
      }
    }
    s->done.try_send(boost::system::error_code{});
  }

#else
  // --- SQLite build (synchronous) -----------------------------------------------

  /// Starts following `db`, reading through `reader` on a thread of its own;
  /// without a reader, only finish() refreshes. REQUIRES: db outlives the follower.
  static LexicalFollower start(DB& db, std::optional<DB> reader, lexical_store store)
    requires db::SyncDatabase<DB>
  {
    auto s = std::make_shared<state>(db, std::move(reader), std::move(store));
    if (s->reader) s->thread = std::thread([raw = s.get()] { raw->run(); });
    return LexicalFollower(std::move(s));
  }

  /// The writer committed. Cheap.
  void notify() {
    if (!state_) return;
    {
      const std::lock_guard<std::mutex> lock(state_->mutex);
      state_->pending = true;
    }
    state_->wake.notify_one();
  }

  /// Stops following and waits for a refresh under way, without the last one.
  void stop() { state_->stop(); }

  /// Stops following and brings the store up to date.
  void finish() {
    state_->stop();
    LexicalIndex<DB> index(*state_->db, state_->store);
    index.refresh();
  }

  /// Stops the following thread, waiting for a refresh under way.
  ~LexicalFollower() = default;

 private:
  struct state {
    state(DB& d, std::optional<DB> r, lexical_store s) : db(&d), reader(std::move(r)), store(std::move(s)) {}
    state(const state&) = delete;
    state& operator=(const state&) = delete;
    ~state() { stop(); }

    DB* db;                    // the writer's connection, for the last refresh
    std::optional<DB> reader;  // the follower's own read connection, if any
    lexical_store store;
    std::mutex mutex;
    std::condition_variable wake;
    bool pending = false;
    bool stopping = false;
    std::thread thread;

    void run() {
      LexicalIndex<DB> index(*reader, store);
      std::unique_lock<std::mutex> lock(mutex);
      for (;;) {
        wake.wait(lock, [this] { return pending || stopping; });
        if (stopping) return;
        pending = false;
        lock.unlock();
        try {
          index.refresh();
        } catch (...) {
          return;  // finish() refreshes again and reports what fails then
        }
        lock.lock();
      }
    }
    void stop() {
      {
        const std::lock_guard<std::mutex> lock(mutex);
        stopping = true;
      }
      wake.notify_one();
      if (thread.joinable()) thread.join();
    }
  };
#endif

  explicit LexicalFollower(std::shared_ptr<state> s) : state_(std::move(s)) {}
  std::shared_ptr<state> state_;
};

}  // namespace patina::domain
