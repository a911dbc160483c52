#include "db/turso/sqlite_import.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "db/common/schema.hpp"
#include "db/common/sqlite_vec.hpp"
#include "db/common/vector_specs.hpp"
#include "db/common/vector_storage.hpp"
#include "patina/db/transaction.hpp"

namespace patina::db::turso {

namespace {

using detail::connection;

// Vectors compared byte for byte per vector table (evenly spread over its ids).
constexpr std::int64_t vector_sample_size = 256;

// A row's values, in the column order of its table plan.
using row_values = std::vector<value>;

value column_value(sqlite3_stmt* stmt, int column) {
  switch (sqlite3_column_type(stmt, column)) {
    case SQLITE_INTEGER: return std::int64_t{sqlite3_column_int64(stmt, column)};
    case SQLITE_FLOAT: return sqlite3_column_double(stmt, column);
    case SQLITE_TEXT: {
      const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
      return std::string(text == nullptr ? "" : text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column)));
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, column));
      const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, column));
      return data == nullptr ? blob() : blob(data, data + size);
    }
    default: return std::monostate{};
  }
}

// Exact equality: REALs bit for bit (so 0.0 and -0.0 differ), the rest by value.
bool same_value(const value& a, const value& b) {
  if (a.index() != b.index()) return false;
  if (const auto* x = std::get_if<double>(&a)) {
    const double y = std::get<double>(b);
    return std::memcmp(x, &y, sizeof y) == 0;
  }
  return a == b;
}

bool same_row(const row_values& a, const row_values& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!same_value(a[i], b[i])) return false;
  }
  return true;
}

// Streams the rows of `sql` (no parameters) to `on_row`, which returns result<void>;
// rows are not collected, a vector table may be large.
template <class F>
result<void> for_each_row(connection& conn, const std::string& sql, std::string_view what, F&& on_row) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(conn.handle(), sql.c_str(), -1, &raw, nullptr);
  detail::statement_ptr stmt(raw);
  if (rc != SQLITE_OK) return fail(conn.last_error(rc, what));
  const int columns = sqlite3_column_count(stmt.get());
  row_values row(static_cast<std::size_t>(columns));
  while ((rc = sqlite3_step(stmt.get())) == SQLITE_ROW) {
    for (int c = 0; c < columns; ++c) row[static_cast<std::size_t>(c)] = column_value(stmt.get(), c);
    if (auto ok = on_row(row); !ok) return ok;
  }
  if (rc != SQLITE_DONE) return fail(conn.last_error(rc, what));
  return {};
}

result<std::int64_t> count_rows(connection& conn, const std::string& table) {
  auto rows = conn.query("SELECT count(*) FROM \"" + table + "\"");
  if (!rows) return fail(rows.err());
  return std::get<std::int64_t>(rows->rows.at(0).at(0));
}

result<std::optional<row_values>> lookup(connection& conn, const std::string& sql, const value& key) {
  const std::vector<value> params{key};
  auto rows = conn.query(sql, params);
  if (!rows) return fail(rows.err());
  if (rows->rows.empty()) return std::optional<row_values>();
  return std::optional<row_values>(std::move(rows->rows.front()));
}

std::string quote_name(std::string_view name) { return "\"" + std::string(name) + "\""; }

std::string column_list(const std::vector<std::string>& columns) {
  std::string out;
  for (const auto& c : columns) out += (out.empty() ? "" : ", ") + quote_name(c);
  return out;
}

std::string placeholders(std::size_t n) {
  std::string out;
  for (std::size_t i = 1; i <= n; ++i) out += (i == 1 ? "?" : ", ?") + std::to_string(i);
  return out;
}

// How one table is copied: the columns both sides have (target order), the key first.
struct table_plan {
  std::string name;
  std::vector<std::string> columns;  // columns[0] is the primary key
  bool vectors = false;
  std::size_t vector_bytes = 0;  // vector tables: dimension * 4
};

struct column_info {
  std::vector<std::string> names;
  std::string key;  // the single-column primary key; empty if none
};

