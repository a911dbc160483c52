// Benchmark of db::SqliteDatabase's vector storage (sqlite-vec vec0).
//
// 1. Inserts N random unit vectors (default 100k x 512) in batched transactions
//    and runs Q KNN queries (k = 10); in the same run, scans the same vectors held
//    in a plain std::vector (naive loop + partial_sort, and an 8-lane loop that
//    the compiler vectorises), the in-memory baselines.
// 2. Inserts the same rows into observation_vectors alternating between two
//    obs_type values, once with SQLite's default page cache and no mmap and once
//    with Patina's large cache + mmap, to show the pragma effect; and runs
//    filtered queries on both.
//
// Usage: sqlite_vector_bench [rows] [queries] [dimension] [folder]
// Build it Release for meaningful numbers. Not run by the tests.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "patina/db/sqlite_database.hpp"

namespace {

using patina::db::open_options;
using patina::db::SqliteDatabase;
using patina::db::vector_filter;
using patina::db::vector_item;
using patina::db::vector_match;
using patina::db::vector_table;
using clock_type = std::chrono::steady_clock;

constexpr std::size_t k = 10;
constexpr std::size_t batch_size = 1000;

double seconds_since(clock_type::time_point start) {
  return std::chrono::duration<double>(clock_type::now() - start).count();
}

std::vector<float> random_unit(std::mt19937& rng, std::size_t dimension) {
  std::normal_distribution<float> dist(0.0F, 1.0F);
  std::vector<float> v(dimension);
  double norm = 0;
  for (auto& x : v) {
    x = dist(rng);
    norm += double{x} * double{x};
  }
  const auto inv = static_cast<float>(1.0 / std::sqrt(norm));
  for (auto& x : v) x *= inv;
  return v;
}

struct percentiles {
  double p50_ms = 0;
  double p95_ms = 0;
  double mean_ms = 0;
};

percentiles summarize(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  percentiles p;
  p.p50_ms = ms[ms.size() / 2];
  p.p95_ms = ms[std::min(ms.size() - 1, ms.size() * 95 / 100)];
  p.mean_ms = std::accumulate(ms.begin(), ms.end(), 0.0) / static_cast<double>(ms.size());
  return p;
}

// The in-memory baseline: all vectors in one contiguous array, unit length, so
// cosine distance = 1 - dot.
std::vector<std::size_t> scan(const std::vector<float>& flat, std::size_t dimension,
                              const std::vector<float>& query) {
  const std::size_t n = flat.size() / dimension;
  std::vector<std::pair<float, std::size_t>> scored(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = flat.data() + i * dimension;
    float dot = 0;
    for (std::size_t j = 0; j < dimension; ++j) dot += row[j] * query[j];
    scored[i] = {1.0F - dot, i};
  }
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end());
  std::vector<std::size_t> top(k);
  for (std::size_t i = 0; i < k; ++i) top[i] = scored[i].second;
  return top;
}

// The same scan with eight independent partial sums, so the compiler can
// vectorise the reduction without -ffast-math: a floor closer to the hardware.
std::vector<std::size_t> scan_unrolled(const std::vector<float>& flat, std::size_t dimension,
                                       const std::vector<float>& query) {
  constexpr std::size_t lanes = 8;
  const std::size_t n = flat.size() / dimension;
  std::vector<std::pair<float, std::size_t>> scored(n);
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = flat.data() + i * dimension;
    float sums[lanes] = {};
    std::size_t j = 0;
    for (; j + lanes <= dimension; j += lanes) {
      for (std::size_t l = 0; l < lanes; ++l) sums[l] += row[j + l] * query[j + l];
    }
    float dot = 0;
    for (; j < dimension; ++j) dot += row[j] * query[j];
    for (const float s : sums) dot += s;
    scored[i] = {1.0F - dot, i};
  }
  std::partial_sort(scored.begin(), scored.begin() + static_cast<std::ptrdiff_t>(k), scored.end());
  std::vector<std::size_t> top(k);
  for (std::size_t i = 0; i < k; ++i) top[i] = scored[i].second;
  return top;
}

double insert_all(SqliteDatabase& db, vector_table table, const std::vector<vector_item>& items) {
  const auto start = clock_type::now();
  for (std::size_t i = 0; i < items.size(); i += batch_size) {
    const auto end = std::min(items.size(), i + batch_size);
    db.vector_upsert(table, std::span<const vector_item>(items.data() + i, end - i));
  }
  return seconds_since(start);
}

percentiles time_queries(SqliteDatabase& db, vector_table table,
                         const std::vector<std::vector<float>>& queries, const vector_filter& f,
                         std::vector<std::vector<vector_match>>* results) {
  std::vector<double> ms;
  for (const auto& q : queries) {
    const auto start = clock_type::now();
    auto hits = db.vector_search(table, q, f, k);
    ms.push_back(seconds_since(start) * 1000.0);
    if (results != nullptr) results->push_back(std::move(hits));
  }
  return summarize(std::move(ms));
}

