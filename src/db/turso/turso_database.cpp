// The async layer of TursoDatabase: each local operation is one hop to the worker
// pool and one post back to the awaiting coroutine's executor; remote operations go
// to the server (sync/remote_executor, sync/remote_database); an embedded replica's
// sync strings together the steps of sync/replica. The only translation unit of the
// backend that includes Asio's implementation headers.
#include "patina/db/turso_database.hpp"

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>
#include <utility>

#include "db/common/schema.hpp"
#include "db/turso/database_access.hpp"
#include "db/turso/local_store.hpp"
#include "db/turso/sync/remote_database.hpp"
#include "db/turso/sync/remote_executor.hpp"
#include "db/turso/sync/replica.hpp"
#include "db/turso/sync/replica_files.hpp"
#include "db/turso/worker_pool.hpp"

namespace patina::db {

namespace asio = boost::asio;

namespace turso {

namespace {

constexpr std::size_t min_default_readers = 2;
constexpr std::size_t max_default_readers = 4;

std::size_t reader_count(const turso_database_options& options) {
  if (options.reader_threads != 0) return options.reader_threads;
  const std::size_t cpus = std::thread::hardware_concurrency();
  return std::clamp(cpus, min_default_readers, max_default_readers);
}

// ":memory:" is a temporary file: several connections (readers and the writer) must
// see the same database, which SQLite's private in-memory databases cannot offer.
result<std::filesystem::path> make_temporary_file() {
  std::error_code ec;
  const auto dir = std::filesystem::temp_directory_path(ec);
  if (ec) {
    return fail(errc::io_error, "no temporary folder for an in-memory database; set TMPDIR",
                ec.message());
  }
  std::string name = (dir / "patina-memory-XXXXXX").string();
  const int fd = ::mkstemp(name.data());
  if (fd < 0) {
    return fail(errc::io_error,
                "cannot create a temporary file for an in-memory database in " + dir.string() +
                    "; check that the folder is writable (or set TMPDIR)",
                std::generic_category().message(errno));
  }
  ::close(fd);
  return std::filesystem::path(name);
}

}  // namespace

// Removes a temporary database file (and its WAL files) after the connections closed.
struct temporary_file {
  std::filesystem::path path;
  temporary_file() = default;
  temporary_file(const temporary_file&) = delete;
  temporary_file& operator=(const temporary_file&) = delete;
  ~temporary_file() {
    if (path.empty()) return;
    std::error_code ignored;
    for (const char* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(path.string() + suffix, ignored);
    }
  }
};

// An embedded replica's sync bookkeeping.
struct replica_state {
  explicit replica_state(const std::filesystem::path& db) : paths(db) {}

  sync::replica_paths paths;
  std::optional<sync::replica_lock> lock;  // used on the writer thread only
  std::atomic<bool> syncing{false};
  bool remote_schema_checked = false;  // by the running sync only

  sync::replica_metadata snapshot() const {
    const std::lock_guard guard(mutex);
    return meta;
  }
  // Records `m` durably, then makes it the current metadata.
  result<void> store(sync::replica_metadata m) {
    if (auto written = sync::write_metadata(paths.metadata, m); !written) return written;
    const std::lock_guard guard(mutex);
    meta = std::move(m);
    return {};
  }
  void add_listener(std::function<void()> listener) {
    const std::lock_guard guard(mutex);
    listeners.push_back(std::move(listener));
  }
  std::vector<std::function<void()>> current_listeners() const {
    const std::lock_guard guard(mutex);
    return listeners;
  }
  // For metadata read back from its file (already durable).
  void adopt(sync::replica_metadata m) {
    const std::lock_guard guard(mutex);
    meta = std::move(m);
  }

 private:
  mutable std::mutex mutex;  // guards meta and listeners
  sync::replica_metadata meta;
  std::vector<std::function<void()>> listeners;

};

struct database_state {
  database_state(asio::any_io_executor ex, std::filesystem::path file, turso_database_options opts,
                 database_mode how)
      : executor(std::move(ex)), path(std::move(file)), options(std::move(opts)), mode(how) {
    if (mode != database_mode::remote) pool.emplace(reader_count(options));
  }

  asio::any_io_executor executor;
  std::filesystem::path path;
  turso_database_options options;
  database_mode mode;
  std::string url;                              // remote and embedded
  std::optional<sync::remote_executor> remote;  // remote and embedded
  std::unique_ptr<replica_state> replica;       // embedded
  local_store store;
  std::atomic<int> schema_version{0};

