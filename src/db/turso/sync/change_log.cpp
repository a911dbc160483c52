#include "db/turso/sync/change_log.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <utility>

namespace patina::db::turso::sync {

namespace {

struct finalizer {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
using stmt_ptr = std::unique_ptr<sqlite3_stmt, finalizer>;

failure sqlite_failure(sqlite3* db, int rc, const std::string& what) {
  const errc code = (rc == SQLITE_BUSY || rc == SQLITE_LOCKED) ? errc::busy
                    : rc == SQLITE_READONLY                     ? errc::read_only
                                                                : errc::sql_error;
  return fail(code, "change capture could not " + what + "; see the detail", sqlite3_errmsg(db));
}

result<stmt_ptr> prepare(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  if (rc != SQLITE_OK) return sqlite_failure(db, rc, "prepare a statement");
  return stmt_ptr(raw);
}

result<void> exec(sqlite3* db, const std::string& sql) {
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return sqlite_failure(db, rc, "change the schema");
  return {};
}

std::string quote_identifier(std::string_view name) {
  std::string out = "\"";
  for (const char c : name) {
    out.push_back(c);
    if (c == '"') out.push_back('"');
  }
  return out + "\"";
}

std::string quote_literal(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    out.push_back(c);
    if (c == '\'') out.push_back('\'');
  }
  return out + "'";
}

db::value column_value(sqlite3_stmt* s, int i) {
  switch (sqlite3_column_type(s, i)) {
    case SQLITE_INTEGER:
      return std::int64_t{sqlite3_column_int64(s, i)};
    case SQLITE_FLOAT:
      return sqlite3_column_double(s, i);
    case SQLITE_TEXT:
      return std::string(reinterpret_cast<const char*>(sqlite3_column_text(s, i)),
                         static_cast<std::size_t>(sqlite3_column_bytes(s, i)));
    case SQLITE_BLOB: {
      const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, i));
      return db::blob(p, p + sqlite3_column_bytes(s, i));
    }
    default:
      return db::value{};
  }
}

int bind_value(sqlite3_stmt* s, int index, const db::value& v) {
  switch (v.index()) {
    case 1:
      return sqlite3_bind_int64(s, index, std::get<std::int64_t>(v));
    case 2:
      return sqlite3_bind_double(s, index, std::get<double>(v));
    case 3: {
      const auto& t = std::get<std::string>(v);
      return sqlite3_bind_text(s, index, t.data(), static_cast<int>(t.size()), SQLITE_TRANSIENT);
    }
    case 4: {
      const auto& b = std::get<db::blob>(v);
      return sqlite3_bind_blob(s, index, b.data(), static_cast<int>(b.size()), SQLITE_TRANSIENT);
    }
    default:
      return sqlite3_bind_null(s, index);
  }
}

std::string trigger_name(std::string_view table, std::string_view event) {
  return quote_identifier("_patina_sync_" + std::string(event) + "_" + std::string(table));
}

// The capturable shape of `table`, or why it is refused.
result<std::optional<captured_table>> inspect_table(sqlite3* db, const std::string& table, std::string& why_not) {
  auto info = prepare(db, "SELECT name, pk FROM pragma_table_info(?1) ORDER BY cid");
  if (!info) return fail(std::move(info).err());
  sqlite3_bind_text(info->get(), 1, table.c_str(), -1, SQLITE_TRANSIENT);
  captured_table t;
  t.name = table;
  int keys = 0;
  int rc;
  while ((rc = sqlite3_step(info->get())) == SQLITE_ROW) {
    std::string column = reinterpret_cast<const char*>(sqlite3_column_text(info->get(), 0));
    if (sqlite3_column_int(info->get(), 1) > 0) {
      ++keys;
      t.key_column = column;
    }
    t.columns.push_back(std::move(column));
  }
  if (rc != SQLITE_DONE) return sqlite_failure(db, rc, "read the columns of " + table);
  if (keys != 1) {
    why_not = keys == 0 ? "no declared PRIMARY KEY" : "a composite PRIMARY KEY";
    return std::optional<captured_table>{};
  }
  return std::optional<captured_table>(std::move(t));
}

// Trigger bodies cannot qualify table names; a TEMP trigger's unqualified name finds
// the log table in main (nothing of that name exists in temp).
std::string log_insert(const captured_table& t, std::string_view row, int op) {
  return "INSERT INTO " + quote_identifier(change_log_table) + " (table_name, key, op) VALUES (" +
         quote_literal(t.name) + ", " + std::string(row) + "." + quote_identifier(t.key_column) + ", " +
         std::to_string(op) + ");";
}

}  // namespace

