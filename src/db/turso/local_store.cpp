#include "db/turso/local_store.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <limits>
#include <optional>
#include <utility>

#include "db/common/schema.hpp"
#include "db/common/vector_specs.hpp"
#include "db/common/vector_storage.hpp"
#include "db/turso/vector_functions.hpp"
#include "patina/core/id.hpp"
#include "patina/core/vector.hpp"
#include "patina/db/transaction.hpp"

namespace patina::db::turso {

namespace {

using detail::connection;
using detail::vector_table_spec;

constexpr std::string_view generation_table = "patina_vector_generation";
struct trigger_event {
  const char* suffix;  // trigger name suffix
  const char* sql;     // the event in CREATE TRIGGER
};
constexpr trigger_event trigger_events[] = {{"insert", "INSERT"}, {"update", "UPDATE"}, {"delete", "DELETE"}};

// Readers rely on the memory map (shared with the OS page cache) for the file and
// cache WAL pages only; the writer takes the page cache the options ask for.
constexpr std::int64_t reader_cache_kib = 16384;

std::string name_of(const vector_table_spec& spec) { return std::string(spec.name); }

std::vector<std::string> storage_ddl() {
  std::vector<std::string> ddl;
  ddl.push_back("CREATE TABLE IF NOT EXISTS " + std::string(generation_table) +
                " (name TEXT PRIMARY KEY, generation INTEGER NOT NULL)");
  for (const auto& spec : detail::vector_table_specs()) {
    const std::string name = name_of(spec);
    std::string table = "CREATE TABLE IF NOT EXISTS " + name +
                        " (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL";
    for (const auto& column : spec.filter_columns) {
      table += ", " + std::string(column.name) + " TEXT NOT NULL DEFAULT ''";
    }
    ddl.push_back(table + ")");
    for (const auto& column : spec.filter_columns) {
      const std::string col(column.name);
      ddl.push_back("CREATE INDEX IF NOT EXISTS " + name + "_" + col + " ON " + name + " (" + col + ")");
    }
    for (const auto& event : trigger_events) {
      ddl.push_back("CREATE TRIGGER IF NOT EXISTS " + name + "_generation_" + event.suffix + " AFTER " +
                    event.sql + " ON " + name + " BEGIN UPDATE " + std::string(generation_table) +
                    " SET generation = generation + 1 WHERE name = '" + name + "'; END");
    }
  }
  return ddl;
}

// Schema objects the vector storage consists of (tables, indexes, triggers).
std::size_t storage_object_count() {
  std::size_t count = 1;
  for (const auto& spec : detail::vector_table_specs()) {
    count += 1 + spec.filter_columns.size() + std::size(trigger_events);
  }
  return count;
}

// Creates whatever part of the vector storage is missing. Generations start at a
// fresh id, so a table recreated after its row was lost never reuses an old count.
// REQUIRES: inside a write transaction.
result<void> ensure_storage(connection& writer) {
  for (const auto& ddl : storage_ddl()) {
    if (auto done = writer.execute(ddl); !done) return fail(done.err());
  }
  for (const auto& spec : detail::vector_table_specs()) {
    const std::vector<value> row{name_of(spec), patina::new_id()};
    auto done = writer.execute("INSERT OR IGNORE INTO " + std::string(generation_table) +
                                   " (name, generation) VALUES (?1, ?2)",
                               row);
    if (!done) return fail(done.err());
  }
  return {};
}

result<bool> storage_complete(connection& conn) {
  std::string names;
  for (const auto& ddl : storage_ddl()) {
    // The object name is the word after "IF NOT EXISTS ".
    const std::string marker = "IF NOT EXISTS ";
    const auto start = ddl.find(marker) + marker.size();
    const auto end = ddl.find(' ', start);
    if (!names.empty()) names += ",";
    names += "'" + ddl.substr(start, end - start) + "'";
  }
  auto objects = conn.query("SELECT count(*) FROM sqlite_schema WHERE name IN (" + names + ")");
  if (!objects) return fail(objects.err());
  if (std::get<std::int64_t>(objects->rows.at(0).at(0)) !=
      static_cast<std::int64_t>(storage_object_count())) {
    return false;
  }
  auto rows = conn.query("SELECT count(*) FROM " + std::string(generation_table));
  if (!rows) return fail(rows.err());
  return std::get<std::int64_t>(rows->rows.at(0).at(0)) >=
         static_cast<std::int64_t>(detail::vector_table_specs().size());
}

// The table's change count in the connection's current snapshot; nullopt if its row
// is missing.
result<std::optional<std::int64_t>> read_generation(connection& conn, const vector_table_spec& spec) {
  const std::vector<value> params{name_of(spec)};
  auto rows = conn.query("SELECT generation FROM patina_vector_generation WHERE name = ?1", params);
  if (!rows) return fail(rows.err());
  if (rows->rows.empty()) return std::optional<std::int64_t>();
  const auto* n = std::get_if<std::int64_t>(&rows->rows[0][0]);
  if (n == nullptr) return std::optional<std::int64_t>();
  return std::optional<std::int64_t>(*n);
}

// The dimension the vector tables hold; an error if none is set yet.
result<std::size_t> require_dimension(connection& conn) {
  auto dimension = detail::read_vector_dimension(conn);
  if (!dimension) return dimension;
  if (*dimension == 0) return fail(detail::no_vector_dimension_error());
  return dimension;
}

std::vector<std::optional<std::string>> filter_values(const vector_table_spec& spec,
                                                      const vector_filter& filter) {
  std::vector<std::optional<std::string>> values;
  for (const auto& column : spec.filter_columns) values.push_back(filter.*column.filter_field);
  return values;
}

result<void> check_items(std::size_t dimension, std::span<const vector_item> items) {
  for (const auto& item : items) {
    const std::string what = "the vector for item " + std::to_string(item.id);
    if (auto ok = detail::check_dimension(dimension, item.embedding.size(), what); !ok) return ok;
    if (auto ok = detail::check_vector_values(item.embedding, what); !ok) return ok;
  }
  return {};
}

// Reads every row of the table in the connection's current snapshot into a new index.
result<std::unique_ptr<vector_index>> load_index(connection& conn, const vector_table_spec& spec) {
  auto dimension = require_dimension(conn);
  if (!dimension) return fail(dimension.err());
  std::string sql = "SELECT id, embedding";
  for (const auto& column : spec.filter_columns) sql += ", " + std::string(column.name);
  sql += " FROM " + name_of(spec);

  // Rows are streamed (not collected by connection::query): a table is as large as
  // the index built from it.
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(conn.handle(), sql.c_str(), -1, &raw, nullptr);
  detail::statement_ptr stmt(raw);
  if (rc != SQLITE_OK) return fail(conn.last_error(rc, "reading the vectors"));

  auto index = std::make_unique<vector_index>(*dimension, spec.filter_columns.size());
  std::vector<float> embedding;
  std::vector<std::string> filters(spec.filter_columns.size());
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    const std::int64_t id = sqlite3_column_int64(stmt.get(), 0);
    const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt.get(), 1));
    const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), 1));
    const std::string where = name_of(spec) + " row " + std::to_string(id);
    if (auto decoded = vec::decode_into(std::span(data, data == nullptr ? 0 : size), embedding); !decoded) {
      auto err = decoded.err();
      return fail(errc::corrupt_database,
                  where + " does not hold a vector32 blob; delete the row or embed it again",
                  err.message);
    }
    if (embedding.size() != *dimension) {
      return fail(errc::dimension_mismatch,
                  where + " holds a vector of dimension " + std::to_string(embedding.size()) +
                      " but the vector tables hold dimension " + std::to_string(*dimension) +
                      "; delete the row or embed it again");
    }
    for (std::size_t c = 0; c < filters.size(); ++c) {
      const auto* text = sqlite3_column_text(stmt.get(), static_cast<int>(c) + 2);
      filters[c].assign(text == nullptr ? "" : reinterpret_cast<const char*>(text),
                        static_cast<std::size_t>(sqlite3_column_bytes(stmt.get(), static_cast<int>(c) + 2)));
    }
    index->upsert(id, embedding, filters);
  }
  if (rc != SQLITE_DONE) return fail(conn.last_error(rc, "reading the vectors"));
  return index;
}

