#include "patina/db/sqlite_database.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/common/connection.hpp"
#include "db/common/schema.hpp"
#include "db/common/sqlite_vec.hpp"
#include "db/common/vector_specs.hpp"
#include "db/common/vector_storage.hpp"

namespace patina::db {

namespace {

using detail::spec_for;
using detail::vector_table_spec;

// vec0 refuses `k` above this; larger searches scan with vec_distance_cosine.
constexpr std::size_t vec0_max_k = 4096;

// The vec0 tables hold unit vectors and rank by L2 distance: for unit vectors
// |a - b|^2 = 2 - 2 cos(a, b), so the order is cosine's and the cosine distance is
// d^2 / 2. sqlite-vec's L2 loop does one sum per element where its cosine loop does
// three: the KNN over 68,381 vectors of 512 dimensions took a third less CPU time
// (docs/search.md). Tables written before (`distance_metric=cosine`) are rebuilt
// when a writable connection opens the file, and searched as they are until then.
constexpr std::string_view cosine_clause = "distance_metric=cosine";

enum class vector_metric { l2, cosine };

std::string create_vector_table_sql(const vector_table_spec& spec, std::size_t dimension) {
  std::string sql = "CREATE VIRTUAL TABLE " + std::string(spec.name) +
                    " USING vec0(id INTEGER PRIMARY KEY, embedding float[" +
                    std::to_string(dimension) + "] distance_metric=l2";
  // Metadata columns, so that equality filters run inside the KNN.
  for (const auto& column : spec.filter_columns) sql += ", " + std::string(column.name) + " text";
  return sql + ")";
}

std::string column_list(const vector_table_spec& spec) {
  std::string columns = "id, embedding";
  for (const auto& column : spec.filter_columns) columns += ", " + std::string(column.name);
  return columns;
}

std::string insert_sql(const vector_table_spec& spec) {
  std::string params = "?1, ?2";
  for (std::size_t n = 0; n < spec.filter_columns.size(); ++n) params += ", ?" + std::to_string(n + 3);
  return "INSERT INTO " + std::string(spec.name) + " (" + column_list(spec) + ") VALUES (" + params +
         ")";
}

// `vec` scaled to length 1 (computed in double), as f32 bytes. The caller has
// refused zero and non-finite vectors.
blob unit_vector_blob(std::span<const float> vec) {
  double sum = 0;
  for (const float x : vec) sum += double{x} * double{x};
  const double scale = 1.0 / std::sqrt(sum);
  std::vector<float> unit(vec.size());
  for (std::size_t i = 0; i < vec.size(); ++i) {
    unit[i] = static_cast<float>(double{vec[i]} * scale);
  }
  return detail::to_vector_blob(unit);
}

// The metric of a vector table, read from its CREATE statement; nullopt if the
// table does not exist.
result<std::optional<vector_metric>> table_metric(detail::connection& conn, std::string_view name) {
  const std::vector<value> params{std::string(name)};
  auto rows = conn.query("SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?1", params);
  if (!rows) return fail(rows.err());
  if (rows->rows.empty()) return std::optional<vector_metric>();
  const auto* sql = std::get_if<std::string>(&rows->rows[0][0]);
  const bool cosine = sql != nullptr && sql->find(cosine_clause) != std::string::npos;
  return std::optional<vector_metric>(cosine ? vector_metric::cosine : vector_metric::l2);
}

result<bool> any_cosine_table(detail::connection& conn) {
  for (const auto& spec : detail::vector_table_specs()) {
    auto metric = table_metric(conn, spec.name);
    if (!metric) return fail(metric.err());
    if (*metric == vector_metric::cosine) return true;
  }
  return false;
}

// Rebuilds the vector tables that still rank by cosine (written by an earlier
// Patina) as L2 tables of the same vectors scaled to unit length, in one
// transaction; the ids, filter values and search results stay the same.
result<void> upgrade_vector_tables(detail::connection& conn) {
  auto needed = any_cosine_table(conn);
  if (!needed) return fail(needed.err());
  if (!*needed) return {};
  return conn.atomically([&]() -> result<void> {
    auto dimension = detail::read_vector_dimension(conn);
    if (!dimension) return fail(dimension.err());
    if (*dimension == 0) return {};  // no dimension: set_vector_dimension rebuilds them anyway
    conn.clear_statement_cache();
    for (const auto& spec : detail::vector_table_specs()) {
      auto metric = table_metric(conn, spec.name);  // another process may have done it meanwhile
      if (!metric) return fail(metric.err());
      if (*metric != vector_metric::cosine) continue;
      const std::string name(spec.name);
      const std::string columns = column_list(spec);
      std::string normalised = "id, vec_normalize(embedding)";
      for (const auto& column : spec.filter_columns) normalised += ", " + std::string(column.name);
      const std::string steps[] = {
          "CREATE TEMP TABLE patina_vector_upgrade AS SELECT " + columns + " FROM " + name,
          "DROP TABLE " + name,
          create_vector_table_sql(spec, *dimension),
          "INSERT INTO " + name + " (" + columns + ") SELECT " + normalised +
              " FROM temp.patina_vector_upgrade",
          "DROP TABLE temp.patina_vector_upgrade",
      };
      for (const auto& sql : steps) {
        if (auto done = conn.execute(sql); !done) {
          auto err = done.err();
          err.message = "rebuilding the vector table " + name +
                        " in the current layout failed, so the file was left as it was (" +
                        err.message + "); fix that cause (disk space, permissions) and open "
                        "the database again";
          return fail(std::move(err));
        }
      }
    }
    return {};
  });
}

std::string delete_sql(const vector_table_spec& spec) {
  return "DELETE FROM " + std::string(spec.name) + " WHERE id = ?1";
}

}  // namespace

SqliteDatabase::SqliteDatabase(std::unique_ptr<detail::connection> conn,
                               std::filesystem::path sqlite_vec_path, int schema_version) noexcept
    : conn_(std::move(conn)),
      sqlite_vec_path_(std::move(sqlite_vec_path)),
      schema_version_(schema_version) {}

SqliteDatabase::SqliteDatabase(SqliteDatabase&&) noexcept = default;
SqliteDatabase& SqliteDatabase::operator=(SqliteDatabase&&) noexcept = default;
SqliteDatabase::~SqliteDatabase() = default;

result<SqliteDatabase> SqliteDatabase::try_open(const std::filesystem::path& path,
                                                const open_options& options) {
  // Every check runs before the first write (WAL switch, migrations), so a
  // failure leaves the file as it was.
  auto extension = detail::locate_sqlite_vec(options.sqlite_vec);
  if (!extension) return fail(extension.err());
  auto conn = detail::connection::open(path, detail::connection_options::from(options));
  if (!conn) return fail(conn.err());
  auto owned = std::make_unique<detail::connection>(std::move(*conn));
  if (auto ours = detail::check_vector_storage(*owned, detail::vector_storage::vec0); !ours) {
    return fail(ours.err());
  }
  if (auto loaded = detail::load_sqlite_vec(*owned, *extension); !loaded) {
    return fail(loaded.err());
  }
  auto version = detail::prepare_schema(*owned);
  if (!version) return fail(version.err());
  if (!owned->is_read_only()) {
    // Another process holding the write lock (perhaps doing this same upgrade) is
    // no reason to fail: the old tables still give the same results.
    auto upgraded = upgrade_vector_tables(*owned);
    if (!upgraded && upgraded.err().code != errc::busy) return fail(upgraded.err());
  }
  return SqliteDatabase(std::move(owned), std::move(*extension), *version);
}

const std::filesystem::path& SqliteDatabase::path() const noexcept { return conn_->path(); }

result<query_result> SqliteDatabase::try_query(std::string_view sql,
                                               const std::vector<value>& params) {
  return conn_->query(sql, params);
}

result<query_result> SqliteDatabase::try_query_readonly(std::string_view sql,
                                                        const std::vector<value>& params) {
  return conn_->query(sql, params, detail::access::read_only);
}

result<exec_result> SqliteDatabase::try_execute(std::string_view sql,
                                                const std::vector<value>& params) {
  return conn_->execute(sql, params);
}

result<void> SqliteDatabase::try_execute_batch(const std::vector<statement>& statements) {
  return conn_->execute_batch(statements);
}

result<transaction> SqliteDatabase::try_begin_transaction() {
  return transaction::begin(*conn_, transaction::kind::immediate);
}

result<std::size_t> SqliteDatabase::try_vector_dimension() {
  return detail::read_vector_dimension(*conn_);
}

result<void> SqliteDatabase::try_set_vector_dimension(std::size_t dimension) {
  if (auto allowed = detail::check_dimension_allowed(dimension); !allowed) return allowed;
  auto unchanged = [&]() -> result<bool> {
    auto current = detail::read_vector_dimension(*conn_);
    if (!current) return fail(current.err());
    if (*current != dimension) return false;
    return detail::vector_tables_exist(*conn_);
  };
  // Checked before taking the write lock, so that a no-op works read-only too.
  auto same = unchanged();
  if (!same) return fail(same.err());
  if (*same) return {};
  return conn_->atomically([&]() -> result<void> {
    auto still_same = unchanged();  // another process may have done it meanwhile
    if (!still_same) return fail(still_same.err());
    if (*still_same) return {};
    // Prepared statements on the old tables would fail once they are dropped.
    conn_->clear_statement_cache();
    for (const auto& spec : detail::vector_table_specs()) {
      auto dropped = conn_->execute("DROP TABLE IF EXISTS " + std::string(spec.name));
      if (!dropped) return fail(dropped.err());
      auto created = conn_->execute(create_vector_table_sql(spec, dimension));
      if (!created) return fail(created.err());
    }
    return detail::finish_vector_rebuild(*conn_, dimension);
  });
}

result<void> SqliteDatabase::try_vector_upsert(vector_table table,
                                               std::span<const vector_item> items) {
  auto dimension = detail::read_vector_dimension(*conn_);
  if (!dimension) return fail(dimension.err());
  if (*dimension == 0) return fail(detail::no_vector_dimension_error());
  // Validate everything first: a bad item writes nothing.
  for (const auto& item : items) {
    const std::string what = "the vector for item " + std::to_string(item.id);
    if (auto ok = detail::check_dimension(*dimension, item.embedding.size(), what); !ok) return ok;
    if (auto ok = detail::check_vector_values(item.embedding, what); !ok) return ok;
  }
  if (items.empty()) return {};
  const auto& spec = spec_for(table);
  const std::string remove = delete_sql(spec);
  const std::string insert = insert_sql(spec);
  return conn_->atomically([&]() -> result<void> {
    std::vector<value> params;
    for (const auto& item : items) {
      // vec0 0.1.9 rejects INSERT OR REPLACE on an existing id: delete, then insert.
      params.assign({value{item.id}});
      if (auto gone = conn_->execute(remove, params); !gone) return fail(gone.err());
      params.push_back(unit_vector_blob(item.embedding));
      for (auto& v : detail::metadata_values(spec, item.metadata)) params.emplace_back(std::move(v));
      if (auto added = conn_->execute(insert, params); !added) return fail(added.err());
    }
    return {};
  });
}

result<void> SqliteDatabase::try_vector_delete(vector_table table,
                                               std::span<const std::int64_t> ids) {
  auto dimension = detail::read_vector_dimension(*conn_);
  if (!dimension) return fail(dimension.err());
  if (*dimension == 0) return fail(detail::no_vector_dimension_error());
  if (ids.empty()) return {};
  const std::string remove = delete_sql(spec_for(table));
  return conn_->atomically([&]() -> result<void> {
    std::vector<value> params(1);
    for (const auto id : ids) {
      params[0] = id;
      if (auto gone = conn_->execute(remove, params); !gone) return fail(gone.err());
    }
    return {};
  });
}

result<std::vector<vector_match>> SqliteDatabase::try_vector_search(vector_table table,
                                                                    std::span<const float> query,
                                                                    const vector_filter& filter,
                                                                    std::size_t k) {
  const auto& spec = spec_for(table);
  auto terms = detail::filter_terms(spec, filter);
  if (!terms) return fail(terms.err());
  auto dimension = detail::read_vector_dimension(*conn_);
  if (!dimension) return fail(dimension.err());
  if (*dimension == 0) return fail(detail::no_vector_dimension_error());
  if (auto ok = detail::check_dimension(*dimension, query.size(), "the query vector"); !ok) {
    return fail(ok.err());
  }
  if (auto ok = detail::check_vector_values(query, "the query vector"); !ok) return fail(ok.err());
  if (k == 0) return std::vector<vector_match>{};

  auto metric = table_metric(*conn_, spec.name);
  if (!metric) return fail(metric.err());
  // A missing table is left to the query below to report, as before.
  const bool knn = k <= vec0_max_k;
  const bool squared_l2 = knn && metric->value_or(vector_metric::l2) == vector_metric::l2;

  // Cosine is blind to length, so every path takes the unit query.
  std::vector<value> params{unit_vector_blob(query)};
  std::string sql;
  const std::string name(spec.name);
  if (knn) {
    params.emplace_back(static_cast<std::int64_t>(k));
    sql = "SELECT id, distance FROM " + name + " WHERE embedding MATCH ?1 AND k = ?2";
    for (auto& [column, wanted] : *terms) {
      params.emplace_back(std::move(wanted));
      sql += " AND " + std::string(column) + " = ?" + std::to_string(params.size());
    }
  } else {
    // Past vec0's k limit: an exact scan, still filtered and ordered in SQL.
    sql = "SELECT id, vec_distance_cosine(embedding, ?1) AS distance FROM " + name;
    std::string where;
    for (auto& [column, wanted] : *terms) {
      params.emplace_back(std::move(wanted));
      where += (where.empty() ? " WHERE " : " AND ") + std::string(column) + " = ?" +
               std::to_string(params.size());
    }
    params.emplace_back(static_cast<std::int64_t>(std::min<std::size_t>(k, INT64_MAX)));
    sql += where + " ORDER BY distance, id LIMIT ?" + std::to_string(params.size());
  }
  auto rows = conn_->query(sql, params);
  if (!rows) return fail(rows.err());

  std::vector<vector_match> matches;
  matches.reserve(rows->rows.size());
  for (const auto& row : rows->rows) {
    const auto* id = std::get_if<std::int64_t>(&row.at(0));
    const auto* distance = std::get_if<double>(&row.at(1));
    if (id == nullptr || distance == nullptr) {
      return fail(errc::corrupt_database,
                  "the " + name + " table returned a row without an id or distance; rebuild the "
                  "vectors by setting the dimension again");
    }
    const double cosine_distance = squared_l2 ? *distance * *distance / 2 : *distance;
    matches.push_back(vector_match{*id, cosine_distance, 1.0 - cosine_distance});
  }
  // Nearest first, ties by id, whatever order the scan produced.
  std::stable_sort(matches.begin(), matches.end(), [](const auto& a, const auto& b) {
    return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
  });
  return matches;
}

}  // namespace patina::db