bool is_internal_table(std::string_view name) {
  const auto starts = [&](std::string_view prefix) {
    if (name.size() < prefix.size()) return false;
    for (std::size_t i = 0; i < prefix.size(); ++i) {
      const auto lower = static_cast<char>(name[i] >= 'A' && name[i] <= 'Z' ? name[i] - 'A' + 'a' : name[i]);
      if (lower != prefix[i]) return false;
    }
    return true;
  };
  return starts("sqlite_") || starts("turso_") || starts("__turso_internal_") || starts("_patina_sync");
}

result<capture_report> install_change_capture(sqlite3* db, std::span<const std::string> excluded) {
  auto created = exec(db, "PRAGMA recursive_triggers = ON; CREATE TABLE IF NOT EXISTS main." +
                              quote_identifier(change_log_table) +
                              " (change_id INTEGER PRIMARY KEY, table_name TEXT NOT NULL, key, op INTEGER NOT NULL)");
  if (!created) return fail(created.err());

  // table_list tells virtual tables and their shadow tables apart from plain ones.
  auto tables = prepare(db, "SELECT name, type FROM pragma_table_list WHERE schema = 'main' AND type IN "
                            "('table', 'virtual', 'shadow') ORDER BY name");
  if (!tables) return fail(std::move(tables).err());
  std::vector<std::pair<std::string, std::string>> candidates;
  int rc;
  while ((rc = sqlite3_step(tables->get())) == SQLITE_ROW) {
    candidates.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(tables->get(), 0)),
                            reinterpret_cast<const char*>(sqlite3_column_text(tables->get(), 1)));
  }
  if (rc != SQLITE_DONE) return sqlite_failure(db, rc, "list the tables");
  tables->reset();

  capture_report report;
  std::string ddl = "BEGIN;";
  // Triggers of tables that no longer qualify (or no longer exist) go first.
  auto old = prepare(db, "SELECT name FROM temp.sqlite_schema WHERE type = 'trigger' AND name LIKE '\\_patina\\_sync\\_%' ESCAPE '\\'");
  if (!old) return fail(std::move(old).err());
  while ((rc = sqlite3_step(old->get())) == SQLITE_ROW) {
    ddl += "DROP TRIGGER IF EXISTS temp." +
           quote_identifier(reinterpret_cast<const char*>(sqlite3_column_text(old->get(), 0))) + ";";
  }
  if (rc != SQLITE_DONE) return sqlite_failure(db, rc, "list the capture triggers");
  old->reset();

  for (const auto& [name, type] : candidates) {
    if (is_internal_table(name) || type == "shadow") continue;  // shadow tables follow their virtual table
    if (std::find(excluded.begin(), excluded.end(), name) != excluded.end()) continue;
    if (type == "virtual") {
      report.refused.push_back(name + ": a virtual table");
      continue;
    }
    std::string why_not;
    auto shape = inspect_table(db, name, why_not);
    if (!shape) return fail(std::move(shape).err());
    if (!*shape) {
      report.refused.push_back(name + ": " + why_not);
      continue;
    }
    const captured_table& t = **shape;
    const std::string target = " ON main." + quote_identifier(t.name) + " BEGIN ";
    ddl += "CREATE TEMP TRIGGER " + trigger_name(t.name, "insert") + " AFTER INSERT" + target +
           log_insert(t, "NEW", static_cast<int>(change_op::insert)) + " END;";
    // A changed key is the old row going away and a new one appearing.
    ddl += "CREATE TEMP TRIGGER " + trigger_name(t.name, "update") + " AFTER UPDATE" + target +
           "INSERT INTO " + quote_identifier(change_log_table) + " (table_name, key, op) SELECT " +
           quote_literal(t.name) + ", OLD." + quote_identifier(t.key_column) + ", " +
           std::to_string(static_cast<int>(change_op::remove)) + " WHERE OLD." + quote_identifier(t.key_column) +
           " IS NOT NEW." + quote_identifier(t.key_column) + "; " +
           log_insert(t, "NEW", static_cast<int>(change_op::update)) + " END;";
    ddl += "CREATE TEMP TRIGGER " + trigger_name(t.name, "delete") + " AFTER DELETE" + target +
           log_insert(t, "OLD", static_cast<int>(change_op::remove)) + " END;";
    report.tables.push_back(t);
  }
  ddl += "COMMIT;";
  auto installed = exec(db, ddl);
  if (!installed) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    return fail(installed.err());
  }
  return report;
}

