// Benchmark of TursoDatabase's vector search (local mode), one run, two data sets:
// uniform random unit vectors, and clustered ones (Gaussian noise around random
// centres, normalised). For each:
//   - inserts in batched transactions (vector_upsert, 1000 per transaction);
//   - fast path (in-memory exact scan): first-search load, then p50/p95 per query,
//     measured from the awaiting coroutine (includes the hop to the pool);
//   - baseline: the same unit vectors in one std::vector, scanned with the same
//     kernel (vec::dot_many) + partial_sort, on the calling thread;
//   - SQL path (vector_distance_cos in SQL, as a Turso server runs it);
//   - sqlite-vec: vec0.so loaded at run time into a separate plain sqlite3
//     connection holding the same vectors (distance_metric=cosine, k = ?);
//   - memory of the fast path's copy vs the raw vector bytes.
// Prints figures and the target ratios. Build Release; not run by the tests.
//
// Usage: turso_vector_bench [rows=100000] [dimension=512] [queries=100] [folder=$TMPDIR]
//        (PATINA_SQLITE_VEC overrides the vec0.so location)
#include <sqlite3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <unistd.h>
#include <vector>

#include "patina/build_config.hpp"
#include "patina/core/vector.hpp"
#include "patina/db/turso_database.hpp"

namespace {

namespace asio = boost::asio;
using patina::db::TursoDatabase;
using patina::db::vector_item;
using patina::db::vector_match;
using patina::db::vector_search_path;
using patina::db::vector_table;
using clock_type = std::chrono::steady_clock;
template <class T>
using awaitable = asio::awaitable<T>;

constexpr std::size_t k = 10;
constexpr std::size_t batch_size = 1000;
constexpr std::size_t clusters = 1000;

double ms_since(clock_type::time_point start) {
  return std::chrono::duration<double, std::milli>(clock_type::now() - start).count();
}

struct percentiles {
  double p50 = 0;
  double p95 = 0;
};

percentiles summarize(std::vector<double> ms) {
  if (ms.empty()) return {};
  std::sort(ms.begin(), ms.end());
  return {ms[ms.size() / 2], ms[std::min(ms.size() - 1, ms.size() * 95 / 100)]};
}

void normalise(std::vector<float>& v) {
  double norm = 0;
  for (const float x : v) norm += double{x} * double{x};
  const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (auto& x : v) x *= inv;
}

struct data_set {
  std::string name;
  std::vector<std::vector<float>> rows;
  std::vector<std::vector<float>> queries;
};

data_set uniform(std::size_t rows, std::size_t dim, std::size_t queries, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0F, 1.0F);
  auto make = [&] {
    std::vector<float> v(dim);
    for (auto& x : v) x = u(rng);
    normalise(v);
    return v;
  };
  data_set d{"uniform", {}, {}};
  for (std::size_t i = 0; i < rows; ++i) d.rows.push_back(make());
  for (std::size_t i = 0; i < queries; ++i) d.queries.push_back(make());
  return d;
}

data_set clustered(std::size_t rows, std::size_t dim, std::size_t queries, std::mt19937& rng) {
  std::normal_distribution<float> normal(0.0F, 1.0F);
  std::vector<std::vector<float>> centres(clusters, std::vector<float>(dim));
  for (auto& c : centres) {
    for (auto& x : c) x = normal(rng);
    normalise(c);
  }
  // Noise of about a third of the centre's length spread over all dimensions.
  const float noise = 0.35F / std::sqrt(static_cast<float>(dim));
  std::uniform_int_distribution<std::size_t> pick(0, clusters - 1);
  auto near_centre = [&] {
    std::vector<float> v = centres[pick(rng)];
    for (auto& x : v) x += noise * normal(rng);
    normalise(v);
    return v;
  };
  data_set d{"clustered", {}, {}};
  for (std::size_t i = 0; i < rows; ++i) d.rows.push_back(near_centre());
  for (std::size_t i = 0; i < queries; ++i) d.queries.push_back(near_centre());
  return d;
}

