#include "db/common/schema.hpp"

#include <chrono>
#include <string>

namespace patina::db::detail {

namespace {

// Forward-only. Append a migration to change the schema; never edit a shipped one.
// Every synced table has a single-column INTEGER PRIMARY KEY filled by the caller
// from patina::new_id() (never AUTOINCREMENT): replicas insert without colliding.
const std::vector<migration>& all_migrations() {
  static const std::vector<migration> list = {
      {1,
       {
           "CREATE TABLE patina_meta ("
           " key TEXT PRIMARY KEY,"
           " value TEXT NOT NULL)",
           "CREATE TABLE beliefs ("
           " id INTEGER PRIMARY KEY,"
           " statement TEXT NOT NULL,"
           " confidence REAL NOT NULL CHECK (confidence >= 0 AND confidence <= 1),"
           " active INTEGER NOT NULL DEFAULT 1,"
           " created_at INTEGER NOT NULL,"
           " updated_at INTEGER NOT NULL)",
           "CREATE INDEX beliefs_active_updated ON beliefs (active, updated_at)",
           "CREATE TABLE observations ("
           " id INTEGER PRIMARY KEY,"
           " content TEXT NOT NULL,"
           " obs_type TEXT NOT NULL"
           "  CHECK (obs_type IN ('pattern','decision','challenge','technology','note')),"
           " source TEXT,"
           " created_at INTEGER NOT NULL,"
           " updated_at INTEGER NOT NULL)",
           "CREATE INDEX observations_type_created ON observations (obs_type, created_at)",
           "CREATE INDEX observations_created ON observations (created_at)",
           "CREATE TABLE embeddings ("
           " item_id INTEGER PRIMARY KEY,"
           " item_type TEXT NOT NULL,"
           " model TEXT NOT NULL,"
           " dimension INTEGER NOT NULL,"
           " content_hash TEXT NOT NULL,"
           " embedded_at INTEGER NOT NULL)",
           "CREATE INDEX embeddings_type_model ON embeddings (item_type, model)",
       }},
      // v2: the code index written by `patina scrape`. Its ids are derived from
      // content (a hash of the file path, the symbol's name and signature, …), not
      // drawn from new_id(): two replicas scraping the same code base produce the
      // same rows, so sync merges them instead of duplicating them.
      {2,
       {
           "CREATE TABLE files ("
           " id INTEGER PRIMARY KEY,"
           " path TEXT NOT NULL,"
           " language TEXT NOT NULL,"
           " size INTEGER NOT NULL,"
           " content_hash TEXT NOT NULL,"
           " line_count INTEGER NOT NULL,"
           " mtime_ns INTEGER NOT NULL DEFAULT 0,"
           " problems TEXT,"
           " indexed_at INTEGER NOT NULL)",
           "CREATE INDEX files_path ON files (path)",
           "CREATE TABLE symbols ("
           " id INTEGER PRIMARY KEY,"
           " file_id INTEGER NOT NULL,"
           " name TEXT NOT NULL,"
           " qualified_name TEXT NOT NULL,"
           " kind TEXT NOT NULL,"
           " language TEXT NOT NULL,"
           " start_line INTEGER NOT NULL,"
           " end_line INTEGER NOT NULL,"
           " signature TEXT NOT NULL DEFAULT '',"
           " doc TEXT NOT NULL DEFAULT '',"
           " parent_id INTEGER,"
           " parameters TEXT,"
           " return_type TEXT NOT NULL DEFAULT '',"
           " flags INTEGER NOT NULL DEFAULT 0,"
           " generic_count INTEGER NOT NULL DEFAULT 0)",
           "CREATE INDEX symbols_file ON symbols (file_id)",
           "CREATE INDEX symbols_name ON symbols (name)",
           "CREATE INDEX symbols_qualified_name ON symbols (qualified_name)",
           "CREATE TABLE imports ("
           " id INTEGER PRIMARY KEY,"
           " file_id INTEGER NOT NULL,"
           " path TEXT NOT NULL,"
           " names TEXT,"
           " line INTEGER NOT NULL)",
           "CREATE INDEX imports_file ON imports (file_id)",
           "CREATE TABLE calls ("
           " id INTEGER PRIMARY KEY,"
           " file_id INTEGER NOT NULL,"
           " caller_id INTEGER,"
           " callee_name TEXT NOT NULL,"
           " callee_simple TEXT NOT NULL,"
           " callee_id INTEGER,"
           " kind TEXT NOT NULL,"
           " line INTEGER NOT NULL)",
           "CREATE INDEX calls_file ON calls (file_id)",
           "CREATE INDEX calls_caller ON calls (caller_id)",
           "CREATE INDEX calls_callee ON calls (callee_id)",
           "CREATE INDEX calls_callee_simple ON calls (callee_simple)",
           "CREATE TABLE skipped_files ("
           " id INTEGER PRIMARY KEY,"
           " path TEXT NOT NULL,"
           " reason TEXT NOT NULL,"
           " detail TEXT NOT NULL DEFAULT '',"
           " recorded_at INTEGER NOT NULL)",
       }},
      // v3: call resolution looks calls up by (callee name, caller's file); with
      // the name alone it walked every call of a common name once per file.
      {3,
       {
           "CREATE INDEX calls_callee_file ON calls (callee_simple, file_id)",
           "DROP INDEX calls_callee_simple",
       }},
      // v4: the words of each function's body, for lexical search
      // (scrape::file_facts::body_terms); filled by the next scrape, which
      // re-parses every file once (scrape::extraction_version 3).
      {4,
       {
           "ALTER TABLE symbols ADD COLUMN body_terms TEXT NOT NULL DEFAULT ''",
       }},
      // v5: indexes that only cost writes. Call resolution reads the calls in id
      // order (scrape::detail::call_resolver), no longer by name; a file's calls and
      // imports are deleted by their id range (ids grouped by file since extraction
      // version 3). A full scrape of a 75 MB tree: 16.5 -> 13.9 s, 41 MB smaller.
      {5,
       {
           "DROP INDEX calls_callee_file",
           "DROP INDEX calls_file",
           "DROP INDEX imports_file",
       }},
  };
  return list;
}

const char* const create_version_table =
    "CREATE TABLE IF NOT EXISTS patina_schema ("
    " version INTEGER PRIMARY KEY,"
    " applied_at INTEGER NOT NULL)";

error too_new_error(int found) {
  return error{errc::schema_too_new,
               "the database was written by a newer Patina (schema v" + std::to_string(found) +
                   ", this build knows v" + std::to_string(latest_schema_version()) +
                   "); upgrade Patina",
               {}};
}

}  // namespace

std::span<const migration> migrations() { return all_migrations(); }

int latest_schema_version() noexcept {
  const auto& list = all_migrations();
  return list.empty() ? 0 : list.back().version;
}

std::int64_t unix_ms_now() noexcept {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
}

result<int> read_schema_version(connection& conn) {
  auto table = conn.query(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'patina_schema'");
  if (!table) return fail(table.err());
  if (std::get<std::int64_t>(table->rows.at(0).at(0)) == 0) return 0;
  auto version = conn.query("SELECT coalesce(max(version), 0) FROM patina_schema");
  if (!version) return fail(version.err());
  const auto* n = std::get_if<std::int64_t>(&version->rows.at(0).at(0));
  if (n == nullptr) {
    return fail(errc::corrupt_database,
                "the database's schema version is not a number; restore it from a backup");
  }
  return static_cast<int>(*n);
}

result<int> check_schema_version(connection& conn) {
  auto version = read_schema_version(conn);
  if (!version) return version;
  if (*version > latest_schema_version()) return fail(too_new_error(*version));
  return version;
}

result<int> apply_migrations(connection& conn) {
  return conn.atomically([&]() -> result<int> {
    // Re-read inside the write lock: another process may have migrated meanwhile.
    auto current = check_schema_version(conn);
    if (!current) return current;
    if (*current == latest_schema_version()) return current;
    if (auto created = conn.execute(create_version_table); !created) return fail(created.err());
    for (const auto& m : all_migrations()) {
      if (m.version <= *current) continue;
      for (const auto sql : m.statements) {
        if (auto done = conn.execute(sql); !done) {
          auto err = done.err();
          err.message = "migrating the database to schema v" + std::to_string(m.version) +
                        " failed: " + err.message;
          return fail(std::move(err));
        }
      }
      const std::vector<value> row{std::int64_t{m.version}, unix_ms_now()};
      auto recorded =
          conn.execute("INSERT INTO patina_schema (version, applied_at) VALUES (?1, ?2)", row);
      if (!recorded) return fail(recorded.err());
    }
    return latest_schema_version();
  });
}

result<int> prepare_schema(connection& conn) {
  auto version = check_schema_version(conn);
  if (!version) return version;
  if (*version == 0) {
    // Never add Patina's tables to someone else's database.
    auto objects = conn.query(
        "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'");
    if (!objects) return fail(objects.err());
    if (std::get<std::int64_t>(objects->rows.at(0).at(0)) != 0) {
      return fail(errc::not_a_database,
                  conn.path().string() +
                      " is a SQLite database but not a Patina one (it has tables and no "
                      "patina_schema); point --db at a Patina database or a new file");
    }
  }
  if (conn.is_read_only()) return version;
  bool will_write = *version < latest_schema_version();
  if (!will_write && !conn.is_memory()) {
    auto mode = conn.journal_mode();
    if (!mode) return fail(mode.err());
    will_write = *mode != "wal";
  }
  if (!will_write) return version;
  // Only a database we are about to change gets the full check: a damaged file
  // must be refused before the first write, and a healthy one opened in WAL
  // with a current schema is left alone (the check reads the whole file).
  if (*version > 0) {
    if (auto healthy = conn.verify_integrity(); !healthy) return fail(healthy.err());
  }
  if (auto wal = conn.enable_wal(); !wal) return fail(wal.err());
  return apply_migrations(conn);
}

result<std::optional<std::string>> read_meta(connection& conn, std::string_view key) {
  const std::vector<value> params{std::string(key)};
  auto rows = conn.query("SELECT value FROM patina_meta WHERE key = ?1", params);
  if (!rows) return fail(rows.err());
  if (rows->rows.empty()) return std::optional<std::string>();
  const auto* text = std::get_if<std::string>(&rows->rows[0][0]);
  if (text == nullptr) return std::optional<std::string>();
  return std::optional<std::string>(*text);
}

result<void> write_meta(connection& conn, std::string_view key, std::string_view value_text) {
  const std::vector<value> params{std::string(key), std::string(value_text)};
  auto done = conn.execute(
      "INSERT INTO patina_meta (key, value) VALUES (?1, ?2) "
      "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      params);
  if (!done) return fail(done.err());
  return {};
}

}  // namespace patina::db::detail
