// Not a test: measures request latencies against a local tursodb over loopback and
// prints them. Usage: sync_latency_probe [requests=300]
//   sequential  one request at a time (remote_executor::query, hrana execute)
//   concurrent  8 coroutines at once on one io_context (the server serves one
//               connection at a time, so this shows queueing, not parallelism)
//   pull        a bootstrap of the whole database
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "db/turso/sync/pull_client.hpp"
#include "db/turso/sync/remote_executor.hpp"
#include "io_runner.hpp"
#include "turso_server.hpp"

using namespace patina;
using namespace patina::db::turso::sync;
using clock_type = std::chrono::steady_clock;

namespace {

void report(const char* what, std::vector<double> ms, double wall_ms) {
  std::sort(ms.begin(), ms.end());
  double sum = 0;
  for (double x : ms) sum += x;
  const auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ms.size())))]; };
  std::printf("%-34s n=%4zu  mean %.3f ms  p50 %.3f  p95 %.3f  p99 %.3f  max %.3f  | %.0f req/s\n", what, ms.size(),
              sum / static_cast<double>(ms.size()), pct(0.5), pct(0.95), pct(0.99), ms.back(),
              1000.0 * static_cast<double>(ms.size()) / wall_ms);
}

double since(clock_type::time_point t) { return std::chrono::duration<double, std::milli>(clock_type::now() - t).count(); }

}  // namespace

int main(int argc, char** argv) {
  const int n = argc > 1 ? std::atoi(argv[1]) : 300;
  std::string why_not;
  auto server = test::turso_server::start(why_not);
  if (!server) {
    std::fprintf(stderr, "%s\n", why_not.c_str());
    return 1;
  }
  const std::string url = "http://127.0.0.1:" + std::to_string(server->port());
  auto exec = remote_executor::create(url, std::string("probe-token")).value();
  const hrana_client& client = exec.client();

  std::vector<db::statement> rows;
  for (std::int64_t i = 0; i < 2000; ++i) rows.push_back({"INSERT INTO t VALUES (?, ?)", {db::value{i}, db::value{db::blob(512, 7)}}});
  test::run_io([&]() -> awaitable<void> {
    co_await exec.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)");
    co_await exec.execute_batch(rows);
    for (int i = 0; i < 20; ++i) co_await exec.query("SELECT 1");  // warm-up
  });

  {
    std::vector<double> ms;
    const auto wall = clock_type::now();
    test::run_io([&]() -> awaitable<void> {
      for (int i = 0; i < n; ++i) {
        const auto t = clock_type::now();
        hrana::stmt select_one;
        select_one.sql = "SELECT 1";
        auto r = co_await client.execute(std::move(select_one));
        r.value();
        ms.push_back(since(t));
      }
    });
    report("sequential hrana execute SELECT 1", ms, since(wall));
  }
  {
    std::vector<double> ms;
    const auto wall = clock_type::now();
    test::run_io([&]() -> awaitable<void> {
      for (int i = 0; i < n; ++i) {
        const auto t = clock_type::now();
        co_await exec.query("SELECT 1");
        ms.push_back(since(t));
      }
    });
    report("sequential executor query SELECT 1", ms, since(wall));
  }
  {
    std::vector<double> ms;
    const auto wall = clock_type::now();
    test::run_io([&]() -> awaitable<void> {
      for (int i = 0; i < n; ++i) {
        const auto t = clock_type::now();
        std::vector<db::value> params;
        params.emplace_back(db::blob(512, 9));
        params.emplace_back(std::int64_t{i % 2000});
        co_await exec.execute("UPDATE t SET v = ? WHERE id = ?", params);
        ms.push_back(since(t));
      }
    });
    report("sequential executor execute UPDATE", ms, since(wall));
  }
  for (const int threads : {1, 2}) {
    std::vector<double> ms;
    std::mutex mutex;
    const int workers = 8;
    const auto wall = clock_type::now();
    test::run_io_concurrently(
        workers,
        [&](int) -> awaitable<void> {
          for (int i = 0; i < n / workers; ++i) {
            const auto t = clock_type::now();
            co_await exec.query("SELECT 1");
            const double d = since(t);
            std::lock_guard lock(mutex);
            ms.push_back(d);
          }
        },
        threads);
    report(threads == 1 ? "concurrent x8 query (1 thread)" : "concurrent x8 query (2 threads)", ms, since(wall));
  }
  {
    std::vector<double> ms;
    std::uint64_t bytes = 0, pages = 0;
    const auto wall = clock_type::now();
    test::run_io([&]() -> awaitable<void> {
      for (int i = 0; i < 10; ++i) {
        const auto t = clock_type::now();
        const pull_request bootstrap;
        auto r = co_await pull_updates(exec.client().http(), bootstrap, nullptr, nullptr);
        bytes = r.value().body_bytes;
        pages = r.value().pages;
        ms.push_back(since(t));
      }
    });
    std::printf("bootstrap pull: %llu pages, %llu bytes\n", static_cast<unsigned long long>(pages),
                static_cast<unsigned long long>(bytes));
    report("bootstrap pull (decode only)", ms, since(wall));
  }
  return 0;
}
