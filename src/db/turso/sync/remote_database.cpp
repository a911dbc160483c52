#include "db/turso/sync/remote_database.hpp"

#include <algorithm>
#include <cctype>
#include <limits>

#include "db/common/schema.hpp"
#include "db/common/vector_specs.hpp"

namespace patina::db::turso::sync {

namespace {

using hrana::batch_step;
using hrana::cond_is_autocommit;
using hrana::cond_ok;

std::int64_t first_integer(const query_result& r) {
  if (r.rows.empty() || r.rows[0].empty()) return 0;
  const auto* n = std::get_if<std::int64_t>(&r.rows[0][0]);
  return n == nullptr ? 0 : *n;
}

std::string name_of(const detail::vector_table_spec& spec) { return std::string(spec.name); }

std::string upsert_sql(const detail::vector_table_spec& spec) {
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
  return sql + ") VALUES (" + values + ") ON CONFLICT (id) DO UPDATE SET " + update;
}

result<void> check_items(std::size_t dimension, std::span<const vector_item> items) {
  for (const auto& item : items) {
    const std::string what = "the vector for item " + std::to_string(item.id);
    if (auto ok = detail::check_dimension(dimension, item.embedding.size(), what); !ok) return ok;
    if (auto ok = detail::check_vector_values(item.embedding, what); !ok) return ok;
  }
  return {};
}

// The migrations after `current`, each recorded first (see the header).
std::vector<statement> migration_batch(int current) {
  std::vector<statement> batch;
  batch.push_back(statement{
      "CREATE TABLE IF NOT EXISTS patina_schema (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)", {}});
  for (const auto& m : detail::migrations()) {
    if (m.version <= current) continue;
    statement record;
    record.sql = "INSERT INTO patina_schema (version, applied_at) VALUES (?1, ?2)";
    record.params.emplace_back(std::int64_t{m.version});
    record.params.emplace_back(detail::unix_ms_now());
    batch.push_back(std::move(record));
    for (const auto sql : m.statements) batch.push_back(statement{std::string(sql), {}});
  }
  return batch;
}

std::string_view skip_blanks(std::string_view s) {
  for (;;) {
    while (!s.empty() && (std::isspace(static_cast<unsigned char>(s.front())) != 0 || s.front() == '(')) {
      s.remove_prefix(1);
    }
    if (s.starts_with("--")) {
      const auto eol = s.find('\n');
      s = eol == std::string_view::npos ? std::string_view{} : s.substr(eol + 1);
    } else if (s.starts_with("/*")) {
      const auto end = s.find("*/", 2);
      s = end == std::string_view::npos ? std::string_view{} : s.substr(end + 2);
    } else {
      return s;
    }
  }
}

std::string upper_word(std::string_view s) {
  std::string word;
  for (const char c : s) {
    if (std::isalpha(static_cast<unsigned char>(c)) == 0) break;
    word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return word;
}

// Every word of `sql` outside quotes, upper-cased.
std::vector<std::string> words_of(std::string_view sql) {
  std::vector<std::string> words;
  std::string word;
  char quote = 0;
  for (const char c : sql) {
    if (quote != 0) {
      if (c == quote) quote = 0;
      continue;
    }
    if (c == '\'' || c == '"' || c == '`' || c == '[') {
      quote = c == '[' ? ']' : c;
    } else if (std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_') {
      word.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
      continue;
    }
    if (!word.empty()) words.push_back(std::move(word));
    word.clear();
  }
  if (!word.empty()) words.push_back(std::move(word));
  return words;
}

}  // namespace

awaitable<result<int>> remote_schema_version(const remote_executor& exec) {
  auto tables = co_await exec.try_query(
      "SELECT (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'patina_schema'), "
      "(SELECT count(*) FROM sqlite_schema WHERE substr(name, 1, 7) <> 'sqlite_' AND substr(name, 1, 6) <> "
      "'turso_' AND substr(name, 1, 17) <> '__turso_internal_')");
  if (!tables) co_return fail(std::move(tables).err());
  const auto* has_version = tables->rows.empty() ? nullptr : std::get_if<std::int64_t>(&tables->rows[0][0]);
  const auto* objects = tables->rows.empty() ? nullptr : std::get_if<std::int64_t>(&tables->rows[0][1]);
  if (has_version == nullptr || objects == nullptr) {
    co_return fail(errc::protocol_error, "the Turso server answered a schema query with unexpected values");
  }
  if (*has_version == 0) {
    if (*objects != 0) {
      co_return fail(errc::not_a_database,
                     "the Turso server's database holds tables but is not a Patina database (no patina_schema); "
                     "point turso.url at an empty database or at one Patina created");
    }
    co_return 0;
  }
  auto version = co_await exec.try_query("SELECT coalesce(max(version), 0) FROM patina_schema");
  if (!version) co_return fail(std::move(version).err());
  const int found = static_cast<int>(first_integer(*version));
  if (found > detail::latest_schema_version()) {
    co_return fail(errc::schema_too_new,
                   "the Turso server's database was written by a newer Patina (schema v" + std::to_string(found) +
                       ", this build knows v" + std::to_string(detail::latest_schema_version()) +
                       "); upgrade Patina");
  }
  co_return found;
}

awaitable<result<int>> ensure_remote_schema(const remote_executor& exec) {
  auto current = co_await remote_schema_version(exec);
  if (!current) co_return current;
  if (*current == detail::latest_schema_version()) co_return current;
  const auto batch = migration_batch(*current);
  auto migrated = co_await exec.try_execute_batch(batch);
  if (!migrated) {
    // Another client may have migrated at the same moment: then our batch failed on
    // the version row and changed nothing.
    auto again = co_await remote_schema_version(exec);
    if (again && *again == detail::latest_schema_version()) co_return again;
    auto err = std::move(migrated).err();
    err.message = "creating Patina's schema on the Turso server failed: " + err.message;
    co_return fail(std::move(err));
  }
  co_return detail::latest_schema_version();
}

std::vector<db::statement> remote_vector_storage_ddl() {
  std::vector<db::statement> ddl;
  for (const auto& spec : detail::vector_table_specs()) {
    const std::string name = name_of(spec);
    std::string table = "CREATE TABLE IF NOT EXISTS " + name + " (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL";
    for (const auto& column : spec.filter_columns) {
      table += ", " + std::string(column.name) + " TEXT NOT NULL DEFAULT ''";
    }
    ddl.push_back(statement{table + ")", {}});
    for (const auto& column : spec.filter_columns) {
      const std::string col(column.name);
      ddl.push_back(statement{"CREATE INDEX IF NOT EXISTS " + name + "_" + col + " ON " + name + " (" + col + ")", {}});
    }
  }
  return ddl;
}

awaitable<result<std::size_t>> remote_vector_dimension(const remote_executor& exec) {
  const std::vector<value> key{std::string(detail::meta_vector_dimension)};
  auto rows = co_await exec.try_query("SELECT value FROM patina_meta WHERE key = ?1", key);
  if (!rows) co_return fail(std::move(rows).err());
  if (rows->rows.empty()) co_return std::size_t{0};
  const auto* text = std::get_if<std::string>(&rows->rows[0][0]);
  if (text != nullptr) {
    try {
      std::size_t used = 0;
      const auto n = std::stoull(*text, &used);
      if (used == text->size()) co_return static_cast<std::size_t>(n);
    } catch (const std::exception&) {  // NOLINT: falls through to the error below
    }
  }
  co_return fail(errc::corrupt_database,
                 "patina_meta on the Turso server holds an invalid vector_dimension; set the dimension again "
                 "(which rebuilds the vector tables)");
}

awaitable<result<void>> remote_set_vector_dimension(const remote_executor& exec, std::size_t dimension) {
  if (auto allowed = detail::check_dimension_allowed(dimension); !allowed) co_return allowed;
  auto current = co_await remote_vector_dimension(exec);
  if (!current) co_return fail(std::move(current).err());
  std::vector<statement> batch;
  if (*current != dimension) {
    for (const auto& spec : detail::vector_table_specs()) {
      batch.push_back(statement{"DROP TABLE IF EXISTS " + name_of(spec), {}});
    }
  }
  for (auto& s : remote_vector_storage_ddl()) batch.push_back(std::move(s));
  if (*current != dimension) {
    batch.push_back(statement{"DELETE FROM embeddings", {}});
    statement meta;
    meta.sql =
        "INSERT INTO patina_meta (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
    meta.params.emplace_back(std::string(detail::meta_vector_dimension));
    meta.params.emplace_back(std::to_string(dimension));
    batch.push_back(std::move(meta));
  }
  auto done = co_await exec.try_execute_batch(batch);
  co_return done;
}

awaitable<result<void>> remote_vector_upsert(const remote_executor& exec, vector_table table,
                                             std::vector<vector_item> items) {
  if (items.empty()) co_return result<void>{};
  auto dimension = co_await remote_vector_dimension(exec);
  if (!dimension) co_return fail(std::move(dimension).err());
  if (*dimension == 0) co_return fail(detail::no_vector_dimension_error());
  if (auto ok = check_items(*dimension, items); !ok) co_return ok;
  const auto& spec = detail::spec_for(table);
  const std::string sql = upsert_sql(spec);
  std::vector<statement> batch;
  batch.reserve(items.size());
  for (auto& item : items) {
    statement s;
    s.sql = sql;
    s.params.emplace_back(item.id);
    s.params.emplace_back(detail::to_vector_blob(item.embedding));
    for (auto& text : detail::metadata_values(spec, item.metadata)) s.params.emplace_back(std::move(text));
    batch.push_back(std::move(s));
  }
  auto done = co_await exec.try_execute_batch(batch);
  co_return done;
}

awaitable<result<void>> remote_vector_delete(const remote_executor& exec, vector_table table,
                                             std::vector<std::int64_t> ids) {
  if (ids.empty()) co_return result<void>{};
  auto dimension = co_await remote_vector_dimension(exec);
  if (!dimension) co_return fail(std::move(dimension).err());
  if (*dimension == 0) co_return fail(detail::no_vector_dimension_error());
  const std::string sql = "DELETE FROM " + name_of(detail::spec_for(table)) + " WHERE id = ?1";
  std::vector<statement> batch;
  batch.reserve(ids.size());
  for (const auto id : ids) {
    statement s;
    s.sql = sql;
    s.params.emplace_back(id);
    batch.push_back(std::move(s));
  }
  auto done = co_await exec.try_execute_batch(batch);
  co_return done;
}

awaitable<result<std::vector<vector_match>>> remote_vector_search(const remote_executor& exec, vector_table table,
                                                                  std::vector<float> query, vector_filter filter,
                                                                  std::size_t k) {
  const auto& spec = detail::spec_for(table);
  auto terms = detail::filter_terms(spec, filter);
  if (!terms) co_return fail(std::move(terms).err());
  if (auto finite = detail::check_vector_values(query, "the query vector"); !finite) co_return fail(finite.err());
  auto dimension = co_await remote_vector_dimension(exec);
  if (!dimension) co_return fail(std::move(dimension).err());
  if (*dimension == 0) co_return fail(detail::no_vector_dimension_error());
  if (auto ok = detail::check_dimension(*dimension, query.size(), "the query vector"); !ok) co_return fail(ok.err());
  if (k == 0) co_return std::vector<vector_match>();

  std::vector<value> params;
  params.emplace_back(detail::to_vector_blob(query));
  std::string sql = "SELECT id, vector_distance_cos(embedding, vector32(?1)) AS d FROM " + name_of(spec);
  for (std::size_t i = 0; i < terms->size(); ++i) {
    sql += i == 0 ? " WHERE " : " AND ";
    sql += std::string((*terms)[i].first) + " = ?" + std::to_string(params.size() + 1);
    params.emplace_back((*terms)[i].second);
  }
  sql += " ORDER BY d, id LIMIT ?" + std::to_string(params.size() + 1);
  params.emplace_back(static_cast<std::int64_t>(
      std::min<std::size_t>(k, static_cast<std::size_t>(std::numeric_limits<std::int64_t>::max()))));
  auto rows = co_await exec.try_query(sql, params);
  if (!rows) co_return fail(std::move(rows).err());
  std::vector<vector_match> out;
  out.reserve(rows->rows.size());
  for (const auto& row : rows->rows) {
    if (row.size() < 2) continue;
    const auto* id = std::get_if<std::int64_t>(&row[0]);
    const auto* distance = std::get_if<double>(&row[1]);
    if (id == nullptr || distance == nullptr) continue;  // a NaN distance comes back as NULL
    out.push_back(vector_match{*id, *distance, 1.0 - *distance});
  }
  co_return out;
}

bool may_write(std::string_view sql) {
  std::string_view rest = skip_blanks(sql);
  std::string first = upper_word(rest);
  if (first == "WITH") {
    // A common table expression ends in the statement proper: look for a writing
    // keyword anywhere outside quotes.
    for (const auto& w : words_of(rest)) {
      if (w == "INSERT" || w == "UPDATE" || w == "DELETE" || w == "REPLACE") return true;
    }
    return false;
  }
  if (first == "SELECT" || first == "VALUES" || first == "EXPLAIN") return false;
  if (first == "PRAGMA") return rest.find('=') != std::string_view::npos;
  return true;
}

awaitable<result<query_result>> remote_query_readonly(const remote_executor& exec, std::string sql,
                                                      std::vector<value> params) {
  if (may_write(sql)) {
    co_return fail(errc::read_only,
                   "the statement would change the database, and this query runs read-only; pass --write to "
                   "`patina sql` to allow changes");
  }
  // BEGIN only outside another client's transaction; the statement and the
  // ROLLBACK only after our BEGIN: whatever the statement did is undone.
  std::vector<batch_step> steps;
  steps.push_back(batch_step{cond_is_autocommit(), hrana::stmt{"BEGIN", {}, false}});
  steps.push_back(batch_step{cond_ok(0), hrana::stmt{std::move(sql), std::move(params), true}});
  steps.push_back(batch_step{cond_ok(0), hrana::stmt{"ROLLBACK", {}, false}});
  auto outcome = co_await exec.client().batch(std::move(steps));
  if (!outcome) co_return fail(std::move(outcome).err());
  const auto& http = exec.client().http();
  if (outcome->step_results.size() != 3 || outcome->step_errors.size() != 3) {
    co_return fail(errc::protocol_error, "the Turso server answered a batch with the wrong number of steps");
  }
  if (outcome->step_errors[0]) co_return fail(make_sql_error(http, *outcome->step_errors[0]));
  if (!outcome->step_results[0]) {
    co_return fail(errc::busy, "the Turso server at " + http.endpoint().authority() +
                                   " is inside a transaction another client left open; nothing was run, retry later");
  }
  if (outcome->step_errors[1]) co_return fail(make_sql_error(http, *outcome->step_errors[1]));
  if (outcome->step_errors[2]) {
    co_return fail(errc::protocol_error,
                   "rolling back a read-only query failed on the Turso server; the server may stay locked until it "
                   "is restarted",
                   http.redact(outcome->step_errors[2]->message));
  }
  auto& rows = *outcome->step_results[1];
  query_result out;
  out.columns.reserve(rows.cols.size());
  for (auto& c : rows.cols) out.columns.push_back(std::move(c.name));
  out.rows = std::move(rows.rows);
  co_return out;
}

}  // namespace patina::db::turso::sync