std::vector<value> to_params(std::span<const float> vec) { return {detail::to_vector_blob(vec)}; }

// Pooled connections serve every caller in turn, so no transaction may outlive the
// operation that opened it: a lone BEGIN is rolled back and refused.
template <class T>
result<T> leave_no_transaction(connection& conn, result<T> outcome) {
  if (!conn.in_transaction()) return outcome;
  conn.rollback_quietly();
  return fail(errc::invalid_argument,
              "a transaction cannot span several operations (BEGIN, COMMIT and SAVEPOINT are "
              "not run alone); put the statements in one execute_batch instead");
}

detail::open_mode to_detail(open_mode mode) {
  switch (mode) {
    case open_mode::read_only: return detail::open_mode::read_only;
    case open_mode::read_write: return detail::open_mode::read_write;
    case open_mode::create: return detail::open_mode::create;
  }
  return detail::open_mode::read_only;  // defensive: unreachable for valid values
}

}  // namespace

result<local_store::opened> local_store::open(const std::filesystem::path& path, std::size_t readers,
                                              const open_options& options, const connection_setup& setup) {
  detail::connection_options writer_options;
  writer_options.mode = to_detail(options.mode);
  writer_options.busy_timeout = options.busy_timeout;
  writer_options.cache_kib = options.cache_kib;
  writer_options.mmap_bytes = options.mmap_bytes;
  auto writer = connection::open(path, writer_options);
  if (!writer) return fail(writer.err());
  if (setup) {
    if (auto ready = setup(*writer); !ready) return fail(ready.err());
  }
  // Before anything writes: a SQLite-build file would fail later, half-repaired.
  if (auto ours = detail::check_vector_storage(*writer, detail::vector_storage::vector32); !ours) {
    return fail(ours.err());
  }
  if (register_vector_functions(writer->handle()) != SQLITE_OK) {
    return fail(writer->last_error(SQLITE_ERROR, "registering the vector SQL functions"));
  }
  auto version = detail::prepare_schema(*writer);
  if (!version) return fail(version.err());

  auto dimension = detail::read_vector_dimension(*writer);
  if (!dimension) return fail(dimension.err());
  if (*dimension > 0 && !writer->is_read_only()) {
    auto complete = storage_complete(*writer);
    if (!complete) return fail(complete.err());
    if (!*complete) {
      auto repaired = writer->atomically([&] { return ensure_storage(*writer); });
      if (!repaired) return fail(repaired.err());
    }
  }

  opened out{std::move(*writer), {}, *version};
  detail::connection_options reader_options;
  reader_options.mode = detail::open_mode::read_only;
  reader_options.busy_timeout = options.busy_timeout;
  reader_options.cache_kib = options.cache_kib == 0 ? 0 : std::min(options.cache_kib, reader_cache_kib);
  reader_options.mmap_bytes = options.mmap_bytes;
  for (std::size_t i = 0; i < readers; ++i) {
    auto reader = connection::open(path, reader_options);
    if (!reader) return fail(reader.err());
    if (setup) {
      if (auto ready = setup(*reader); !ready) return fail(ready.err());
    }
    if (register_vector_functions(reader->handle()) != SQLITE_OK) {
      return fail(reader->last_error(SQLITE_ERROR, "registering the vector SQL functions"));
    }
    out.readers.push_back(std::move(*reader));
  }
  return out;
}