result<column_info> read_columns(connection& conn, const std::string& table) {
  const std::vector<value> params{table};
  auto rows = conn.query("SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid", params);
  if (!rows) return fail(rows.err());
  column_info info;
  int keys = 0;
  for (const auto& row : rows->rows) {
    const auto& name = std::get<std::string>(row.at(0));
    info.names.push_back(name);
    if (std::get<std::int64_t>(row.at(1)) > 0) {
      ++keys;
      info.key = name;
    }
  }
  if (keys != 1) info.key.clear();
  return info;
}

result<std::vector<std::string>> table_names(connection& conn) {
  auto rows = conn.query(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' "
      "ORDER BY rowid");
  if (!rows) return fail(rows.err());
  std::vector<std::string> names;
  for (const auto& row : rows->rows) names.push_back(std::get<std::string>(row.at(0)));
  return names;
}

bool is_vector_table_or_shadow(std::string_view name) {
  for (const auto& spec : detail::vector_table_specs()) {
    if (name == spec.name) return true;
    // vec0 keeps its data in shadow tables named <table>_chunks, <table>_rowids, ...
    if (name.size() > spec.name.size() && name.substr(0, spec.name.size()) == spec.name &&
        name[spec.name.size()] == '_') {
      return true;
    }
  }
  return false;
}

// Tables of Patina's data model that the import copies row by row; the others are
// bookkeeping each file keeps for itself (schema version, Turso change counters, a
// replica's sync log) or vector storage (copied through vector_plans).
bool is_copied_table(std::string_view name) {
  if (name == "patina_schema" || name == "patina_vector_generation") return false;
  if (!name.empty() && name.front() == '_') return false;
  return !is_vector_table_or_shadow(name);
}

struct source_facts {
  detail::vector_storage storage = detail::vector_storage::none;
  std::size_t dimension = 0;
  std::string model;
};

error not_patina_error(const std::filesystem::path& source) {
  return error{errc::not_a_database,
               source.string() +
                   " is a SQLite database but not a Patina one (it has no patina_schema table); --from takes "
                   "the .patina/patina.db of a project made with the SQLite build of Patina",
               {}};
}

// Opens the source read-only and checks that it is a SQLite-build Patina database.
result<connection> open_source(const std::filesystem::path& source, const std::filesystem::path& target) {
  std::error_code ec;
  if (!std::filesystem::exists(source, ec)) {
    return fail(errc::not_found, source.string() +
                                     " does not exist; pass --from the database of the SQLite-build project "
                                     "(its .patina/patina.db)");
  }
  if (std::filesystem::is_directory(source, ec)) {
    return fail(errc::invalid_argument,
                source.string() + " is a folder; pass --from the database file itself (e.g. " +
                    (source / ".patina" / "patina.db").string() + ")");
  }
  if (std::filesystem::equivalent(source, target, ec)) {
    return fail(errc::invalid_argument, source.string() +
                                            " is this project's own database; pass --from the database of the "
                                            "SQLite-build project to import");
  }
  detail::connection_options options;
  options.mode = open_mode::read_only;
  auto conn = connection::open(source, options);
  if (!conn) {
    auto err = conn.err();
    if (err.code == errc::not_a_database) {
      err.message = source.string() +
                    " is not a SQLite database; --from takes the .patina/patina.db of a project made with the "
                    "SQLite build of Patina";
    }
    return fail(std::move(err));
  }
  auto version = detail::read_schema_version(*conn);
  if (!version) return fail(version.err());
  if (*version == 0) return fail(not_patina_error(source));
  if (*version > detail::latest_schema_version()) {
    return fail(errc::schema_too_new, source.string() + " was written by a newer Patina (schema v" +
                                          std::to_string(*version) + ", this build knows v" +
                                          std::to_string(detail::latest_schema_version()) +
                                          "); upgrade this Patina before importing it");
  }
  return std::move(*conn);
}

