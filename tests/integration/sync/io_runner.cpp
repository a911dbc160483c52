#include "io_runner.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace patina::test {

namespace asio = boost::asio;

void run_io_concurrently(int count, const std::function<asio::awaitable<void>(int)>& body, int threads) {
  asio::io_context io;
  std::mutex mutex;
  std::exception_ptr first_error;
  for (int i = 0; i < count; ++i) {
    // Detached is safe here: run() below returns only after every copy has finished,
    // and everything they reference outlives it.
    asio::co_spawn(io, body(i), [&](std::exception_ptr e) {
      if (!e) return;
      std::lock_guard lock(mutex);
      if (!first_error) first_error = e;
    });
  }
  std::vector<std::thread> extra;
  for (int t = 1; t < threads; ++t) extra.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& t : extra) t.join();
  if (first_error) std::rethrow_exception(first_error);
}

void run_io(const std::function<asio::awaitable<void>()>& body, int threads) {
  run_io_concurrently(1, [&](int) { return body(); }, threads);
}

}  // namespace patina::test