void remove_db(const std::filesystem::path& file) {
  std::error_code ec;
  for (const char* suffix : {"", "-wal", "-shm"}) {
    std::filesystem::remove(file.string() + suffix, ec);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t rows = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 100'000;
  const std::size_t query_count = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 200;
  const std::size_t dimension = argc > 3 ? std::strtoull(argv[3], nullptr, 10) : 512;
  const std::filesystem::path folder =
      argc > 4 ? std::filesystem::path(argv[4])
               : std::filesystem::temp_directory_path() /
                     ("patina-sqlite-bench-" + std::to_string(::getpid()));
  std::filesystem::create_directories(folder);

  std::printf("sqlite-vec benchmark: %zu rows x %zu-d, %zu queries, k=%zu, batches of %zu\n", rows,
              dimension, query_count, k, batch_size);

  std::mt19937 rng(42);
  std::vector<vector_item> items(rows);
  std::vector<float> flat;
  flat.reserve(rows * dimension);
  for (std::size_t i = 0; i < rows; ++i) {
    items[i].id = static_cast<std::int64_t>(i + 1);
    items[i].embedding = random_unit(rng, dimension);
    items[i].metadata.obs_type = i % 2 == 0 ? "pattern" : "decision";
    flat.insert(flat.end(), items[i].embedding.begin(), items[i].embedding.end());
  }
  std::vector<std::vector<float>> queries;
  for (std::size_t q = 0; q < query_count; ++q) queries.push_back(random_unit(rng, dimension));

  // --- 1. belief_vectors, Patina's defaults (large cache + mmap) ---------------
  const auto main_file = folder / "bench-main.db";
  remove_db(main_file);
  double insert_s = 0;
  percentiles knn;
  std::vector<std::vector<vector_match>> knn_results;
  {
    auto db = SqliteDatabase::open(main_file);
    db.set_vector_dimension(dimension);
    insert_s = insert_all(db, vector_table::beliefs, items);
    knn = time_queries(db, vector_table::beliefs, queries, {}, &knn_results);
  }
  std::vector<double> scan_ms;
  std::size_t agree = 0;
  for (std::size_t q = 0; q < queries.size(); ++q) {
    const auto start = clock_type::now();
    const auto top = scan(flat, dimension, queries[q]);
    scan_ms.push_back(seconds_since(start) * 1000.0);
    for (std::size_t i = 0; i < k && i < knn_results[q].size(); ++i) {
      agree += static_cast<std::size_t>(knn_results[q][i].id) == top[i] + 1 ? 1 : 0;
    }
  }
  const auto scan_p = summarize(scan_ms);
  std::vector<double> unrolled_ms;
  for (const auto& q : queries) {
    const auto start = clock_type::now();
    const auto top = scan_unrolled(flat, dimension, q);
    unrolled_ms.push_back(seconds_since(start) * 1000.0);
  }
  const auto unrolled_p = summarize(unrolled_ms);
  std::printf("\n[1] belief_vectors, large cache + mmap (Patina default)\n");
  std::printf("  insert: %.2f s, %.0f rows/s\n", insert_s, static_cast<double>(rows) / insert_s);
  std::printf("  vec0 KNN:        p50 %.2f ms  p95 %.2f ms  mean %.2f ms\n", knn.p50_ms, knn.p95_ms,
              knn.mean_ms);
  std::printf("  in-memory scan:  p50 %.2f ms  p95 %.2f ms  mean %.2f ms\n", scan_p.p50_ms,
              scan_p.p95_ms, scan_p.mean_ms);
  std::printf("  8-lane scan:     p50 %.2f ms  p95 %.2f ms  mean %.2f ms\n", unrolled_p.p50_ms,
              unrolled_p.p95_ms, unrolled_p.mean_ms);
  std::printf("  ratio vec0 / in-memory scan (p50): %.1fx naive loop, %.1fx 8-lane loop\n",
              knn.p50_ms / scan_p.p50_ms, knn.p50_ms / unrolled_p.p50_ms);
  std::printf("  same ids at the same rank as the scan: %zu of %zu\n", agree, queries.size() * k);
  std::printf("  file size: %.1f MiB\n",
              static_cast<double>(std::filesystem::file_size(main_file)) / (1024.0 * 1024.0));
  remove_db(main_file);

  // --- 2. observation_vectors alternating obs_type: default vs large cache -----
  std::printf("\n[2] observation_vectors, rows alternate obs_type pattern/decision\n");
  vector_filter patterns;
  patterns.obs_type = "pattern";
  const std::vector<std::vector<float>> some_queries(
      queries.begin(), queries.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(50, queries.size())));
  double default_insert_s = 0;
  double large_insert_s = 0;
  for (const bool large : {false, true}) {
    const auto file = folder / (large ? "bench-large.db" : "bench-default.db");
    remove_db(file);
    open_options o;
    if (!large) {
      o.cache_kib = 0;  // SQLite's default 2 MiB page cache
      o.mmap_bytes = 0;
    }
    auto db = SqliteDatabase::open(file, o);
    db.set_vector_dimension(dimension);
    const double s = insert_all(db, vector_table::observations, items);
    (large ? large_insert_s : default_insert_s) = s;
    const auto unfiltered = time_queries(db, vector_table::observations, some_queries, {}, nullptr);
    const auto filtered = time_queries(db, vector_table::observations, some_queries, patterns, nullptr);
    std::printf("  %-28s insert %.2f s (%.0f rows/s); KNN p50 %.2f ms, obs_type filter p50 %.2f ms\n",
                large ? "large cache + 1 GiB mmap:" : "default cache, no mmap:", s,
                static_cast<double>(rows) / s, unfiltered.p50_ms, filtered.p50_ms);
    remove_db(file);
  }
  std::printf("  insert speed-up from the large cache: %.1fx\n", default_insert_s / large_insert_s);
  std::error_code ec;
  std::filesystem::remove(folder, ec);
  return 0;
}