local_store::table_cache& local_store::cache_for(vector_table table) noexcept {
  return caches_[static_cast<std::size_t>(table)];
}
const local_store::table_cache& local_store::cache_for(vector_table table) const noexcept {
  return caches_[static_cast<std::size_t>(table)];
}

result<query_result> local_store::query(connection& reader, std::string_view sql,
                                        std::span<const value> params) {
  // Readers are read-only connections: a writing statement fails with read_only and
  // the caller moves it to the writer.
  return leave_no_transaction(reader, reader.query(sql, params, detail::access::read_write));
}

result<query_result> local_store::query_read_only(connection& reader, std::string_view sql,
                                                  std::span<const value> params) {
  return leave_no_transaction(reader, reader.query(sql, params, detail::access::read_only));
}

result<query_result> local_store::query_on_writer(connection& writer, std::string_view sql,
                                                  std::span<const value> params) {
  return leave_no_transaction(writer, writer.query(sql, params, detail::access::read_write));
}

result<exec_result> local_store::execute(connection& writer, std::string_view sql,
                                         std::span<const value> params) {
  return leave_no_transaction(writer, writer.execute(sql, params));
}

result<void> local_store::execute_batch(connection& writer, std::span<const statement> batch) {
  return writer.execute_batch(batch);
}

