// db/turso/sync/change_log.hpp — change capture for an embedded replica on stock
// SQLite: which rows changed locally since the last sync.
//
// Every captured table gets three TEMP triggers (insert, update, delete) on each
// connection that writes; they append `(table, primary key, op)` to the change-log
// table `_patina_sync_changes` in the main database, inside the writing transaction,
// so a change and its log entry commit or roll back together and survive a crash.
// TEMP triggers leave the synced file's schema untouched. Only keys are logged: the
// values pushed are the rows as they are at push time (the net effect), which is
// what last-writer-wins by primary key needs.
//
// A table is captured if it has a declared single-column PRIMARY KEY and is not
// internal (`sqlite_*`, `turso_*`, `__turso_internal_*`, `_patina_sync*`) or in the
// caller's exclusions; others are reported as refused with the reason. DDL is not
// captured (triggers cannot see it): schema changes reach the server through the
// pipeline, and `install_change_capture` must run again after local DDL.
//
// Connections that write must set `PRAGMA recursive_triggers = ON` (done by
// install_change_capture) so that rows removed by REPLACE conflict resolution are
// logged as deletes.
//
// Thread safety: functions over a caller's `sqlite3*`, used by one thread at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/db/types.hpp"

struct sqlite3;

namespace patina::db::turso::sync {

inline constexpr std::string_view change_log_table = "_patina_sync_changes";

// True for tables that are never captured nor pushed.
bool is_internal_table(std::string_view name);

struct captured_table {
  std::string name;
  std::string key_column;
  std::vector<std::string> columns;
};

struct capture_report {
  std::vector<captured_table> tables;
  std::vector<std::string> refused;  // "name: reason"
};

// Creates the change-log table if missing, sets recursive_triggers, and (re)creates
// the TEMP triggers for every capturable table of the main database. Idempotent.
// Errors: sql_error, busy, read_only.
result<capture_report> install_change_capture(sqlite3* db, std::span<const std::string> excluded_tables = {});

enum class change_op : int { remove = -1, update = 0, insert = 1 };

struct logged_change {
  std::int64_t change_id = 0;
  std::string table;
  db::value key;
  change_op op = change_op::insert;
};

// The logged changes with change_id > floor, in change_id order. A database without
// the log table has none. Errors: sql_error, busy.
result<std::vector<logged_change>> read_changes(sqlite3* db, std::int64_t floor = 0);

// The net effect of `changes` as statements for the server, in the order of each
// row's last change: the row's current values as an upsert by primary key
// (`INSERT … ON CONFLICT(key) DO UPDATE SET …`), or a DELETE by key if the row no
// longer exists; runs of rows of one table share a statement
// (combine_row_statements). Rows of tables that are no longer capturable (dropped,
// key changed) are skipped. Errors: sql_error, busy.
result<std::vector<db::statement>> build_push_statements(sqlite3* db, std::span<const logged_change> changes);

// How the statements of one table are written, so that several rows can share one
// statement: `insert_head` VALUES-rows `insert_tail`, or `delete_head` keys `)`.
struct statement_shape {
  std::string insert_head;  // INSERT INTO "t" ("a", "b") VALUES
  std::string insert_tail;  //  ON CONFLICT ("a") DO UPDATE SET …
  std::string delete_head;  // DELETE FROM "t" WHERE "a" IN (
  std::size_t columns = 0;
};

// A push statement with the change_id of the row's last logged change, so that a
// replay can skip the rows the server already has.
struct row_statement {
  db::statement statement;
  std::int64_t change_id = 0;
  // Set by build_row_statements (not kept in a pending file): lets
  // combine_row_statements merge rows.
  std::shared_ptr<const statement_shape> shape;
  bool removal = false;
};

// build_push_statements, keeping each statement's change_id.
result<std::vector<row_statement>> build_row_statements(sqlite3* db, std::span<const logged_change> changes);

// The same changes in fewer statements, in the same order: each run of upserts
// (or of deletes) of one table becomes one multi-row statement of at most
// `max_parameters` parameters. A server compiles each statement it receives, so
// this makes a large push several times cheaper for it.
std::vector<db::statement> combine_row_statements(std::vector<row_statement> rows, std::size_t max_parameters = 480);

}  // namespace patina::db::turso::sync
