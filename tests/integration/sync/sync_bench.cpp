// Not a test: times an embedded replica's sync steps against a local tursodb over
// loopback, each next to a baseline measured in the same run.
//   sync_bench [megabytes=50] [push_rows=10000] [pull_rows=1000]
//
//   bootstrap   open_embedded of a fresh replica of a server holding `megabytes` MB
//               baseline: the bare full /pull-updates request, pages discarded
//   push        push of `push_rows` changed rows (database_access::push_only)
//               baseline: the same rows as one remote execute_batch
//   pull        pull of about `pull_rows` changed pages (each row fills one page)
//               baseline: the bare /pull-updates request for the same pages
//   no-op sync  sync() with nothing to push or pull
//               baseline: one remote query round trip
// Build RelWithDebInfo or Release; run by hand.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "db/turso/database_access.hpp"
#include "db/turso/sync/pull_client.hpp"
#include "io_runner.hpp"
#include "patina/db/turso_database.hpp"
#include "sync_fixtures.hpp"

using namespace patina;
using namespace patina::db;
namespace fs = std::filesystem;
using clock_type = std::chrono::steady_clock;
template <class T>
using aw = boost::asio::awaitable<T>;

namespace {

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

void line(const char* what, double ms, double limit_ms, const char* baseline, double baseline_ms) {
  std::printf("%-12s %9.1f ms  (target <= %.0f ms: %s)   baseline %-28s %9.1f ms  ratio %.2f\n", what, ms, limit_ms,
              ms <= limit_ms ? "ok" : "MISSED", baseline, baseline_ms, baseline_ms > 0 ? ms / baseline_ms : 0.0);
}

statement row(std::int64_t id, const std::string& text) {
  return statement{"INSERT INTO beliefs (id, statement, confidence, active, created_at, updated_at) VALUES "
                   "(?1, ?2, 0.5, 1, 1, 1) ON CONFLICT (id) DO UPDATE SET statement = excluded.statement",
                   {value{id}, value{text}}};
}

double read_files(const fs::path& dir) {
  const auto start = clock_type::now();
  std::vector<char> buffer(1 << 20);
  std::size_t total = 0;
  for (const char* name : {"server.db", "server.db-wal"}) {
    std::ifstream in(dir / name, std::ios::binary);
    while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
      total += static_cast<std::size_t>(in.gcount());
    }
  }
  std::printf("             (server files: %.1f MB)\n", static_cast<double>(total) / 1e6);
  return ms_since(start);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t megabytes = argc > 1 ? std::strtoul(argv[1], nullptr, 10) : 50;
  const std::int64_t push_rows = argc > 2 ? std::strtol(argv[2], nullptr, 10) : 10000;
  const std::int64_t pull_rows = argc > 3 ? std::strtol(argv[3], nullptr, 10) : 1000;

  std::string why_not;
  auto server = test::sync_server::start(why_not);
  if (!server) {
    std::fprintf(stderr, "sync_bench: %s\n", why_not.c_str());
    return 1;
  }
  const fs::path work = server->dir() / "replicas";
  fs::create_directories(work);
  const std::string url = server->url();
  std::mt19937_64 rng(7);
  const auto text_of = [&](std::size_t size) {
    std::string s(size, ' ');
    for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
    return s;
  };