result<std::size_t> local_store::vector_dimension(connection& conn) {
  return detail::read_vector_dimension(conn);
}

result<void> local_store::set_vector_dimension(connection& writer, std::size_t dimension) {
  if (auto allowed = detail::check_dimension_allowed(dimension); !allowed) return allowed;
  // DROP TABLE fails while a prepared statement still reads the table.
  writer.clear_statement_cache();
  auto changed = writer.atomically([&]() -> result<void> {
    auto current = detail::read_vector_dimension(writer);
    if (!current) return fail(current.err());
    if (*current == dimension) return ensure_storage(writer);
    for (const auto& spec : detail::vector_table_specs()) {
      if (auto dropped = writer.execute("DROP TABLE IF EXISTS " + name_of(spec)); !dropped) {
        return fail(dropped.err());
      }
    }
    if (auto created = ensure_storage(writer); !created) return created;
    // DROP fires no trigger: count the change by hand.
    if (auto bumped = writer.execute("UPDATE " + std::string(generation_table) +
                                     " SET generation = generation + 1");
        !bumped) {
      return fail(bumped.err());
    }
    // The bookkeeping of what the dropped tables held goes with them.
    return detail::finish_vector_rebuild(writer, dimension);
  });
  if (!changed) return changed;
  invalidate_caches();
  return {};
}

result<void> local_store::vector_upsert(connection& writer, vector_table table,
                                        std::span<const vector_item> items) {
  if (items.empty()) return {};
  const auto& spec = detail::spec_for(table);
  std::string sql = "INSERT INTO " + name_of(spec) + " (id, embedding";
  std::string values = "?1, ?2";
  std::string update = "embedding = excluded.embedding";
  int parameter = 3;
  for (const auto& column : spec.filter_columns) {
    const std::string col(column.name);
    sql += ", " + col;
    values += ", ?" + std::to_string(parameter++);
    update += ", " + col + " = excluded." + col;
  }
  sql += ") VALUES (" + values + ") ON CONFLICT (id) DO UPDATE SET " + update;

  std::optional<std::int64_t> before;
  std::optional<std::int64_t> after;
  auto written = writer.atomically([&]() -> result<void> {
    auto dimension = require_dimension(writer);
    if (!dimension) return fail(dimension.err());
    if (auto ok = check_items(*dimension, items); !ok) return ok;
    auto first = read_generation(writer, spec);
    if (!first) return fail(first.err());
    before = *first;
    std::vector<value> params;
    for (const auto& item : items) {
      params.clear();
      params.emplace_back(item.id);
      params.emplace_back(detail::to_vector_blob(item.embedding));
      for (auto& text : detail::metadata_values(spec, item.metadata)) params.emplace_back(std::move(text));
      if (auto done = writer.execute(sql, params); !done) return fail(done.err());
    }
    auto last = read_generation(writer, spec);
    if (!last) return fail(last.err());
    after = *last;
    return {};
  });
  if (!written) return written;

  // Bring the cached index along if it reflects exactly the state this write started from.
  auto& cache = cache_for(table);
  const std::unique_lock lock(cache.mutex);
  if (!cache.index || !before || !after || cache.generation != *before) return {};
  std::vector<std::string> filters;
  for (const auto& item : items) {
    filters = detail::metadata_values(spec, item.metadata);
    cache.index->upsert(item.id, item.embedding, filters);
  }
  cache.generation = *after;
  return {};
}