  // Set when an embedded replica lost its connections (a sync failed while applying
  // pages): every later operation reports it.
  void set_broken(error e) {
    const std::lock_guard guard(broken_mutex);
    broken = std::move(e);
  }
  std::optional<error> broken_error() const {
    const std::lock_guard guard(broken_mutex);
    return broken;
  }

  temporary_file temporary;  // destroyed after the pool has closed the connections
  std::optional<worker_pool> pool;  // declared last: destroyed first, draining queued tasks

 private:
  mutable std::mutex broken_mutex;
  std::optional<error> broken;
};

namespace {

enum class side { reader, writer };

// Runs `body` on a pool thread and completes on the awaiting coroutine's executor.
// `body` takes `detail::connection&` (or `detail::connection*` for the opening task,
// which runs before the writer has a connection) and returns result<T>. An exception
// from `body` is rethrown in the caller. References captured by `body` stay valid:
// the coroutine frame is owned by the completion handler, which the task holds.
template <class T, class Body>
awaitable<result<T>> on_pool(database_state& state, side where, Body body) {
  using outcome = std::optional<result<T>>;
  assert(state.pool && "on_pool: a remote database has no pool");
  auto initiation = [&state, where](auto handler, Body work_body) {
    auto ex = asio::get_associated_executor(handler, state.executor);
    // Keeps the caller's io_context running until the completion is posted.
    auto work = asio::prefer(ex, asio::execution::outstanding_work.tracked);
    pool_task task([handler = std::move(handler), work = std::move(work),
                    work_body = std::move(work_body)](detail::connection* conn) mutable noexcept {
      std::exception_ptr error;
      outcome value;
      try {
        if constexpr (std::is_invocable_v<Body&, detail::connection*>) {
          value.emplace(work_body(conn));
        } else if (conn == nullptr) {
          auto broken = state.broken_error();
          value.emplace(broken ? fail(std::move(*broken))
                               : fail(errc::internal, "a database operation ran before the database was open; this is a bug"));
        } else {
          value.emplace(work_body(*conn));
        }
      } catch (...) {
        error = std::current_exception();
      }
      // Never inline: the completion always goes through the caller's executor.
      asio::post(work, [handler = std::move(handler), error, value = std::move(value)]() mutable {
        std::move(handler)(error, std::move(value));
      });
    });
    if (where == side::reader) {
      state.pool->post_read(std::move(task));
    } else {
      state.pool->post_write(std::move(task));
    }
  };
  auto done = co_await asio::async_initiate<const asio::use_awaitable_t<>&,
                                            void(std::exception_ptr, outcome)>(
      std::move(initiation), asio::use_awaitable, std::move(body));
  co_return std::move(*done);
}

// The throwing forms: thin wrappers over the primary forms.
template <class T>
awaitable<T> value_or_throw(awaitable<result<T>> operation) {
  auto outcome = co_await std::move(operation);
  co_return std::move(outcome).value();
}

awaitable<void> value_or_throw(awaitable<result<void>> operation) {
  auto outcome = co_await std::move(operation);
  outcome.value();
}

using state_ptr = std::shared_ptr<database_state>;

awaitable<result<TursoDatabase>> open_database(state_ptr state) {
  auto opened = co_await on_pool<int>(*state, side::writer, [&state](detail::connection*) -> result<int> {
    std::filesystem::path file = state->path;
    if (file.native() == ":memory:") {
      auto temporary = make_temporary_file();
      if (!temporary) return fail(temporary.err());
      file = *temporary;
      state->temporary.path = file;
    }
    if (std::error_code ec; std::filesystem::exists(sync::replica_paths(file).metadata, ec)) {
      return fail(errc::invalid_argument,
                  file.string() + " is an embedded replica of a Turso server; open it as one (turso.mode = "
                                  "\"embedded\"), since opening it as a local file would break its sync");
    }
    auto connections = local_store::open(file, state->pool->reader_count(), state->options.file);
    if (!connections) return fail(connections.err());
    state->pool->install(std::move(connections->readers), std::move(connections->writer));
    state->schema_version = connections->schema_version;
    return connections->schema_version;
  });
  if (!opened) co_return fail(opened.err());
  co_return database_access::make(std::move(state));
}

awaitable<result<query_result>> do_query(state_ptr state, std::string sql, std::vector<value> params) {
  auto rows = co_await on_pool<query_result>(*state, side::reader, [&](detail::connection& c) {
    return state->store.query(c, sql, params);
  });
  if (rows || rows.err().code != errc::read_only) co_return rows;
  // The statement writes: run it on the writer instead.
  auto written = co_await on_pool<query_result>(*state, side::writer, [&](detail::connection& c) {
    return state->store.query_on_writer(c, sql, params);
  });
  co_return written;
}

awaitable<result<query_result>> do_query_readonly(state_ptr state, std::string sql, std::vector<value> params) {
  auto rows = co_await on_pool<query_result>(*state, side::reader, [&](detail::connection& c) {
    return state->store.query_read_only(c, sql, params);
  });
  co_return rows;
}

awaitable<result<exec_result>> do_execute(state_ptr state, std::string sql, std::vector<value> params) {
  auto done = co_await on_pool<exec_result>(*state, side::writer, [&](detail::connection& c) {
    return state->store.execute(c, sql, params);
  });
  co_return done;
}

awaitable<result<void>> do_execute_batch(state_ptr state, std::vector<statement> batch) {
  auto done = co_await on_pool<void>(*state, side::writer, [&](detail::connection& c) {
    return state->store.execute_batch(c, batch);
  });
  co_return done;
}

awaitable<result<std::size_t>> do_vector_dimension(state_ptr state) {
  auto dimension = co_await on_pool<std::size_t>(*state, side::reader, [&](detail::connection& c) {
    return state->store.vector_dimension(c);
  });
  co_return dimension;
}

awaitable<result<void>> do_set_vector_dimension(state_ptr state, std::size_t dimension) {
  auto done = co_await on_pool<void>(*state, side::writer, [&](detail::connection& c) {
    return state->store.set_vector_dimension(c, dimension);
  });
  co_return done;
}

awaitable<result<void>> do_vector_upsert(state_ptr state, vector_table table, std::vector<vector_item> items) {
  auto done = co_await on_pool<void>(*state, side::writer, [&](detail::connection& c) {
    return state->store.vector_upsert(c, table, items);
  });
  co_return done;
}

awaitable<result<void>> do_vector_delete(state_ptr state, vector_table table, std::vector<std::int64_t> ids) {
  auto done = co_await on_pool<void>(*state, side::writer, [&](detail::connection& c) {
    return state->store.vector_delete(c, table, ids);
  });
  co_return done;
}

awaitable<result<std::vector<vector_match>>> do_vector_search(state_ptr state, vector_table table,
                                                              std::vector<float> query, vector_filter filter,
                                                              std::size_t k, vector_search_path path) {
  auto matches = co_await on_pool<std::vector<vector_match>>(*state, side::reader, [&](detail::connection& c) {
    return state->store.vector_search(c, table, query, filter, k, path == vector_search_path::sql);
  });
  co_return matches;
}

}  // namespace

TursoDatabase database_access::make(std::shared_ptr<database_state> state) {
  return TursoDatabase(std::move(state));
}

awaitable<result<int>> database_access::run_on_reader(TursoDatabase& db, std::function<int()> body) {
  auto state = db.state_;
  auto value = co_await on_pool<int>(*state, side::reader, [&](detail::connection&) -> result<int> {
    return body();
  });
  co_return value;
}

}  // namespace turso

TursoDatabase::TursoDatabase(std::shared_ptr<turso::database_state> state) noexcept
    : state_(std::move(state)) {}
TursoDatabase::TursoDatabase(TursoDatabase&&) noexcept = default;
TursoDatabase& TursoDatabase::operator=(TursoDatabase&&) noexcept = default;
TursoDatabase::~TursoDatabase() = default;

awaitable<result<TursoDatabase>> TursoDatabase::try_open(asio::any_io_executor executor,
                                                         std::filesystem::path path,
                                                         turso_database_options options) {
  // Starting the threads is an infrastructure step: a failure throws.
  auto state = std::make_shared<turso::database_state>(std::move(executor), std::move(path), options);
  return turso::open_database(std::move(state));
}

awaitable<TursoDatabase> TursoDatabase::open(asio::any_io_executor executor, std::filesystem::path path,
                                             turso_database_options options) {
  return turso::value_or_throw(try_open(std::move(executor), std::move(path), options));
}

// Every operation copies its arguments before the coroutine starts (these functions
// are not coroutines), so the caller's data may die as soon as the call returns.

awaitable<result<query_result>> TursoDatabase::try_query(std::string_view sql, std::span<const value> params) {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_query(state_, std::string(sql), std::vector<value>(params.begin(), params.end()));
}
awaitable<query_result> TursoDatabase::query(std::string_view sql, std::span<const value> params) {
  return turso::value_or_throw(try_query(sql, params));
}

awaitable<result<exec_result>> TursoDatabase::try_execute(std::string_view sql, std::span<const value> params) {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_execute(state_, std::string(sql), std::vector<value>(params.begin(), params.end()));
}
awaitable<exec_result> TursoDatabase::execute(std::string_view sql, std::span<const value> params) {
  return turso::value_or_throw(try_execute(sql, params));
}

awaitable<result<void>> TursoDatabase::try_execute_batch(std::span<const statement> statements) {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_execute_batch(state_, std::vector<statement>(statements.begin(), statements.end()));
}
awaitable<void> TursoDatabase::execute_batch(std::span<const statement> statements) {
  return turso::value_or_throw(try_execute_batch(statements));
}

awaitable<result<query_result>> TursoDatabase::try_query_readonly(std::string_view sql,
                                                                  std::span<const value> params) {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_query_readonly(state_, std::string(sql), std::vector<value>(params.begin(), params.end()));
}
awaitable<query_result> TursoDatabase::query_readonly(std::string_view sql, std::span<const value> params) {
  return turso::value_or_throw(try_query_readonly(sql, params));
}

awaitable<result<std::size_t>> TursoDatabase::try_vector_dimension() {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_vector_dimension(state_);
}
awaitable<std::size_t> TursoDatabase::vector_dimension() {
  return turso::value_or_throw(try_vector_dimension());
}

awaitable<result<void>> TursoDatabase::try_set_vector_dimension(std::size_t dimension) {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_set_vector_dimension(state_, dimension);
}
awaitable<void> TursoDatabase::set_vector_dimension(std::size_t dimension) {
  return turso::value_or_throw(try_set_vector_dimension(dimension));
}

awaitable<result<void>> TursoDatabase::try_vector_upsert(vector_table table, std::span<const vector_item> items) {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_vector_upsert(state_, table, std::vector<vector_item>(items.begin(), items.end()));
}
awaitable<void> TursoDatabase::vector_upsert(vector_table table, std::span<const vector_item> items) {
  return turso::value_or_throw(try_vector_upsert(table, items));
}

awaitable<result<void>> TursoDatabase::try_vector_delete(vector_table table, std::span<const std::int64_t> ids) {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_vector_delete(state_, table, std::vector<std::int64_t>(ids.begin(), ids.end()));
}
awaitable<void> TursoDatabase::vector_delete(vector_table table, std::span<const std::int64_t> ids) {
  return turso::value_or_throw(try_vector_delete(table, ids));
}

awaitable<result<std::vector<vector_match>>> TursoDatabase::try_vector_search(vector_table table,
                                                                              std::span<const float> query,
                                                                              const vector_filter& filter,
                                                                              std::size_t k) {
  assert(state_ && "TursoDatabase: used after move");
  return try_vector_search(table, query, filter, k, state_->options.search_path);
}

awaitable<result<std::vector<vector_match>>> TursoDatabase::try_vector_search(
    vector_table table, std::span<const float> query, const vector_filter& filter, std::size_t k,
    vector_search_path path) {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_vector_search(state_, table, std::vector<float>(query.begin(), query.end()), filter, k, path);
}

awaitable<std::vector<vector_match>> TursoDatabase::vector_search(vector_table table, std::span<const float> query,
                                                                  const vector_filter& filter, std::size_t k) {
  return turso::value_or_throw(try_vector_search(table, query, filter, k));
}

awaitable<std::vector<vector_match>> TursoDatabase::vector_search(vector_table table, std::span<const float> query,
                                                                  const vector_filter& filter, std::size_t k,
                                                                  vector_search_path path) {
  return turso::value_or_throw(try_vector_search(table, query, filter, k, path));
}

vector_cache_info TursoDatabase::vector_cache(vector_table table) const {
  assert(state_ && "TursoDatabase: used after move");
  const auto stats = state_->store.cache_stats(table);
  return vector_cache_info{stats.rows, stats.dimension, stats.bytes, stats.raw_vector_bytes, stats.rebuilds};
}

void TursoDatabase::invalidate_vector_caches() {
  assert(state_ && "TursoDatabase: used after move");
  state_->store.invalidate_caches();
}

int TursoDatabase::schema_version() const noexcept { return state_->schema_version; }

const std::filesystem::path& TursoDatabase::path() const noexcept { return state_->path; }

asio::any_io_executor TursoDatabase::get_executor() const noexcept { return state_->executor; }

}  // namespace patina::db
