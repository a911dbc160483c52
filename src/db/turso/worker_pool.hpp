// db/turso/worker_pool.hpp — the threads that run the Turso backend's SQLite work.
//
// SQLite calls block, so they never run on a caller's I/O thread. The pool has
// `readers` reader threads sharing one queue, each with its own read-only
// connection (reads run in parallel, WAL gives each a consistent snapshot), and one
// writer thread with the only read-write connection (SQLite allows one writer at a
// time anyway, and a single writer thread never waits on its own lock).
//
// The pool knows nothing about Asio: a task is a move-only callable that receives
// its worker's connection; the async layer (turso_database.cpp) wraps each task so
// that it posts its completion to the awaiting caller's executor.
//
// Lifetime: the destructor lets every queued task run, then joins the threads and
// closes the connections. Tasks must not throw (the async layer catches).
//
// Replacing the connections (an embedded replica applying pulled pages writes the
// file while no connection may have it open): a task on the writer calls
// `pause_readers` (reader threads finish their current task and start no other),
// `close_connections`, changes the file, `install`s new connections and
// `resume_readers`. Read tasks posted meanwhile wait in the queue.
//
// Thread safety: post_read, post_write and install may be called from any thread;
// pause_readers, resume_readers, close_connections and writer_connection only from
// a task running on the writer thread.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

#include "db/common/connection.hpp"

namespace patina::db::turso {

// A move-only unit of work. Its connection argument is null only for tasks that run
// on the writer before `install` (the opening sequence).
class pool_task {
 public:
  template <class F>
  explicit pool_task(F f) : impl_(std::make_unique<model<F>>(std::move(f))) {}

  void operator()(detail::connection* conn) noexcept { impl_->call(conn); }

 private:
  struct concept_t {
    virtual ~concept_t() = default;
    virtual void call(detail::connection* conn) noexcept = 0;
  };
  template <class F>
  struct model final : concept_t {
    explicit model(F f) : fn(std::move(f)) {}
    void call(detail::connection* conn) noexcept override { fn(conn); }
    F fn;
  };
  std::unique_ptr<concept_t> impl_;
};

class worker_pool {
 public:
  // Starts `readers` reader threads (at least 1) and the writer thread, all idle.
  explicit worker_pool(std::size_t readers);
  worker_pool(const worker_pool&) = delete;
  worker_pool& operator=(const worker_pool&) = delete;
  // Runs the queued tasks, joins the threads, closes the connections.
  ~worker_pool();

  std::size_t reader_count() const noexcept { return reader_connections_.size(); }

  // Hands the workers their connections.
  // REQUIRES: readers.size() == reader_count(); before any read task, or while the
  // readers are paused after close_connections.
  void install(std::vector<detail::connection> readers, detail::connection writer);

  // Waits until no reader runs a task and keeps them from starting one.
  void pause_readers();
  void resume_readers();
  // Closes every connection. REQUIRES: readers paused. The running writer task's
  // connection argument dangles from here on: use writer_connection().
  void close_connections();
  // The writer's connection now (null when closed).
  detail::connection* writer_connection() noexcept;

  void post_read(pool_task task);
  void post_write(pool_task task);

 private:
  struct task_queue {
    std::mutex mutex;
    std::condition_variable ready;
    std::deque<pool_task> tasks;
    bool stopping = false;
    bool paused = false;   // no task may start
    std::size_t running = 0;  // tasks running now
    std::condition_variable idle;  // running dropped to 0
  };

  static void post(task_queue& queue, pool_task task);
  // Runs tasks from `queue` until it is stopping and empty. `*slot` is read per task.
  static void run(task_queue& queue, std::optional<detail::connection>* slot);

  std::vector<std::optional<detail::connection>> reader_connections_;
  std::optional<detail::connection> writer_connection_;
  task_queue reads_;
  task_queue writes_;
  std::vector<std::thread> threads_;
};

}  // namespace patina::db::turso