result<std::vector<logged_change>> read_changes(sqlite3* db, std::int64_t floor) {
  std::vector<logged_change> out;
  auto exists = prepare(db, "SELECT 1 FROM main.sqlite_schema WHERE type = 'table' AND name = ?1");
  if (!exists) return fail(std::move(exists).err());
  sqlite3_bind_text(exists->get(), 1, change_log_table.data(), static_cast<int>(change_log_table.size()), SQLITE_STATIC);
  const int found = sqlite3_step(exists->get());
  if (found == SQLITE_DONE) return out;
  if (found != SQLITE_ROW) return sqlite_failure(db, found, "look for the change log");

  auto select = prepare(db, "SELECT change_id, table_name, key, op FROM main." + quote_identifier(change_log_table) +
                                " WHERE change_id > ?1 ORDER BY change_id");
  if (!select) return fail(std::move(select).err());
  sqlite3_bind_int64(select->get(), 1, floor);
  int rc;
  while ((rc = sqlite3_step(select->get())) == SQLITE_ROW) {
    logged_change c;
    c.change_id = sqlite3_column_int64(select->get(), 0);
    c.table = reinterpret_cast<const char*>(sqlite3_column_text(select->get(), 1));
    c.key = column_value(select->get(), 2);
    c.op = static_cast<change_op>(std::clamp(sqlite3_column_int(select->get(), 3), -1, 1));
    out.push_back(std::move(c));
  }
  if (rc != SQLITE_DONE) return sqlite_failure(db, rc, "read the change log");
  return out;
}

result<std::vector<db::statement>> build_push_statements(sqlite3* db, std::span<const logged_change> changes) {
  auto rows = build_row_statements(db, changes);
  if (!rows) return fail(std::move(rows).err());
  return combine_row_statements(std::move(*rows));
}