result<void> local_store::vector_delete(connection& writer, vector_table table,
                                        std::span<const std::int64_t> ids) {
  if (ids.empty()) return {};
  const auto& spec = detail::spec_for(table);
  const std::string sql = "DELETE FROM " + name_of(spec) + " WHERE id = ?1";
  std::optional<std::int64_t> before;
  std::optional<std::int64_t> after;
  auto written = writer.atomically([&]() -> result<void> {
    if (auto dimension = require_dimension(writer); !dimension) return fail(dimension.err());
    auto first = read_generation(writer, spec);
    if (!first) return fail(first.err());
    before = *first;
    for (const auto id : ids) {
      const std::vector<value> params{id};
      if (auto done = writer.execute(sql, params); !done) return fail(done.err());
    }
    auto last = read_generation(writer, spec);
    if (!last) return fail(last.err());
    after = *last;
    return {};
  });
  if (!written) return written;

  auto& cache = cache_for(table);
  const std::unique_lock lock(cache.mutex);
  if (!cache.index || !before || !after || cache.generation != *before) return {};
  for (const auto id : ids) cache.index->erase(id);
  cache.generation = *after;
  return {};
}

result<std::vector<vector_match>> local_store::vector_search(connection& reader, vector_table table,
                                                             std::span<const float> query,
                                                             const vector_filter& filter,
                                                             std::size_t k, bool use_sql) {
  const auto& spec = detail::spec_for(table);
  if (auto terms = detail::filter_terms(spec, filter); !terms) return fail(terms.err());
  if (auto finite = detail::check_vector_values(query, "the query vector"); !finite) return fail(finite.err());
  if (use_sql) return search_sql(reader, table, query, filter, k);
  return search_fast(reader, table, query, filter, k);
}

result<std::vector<vector_match>> local_store::search_sql(connection& reader, vector_table table,
                                                          std::span<const float> query,
                                                          const vector_filter& filter,
                                                          std::size_t k) {
  const auto& spec = detail::spec_for(table);
  auto snapshot = transaction::begin(reader, transaction::kind::deferred);
  if (!snapshot) return fail(snapshot.err());
  auto dimension = require_dimension(reader);
  if (!dimension) return fail(dimension.err());
  if (auto ok = detail::check_dimension(*dimension, query.size(), "the query vector"); !ok) {
    return fail(ok.err());
  }
  if (k == 0) return std::vector<vector_match>();

  // The statement a Turso server runs; `, id` makes ties deterministic.
  std::vector<value> params = to_params(query);
  std::string sql = "SELECT id, vector_distance_cos(embedding, vector32(?1)) AS d FROM " + name_of(spec);
  auto terms = detail::filter_terms(spec, filter);
  if (!terms) return fail(terms.err());
  for (std::size_t i = 0; i < terms->size(); ++i) {
    sql += i == 0 ? " WHERE " : " AND ";
    sql += std::string((*terms)[i].first) + " = ?" + std::to_string(params.size() + 1);
    params.emplace_back((*terms)[i].second);
  }
  sql += " ORDER BY d, id LIMIT ?" + std::to_string(params.size() + 1);
  const auto limit = static_cast<std::int64_t>(
      std::min<std::size_t>(k, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max())));
  params.emplace_back(limit);

  auto rows = reader.query(sql, params);
  if (!rows) return fail(rows.err());
  std::vector<vector_match> out;
  out.reserve(rows->rows.size());
  for (const auto& row : rows->rows) {
    const auto* id = std::get_if<std::int64_t>(&row.at(0));
    const auto* distance = std::get_if<double>(&row.at(1));
    if (id == nullptr || distance == nullptr) continue;  // NaN distances come back as NULL
    out.push_back(vector_match{*id, *distance, 1.0 - *distance});
  }
  return out;
}

