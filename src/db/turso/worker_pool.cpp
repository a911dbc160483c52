#include "db/turso/worker_pool.hpp"

#include <algorithm>
#include <cassert>

namespace patina::db::turso {

worker_pool::worker_pool(std::size_t readers) : reader_connections_(std::max<std::size_t>(readers, 1)) {
  threads_.reserve(reader_connections_.size() + 1);
  try {
    threads_.emplace_back([this] { run(writes_, &writer_connection_); });
    for (auto& slot : reader_connections_) {
      threads_.emplace_back([this, &slot] { run(reads_, &slot); });
    }
  } catch (...) {
    // A thread failed to start: stop the ones that did before unwinding.
    for (auto* q : {&reads_, &writes_}) {
      const std::lock_guard lock(q->mutex);
      q->stopping = true;
      q->ready.notify_all();
    }
    for (auto& t : threads_) t.join();
    throw;
  }
}

worker_pool::~worker_pool() {
  for (auto* q : {&reads_, &writes_}) {
    const std::lock_guard lock(q->mutex);
    q->stopping = true;
    q->paused = false;
    q->ready.notify_all();
  }
  for (auto& t : threads_) t.join();
}

void worker_pool::install(std::vector<detail::connection> readers, detail::connection writer) {
  assert(readers.size() == reader_connections_.size() && "worker_pool::install: one connection per reader");
  // The queues' mutexes order these writes before any task that reads the slots.
  {
    const std::lock_guard lock(reads_.mutex);
    for (std::size_t i = 0; i < readers.size(); ++i) reader_connections_[i].emplace(std::move(readers[i]));
  }
  const std::lock_guard lock(writes_.mutex);
  writer_connection_.emplace(std::move(writer));
}

void worker_pool::pause_readers() {
  std::unique_lock lock(reads_.mutex);
  reads_.paused = true;
  reads_.idle.wait(lock, [&] { return reads_.running == 0; });
}

void worker_pool::resume_readers() {
  {
    const std::lock_guard lock(reads_.mutex);
    reads_.paused = false;
  }
  reads_.ready.notify_all();
}

void worker_pool::close_connections() {
  {
    const std::lock_guard lock(reads_.mutex);
    assert(reads_.paused && reads_.running == 0 && "worker_pool::close_connections: readers not paused");
    for (auto& slot : reader_connections_) slot.reset();
  }
  const std::lock_guard lock(writes_.mutex);
  writer_connection_.reset();
}

detail::connection* worker_pool::writer_connection() noexcept {
  const std::lock_guard lock(writes_.mutex);
  return writer_connection_ ? &*writer_connection_ : nullptr;
}

void worker_pool::post_read(pool_task task) { post(reads_, std::move(task)); }

void worker_pool::post_write(pool_task task) { post(writes_, std::move(task)); }

void worker_pool::post(task_queue& queue, pool_task task) {
  {
    const std::lock_guard lock(queue.mutex);
    queue.tasks.push_back(std::move(task));
  }
  queue.ready.notify_one();
}

void worker_pool::run(task_queue& queue, std::optional<detail::connection>* slot) {
  for (;;) {
    std::optional<pool_task> task;
    detail::connection* conn = nullptr;
    {
      std::unique_lock lock(queue.mutex);
      queue.ready.wait(lock, [&] { return queue.stopping || (!queue.paused && !queue.tasks.empty()); });
      if (queue.tasks.empty()) return;  // stopping, and everything queued has run
      task.emplace(std::move(queue.tasks.front()));
      queue.tasks.pop_front();
      if (slot->has_value()) conn = &**slot;
      ++queue.running;
    }
    (*task)(conn);
    {
      const std::lock_guard lock(queue.mutex);
      --queue.running;
    }
    queue.idle.notify_all();
  }
}

}  // namespace patina::db::turso