result<std::vector<row_statement>> build_row_statements(sqlite3* db, std::span<const logged_change> changes) {
  // The last change per row decides its position; its current state decides the statement.
  struct row_ref {
    std::size_t last = 0;
    const logged_change* change = nullptr;
  };
  std::map<std::pair<std::string, std::string>, row_ref> rows;  // (table, key as text with type tag)
  const auto key_text = [](const db::value& v) {
    switch (v.index()) {
      case 1: return "i" + std::to_string(std::get<std::int64_t>(v));
      case 2: {
        std::uint64_t bits = 0;
        const double d = std::get<double>(v);
        std::memcpy(&bits, &d, sizeof bits);
        return "r" + std::to_string(bits);
      }
      case 3: return "t" + std::get<std::string>(v);
      case 4: return "b" + std::string(std::get<db::blob>(v).begin(), std::get<db::blob>(v).end());
      default: return std::string("n");
    }
  };
  for (std::size_t i = 0; i < changes.size(); ++i) {
    auto& r = rows[{changes[i].table, key_text(changes[i].key)}];
    r.last = i;
    r.change = &changes[i];
  }
  std::vector<const row_ref*> ordered;
  ordered.reserve(rows.size());
  for (const auto& [k, r] : rows) ordered.push_back(&r);
  std::sort(ordered.begin(), ordered.end(), [](const row_ref* a, const row_ref* b) { return a->last < b->last; });

  // Per table: its shape, the statement reading a row, and the SQL of the statements
  // pushed for it (prepared and built once per table, not per row).
  struct table_plan {
    std::optional<captured_table> shape;
    stmt_ptr select;
    std::string upsert_sql;
    std::string delete_sql;
    std::shared_ptr<const statement_shape> parts;
  };
  std::map<std::string, table_plan> plans;
  std::vector<row_statement> out;
  out.reserve(ordered.size());
  for (const row_ref* r : ordered) {
    const logged_change& c = *r->change;
    auto known = plans.find(c.table);
    if (known == plans.end()) {
      std::string why_not;
      auto shape = inspect_table(db, c.table, why_not);
      if (!shape) return fail(std::move(shape).err());
      table_plan plan;
      plan.shape = std::move(*shape);
      if (plan.shape) {
        const captured_table& t = *plan.shape;
        const std::string table = quote_identifier(t.name);
        const std::string key = quote_identifier(t.key_column);
        std::string column_list, placeholders, updates;
        for (std::size_t i = 0; i < t.columns.size(); ++i) {
          const std::string col = quote_identifier(t.columns[i]);
          column_list += (i ? ", " : "") + col;
          placeholders += (i ? ", ?" : "?") + std::to_string(i + 1);
          if (t.columns[i] != t.key_column) updates += (updates.empty() ? "" : ", ") + col + " = excluded." + col;
        }
        auto select = prepare(db, "SELECT " + column_list + " FROM main." + table + " WHERE " + key + " = ?1");
        if (!select) return fail(std::move(select).err());
        plan.select = std::move(*select);
        auto parts = std::make_shared<statement_shape>();
        parts->insert_head = "INSERT INTO " + table + " (" + column_list + ") VALUES ";
        parts->insert_tail = " ON CONFLICT (" + key + ") DO " +
                             (updates.empty() ? std::string("NOTHING") : "UPDATE SET " + updates);
        parts->delete_head = "DELETE FROM " + table + " WHERE " + key + " IN (";
        parts->columns = t.columns.size();
        plan.upsert_sql = parts->insert_head + "(" + placeholders + ")" + parts->insert_tail;
        plan.delete_sql = "DELETE FROM " + table + " WHERE " + key + " = ?1";
        plan.parts = std::move(parts);
      }
      known = plans.emplace(c.table, std::move(plan)).first;
    }
    table_plan& plan = known->second;
    if (!plan.shape) continue;  // dropped or no longer keyed: nothing to push for it
    sqlite3_stmt* current = plan.select.get();
    sqlite3_reset(current);
    if (const int b = bind_value(current, 1, c.key); b != SQLITE_OK) return sqlite_failure(db, b, "bind a key");
    const int rc = sqlite3_step(current);
    row_statement row;
    row.change_id = c.change_id;
    row.shape = plan.parts;
    if (rc == SQLITE_DONE) {
      row.removal = true;
      row.statement.sql = plan.delete_sql;
      row.statement.params.push_back(c.key);
      out.push_back(std::move(row));
      continue;
    }
    if (rc != SQLITE_ROW) return sqlite_failure(db, rc, "read a changed row");
    row.statement.sql = plan.upsert_sql;
    row.statement.params.reserve(plan.shape->columns.size());
    for (std::size_t i = 0; i < plan.shape->columns.size(); ++i) {
      row.statement.params.push_back(column_value(current, static_cast<int>(i)));
    }
    out.push_back(std::move(row));
  }
  for (auto& [name, plan] : plans) {
    if (plan.select) sqlite3_reset(plan.select.get());
  }
  return out;
}

std::vector<db::statement> combine_row_statements(std::vector<row_statement> rows, std::size_t max_parameters) {
  std::vector<db::statement> out;
  db::statement group;
  const statement_shape* group_shape = nullptr;
  bool group_removal = false;
  std::size_t group_rows = 0;
  const auto flush = [&] {
    if (group_rows == 0) return;
    if (group_removal) {
      group.sql = group_shape->delete_head;
      for (std::size_t i = 0; i < group.params.size(); ++i) group.sql += (i ? ", ?" : "?") + std::to_string(i + 1);
      group.sql += ")";
    } else {
      group.sql = group_shape->insert_head;
      std::size_t parameter = 1;
      for (std::size_t r = 0; r < group_rows; ++r) {
        group.sql += r ? ", (" : "(";
        for (std::size_t c = 0; c < group_shape->columns; ++c) {
          group.sql += (c ? ", ?" : "?") + std::to_string(parameter++);
        }
        group.sql += ")";
      }
      group.sql += group_shape->insert_tail;
    }
    out.push_back(std::move(group));
    group = db::statement{};
    group_rows = 0;
  };
  for (auto& row : rows) {
    if (!row.shape) {
      flush();
      out.push_back(std::move(row.statement));
      continue;
    }
    const bool same = group_rows > 0 && group_shape == row.shape.get() && group_removal == row.removal &&
                      group.params.size() + row.statement.params.size() <= max_parameters;
    if (!same) flush();
    group_shape = row.shape.get();
    group_removal = row.removal;
    for (auto& v : row.statement.params) group.params.push_back(std::move(v));
    ++group_rows;
  }
  flush();
  return out;
}

}  // namespace patina::db::turso::sync