  // Seed: rows of 4000 characters (about one page each) up to `megabytes`.
  const std::int64_t seed_rows = static_cast<std::int64_t>(megabytes) * 1'000'000 / 4100;
  test::run_io([&]() -> aw<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    auto remote = co_await TursoDatabase::open_remote(executor, url, "");
    std::vector<statement> batch;
    for (std::int64_t id = 1; id <= seed_rows; ++id) {
      batch.push_back(row(id, text_of(4000)));
      if (batch.size() == 500 || id == seed_rows) {
        co_await remote.execute_batch(batch);
        batch.clear();
      }
    }
  });
  std::printf("seeded %lld rows\n", static_cast<long long>(seed_rows));

  (void)read_files(server->dir());
  double full_pull_ms = 0;
  test::run_io([&]() -> aw<void> {
    auto http = turso::sync::http_client::create(url, std::nullopt).value();
    const turso::sync::pull_request everything;
    const auto start = clock_type::now();
    auto raw = co_await turso::sync::pull_updates(http, everything, nullptr,
                                                  [](std::uint64_t, turso::sync::page_span) { return result<void>{}; });
    full_pull_ms = ms_since(start);
    if (raw) std::printf("             (bootstrap: %llu pages)\n", static_cast<unsigned long long>(raw->pages));
  });
  const fs::path replica = work / "a.db";
  double bootstrap_ms = 0, push_ms = 0, batch_ms = 0, pull_ms = 0, raw_pull_ms = 0, noop_ms = 0, rtt_ms = 0;
  std::uint64_t pulled_pages = 0, raw_pages = 0;
  test::run_io([&]() -> aw<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    auto start = clock_type::now();
    auto db = co_await TursoDatabase::open_embedded(executor, replica, url, "");
    bootstrap_ms = ms_since(start);

    // Push: change push_rows rows locally.
    std::vector<statement> changes;
    for (std::int64_t id = 1; id <= push_rows; ++id) changes.push_back(row(id, "changed " + std::to_string(id)));
    co_await db.execute_batch(changes);
    start = clock_type::now();
    auto pushed = co_await turso::database_access::push_only(db);
    push_ms = ms_since(start);
    if (!pushed) std::printf("push failed: %s\n", pushed.err().describe().c_str());
    auto remote = co_await TursoDatabase::open_remote(executor, url, "");
    start = clock_type::now();
    co_await remote.execute_batch(changes);
    batch_ms = ms_since(start);
    co_await db.sync();  // take the pushed pages back

    // Pull: pull_rows rows of about one page each, changed on the server.
    std::vector<statement> server_side;
    for (std::int64_t id = push_rows + 1; id <= push_rows + pull_rows; ++id) server_side.push_back(row(id, text_of(4000)));
    co_await remote.execute_batch(server_side);
    const auto before = db.replica()->revision;
    start = clock_type::now();
    auto pulled = co_await turso::database_access::pull_only(db);
    pull_ms = ms_since(start);
    if (pulled) pulled_pages = pulled->pulled_pages;

    // Baseline: the same request, pages discarded.
    auto http = turso::sync::http_client::create(url, std::nullopt).value();
    turso::sync::pull_request request;
    request.client_revision = before;
    start = clock_type::now();
    auto raw = co_await turso::sync::pull_updates(http, request, nullptr,
                                                  [](std::uint64_t, turso::sync::page_span) { return result<void>{}; });
    raw_pull_ms = ms_since(start);
    if (raw) raw_pages = raw->pages;

    // No-op sync, best of 20.
    noop_ms = 1e9;
    rtt_ms = 1e9;
    for (int i = 0; i < 20; ++i) {
      start = clock_type::now();
      co_await db.sync();
      noop_ms = std::min(noop_ms, ms_since(start));
      start = clock_type::now();
      co_await remote.query("SELECT 1");
      rtt_ms = std::min(rtt_ms, ms_since(start));
    }
  });

  line("bootstrap", bootstrap_ms, 3000, "bare full /pull-updates", full_pull_ms);
  std::printf("             (%lld rows pushed)\n", static_cast<long long>(push_rows));
  line("push", push_ms, 2000, "same rows as one batch", batch_ms);
  std::printf("             (%llu pages pulled, baseline request %llu pages)\n",
              static_cast<unsigned long long>(pulled_pages), static_cast<unsigned long long>(raw_pages));
  line("pull", pull_ms, 500, "bare /pull-updates", raw_pull_ms);
  line("no-op sync", noop_ms, 50, "one query round trip", rtt_ms);
  return 0;
}