result<source_facts> inspect_source(connection& src, const std::filesystem::path& source,
                                    const migrate_options& options) {
  source_facts facts;
  auto storage = detail::detect_vector_storage(src);
  if (!storage) return fail(storage.err());
  facts.storage = *storage;
  if (facts.storage == detail::vector_storage::vector32) {
    return fail(errc::invalid_argument,
                source.string() +
                    " was written by the Turso build already (its vectors are vector32 columns): there is "
                    "nothing to migrate; open it directly with --db " + source.string());
  }
  auto model = detail::read_meta(src, detail::meta_embedding_model);
  if (!model) return fail(model.err());
  facts.model = model->value_or("");
  if (facts.storage == detail::vector_storage::none) return facts;
  auto dimension = detail::read_vector_dimension(src);
  if (!dimension) return fail(dimension.err());
  if (*dimension == 0) {
    return fail(errc::corrupt_database,
                source.string() + " has vec0 vector tables but no vector_dimension in patina_meta; open it with "
                                  "the SQLite build and run `patina embeddings rebuild` before migrating");
  }
  facts.dimension = *dimension;
  auto extension = detail::locate_sqlite_vec(options.sqlite_vec);
  if (!extension) return fail(extension.err());
  if (auto loaded = detail::load_sqlite_vec(src, *extension); !loaded) return fail(loaded.err());
  return facts;
}

struct target_facts {
  std::size_t dimension = 0;
  std::string model;
  bool holds_vectors = false;  // any vector row or embeddings bookkeeping row
};

result<target_facts> inspect_target(connection& writer) {
  target_facts facts;
  auto dimension = detail::read_vector_dimension(writer);
  if (!dimension) return fail(dimension.err());
  facts.dimension = *dimension;
  auto model = detail::read_meta(writer, detail::meta_embedding_model);
  if (!model) return fail(model.err());
  facts.model = model->value_or("");
  auto embedded = count_rows(writer, "embeddings");
  if (!embedded) return fail(embedded.err());
  facts.holds_vectors = *embedded > 0;
  auto exist = detail::vector_tables_exist(writer);
  if (!exist) return fail(exist.err());
  if (*exist) {
    for (const auto& spec : detail::vector_table_specs()) {
      auto n = count_rows(writer, std::string(spec.name));
      if (!n) return fail(n.err());
      facts.holds_vectors = facts.holds_vectors || *n > 0;
    }
  }
  return facts;
}

std::string describe_model(const std::string& model, std::size_t dimension) {
  return (model.empty() ? std::string("an unrecorded model") : "model " + model) + " (dimension " +
         std::to_string(dimension) + ")";
}

// Whether the target must take the source's model and dimension; an error if it
// holds vectors of another model.
result<bool> must_adopt(const source_facts& src, const target_facts& dst, const std::filesystem::path& source) {
  if (src.dimension == 0) return false;
  const bool same_dimension = dst.dimension == src.dimension;
  const bool same_model = src.model.empty() || dst.model.empty() || src.model == dst.model;
  if (same_dimension && same_model) return dst.model.empty() && !src.model.empty();
  if (!dst.holds_vectors) return true;
  return fail(errc::dimension_mismatch,
              "the vectors in " + source.string() + " come from " + describe_model(src.model, src.dimension) +
                  " but this database holds vectors of " + describe_model(dst.model, dst.dimension) +
                  "; migrate into a new, empty project (`patina init` in a new folder), or embed this one with "
                  "the same model first");
}

// Copies one table's rows whose key the target lacks; classifies the others.
result<void> copy_rows(connection& src, connection& writer, const table_plan& plan, migrated_table& stats,
                       std::set<value>& differing) {
  const std::string columns = column_list(plan.columns);
  const std::string select = "SELECT " + columns + " FROM " + quote_name(plan.name) + " ORDER BY " +
                             quote_name(plan.columns.front());
  const std::string find = "SELECT " + columns + " FROM " + quote_name(plan.name) + " WHERE " +
                           quote_name(plan.columns.front()) + " = ?1";
  const std::string insert = "INSERT INTO " + quote_name(plan.name) + " (" + columns + ") VALUES (" +
                             placeholders(plan.columns.size()) + ")";
  const std::string what = "reading " + plan.name + " from the source";
  return for_each_row(src, select, what, [&](row_values& row) -> result<void> {
    ++stats.source_rows;
    if (plan.vectors) {
      const auto* bytes = std::get_if<blob>(&row.at(1));
      if (bytes == nullptr || bytes->size() != plan.vector_bytes) {
        return fail(errc::corrupt_database,
                    src.path().string() + ": " + plan.name + " row " +
                        std::to_string(std::get<std::int64_t>(row.at(0))) + " does not hold a vector of " +
                        std::to_string(plan.vector_bytes / sizeof(float)) +
                        " floats; repair the source with the SQLite build (`patina embeddings rebuild`)");
      }
      // vec0 metadata text is never NULL in Patina's tables; the target's columns are NOT NULL.
      for (std::size_t i = 2; i < row.size(); ++i) {
        if (is_null(row[i])) row[i] = std::string();
      }
    }
    auto existing = lookup(writer, find, row.front());
    if (!existing) return fail(existing.err());
    if (!*existing) {
      auto added = writer.execute(insert, row);
      if (!added) return fail(added.err());
      ++stats.imported;
    } else if (same_row(**existing, row)) {
      ++stats.already_present;
    } else {
      ++stats.kept_target;
      differing.insert(row.front());
    }
    return {};
  });
}

