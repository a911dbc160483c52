#include "local_index.hpp"

#include <iostream>
#include <optional>
#include <string>
#include <utility>

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

#include "patina/domain/lexical_index.hpp"

namespace patina::cli {

std::filesystem::path beside_database(const std::filesystem::path& database_path, std::string_view name) {
  if (database_path.filename() == "patina.db") return database_path.parent_path() / name;
  return database_path.parent_path() / (database_path.stem().string() + "." + std::string(name));
}

std::filesystem::path local_index_path(const std::filesystem::path& database_path) {
  return beside_database(database_path, "local.db");
}

domain::lexical_store open_local_index(context& ctx) {
  const auto path = local_index_path(ctx.database_path());
  auto opened = domain::lexical_store::try_open(path, ctx.mmap_bytes);
  if (opened) return std::move(*opened);
  // Derived data: a search still works from a private copy, built now.
  std::cerr << "patina: warning: " << opened.err().message << "; using a temporary index for this command\n";
  return domain::lexical_store::open(":memory:");
}

task<void> refresh_local_indexes(context& ctx, database& db) {
  auto store = open_local_index(ctx);
  domain::LexicalIndex<database> lexical(db, store);
  PATINA_AWAIT lexical.refresh();
}

// --- index_follower ----------------------------------------------------------

#if defined(PATINA_BACKEND_TURSO)

struct index_follower::state {
  using channel = boost::asio::experimental::concurrent_channel<void(boost::system::error_code)>;
  state(boost::asio::any_io_executor ex, database& db, domain::lexical_store s)
      : store(std::move(s)), index(db, store), wake(ex, 1), done(ex, 1) {}
  domain::lexical_store store;
  domain::LexicalIndex<database> index;  // over the command's connection and `store`
  bool following = false;
  bool stopping = false;
  channel wake;  // one pending wake-up covers any number of commits
  channel done;  // the follower's loop has ended
};

namespace {

boost::asio::awaitable<void> follow(std::shared_ptr<index_follower::state> s) {
  namespace asio = boost::asio;
  while (!s->stopping) {
    co_await s->wake.async_receive(asio::use_awaitable);
    if (s->stopping) break;
    try {
      co_await s->index.refresh();
    } catch (...) {
      break;  // finish() refreshes again and reports what fails then
    }
  }
  s->done.try_send(boost::system::error_code{});
}

}  // namespace

task<index_follower> index_follower::start(context& ctx, database& db) {
  auto ex = co_await boost::asio::this_coro::executor;
  auto s = std::make_shared<state>(ex, db, open_local_index(ctx));
  s->following = ctx.project_config().turso.mode != turso_mode::remote;
  if (s->following) boost::asio::co_spawn(ex, follow(s), boost::asio::detached);
  co_return index_follower(std::move(s));
}

void index_follower::notify() {
  if (state_ && state_->following && !state_->stopping) state_->wake.try_send(boost::system::error_code{});
}

task<void> index_follower::stop() {
  auto s = state_;
  if (s->following && !s->stopping) {
    s->stopping = true;
    // If the buffer is full, the pending wake-up makes the loop see `stopping`.
    s->wake.try_send(boost::system::error_code{});
    co_await s->done.async_receive(boost::asio::use_awaitable);
  }
  s->stopping = true;
}

task<void> index_follower::finish() {
  co_await stop();
  co_await state_->index.refresh();
}

index_follower::~index_follower() {
  // Without finish() (the writer failed): let the loop end after its current refresh.
  if (state_ && !state_->stopping) {
    state_->stopping = true;
    state_->wake.try_send(boost::system::error_code{});
  }
}

#else

struct index_follower::state {
  state(database& d, std::optional<database> r, domain::lexical_store s)
      : db(&d), reader(std::move(r)), store(std::move(s)) {}
  database* db;                   // the command's connection, for the last refresh
  std::optional<database> reader;  // the follower's own read connection, if it opened
  domain::lexical_store store;
  std::mutex mutex;
  std::condition_variable wake;
  bool pending = false;
  bool stopping = false;
  std::thread thread;

  ~state() { stop(); }
  state(const state&) = delete;
  state& operator=(const state&) = delete;

  void run() {
    domain::LexicalIndex<database> index(*reader, store);
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

index_follower index_follower::start(context& ctx, database& db) {
  std::optional<database> reader;
  try {
    reader = ctx.open_database(db::open_mode::read_only);
  } catch (const exception&) {
    // Following is an optimisation: without a second connection, finish() does it all.
  }
  auto s = std::make_shared<state>(db, std::move(reader), open_local_index(ctx));
  if (s->reader) s->thread = std::thread([raw = s.get()] { raw->run(); });
  return index_follower(std::move(s));
}

void index_follower::notify() {
  if (!state_) return;
  {
    const std::lock_guard<std::mutex> lock(state_->mutex);
    state_->pending = true;
  }
  state_->wake.notify_one();
}

void index_follower::stop() { state_->stop(); }

void index_follower::finish() {
  state_->stop();
  domain::LexicalIndex<database> index(*state_->db, state_->store);
  index.refresh();
}

index_follower::~index_follower() = default;  // ~state stops the thread

#endif

index_follower::index_follower(std::shared_ptr<state> s) : state_(std::move(s)) {}
index_follower::index_follower(index_follower&&) noexcept = default;

}  // namespace patina::cli
