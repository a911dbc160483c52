// db/turso/local_store.hpp — the Turso backend's local work, as blocking calls.
//
// Everything TursoDatabase does on its local file, with no async runtime: the
// opening sequence, statements, the vector tables and vector search. Each call
// takes the connection of the worker thread it runs on (a reader's read-only
// connection or the single writer's); the async layer decides which.
//
// Vector storage: each vector table is an ordinary table
//   <name>(id INTEGER PRIMARY KEY, embedding BLOB NOT NULL, <filter> TEXT NOT NULL ...)
// holding vector32 blobs, with an index per filter column. Beside them,
// patina_vector_generation(name, generation) counts the changes to each table: three
// triggers per table bump it on every INSERT, UPDATE and DELETE, whoever runs it
// (this process, another process, the sqlite3 shell, a replayed sync), so the count
// identifies a committed state of the table.
//
// Fast exact search keeps each table's rows in memory (vector_index) tagged with the
// generation they reflect. A search reads the table's generation on its reader
// connection; if the cached index is older it is rebuilt from that same snapshot
// (one rebuild at a time per table). Writes through this store update the cached
// index in place when it reflects exactly the state before the write, so a writer
// does not force a rebuild. The cache only ever moves to newer generations.
//
// Thread safety: all member functions may be called concurrently, each with a
// connection no other thread is using.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/common/connection.hpp"
#include "db/turso/vector_index.hpp"
#include "patina/db/open_options.hpp"
#include "patina/core/result.hpp"
#include "patina/db/types.hpp"

namespace patina::db::turso {

// Memory held by one table's fast-search cache.
struct vector_cache_stats {
  std::size_t rows = 0;
  std::size_t dimension = 0;
  std::size_t bytes = 0;             // everything the cache holds
  std::size_t raw_vector_bytes = 0;  // rows * dimension * 4
  std::uint64_t rebuilds = 0;        // full reloads from the table so far
};

class local_store {
 public:
  struct opened {
    detail::connection writer;
    std::vector<detail::connection> readers;
    int schema_version = 0;
  };

  // Runs on each connection right after it opens, before anything reads or writes
  // (an embedded replica turns checkpoints off there).
  using connection_setup = std::function<result<void>(detail::connection&)>;

  // Opens the writer connection (creating the file with open_mode::create),
  // registers the vector functions, migrates the schema and repairs missing
  // vector-storage objects (open_mode::read_only: checks only), then opens `readers`
  // read-only connections. Runs on the writer thread.
  static result<opened> open(const std::filesystem::path& path, std::size_t readers,
                             const open_options& options, const connection_setup& setup = {});

  // One statement on a reader; errc::read_only if it would write.
  result<query_result> query(detail::connection& reader, std::string_view sql,
                             std::span<const value> params);
  // One statement; errc::read_only (nothing run) if it would write.
  result<query_result> query_read_only(detail::connection& reader, std::string_view sql,
                                       std::span<const value> params);
  result<query_result> query_on_writer(detail::connection& writer, std::string_view sql,
                                       std::span<const value> params);
  result<exec_result> execute(detail::connection& writer, std::string_view sql,
                              std::span<const value> params);
  result<void> execute_batch(detail::connection& writer, std::span<const statement> batch);

  result<std::size_t> vector_dimension(detail::connection& conn);
  result<void> set_vector_dimension(detail::connection& writer, std::size_t dimension);
  result<void> vector_upsert(detail::connection& writer, vector_table table,
                             std::span<const vector_item> items);
  result<void> vector_delete(detail::connection& writer, vector_table table,
                             std::span<const std::int64_t> ids);
  // use_sql: run the SQL a Turso server would run instead of the in-memory index.
  result<std::vector<vector_match>> vector_search(detail::connection& reader, vector_table table,
                                                  std::span<const float> query,
                                                  const vector_filter& filter, std::size_t k,
                                                  bool use_sql);

  vector_cache_stats cache_stats(vector_table table) const;
  // Drops every cached index (e.g. after a sync replaced pages under the file).
  void invalidate_caches();

 private:
  struct table_cache {
    mutable std::shared_mutex mutex;  // guards index and generation
    std::unique_ptr<vector_index> index;
    std::int64_t generation = -1;  // generation the index reflects
    std::mutex rebuild_mutex;      // one rebuild at a time
    std::atomic<std::uint64_t> rebuilds{0};
  };

  table_cache& cache_for(vector_table table) noexcept;
  const table_cache& cache_for(vector_table table) const noexcept;

  result<std::vector<vector_match>> search_sql(detail::connection& reader, vector_table table,
                                               std::span<const float> query,
                                               const vector_filter& filter, std::size_t k);
  result<std::vector<vector_match>> search_fast(detail::connection& reader, vector_table table,
                                                std::span<const float> query,
                                                const vector_filter& filter, std::size_t k);

  std::array<table_cache, 3> caches_;
};

}  // namespace patina::db::turso
