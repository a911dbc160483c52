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
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <chrono>
#include <csignal>
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
    const std::lock_guard guard(mutex_);
    return meta_;
  }
  // Records `m` durably, then makes it the current metadata.
  result<void> store(sync::replica_metadata m) {
    if (auto written = sync::write_metadata(paths.metadata, m); !written) return written;
    const std::lock_guard guard(mutex_);
    meta_ = std::move(m);
    return {};
  }
  void add_listener(std::function<void()> listener) {
    const std::lock_guard guard(mutex_);
    listeners_.push_back(std::move(listener));
  }
  std::vector<std::function<void()>> current_listeners() const {
    const std::lock_guard guard(mutex_);
    return listeners_;
  }
  // For metadata read back from its file (already durable).
  void adopt(sync::replica_metadata m) {
    const std::lock_guard guard(mutex_);
    meta_ = std::move(m);
  }

 private:
  mutable std::mutex mutex_;  // guards meta_ and listeners_
  sync::replica_metadata meta_;
  std::vector<std::function<void()>> listeners_;
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
    const std::lock_guard guard(broken_mutex_);
    broken_ = std::move(e);
  }
  std::optional<error> broken_error() const {
    const std::lock_guard guard(broken_mutex_);
    return broken_;
  }

  temporary_file temporary;  // destroyed after the pool has closed the connections
  std::optional<worker_pool> pool;  // declared last: destroyed first, draining queued tasks

 private:
  mutable std::mutex broken_mutex_;
  std::optional<error> broken_;
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
    pool_task task([&state, handler = std::move(handler), work = std::move(work),
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


// ---- remote mode -------------------------------------------------------------------

sync::http_options http_options_of(const turso_database_options& o) {
  sync::http_options h;
  h.connect_timeout = o.connect_timeout;
  h.request_timeout = o.request_timeout;
  h.ca_file = o.ca_file;
  return h;
}

std::optional<std::string> token_of(std::string token) {
  if (token.empty()) return std::nullopt;
  return std::optional<std::string>(std::move(token));
}

std::string_view mode_name(database_mode mode) {
  switch (mode) {
    case database_mode::local: return "local";
    case database_mode::remote: return "remote";
    case database_mode::embedded: return "embedded";
  }
  return "local";
}

awaitable<result<TursoDatabase>> open_remote_database(state_ptr state) {
  auto version = co_await sync::ensure_remote_schema(*state->remote);
  if (!version) co_return fail(std::move(version).err());
  state->schema_version = *version;
  co_return database_access::make(std::move(state));
}

awaitable<result<query_result>> remote_query(state_ptr s, std::string sql, std::vector<value> params) {
  auto rows = co_await s->remote->try_query(sql, params);
  co_return rows;
}

awaitable<result<query_result>> remote_query_readonly(state_ptr s, std::string sql, std::vector<value> params) {
  auto rows = co_await sync::remote_query_readonly(*s->remote, std::move(sql), std::move(params));
  co_return rows;
}

awaitable<result<exec_result>> remote_execute(state_ptr s, std::string sql, std::vector<value> params) {
  auto done = co_await s->remote->try_execute(sql, params);
  co_return done;
}

awaitable<result<void>> remote_execute_batch(state_ptr s, std::vector<statement> batch) {
  auto done = co_await s->remote->try_execute_batch(batch);
  co_return done;
}

awaitable<result<std::size_t>> remote_vector_dimension(state_ptr s) {
  auto dimension = co_await sync::remote_vector_dimension(*s->remote);
  co_return dimension;
}

awaitable<result<void>> remote_set_vector_dimension(state_ptr s, std::size_t dimension) {
  auto done = co_await sync::remote_set_vector_dimension(*s->remote, dimension);
  co_return done;
}

awaitable<result<void>> remote_vector_upsert(state_ptr s, vector_table table, std::vector<vector_item> items) {
  auto done = co_await sync::remote_vector_upsert(*s->remote, table, std::move(items));
  co_return done;
}

awaitable<result<void>> remote_vector_delete(state_ptr s, vector_table table, std::vector<std::int64_t> ids) {
  auto done = co_await sync::remote_vector_delete(*s->remote, table, std::move(ids));
  co_return done;
}

awaitable<result<std::vector<vector_match>>> remote_vector_search(state_ptr s, vector_table table,
                                                                  std::vector<float> query, vector_filter filter,
                                                                  std::size_t k) {
  auto matches = co_await sync::remote_vector_search(*s->remote, table, std::move(query), std::move(filter), k);
  co_return matches;
}

// ---- embedded replica: the steps that run on the writer thread -------------------------

// Test hook (integration tests of crash recovery): when PATINA_SYNC_TEST_STOP names
// this point, the process stops itself (SIGSTOP) so that the test can kill it there.
void test_stop_point(std::string_view point) {
  const char* wanted = std::getenv("PATINA_SYNC_TEST_STOP");
  if (wanted != nullptr && point == wanted) ::raise(SIGSTOP);
}

error base_mismatch(const std::filesystem::path& db) {
  return error{errc::corrupt_database,
               "the replica " + db.string() +
                   " no longer matches the server copy it was made from (another program opened and checkpointed "
                   "it, or it was copied or restored), so the server's changes cannot be applied to it; "
                   "re-bootstrap it with `patina sync --rebootstrap` (which pushes its unsynced changes first), or "
                   "delete it with the files beside it that start with its name and open it again",
               {}};
}

// The server's history restarted (its revision went backwards): pages since our
// revision would describe another database.
error server_reset(const std::string& was, const std::string& now) {
  return error{errc::protocol_error,
               "the Turso server's history was reset (its revision went from " + was + " back to " + now +
                   "), so this replica can no longer follow it; re-bootstrap it with `patina sync --rebootstrap`",
               {}};
}

open_options replica_file_options(const open_options& o) {
  open_options f = o;
  f.mode = open_mode::read_write;
  return f;
}

// Opens the replica's connections, checkpoints off and change capture on, and hands
// them to the pool.
result<void> open_replica_connections(database_state& s) {
  auto connections = local_store::open(s.path, s.pool->reader_count(), replica_file_options(s.options.file),
                                       sync::configure_replica_connection);
  if (!connections) return fail(connections.err());
  if (auto capture = sync::install_replica_capture(connections->writer); !capture) return capture;
  s.schema_version = connections->schema_version;
  s.pool->install(std::move(connections->readers), std::move(connections->writer));
  return {};
}

// Keeps the reader threads idle for a scope of the writer thread.
class readers_paused {
 public:
  explicit readers_paused(worker_pool& pool) : pool_(pool) { pool_.pause_readers(); }
  readers_paused(const readers_paused&) = delete;
  readers_paused& operator=(const readers_paused&) = delete;
  ~readers_paused() { pool_.resume_readers(); }

 private:
  worker_pool& pool_;
};

// Holds the replica's lock exclusively for a scope (then shared again).
class exclusive_scope {
 public:
  static result<std::unique_ptr<exclusive_scope>> take(replica_state& r) {
    if (auto taken = r.lock->make_exclusive(); !taken) return fail(taken.err());
    return std::unique_ptr<exclusive_scope>(new exclusive_scope(r));
  }
  exclusive_scope(const exclusive_scope&) = delete;
  exclusive_scope& operator=(const exclusive_scope&) = delete;
  ~exclusive_scope() { (void)r_.lock->make_shared(); }

 private:
  explicit exclusive_scope(replica_state& r) : r_(r) {}
  replica_state& r_;
};

// Phase `applying`, no connection open: makes the file the staged image and records
// phase `replaying`. Repeatable after a crash at any point.
result<void> finish_applying(database_state& s) {
  auto& r = *s.replica;
  auto meta = r.snapshot();
  if (auto gone = sync::discard_wal(r.paths); !gone) return gone;
  test_stop_point("applying");
  auto applied = sync::apply_page_stage(r.paths.stage, s.path);
  if (!applied) return fail(applied.err());
  auto base = sync::fingerprint_file(s.path);
  if (!base) return fail(base.err());
  meta.phase = sync::replica_phase::replaying;
  meta.synced_revision = applied->server_revision;
  meta.pull_gen += 1;
  meta.base = std::move(*base);
  return r.store(std::move(meta));
}

// Phase `replaying`, no connection open: opens the connections and replays the
// pending local changes unless that already committed (`fresh`: the WAL was dropped
// just before, by this process). Ends in phase `idle` with connections open.
result<sync::replay_outcome> finish_replaying(database_state& s, bool fresh) {
  auto& r = *s.replica;
  auto meta = r.snapshot();
  test_stop_point("replaying");
  if (auto opened = open_replica_connections(s); !opened) return fail(opened.err());
  auto* writer = s.pool->writer_connection();
  sync::replay_outcome outcome;
  bool committed = false;
  if (!fresh) {
    auto done = sync::replay_committed(*writer, meta.pull_gen);
    if (!done) return fail(done.err());
    committed = *done;
    if (!committed) {
      // The WAL holds at most a replay that never committed: start from the new base.
      // (Recovery at open: no reader has run yet, so pausing returns at once.)
      const readers_paused paused(*s.pool);
      s.pool->close_connections();
      if (auto gone = sync::discard_wal(r.paths); !gone) return fail(gone.err());
      if (auto reopened = open_replica_connections(s); !reopened) return fail(reopened.err());
      writer = s.pool->writer_connection();
    }
  }
  if (!committed) {
    auto pending = sync::read_pending(r.paths.pending);
    if (!pending) return fail(pending.err());
    // Changes the server already had are in the pages now: skip them.
    auto row = sync::read_local_high_water(*writer, meta.client_id);
    if (!row) return fail(row.err());
    auto floor = sync::pushed_floor(*row, meta.pull_gen - 1);
    if (!floor) return fail(floor.err());
    auto replayed = sync::replay_pending(*writer, *pending, *floor, meta.pull_gen);
    if (!replayed) return fail(replayed.err());
    outcome = *replayed;
  }
  meta.phase = sync::replica_phase::idle;
  if (auto stored = r.store(std::move(meta)); !stored) return fail(stored.err());
  if (auto gone = sync::remove_file(r.paths.stage); !gone) return fail(gone.err());
  if (auto gone = sync::remove_file(r.paths.pending); !gone) return fail(gone.err());
  s.store.invalidate_caches();
  return outcome;
}

// A sync's apply, on the writer with the connections open and the pulled pages
// sealed in the stage file: save the pending changes, close everything, apply,
// reopen, replay.
result<sync::replay_outcome> apply_staged(database_state& s) {
  auto& r = *s.replica;
  auto* writer = s.pool->writer_connection();
  if (writer == nullptr) {
    auto broken = s.broken_error();
    if (broken) return fail(std::move(*broken));
    return fail(errc::internal, "a replica's sync ran without a writer connection; this is a bug");
  }
  auto exclusive = exclusive_scope::take(r);
  if (!exclusive) return fail(exclusive.err());
  auto meta = r.snapshot();
  auto base = sync::fingerprint_file(s.path);
  if (!base) return fail(base.err());
  if (base->hash != meta.base.hash) return fail(base_mismatch(s.path));
  auto pending = sync::local_changes(*writer, 0);
  if (!pending) return fail(pending.err());
  if (auto saved = sync::write_pending(r.paths.pending, *pending); !saved) return fail(saved.err());
  meta.phase = sync::replica_phase::applying;
  if (auto marked = r.store(meta); !marked) return fail(marked.err());

  const readers_paused paused(*s.pool);
  s.pool->close_connections();
  auto outcome = [&]() -> result<sync::replay_outcome> {
    if (auto applied = finish_applying(s); !applied) return fail(applied.err());
    return finish_replaying(s, true);
  }();
  if (!outcome) {
    auto e = outcome.err();
    s.pool->close_connections();
    s.set_broken(error{e.code,
                       "a sync failed while applying the server's pages, so this replica is closed: " + e.message +
                           "; open it again, which finishes the sync",
                       e.detail});
  }
  return outcome;
}

// The first step of opening a replica: its lock and metadata.
enum class open_plan { ready, bootstrap, rebootstrap };

result<open_plan> plan_open(database_state& s) {
  auto& r = *s.replica;
  auto lock = sync::replica_lock::acquire_shared(r.paths.lock, s.options.file.busy_timeout);
  if (!lock) return fail(lock.err());
  r.lock.emplace(std::move(*lock));
  auto meta = sync::read_metadata(r.paths.metadata);
  if (!meta) return fail(meta.err());
  if (!*meta) {
    if (std::error_code ec; std::filesystem::exists(s.path, ec)) {
      return fail(errc::not_a_database,
                  s.path.string() + " exists but is not a replica of a Turso server (there is no " +
                      r.paths.metadata.filename().string() +
                      " beside it); move it away to bootstrap a replica there, or open it in local mode");
    }
    sync::replica_metadata fresh;
    fresh.client_id = sync::new_client_id();
    fresh.server = s.url;
    fresh.phase = sync::replica_phase::bootstrapping;
    r.adopt(std::move(fresh));
    return open_plan::bootstrap;
  }
  auto& m = **meta;
  if (m.server != s.url && !s.options.rebootstrap && m.phase != sync::replica_phase::bootstrapping) {
    return fail(errc::invalid_argument,
                "the replica " + s.path.string() + " was made from the Turso server at " + m.server + ", not " + s.url +
                    "; use that URL, or re-bootstrap it from the new server with `patina sync --rebootstrap` "
                    "(after pushing its changes to the old one)");
  }
  bool bootstrapping = m.phase == sync::replica_phase::bootstrapping;
  if (std::error_code ec; !bootstrapping && !std::filesystem::exists(s.path, ec)) {
    // The database was deleted (its metadata left behind): start over, under a new
    // client id since the old one's pushes are recorded on the server.
    m.client_id = sync::new_client_id();
    m.pull_gen = 0;
    m.server = s.url;
    bootstrapping = true;
  }
  r.adopt(std::move(m));
  if (bootstrapping) return open_plan::bootstrap;
  if (s.options.rebootstrap) return open_plan::rebootstrap;
  return open_plan::ready;
}

// With the lock and metadata taken and no connection open: finishes an interrupted
// sync, checks the base, opens the connections.
result<void> recover_and_open(database_state& s, bool check_base) {
  auto& r = *s.replica;
  auto meta = r.snapshot();
  if (meta.phase == sync::replica_phase::idle) {
    std::error_code ec;
    if (std::filesystem::exists(r.paths.stage, ec) || std::filesystem::exists(r.paths.pending, ec)) {
      // Left by a pull that never started applying (or one another process is
      // staging now: then the lock is shared and they stay).
      if (auto exclusive = exclusive_scope::take(r)) {
        if (auto gone = sync::remove_file(r.paths.stage); !gone) return gone;
        if (auto gone = sync::remove_file(r.paths.pending); !gone) return gone;
      }
    }
    if (check_base) {
      auto same = sync::looks_unchanged(s.path, meta.base);
      if (!same) return fail(same.err());
      if (!*same) {
        auto base = sync::fingerprint_file(s.path);
        if (!base) return fail(base.err());
        if (base->hash != meta.base.hash) return fail(base_mismatch(s.path));
        meta.base = std::move(*base);  // the same bytes with a new timestamp
        if (auto stored = r.store(std::move(meta)); !stored) return stored;
      }
    }
    return open_replica_connections(s);
  }
  auto exclusive = exclusive_scope::take(r);
  if (!exclusive) return fail(exclusive.err());
  if (meta.phase == sync::replica_phase::applying) {
    if (auto applied = finish_applying(s); !applied) return applied;
  }
  auto replayed = finish_replaying(s, false);
  if (!replayed) return fail(replayed.err());
  return {};
}

// ---- embedded replica: the asynchronous steps --------------------------------------

awaitable<result<void>> bootstrap_replica(state_ptr s) {
  auto& r = *s->replica;
  auto schema = co_await sync::ensure_remote_schema(*s->remote);
  if (!schema) co_return fail(schema.err());
  r.remote_schema_checked = true;
  auto prepared = co_await on_pool<int>(*s, side::writer, [&](detail::connection*) -> result<int> {
    if (auto taken = r.lock->make_exclusive(); !taken) return fail(taken.err());
    for (const auto* file : {&r.paths.database, &r.paths.wal, &r.paths.shm, &r.paths.stage, &r.paths.pending}) {
      if (auto gone = sync::remove_file(*file); !gone) return fail(gone.err());
    }
    auto meta = r.snapshot();
    meta.phase = sync::replica_phase::bootstrapping;
    meta.server = s->url;
    if (auto stored = r.store(std::move(meta)); !stored) return fail(stored.err());
    return 0;
  });
  if (!prepared) co_return fail(prepared.err());
  auto pulled = co_await sync::bootstrap_database(s->remote->client().http(), s->path);
  auto finished = co_await on_pool<int>(*s, side::writer, [&](detail::connection*) -> result<int> {
    const auto shared = [&] { (void)r.lock->make_shared(); };
    if (!pulled) {
      shared();
      return fail(pulled.err());
    }
    auto base = sync::fingerprint_file(s->path);
    if (!base) {
      shared();
      return fail(base.err());
    }
    auto meta = r.snapshot();
    meta.phase = sync::replica_phase::idle;
    meta.synced_revision = pulled->header.server_revision;
    meta.pull_gen = 0;
    meta.base = std::move(*base);
    auto stored = r.store(std::move(meta));
    shared();
    if (!stored) return fail(stored.err());
    return 0;
  });
  if (!finished) co_return fail(finished.err());
  co_return result<void>{};
}

// Pushes the rows changed locally that the server does not have yet; how many.
awaitable<result<std::uint64_t>> push_local(state_ptr s) {
  auto& r = *s->replica;
  const auto meta = r.snapshot();
  auto last = co_await on_pool<std::int64_t>(*s, side::writer, [&](detail::connection& c) {
    return sync::last_logged_change(c);
  });
  if (!last) co_return fail(last.err());
  if (*last == 0) co_return std::uint64_t{0};
  auto row = co_await sync::read_server_high_water(*s->remote, meta.client_id);
  if (!row) co_return fail(row.err());
  auto floor = sync::pushed_floor(*row, meta.pull_gen);
  if (!floor) co_return fail(floor.err());
  if (*last <= *floor) co_return std::uint64_t{0};
  const std::int64_t above = *floor;
  auto rows = co_await on_pool<std::vector<sync::row_statement>>(*s, side::writer, [&](detail::connection& c) {
    return sync::local_changes(c, above);
  });
  if (!rows) co_return fail(rows.err());
  if (rows->empty()) co_return std::uint64_t{0};
  const std::uint64_t count = rows->size();
  auto pushed = co_await sync::push_rows(*s->remote, meta.client_id, meta.pull_gen, std::move(*rows));
  if (!pushed) co_return fail(pushed.err());
  co_return count;
}

// Pulls the server's changes and applies them (see apply_staged).
awaitable<result<sync_summary>> pull_remote(state_ptr s, sync_summary summary) {
  auto& r = *s->replica;
  const auto meta = r.snapshot();
  auto pulled = co_await sync::pull_into_stage(s->remote->client().http(), meta.synced_revision, r.paths.stage);
  if (!pulled) co_return fail(pulled.err());
  const std::string revision = pulled->header.server_revision;
  if (sync::revision_went_back(meta.synced_revision, revision)) {
    auto removed = co_await on_pool<int>(*s, side::writer, [&](detail::connection*) -> result<int> {
      if (auto gone = sync::remove_file(r.paths.stage); !gone) return fail(gone.err());
      return 0;
    });
    (void)removed;
    co_return fail(server_reset(meta.synced_revision, revision));
  }
  summary.revision = revision.empty() ? meta.synced_revision : revision;
  if (pulled->pages == 0) {
    if (!revision.empty() && revision != meta.synced_revision) {
      auto stored = co_await on_pool<int>(*s, side::writer, [&](detail::connection*) -> result<int> {
        auto now = r.snapshot();
        now.synced_revision = revision;
        if (auto done = r.store(std::move(now)); !done) return fail(done.err());
        return 0;
      });
      if (!stored) co_return fail(stored.err());
    }
    co_return summary;
  }
  summary.pulled_pages = pulled->pages;
  test_stop_point("staged");
  auto applied = co_await on_pool<sync::replay_outcome>(*s, side::writer, [&](detail::connection*) {
    return apply_staged(*s);
  });
  if (!applied) co_return fail(applied.err());
  summary.replayed = applied->replayed;
  summary.skipped = applied->skipped;
  for (const auto& listener : r.current_listeners()) listener();
  co_return summary;
}

// Completes a refused operation through the caller's executor, never inline.
awaitable<void> resume_later() {
  auto executor = co_await asio::this_coro::executor;
  co_await asio::post(executor, asio::use_awaitable);
}

awaitable<result<sync_summary>> do_sync(state_ptr s) {
  if (s->mode != database_mode::embedded) {
    co_await resume_later();
    co_return fail(errc::unsupported, "sync needs an embedded replica of a Turso server; this database is in " +
                                          std::string(mode_name(s->mode)) +
                                          " mode (open it with open_embedded, or turso.mode = \"embedded\")");
  }
  auto& r = *s->replica;
  if (r.syncing.exchange(true)) {
    co_await resume_later();
    co_return fail(errc::busy, "a sync of this replica is already running; wait for it to finish");
  }
  struct clear_on_exit {
    std::atomic<bool>& flag;
    ~clear_on_exit() { flag = false; }
  };
  const clear_on_exit clear{r.syncing};
  const auto started = std::chrono::steady_clock::now();
  if (!r.remote_schema_checked) {
    // This build may have migrated the replica's schema locally: the server first.
    auto schema = co_await sync::ensure_remote_schema(*s->remote);
    if (!schema) co_return fail(schema.err());
    r.remote_schema_checked = true;
  }
  auto pushed = co_await push_local(s);
  if (!pushed) co_return fail(pushed.err());
  sync_summary summary;
  summary.pushed_rows = *pushed;
  auto pulled = co_await pull_remote(s, std::move(summary));
  if (!pulled) co_return pulled;
  pulled->duration =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  co_return pulled;
}

// Opens with the replica's unsynced changes pushed and its files replaced by a fresh
// bootstrap (under a new client id: the old one's history stays on the server).
awaitable<result<void>> rebootstrap_replica(state_ptr s) {
  auto& r = *s->replica;
  auto opened = co_await on_pool<int>(*s, side::writer, [&](detail::connection*) -> result<int> {
    if (auto done = recover_and_open(*s, false); !done) return fail(done.err());
    return 0;
  });
  if (!opened) co_return fail(opened.err());
  if (!r.remote_schema_checked) {
    auto schema = co_await sync::ensure_remote_schema(*s->remote);
    if (!schema) co_return fail(schema.err());
    r.remote_schema_checked = true;
  }
  auto pushed = co_await push_local(s);
  if (!pushed) co_return fail(pushed.err());
  auto closed = co_await on_pool<int>(*s, side::writer, [&](detail::connection*) -> result<int> {
    const readers_paused paused(*s->pool);
    s->pool->close_connections();
    auto meta = r.snapshot();
    meta.client_id = sync::new_client_id();
    meta.pull_gen = 0;
    r.adopt(std::move(meta));
    return 0;
  });
  if (!closed) co_return fail(closed.err());
  auto fresh = co_await bootstrap_replica(s);
  if (!fresh) co_return fresh;
  auto reopened = co_await on_pool<int>(*s, side::writer, [&](detail::connection*) -> result<int> {
    if (auto done = recover_and_open(*s, true); !done) return fail(done.err());
    return 0;
  });
  if (!reopened) co_return fail(reopened.err());
  co_return result<void>{};
}

awaitable<result<TursoDatabase>> open_embedded_database(state_ptr s) {
  auto plan = co_await on_pool<open_plan>(*s, side::writer, [&](detail::connection*) { return plan_open(*s); });
  if (!plan) co_return fail(plan.err());
  if (*plan == open_plan::rebootstrap) {
    auto done = co_await rebootstrap_replica(s);
    if (!done) co_return fail(done.err());
    co_return database_access::make(std::move(s));
  }
  if (*plan == open_plan::bootstrap) {
    auto done = co_await bootstrap_replica(s);
    if (!done) co_return fail(done.err());
  }
  auto opened = co_await on_pool<int>(*s, side::writer, [&](detail::connection*) -> result<int> {
    if (auto done = recover_and_open(*s, true); !done) return fail(done.err());
    return 0;
  });
  if (!opened) co_return fail(opened.err());
  co_return database_access::make(std::move(s));
}

// A replica's vector tables are schema: they change on the server (after pushing the
// rows of the old ones), and reach the replica by pulling.
awaitable<result<void>> replica_set_vector_dimension(state_ptr s, std::size_t dimension) {
  auto current = co_await on_pool<std::size_t>(*s, side::reader, [&](detail::connection& c) {
    return s->store.vector_dimension(c);
  });
  if (!current) co_return fail(current.err());
  if (*current == dimension) {
    auto done = co_await on_pool<void>(*s, side::writer, [&](detail::connection& c) {
      return s->store.set_vector_dimension(c, dimension);
    });
    co_return done;
  }
  auto before = co_await do_sync(s);
  if (!before) co_return fail(before.err());
  auto changed = co_await sync::remote_set_vector_dimension(*s->remote, dimension);
  if (!changed) co_return changed;
  auto after = co_await do_sync(s);
  if (!after) co_return fail(after.err());
  co_return result<void>{};
}

awaitable<result<std::int64_t>> do_unsynced_changes(state_ptr s) {
  if (s->mode != database_mode::embedded) {
    co_await resume_later();
    co_return std::int64_t{0};
  }
  auto count = co_await on_pool<std::int64_t>(*s, side::reader, [&](detail::connection& c) -> result<std::int64_t> {
    auto exists = c.query("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = '_patina_sync_changes'");
    if (!exists) return fail(exists.err());
    if (std::get<std::int64_t>(exists->rows.at(0).at(0)) == 0) return std::int64_t{0};
    auto rows = c.query("SELECT count(*) FROM (SELECT DISTINCT table_name, key FROM _patina_sync_changes)");
    if (!rows) return fail(rows.err());
    return std::get<std::int64_t>(rows->rows.at(0).at(0));
  });
  co_return count;
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

awaitable<result<void>> database_access::run_on_writer(
    TursoDatabase& db, std::function<result<void>(detail::connection&, local_store&)> body) {
  auto state = db.state_;
  auto done = co_await on_pool<void>(*state, side::writer, [&](detail::connection& c) -> result<void> {
    return body(c, state->store);
  });
  co_return done;
}

namespace {

awaitable<result<sync_summary>> do_pull_only(state_ptr s) {
  if (s->mode != database_mode::embedded) co_return fail(errc::unsupported, "pull_only needs an embedded replica");
  auto& r = *s->replica;
  if (r.syncing.exchange(true)) co_return fail(errc::busy, "a sync of this replica is already running");
  sync_summary summary;
  auto pulled = co_await pull_remote(s, std::move(summary));
  r.syncing = false;
  co_return pulled;
}

awaitable<result<std::uint64_t>> do_push_only(state_ptr s) {
  if (s->mode != database_mode::embedded) co_return fail(errc::unsupported, "push_only needs an embedded replica");
  auto& r = *s->replica;
  if (r.syncing.exchange(true)) co_return fail(errc::busy, "a sync of this replica is already running");
  auto pushed = co_await push_local(s);
  r.syncing = false;
  co_return pushed;
}

}  // namespace

awaitable<result<sync_summary>> database_access::pull_only(TursoDatabase& db) { return do_pull_only(db.state_); }

awaitable<result<std::uint64_t>> database_access::push_only(TursoDatabase& db) { return do_push_only(db.state_); }

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
  auto state = std::make_shared<turso::database_state>(std::move(executor), std::move(path), std::move(options),
                                                       database_mode::local);
  return turso::open_database(std::move(state));
}

awaitable<TursoDatabase> TursoDatabase::open(asio::any_io_executor executor, std::filesystem::path path,
                                             turso_database_options options) {
  return turso::value_or_throw(try_open(std::move(executor), std::move(path), std::move(options)));
}

namespace turso {
namespace {

// A database whose creation failed before any I/O: the error, delivered through the
// executor like any other completion.
awaitable<result<TursoDatabase>> failed_open(asio::any_io_executor executor, error e) {
  co_await asio::post(executor, asio::use_awaitable);
  co_return fail(std::move(e));
}

}  // namespace
}  // namespace turso

awaitable<result<TursoDatabase>> TursoDatabase::try_open_remote(asio::any_io_executor executor, std::string url,
                                                                std::string token,
                                                                turso_database_options options) {
  auto remote = turso::sync::remote_executor::create(url, turso::token_of(std::move(token)),
                                                     turso::http_options_of(options));
  if (!remote) return turso::failed_open(std::move(executor), std::move(remote).err());
  auto state = std::make_shared<turso::database_state>(std::move(executor), std::filesystem::path(),
                                                       std::move(options), database_mode::remote);
  state->url = std::move(url);
  state->remote.emplace(std::move(*remote));
  return turso::open_remote_database(std::move(state));
}

awaitable<TursoDatabase> TursoDatabase::open_remote(asio::any_io_executor executor, std::string url,
                                                    std::string token, turso_database_options options) {
  return turso::value_or_throw(
      try_open_remote(std::move(executor), std::move(url), std::move(token), std::move(options)));
}

awaitable<result<TursoDatabase>> TursoDatabase::try_open_embedded(asio::any_io_executor executor,
                                                                  std::filesystem::path path, std::string url,
                                                                  std::string token,
                                                                  turso_database_options options) {
  auto remote = turso::sync::remote_executor::create(url, turso::token_of(std::move(token)),
                                                     turso::http_options_of(options));
  if (!remote) return turso::failed_open(std::move(executor), std::move(remote).err());
  if (path.empty() || path.native() == ":memory:") {
    return turso::failed_open(std::move(executor),
                              error{errc::invalid_argument,
                                    "an embedded replica needs a database file path (not \":memory:\")", {}});
  }
  auto state = std::make_shared<turso::database_state>(std::move(executor), std::filesystem::absolute(path),
                                                       std::move(options), database_mode::embedded);
  state->url = std::move(url);
  state->remote.emplace(std::move(*remote));
  state->replica = std::make_unique<turso::replica_state>(state->path);
  return turso::open_embedded_database(std::move(state));
}

awaitable<TursoDatabase> TursoDatabase::open_embedded(asio::any_io_executor executor, std::filesystem::path path,
                                                      std::string url, std::string token,
                                                      turso_database_options options) {
  return turso::value_or_throw(try_open_embedded(std::move(executor), std::move(path), std::move(url),
                                                 std::move(token), std::move(options)));
}

// Every operation copies its arguments before the coroutine starts (these functions
// are not coroutines), so the caller's data may die as soon as the call returns.

namespace {

bool is_remote(const std::shared_ptr<turso::database_state>& state) {
  assert(state && "TursoDatabase: used after move");
  return state->mode == database_mode::remote;
}

template <class T>
std::vector<T> copy_of(std::span<const T> items) {
  return std::vector<T>(items.begin(), items.end());
}

}  // namespace

awaitable<result<query_result>> TursoDatabase::try_query(std::string_view sql, std::span<const value> params) {
  if (is_remote(state_)) return turso::remote_query(state_, std::string(sql), copy_of(params));
  return turso::do_query(state_, std::string(sql), copy_of(params));
}
awaitable<query_result> TursoDatabase::query(std::string_view sql, std::span<const value> params) {
  return turso::value_or_throw(try_query(sql, params));
}

awaitable<result<exec_result>> TursoDatabase::try_execute(std::string_view sql, std::span<const value> params) {
  if (is_remote(state_)) return turso::remote_execute(state_, std::string(sql), copy_of(params));
  return turso::do_execute(state_, std::string(sql), copy_of(params));
}
awaitable<exec_result> TursoDatabase::execute(std::string_view sql, std::span<const value> params) {
  return turso::value_or_throw(try_execute(sql, params));
}

awaitable<result<void>> TursoDatabase::try_execute_batch(std::span<const statement> statements) {
  if (is_remote(state_)) return turso::remote_execute_batch(state_, copy_of(statements));
  return turso::do_execute_batch(state_, copy_of(statements));
}
awaitable<void> TursoDatabase::execute_batch(std::span<const statement> statements) {
  return turso::value_or_throw(try_execute_batch(statements));
}

awaitable<result<query_result>> TursoDatabase::try_query_readonly(std::string_view sql,
                                                                  std::span<const value> params) {
  if (is_remote(state_)) return turso::remote_query_readonly(state_, std::string(sql), copy_of(params));
  return turso::do_query_readonly(state_, std::string(sql), copy_of(params));
}
awaitable<query_result> TursoDatabase::query_readonly(std::string_view sql, std::span<const value> params) {
  return turso::value_or_throw(try_query_readonly(sql, params));
}

awaitable<result<std::size_t>> TursoDatabase::try_vector_dimension() {
  if (is_remote(state_)) return turso::remote_vector_dimension(state_);
  return turso::do_vector_dimension(state_);
}
awaitable<std::size_t> TursoDatabase::vector_dimension() {
  return turso::value_or_throw(try_vector_dimension());
}

awaitable<result<void>> TursoDatabase::try_set_vector_dimension(std::size_t dimension) {
  if (is_remote(state_)) return turso::remote_set_vector_dimension(state_, dimension);
  if (state_->mode == database_mode::embedded) return turso::replica_set_vector_dimension(state_, dimension);
  return turso::do_set_vector_dimension(state_, dimension);
}
awaitable<void> TursoDatabase::set_vector_dimension(std::size_t dimension) {
  return turso::value_or_throw(try_set_vector_dimension(dimension));
}

awaitable<result<void>> TursoDatabase::try_vector_upsert(vector_table table, std::span<const vector_item> items) {
  if (is_remote(state_)) return turso::remote_vector_upsert(state_, table, copy_of(items));
  return turso::do_vector_upsert(state_, table, copy_of(items));
}
awaitable<void> TursoDatabase::vector_upsert(vector_table table, std::span<const vector_item> items) {
  return turso::value_or_throw(try_vector_upsert(table, items));
}

awaitable<result<void>> TursoDatabase::try_vector_delete(vector_table table, std::span<const std::int64_t> ids) {
  if (is_remote(state_)) return turso::remote_vector_delete(state_, table, copy_of(ids));
  return turso::do_vector_delete(state_, table, copy_of(ids));
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
  // Remote: always the server's SQL (it has no in-memory copy to scan).
  if (is_remote(state_)) return turso::remote_vector_search(state_, table, copy_of(query), filter, k);
  return turso::do_vector_search(state_, table, copy_of(query), filter, k, path);
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

awaitable<result<sync_summary>> TursoDatabase::try_sync() {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_sync(state_);
}
awaitable<sync_summary> TursoDatabase::sync() { return turso::value_or_throw(try_sync()); }

awaitable<result<std::int64_t>> TursoDatabase::try_unsynced_changes() {
  assert(state_ && "TursoDatabase: used after move");
  return turso::do_unsynced_changes(state_);
}

void TursoDatabase::add_pull_listener(pull_listener listener) {
  assert(state_ && "TursoDatabase: used after move");
  if (state_->replica) state_->replica->add_listener(std::move(listener));
}

database_mode TursoDatabase::mode() const noexcept { return state_->mode; }

const std::string& TursoDatabase::server_url() const noexcept { return state_->url; }

std::optional<replica_status> TursoDatabase::replica() const {
  assert(state_ && "TursoDatabase: used after move");
  if (!state_->replica) return std::nullopt;
  const auto meta = state_->replica->snapshot();
  replica_status status;
  status.url = meta.server;
  status.client_id = meta.client_id;
  status.revision = meta.synced_revision;
  status.pulls = meta.pull_gen;
  return status;
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