result<std::vector<vector_match>> local_store::search_fast(connection& reader, vector_table table,
                                                           std::span<const float> query,
                                                           const vector_filter& filter,
                                                           std::size_t k) {
  const auto& spec = detail::spec_for(table);
  auto& cache = cache_for(table);
  const auto filters = filter_values(spec, filter);

  // Searches the cached index if it reflects `generation` or a newer state.
  auto search_cached = [&](std::int64_t generation) -> std::optional<result<std::vector<vector_match>>> {
    const std::shared_lock lock(cache.mutex);
    if (!cache.index || cache.generation < generation) return std::nullopt;
    if (auto ok = detail::check_dimension(cache.index->dimension(), query.size(), "the query vector"); !ok) {
      return result<std::vector<vector_match>>(fail(ok.err()));
    }
    return result<std::vector<vector_match>>(cache.index->search(query, filters, k));
  };

  // One snapshot for the generation and, if needed, the rebuild.
  auto snapshot = transaction::begin(reader, transaction::kind::deferred);
  if (!snapshot) return fail(snapshot.err());
  auto generation = read_generation(reader, spec);
  if (!generation) {
    // No vector storage at all: say so in terms of the missing dimension.
    if (auto dimension = require_dimension(reader); !dimension) return fail(dimension.err());
  }
  if (!generation || !*generation) {
    // The change counters are missing (a file opened read-only before they were
    // added, or a row removed by hand): a cache could not be validated.
    snapshot->rollback();
    return search_sql(reader, table, query, filter, k);
  }
  if (auto hit = search_cached(**generation)) return std::move(*hit);

  const std::lock_guard rebuilding(cache.rebuild_mutex);
  // Another reader may have rebuilt while this one waited.
  if (auto hit = search_cached(**generation)) return std::move(*hit);
  auto built = load_index(reader, spec);
  if (!built) return fail(built.err());
  snapshot->rollback();
  {
    const std::unique_lock lock(cache.mutex);
    if (!cache.index || cache.generation < **generation) {
      cache.index = std::move(*built);
      cache.generation = **generation;
    }
  }
  cache.rebuilds.fetch_add(1, std::memory_order_relaxed);
  auto hit = search_cached(**generation);
  if (!hit) return fail(errc::internal, "the vector cache was replaced by an older one; this is a bug");
  return std::move(*hit);
}

vector_cache_stats local_store::cache_stats(vector_table table) const {
  const auto& cache = cache_for(table);
  vector_cache_stats stats;
  stats.rebuilds = cache.rebuilds.load(std::memory_order_relaxed);
  const std::shared_lock lock(cache.mutex);
  if (!cache.index) return stats;
  stats.rows = cache.index->size();
  stats.dimension = cache.index->dimension();
  stats.bytes = cache.index->memory_bytes();
  stats.raw_vector_bytes = cache.index->raw_vector_bytes();
  return stats;
}

void local_store::invalidate_caches() {
  for (auto& cache : caches_) {
    const std::unique_lock lock(cache.mutex);
    cache.index.reset();
    cache.generation = -1;
  }
}

}  // namespace patina::db::turso