error verify_error(const connection& writer, const std::string& table, const std::string& problem) {
  return error{errc::internal,
               "the import into " + writer.path().string() + " did not verify (" + table + ": " + problem +
                   "), so nothing was written; this is a bug in Patina, please report it",
               {}};
}

// Every source key is in the target; rows not known to differ are equal (all of
// them for relational tables, a sample for vector tables); the target's row count
// grew by exactly the rows imported.
result<void> verify_table(connection& src, connection& writer, const table_plan& plan, migrated_table& stats,
                          const std::set<value>& differing, std::int64_t target_before, migrate_report& report) {
  const std::string key = quote_name(plan.columns.front());
  const std::string columns = column_list(plan.columns);
  const std::string find = "SELECT " + columns + " FROM " + quote_name(plan.name) + " WHERE " + key + " = ?1";
  const std::int64_t step =
      plan.vectors ? std::max<std::int64_t>(1, stats.source_rows / vector_sample_size) : std::int64_t{1};
  // Vector tables: only the ids are streamed; sampled rows are read by id.
  const std::string select = "SELECT " + (plan.vectors ? key : columns) + " FROM " + quote_name(plan.name) +
                             " ORDER BY " + key;
  std::int64_t seen = 0;
  auto checked = for_each_row(src, select, "verifying " + plan.name, [&](row_values& row) -> result<void> {
    const bool sampled = seen % step == 0 || seen + 1 == stats.source_rows;
    ++seen;
    auto target_row = lookup(writer, find, row.front());
    if (!target_row) return fail(target_row.err());
    if (!*target_row) return fail(verify_error(writer, plan.name, "a source row is missing"));
    if (differing.contains(row.front())) return {};
    if (plan.vectors) {
      if (!sampled) return {};
      auto source_row = lookup(src, find, row.front());
      if (!source_row) return fail(source_row.err());
      if (!*source_row) return fail(verify_error(writer, plan.name, "a source row vanished"));
      auto expected = std::move(**source_row);
      for (std::size_t i = 2; i < expected.size(); ++i) {
        if (is_null(expected[i])) expected[i] = std::string();
      }
      ++report.vectors_compared;
      if (!same_row(**target_row, expected)) {
        return fail(verify_error(writer, plan.name, "a vector differs from the source"));
      }
      return {};
    }
    ++report.rows_verified;
    if (!same_row(**target_row, row)) return fail(verify_error(writer, plan.name, "a row differs from the source"));
    return {};
  });
  if (!checked) return checked;
  if (seen != stats.source_rows) return fail(verify_error(writer, plan.name, "the source changed during the import"));
  auto after = count_rows(writer, plan.name);
  if (!after) return fail(after.err());
  stats.target_rows = *after;
  if (*after != target_before + stats.imported) {
    return fail(verify_error(writer, plan.name,
                             "expected " + std::to_string(target_before + stats.imported) + " rows, found " +
                                 std::to_string(*after)));
  }
  return {};
}