// The baseline: one contiguous array, the same kernel, partial_sort for the top k.
std::vector<std::int64_t> raw_scan(const std::vector<float>& flat, std::size_t dim,
                                   const std::vector<float>& query, std::vector<float>& scores) {
  const std::size_t n = flat.size() / dim;
  scores.resize(n);
  patina::vec::dot_many(flat.data(), n, dim, query.data(), scores.data());
  std::vector<std::uint32_t> order(n);
  std::iota(order.begin(), order.end(), 0U);
  const std::size_t top = std::min(k, n);
  std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(top), order.end(),
                    [&](std::uint32_t a, std::uint32_t b) { return scores[a] > scores[b] || (scores[a] == scores[b] && a < b); });
  std::vector<std::int64_t> ids;
  for (std::size_t i = 0; i < top; ++i) ids.push_back(static_cast<std::int64_t>(order[i]) + 1);
  return ids;
}

std::string vec0_path() {
  if (const char* env = std::getenv("PATINA_SQLITE_VEC")) return env;
  return std::string(PATINA_DEPS_DIR) + "/sqlite-vec/vec0.so";
}

// sqlite-vec in its own plain connection, holding the same vectors.
class vec0_store {
 public:
  vec0_store(const data_set& d, std::size_t dim, std::filesystem::path file) : file_(std::move(file)), dim_(dim) {
    std::filesystem::remove(file_);
    if (sqlite3_open(file_.c_str(), &db_) != SQLITE_OK) {
      why_not_ = "cannot open " + file_.string();
      return;
    }
    sqlite3_enable_load_extension(db_, 1);
    char* error = nullptr;
    if (sqlite3_load_extension(db_, vec0_path().c_str(), nullptr, &error) != SQLITE_OK) {
      why_not_ = "cannot load " + vec0_path() + ": " + (error != nullptr ? error : "?");
      sqlite3_free(error);
      return;
    }
    // The pragmas the SQLite build uses for vector databases.
    exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=-262144; "
         "PRAGMA mmap_size=1073741824");
    const std::string create = "CREATE VIRTUAL TABLE v USING vec0(embedding float[" + std::to_string(dim) +
                               "] distance_metric=cosine)";
    if (!exec(create.c_str())) {
      why_not_ = std::string("vec0 table: ") + sqlite3_errmsg(db_);
      return;
    }
    sqlite3_stmt* insert = nullptr;
    sqlite3_prepare_v2(db_, "INSERT INTO v (rowid, embedding) VALUES (?1, ?2)", -1, &insert, nullptr);
    const auto start = clock_type::now();
    for (std::size_t i = 0; i < d.rows.size(); ++i) {
      if (i % batch_size == 0) exec("BEGIN");
      sqlite3_bind_int64(insert, 1, static_cast<sqlite3_int64>(i + 1));
      sqlite3_bind_blob(insert, 2, d.rows[i].data(), static_cast<int>(dim * sizeof(float)), SQLITE_STATIC);
      sqlite3_step(insert);
      sqlite3_reset(insert);
      if (i % batch_size == batch_size - 1 || i + 1 == d.rows.size()) exec("COMMIT");
    }
    insert_per_s_ = static_cast<double>(d.rows.size()) / (ms_since(start) / 1000.0);
    sqlite3_finalize(insert);
    sqlite3_prepare_v2(db_, "SELECT rowid, distance FROM v WHERE embedding MATCH ?1 AND k = ?2", -1, &knn_, nullptr);
  }
  vec0_store(const vec0_store&) = delete;
  vec0_store& operator=(const vec0_store&) = delete;
  ~vec0_store() {
    sqlite3_finalize(knn_);
    sqlite3_close(db_);
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file_.string() + suffix);
  }

  bool available() const { return knn_ != nullptr; }
  const std::string& why_not() const { return why_not_; }
  double insert_per_s() const { return insert_per_s_; }

  std::vector<std::int64_t> search(const std::vector<float>& q) {
    sqlite3_bind_blob(knn_, 1, q.data(), static_cast<int>(dim_ * sizeof(float)), SQLITE_STATIC);
    sqlite3_bind_int64(knn_, 2, static_cast<sqlite3_int64>(k));
    std::vector<std::int64_t> ids;
    while (sqlite3_step(knn_) == SQLITE_ROW) ids.push_back(sqlite3_column_int64(knn_, 0));
    sqlite3_reset(knn_);
    return ids;
  }

 private:
  bool exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

  std::filesystem::path file_;
  std::size_t dim_;
  sqlite3* db_ = nullptr;
  sqlite3_stmt* knn_ = nullptr;
  std::string why_not_;
  double insert_per_s_ = 0;
};