result<std::vector<table_plan>> plan_tables(connection& src, connection& writer, const source_facts& facts,
                                            migrate_report& report) {
  auto target_tables = table_names(writer);
  if (!target_tables) return fail(target_tables.err());
  auto source_tables = table_names(src);
  if (!source_tables) return fail(source_tables.err());
  std::vector<table_plan> plans;
  for (const auto& name : *target_tables) {
    if (!is_copied_table(name)) continue;
    if (std::find(source_tables->begin(), source_tables->end(), name) == source_tables->end()) continue;
    auto target_columns = read_columns(writer, name);
    if (!target_columns) return fail(target_columns.err());
    auto source_columns = read_columns(src, name);
    if (!source_columns) return fail(source_columns.err());
    if (target_columns->key.empty() || target_columns->key != source_columns->key) {
      return fail(errc::internal, "table " + name + " has no single-column primary key on both sides; this is a bug");
    }
    table_plan plan{name, {target_columns->key}, false, 0};
    for (const auto& column : target_columns->names) {
      if (column == target_columns->key) continue;
      const auto& theirs = source_columns->names;
      if (std::find(theirs.begin(), theirs.end(), column) != theirs.end()) plan.columns.push_back(column);
    }
    plans.push_back(std::move(plan));
  }
  for (const auto& name : *source_tables) {
    if (name == "patina_schema" || is_vector_table_or_shadow(name)) continue;
    if (std::find(target_tables->begin(), target_tables->end(), name) == target_tables->end()) {
      report.skipped_tables.push_back(name);
    }
  }
  if (facts.storage != detail::vector_storage::vec0) return plans;
  for (const auto& spec : detail::vector_table_specs()) {
    table_plan plan{std::string(spec.name), {"id", "embedding"}, true, facts.dimension * sizeof(float)};
    for (const auto& column : spec.filter_columns) plan.columns.emplace_back(column.name);
    plans.push_back(std::move(plan));
  }
  return plans;
}

}  // namespace

result<migrate_report> import_sqlite_build(connection& writer, local_store& store, const std::filesystem::path& source,
                                           const migrate_options& options) {
  auto src = open_source(source, writer.path());
  if (!src) return fail(src.err());
  auto facts = inspect_source(*src, source, options);
  if (!facts) return fail(facts.err());

  migrate_report report;
  report.source = source;
  report.model = facts->model;
  report.dimension = facts->dimension;

  // One read snapshot of the source for both passes (copy and verification).
  auto snapshot = transaction::begin(*src, transaction::kind::deferred);
  if (!snapshot) return fail(snapshot.err());
  auto outcome = writer.atomically([&]() -> result<void> {
    auto target = inspect_target(writer);
    if (!target) return fail(target.err());
    auto adopt = must_adopt(*facts, *target, source);
    if (!adopt) return fail(adopt.err());
    if (facts->dimension > 0) {
      // Creates the vector tables, or (only when adopting, so the target holds no
      // vectors) recreates them for the source's dimension; a no-op when they exist.
      if (auto ready = store.set_vector_dimension(writer, facts->dimension); !ready) return ready;
    }
    if (*adopt) {
      report.adopted_model = true;
      if (!facts->model.empty()) {
        if (auto written = detail::write_meta(writer, detail::meta_embedding_model, facts->model); !written) {
          return written;
        }
      }
    }
    auto plans = plan_tables(*src, writer, *facts, report);
    if (!plans) return fail(plans.err());
    std::vector<std::int64_t> before;
    std::vector<std::set<value>> differing(plans->size());
    for (std::size_t i = 0; i < plans->size(); ++i) {
      const auto& plan = (*plans)[i];
      auto n = count_rows(writer, plan.name);
      if (!n) return fail(n.err());
      before.push_back(*n);
      report.tables.push_back(migrated_table{plan.name, plan.vectors, 0, 0, 0, 0, 0});
      if (auto copied = copy_rows(*src, writer, plan, report.tables.back(), differing[i]); !copied) return copied;
    }
    for (std::size_t i = 0; i < plans->size(); ++i) {
      auto verified = verify_table(*src, writer, (*plans)[i], report.tables[i], differing[i], before[i], report);
      if (!verified) return verified;
    }
    return {};
  });
  if (!outcome) return fail(outcome.err());
  return report;
}

}  // namespace patina::db::turso