std::size_t overlap(const std::vector<std::int64_t>& a, const std::vector<std::int64_t>& b) {
  std::size_t n = 0;
  for (const auto id : a) n += std::count(b.begin(), b.end(), id) > 0 ? 1 : 0;
  return n;
}

// Every query is timed on each path in turn (fast, raw scan, vec0, and SQL for the
// first ones), so that load from other processes hits all paths alike.
awaitable<void> bench_one(asio::io_context& io, const data_set& d, std::size_t dim,
                          const std::filesystem::path& folder) {
  std::printf("\n== %s: %zu x %zu-d, %zu queries, k = %zu ==\n", d.name.c_str(), d.rows.size(), dim,
              d.queries.size(), k);
  const auto file = folder / ("turso-bench-" + d.name + ".db");
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);

  auto db = co_await TursoDatabase::open(io.get_executor(), file);
  co_await db.set_vector_dimension(dim);
  auto start = clock_type::now();
  std::vector<vector_item> batch;
  for (std::size_t i = 0; i < d.rows.size(); ++i) {
    batch.push_back({static_cast<std::int64_t>(i + 1), d.rows[i], {}});
    if (batch.size() == batch_size || i + 1 == d.rows.size()) {
      co_await db.vector_upsert(vector_table::beliefs, batch);
      batch.clear();
    }
  }
  const double insert_per_s = static_cast<double>(d.rows.size()) / (ms_since(start) / 1000.0);

  vec0_store vec0(d, dim, folder / ("vec0-bench-" + d.name + ".db"));
  std::vector<float> flat;
  flat.reserve(d.rows.size() * dim);
  for (const auto& r : d.rows) flat.insert(flat.end(), r.begin(), r.end());
  std::vector<float> scores;

  start = clock_type::now();
  co_await db.vector_search(vector_table::beliefs, d.queries[0], {}, k);  // loads the copy
  const double load_ms = ms_since(start);

  constexpr std::size_t sql_queries = 20;
  std::vector<double> fast_ms, raw_ms, vec0_ms, sql_ms;
  std::size_t raw_agree = 0, vec0_agree = 0, sql_agree = 0;
  for (std::size_t i = 0; i < d.queries.size(); ++i) {
    const auto& q = d.queries[i];
    auto t = clock_type::now();
    const auto hits = co_await db.vector_search(vector_table::beliefs, q, {}, k);
    fast_ms.push_back(ms_since(t));
    std::vector<std::int64_t> fast_ids;
    for (const auto& h : hits) fast_ids.push_back(h.id);

    t = clock_type::now();
    const auto raw_ids = raw_scan(flat, dim, q, scores);
    raw_ms.push_back(ms_since(t));
    raw_agree += overlap(raw_ids, fast_ids);

    if (vec0.available()) {
      t = clock_type::now();
      const auto ids = vec0.search(q);
      vec0_ms.push_back(ms_since(t));
      vec0_agree += overlap(ids, fast_ids);
    }
    if (i < sql_queries) {
      t = clock_type::now();
      const auto sql_hits = co_await db.vector_search(vector_table::beliefs, q, {}, k, vector_search_path::sql);
      sql_ms.push_back(ms_since(t));
      std::vector<std::int64_t> ids;
      for (const auto& h : sql_hits) ids.push_back(h.id);
      sql_agree += overlap(ids, fast_ids);
    }
  }
  const auto cache = db.vector_cache(vector_table::beliefs);

  const auto fast = summarize(fast_ms);
  const auto raw = summarize(raw_ms);
  const auto sql = summarize(sql_ms);
  const auto v0 = summarize(vec0_ms);
  const double total = static_cast<double>(d.queries.size() * k);
  std::printf("kernel: %s\n", std::string(patina::vec::kernel_isa()).c_str());
  std::printf("insert (vector_upsert, %zu per transaction): %.0f vectors/s\n", batch_size, insert_per_s);
  std::printf("fast path: first search (loads the copy) %.1f ms; p50 %.2f ms, p95 %.2f ms\n", load_ms,
              fast.p50, fast.p95);
  std::printf("raw in-memory scan:    p50 %.2f ms, p95 %.2f ms (same top-k as fast path: %.1f%%)\n", raw.p50,
              raw.p95, 100.0 * static_cast<double>(raw_agree) / total);
  std::printf("SQL path (%zu queries): p50 %.2f ms, p95 %.2f ms (same top-k: %.1f%%)\n", sql_ms.size(), sql.p50,
              sql.p95, 100.0 * static_cast<double>(sql_agree) / static_cast<double>(sql_ms.size() * k));
  if (vec0.available()) {
    std::printf("sqlite-vec vec0:       p50 %.2f ms, p95 %.2f ms (same top-k: %.1f%%; insert %.0f vectors/s)\n",
                v0.p50, v0.p95, 100.0 * static_cast<double>(vec0_agree) / total, vec0.insert_per_s());
  } else {
    std::printf("sqlite-vec vec0: not measured (%s)\n", vec0.why_not().c_str());
  }
  std::printf("fast-path memory: %.1f MiB for %.1f MiB of raw vectors\n", static_cast<double>(cache.bytes) / 1048576.0,
              static_cast<double>(cache.raw_vector_bytes) / 1048576.0);
  std::printf("ratios (target):\n");
  std::printf("  fast p50 / raw scan p50   = %.2f  (<= 2)\n", fast.p50 / raw.p50);
  if (vec0.available()) {
    std::printf("  vec0 p50 / fast p50       = %.2f  (>= 3)\n", v0.p50 / fast.p50);
    std::printf("  SQL path p50 / vec0 p50   = %.2f  (<= 2)\n", sql.p50 / v0.p50);
  }
  std::printf("  inserts                   = %.0f/s (>= 50000)\n", insert_per_s);
  std::printf("  memory / raw vector bytes = %.3f (<= 1.3)\n",
              static_cast<double>(cache.bytes) / static_cast<double>(std::max<std::size_t>(cache.raw_vector_bytes, 1)));
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100000;
  const std::size_t dim = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 512;
  const std::size_t queries = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 100;
  const std::filesystem::path folder = argc > 4 ? std::filesystem::path(argv[4]) : std::filesystem::temp_directory_path();
  if (rows == 0 || dim == 0 || queries == 0) {
    std::fprintf(stderr, "usage: turso_vector_bench [rows] [dimension] [queries] [folder]\n");
    return 2;
  }
  std::mt19937 rng(42);
  asio::io_context io;
  std::exception_ptr failure;
  asio::co_spawn(
      io,
      [&]() -> awaitable<void> {
        {
          const auto d = uniform(rows, dim, queries, rng);
          co_await bench_one(io, d, dim, folder);
        }
        const auto d = clustered(rows, dim, queries, rng);
        co_await bench_one(io, d, dim, folder);
      },
      [&](std::exception_ptr e) { failure = e; });
  io.run();
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "benchmark failed: %s\n", e.what());
      return 3;
    }
  }
  return 0;
}
