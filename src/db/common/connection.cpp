#include "db/common/connection.hpp"

#include <sqlite3.h>

#include <array>
#include <system_error>

#include "db/common/sqlite_error.hpp"

namespace patina::db::detail {

namespace {

constexpr std::string_view memory_path = ":memory:";
// Statements kept prepared; past this the cache is emptied (ad-hoc SQL).
constexpr std::size_t max_cached_statements = 256;

// Only what a stat() tells: SQLite itself reports a file that is not a database
// (SQLITE_NOTADB, on the schema read below). The file must not be opened here:
// SQLite's locks are POSIX advisory locks, and closing *any* descriptor of the
// file drops them all for the whole process, so a second connection opened
// while a first one is live would leave that one unprotected (another process
// could then checkpoint and delete the WAL under it).
result<void> check_not_directory(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    return fail(not_a_database_error(path, "it is a directory"));
  }
  return {};
}

int open_flags(open_mode mode) {
  switch (mode) {
    case open_mode::read_only: return SQLITE_OPEN_READONLY;
    case open_mode::read_write: return SQLITE_OPEN_READWRITE;
    case open_mode::create: return SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  }
  return SQLITE_OPEN_READONLY;  // defensive: unreachable for valid enum values
}

bool only_trailing_noise(sqlite3* db, const char* tail) {
  // A tail of spaces, `;` or comments prepares to no statement at all.
  while (tail != nullptr && *tail != '\0') {
    sqlite3_stmt* next = nullptr;
    const char* rest = nullptr;
    if (sqlite3_prepare_v2(db, tail, -1, &next, &rest) != SQLITE_OK) return false;
    if (next != nullptr) {
      sqlite3_finalize(next);
      return false;
    }
    if (rest == tail) break;
    tail = rest;
  }
  return true;
}

value read_column(sqlite3_stmt* stmt, int i) {
  switch (sqlite3_column_type(stmt, i)) {
    case SQLITE_INTEGER: return value{std::int64_t{sqlite3_column_int64(stmt, i)}};
    case SQLITE_FLOAT: return value{sqlite3_column_double(stmt, i)};
    case SQLITE_TEXT: {
      const auto* text = sqlite3_column_text(stmt, i);
      const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, i));
      return value{std::string(reinterpret_cast<const char*>(text), size)};
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt, i));
      const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, i));
      return value{blob(data, data + size)};
    }
    default: return value{};
  }
}

// Read-only queries: statements that write the database file are refused with
// sqlite3_stmt_readonly; this also refuses, at prepare time, what that check
// lets through but still changes files or lasting state.
bool pragma_allowed_read_only(const char* name, const char* argument) {
  if (name == nullptr) return false;
  constexpr std::array<const char*, 2> never = {"optimize", "incremental_vacuum"};
  for (const char* n : never) {
    if (sqlite3_stricmp(name, n) == 0) return false;
  }
  if (argument == nullptr) return true;  // reading a setting
  // Pragmas whose argument names what to inspect rather than a new value.
  constexpr std::array<const char*, 10> inspecting = {
      "table_info",  "table_xinfo",       "index_list",      "index_info",  "index_xinfo",
      "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check", "table_list"};
  for (const char* n : inspecting) {
    if (sqlite3_stricmp(name, n) == 0) return true;
  }
  return false;
}

int read_only_authorizer(void* /*unused*/, int action, const char* arg1, const char* arg2,
                         const char* /*database*/, const char* /*trigger*/) {
  switch (action) {
    case SQLITE_ATTACH:  // would create a file
    case SQLITE_DETACH:
    case SQLITE_REINDEX:
    case SQLITE_ANALYZE:
      return SQLITE_DENY;
    case SQLITE_PRAGMA:
      return pragma_allowed_read_only(arg1, arg2) ? SQLITE_OK : SQLITE_DENY;
    default:
      return SQLITE_OK;
  }
}

error read_only_refusal() {
  return error{errc::read_only,
               "the statement would change the database, and this query runs read-only; "
               "pass --write to `patina sql` to allow changes",
               {}};
}

}  // namespace

void sqlite3_closer::operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
void statement_finalizer::operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }

connection::connection(sqlite3_ptr db, std::filesystem::path path, open_mode mode, bool memory)
    : db_(std::move(db)), path_(std::move(path)), mode_(mode), memory_(memory) {}

connection::connection(connection&&) noexcept = default;
connection& connection::operator=(connection&& other) noexcept {
  if (this == &other) return *this;
  // Statements must be finalized before their connection closes.
  cache_.clear();
  cache_ = std::move(other.cache_);
  db_ = std::move(other.db_);
  path_ = std::move(other.path_);
  mode_ = other.mode_;
  memory_ = other.memory_;
  savepoint_counter_ = other.savepoint_counter_;
  return *this;
}

connection::~connection() {
  cache_.clear();
  rollback_quietly();
}

result<connection> connection::open(const std::filesystem::path& path,
                                    const connection_options& options) {
  if (path.empty()) {
    return fail(errc::invalid_argument, "no database path given; pass --db PATH or run `patina init`");
  }
  const bool memory = path.native() == memory_path;
  if (!memory) {
    std::error_code ec;
    const bool exists = std::filesystem::exists(path, ec);
    if (exists) {
      if (auto checked = check_not_directory(path); !checked) return fail(checked.err());
    } else if (options.mode != open_mode::create) {
      return fail(errc::not_found,
                  "no database at " + path.string() +
                      "; run `patina init` or point --db at an existing database");
    } else {
      const auto parent = path.has_parent_path() ? path.parent_path() : std::filesystem::path(".");
      if (!std::filesystem::is_directory(parent, ec)) {
        return fail(errc::not_found, "cannot create the database " + path.string() + ": the folder " +
                                         parent.string() + " does not exist; create it first");
      }
    }
  }

  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &raw, open_flags(options.mode), nullptr);
  sqlite3_ptr db(raw);
  if (rc != SQLITE_OK) return fail(map_sqlite_error(db.get(), rc, path, "opening the database"));
  sqlite3_extended_result_codes(db.get(), 1);
  sqlite3_busy_timeout(db.get(), static_cast<int>(options.busy_timeout.count()));
  // Defensive mode: SQL (including `patina sql --write`) cannot corrupt the file
  // through writable_schema or shadow tables.
  sqlite3_db_config(db.get(), SQLITE_DBCONFIG_DEFENSIVE, 1, nullptr);

  connection conn(std::move(db), path, options.mode, memory);
  // Reading the schema reads page 1 and every schema page: a file with a forged
  // header or a damaged schema fails here, before anything is written.
  if (auto schema = conn.query("SELECT type, name, sql FROM sqlite_schema"); !schema) {
    return fail(schema.err());
  }

  std::string pragmas = "PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;";
  if (options.cache_kib > 0) {
    pragmas += " PRAGMA cache_size = -" + std::to_string(options.cache_kib) + ";";
  }
  if (!memory) pragmas += " PRAGMA mmap_size = " + std::to_string(options.mmap_bytes) + ";";
  if (auto set = conn.exec_script(pragmas); !set) return fail(set.err());
  return conn;
}

result<sqlite3_stmt*> connection::prepare(std::string_view sql, bool cache) {
  if (cache) {
    if (auto it = cache_.find(sql); it != cache_.end()) return it->second.get();
  }
  sqlite3_stmt* raw = nullptr;
  const char* tail = nullptr;
  const unsigned flags = cache ? SQLITE_PREPARE_PERSISTENT : 0;
  const int rc = sqlite3_prepare_v3(db_.get(), sql.data(), static_cast<int>(sql.size()), flags,
                                    &raw, &tail);
  statement_ptr stmt(raw);
  if (rc != SQLITE_OK) return fail(last_error(rc, "preparing a statement"));
  if (!stmt) {
    return fail(errc::invalid_argument, "the SQL text holds no statement; give one statement to run");
  }
  const std::string rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
  if (!only_trailing_noise(db_.get(), rest.c_str())) {
    return fail(errc::invalid_argument,
                "the SQL text holds more than one statement; run them one at a time "
                "(or as a script)",
                std::string(sql));
  }
  if (!cache) return stmt.release();
  if (cache_.size() >= max_cached_statements) cache_.clear();
  auto* result_stmt = stmt.get();
  cache_.emplace(std::string(sql), std::move(stmt));
  return result_stmt;
}

void connection::release(sqlite3_stmt* stmt, bool cached) noexcept {
  if (!cached) {
    sqlite3_finalize(stmt);
    return;
  }
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
}

result<void> connection::bind(sqlite3_stmt* stmt, std::span<const value> params) {
  const int expected = sqlite3_bind_parameter_count(stmt);
  if (static_cast<std::size_t>(expected) != params.size()) {
    return fail(errc::invalid_argument, "the statement takes " + std::to_string(expected) +
                                            " parameters but " + std::to_string(params.size()) +
                                            " values were given");
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    const int index = static_cast<int>(i) + 1;
    const value& v = params[i];
    int rc = SQLITE_OK;
    if (const auto* n = std::get_if<std::int64_t>(&v)) {
      rc = sqlite3_bind_int64(stmt, index, *n);
    } else if (const auto* d = std::get_if<double>(&v)) {
      rc = sqlite3_bind_double(stmt, index, *d);
    } else if (const auto* s = std::get_if<std::string>(&v)) {
      // SQLITE_STATIC: the params outlive the step; bindings are cleared after it.
      rc = sqlite3_bind_text64(stmt, index, s->data(), s->size(), SQLITE_STATIC, SQLITE_UTF8);
    } else if (const auto* b = std::get_if<blob>(&v)) {
      // A null pointer would bind NULL, so an empty blob is a zero-length blob.
      rc = b->empty() ? sqlite3_bind_zeroblob(stmt, index, 0)
                      : sqlite3_bind_blob64(stmt, index, b->data(), b->size(), SQLITE_STATIC);
    } else {
      rc = sqlite3_bind_null(stmt, index);
    }
    if (rc != SQLITE_OK) return fail(last_error(rc, "binding a parameter"));
  }
  return {};
}

result<query_result> connection::query(std::string_view sql, std::span<const value> params,
                                       access mode) {
  // Ad-hoc read-only SQL (patina sql) is not worth keeping prepared.
  const bool read_only = mode == access::read_only;
  const bool cache = !read_only;
  if (read_only) sqlite3_set_authorizer(db_.get(), read_only_authorizer, nullptr);
  auto prepared = prepare(sql, cache);
  if (read_only) sqlite3_set_authorizer(db_.get(), nullptr, nullptr);
  if (!prepared) {
    if (read_only && sqlite3_errcode(db_.get()) == SQLITE_AUTH) return fail(read_only_refusal());
    return fail(prepared.err());
  }
  sqlite3_stmt* stmt = *prepared;
  if (read_only && sqlite3_stmt_readonly(stmt) == 0) {
    release(stmt, cache);
    return fail(read_only_refusal());
  }
  if (auto bound = bind(stmt, params); !bound) {
    release(stmt, cache);
    return fail(bound.err());
  }
  query_result out;
  const int columns = sqlite3_column_count(stmt);
  out.columns.reserve(static_cast<std::size_t>(columns));
  for (int i = 0; i < columns; ++i) {
    const char* name = sqlite3_column_name(stmt, i);
    out.columns.emplace_back(name != nullptr ? name : "");
  }
  for (;;) {
    const int rc = sqlite3_step(stmt);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) {
      auto err = last_error(rc, "running a query");
      release(stmt, cache);
      return fail(std::move(err));
    }
    std::vector<value> row;
    row.reserve(static_cast<std::size_t>(columns));
    for (int i = 0; i < columns; ++i) row.push_back(read_column(stmt, i));
    out.rows.push_back(std::move(row));
  }
  release(stmt, cache);
  return out;
}

result<exec_result> connection::execute(std::string_view sql, std::span<const value> params) {
  constexpr bool cache = true;
  auto prepared = prepare(sql, cache);
  if (!prepared) return fail(prepared.err());
  sqlite3_stmt* stmt = *prepared;
  if (auto bound = bind(stmt, params); !bound) {
    release(stmt, cache);
    return fail(bound.err());
  }
  int rc = SQLITE_ROW;
  while (rc == SQLITE_ROW) rc = sqlite3_step(stmt);
  if (rc != SQLITE_DONE) {
    auto err = last_error(rc, "running a statement");
    release(stmt, cache);
    return fail(std::move(err));
  }
  exec_result out;
  out.changes = sqlite3_changes64(db_.get());
  out.last_insert_rowid = sqlite3_last_insert_rowid(db_.get());
  release(stmt, cache);
  return out;
}

result<void> connection::exec_script(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), text.c_str(), nullptr, nullptr, &message);
  if (rc == SQLITE_OK) return {};
  auto err = map_sqlite_error(nullptr, rc, path_, "running a script");
  if (message != nullptr) {
    err.detail = message;
    sqlite3_free(message);
  }
  return fail(std::move(err));
}

result<void> connection::execute_batch(std::span<const statement> statements) {
  return atomically([&]() -> result<void> {
    for (const auto& s : statements) {
      if (auto done = execute(s.sql, s.params); !done) return fail(done.err());
    }
    return {};
  });
}

result<connection::atomic_scope> connection::begin_atomic() {
  atomic_scope scope;
  if (!in_transaction()) {
    if (auto begun = execute("BEGIN IMMEDIATE"); !begun) return fail(begun.err());
    scope.commit_sql = "COMMIT";
    scope.rollback_sql = "ROLLBACK";
    return scope;
  }
  scope.savepoint = "patina_sp_" + std::to_string(++savepoint_counter_);
  scope.commit_sql = "RELEASE " + scope.savepoint;
  scope.rollback_sql = "ROLLBACK TO " + scope.savepoint + "; RELEASE " + scope.savepoint;
  if (auto begun = exec_script("SAVEPOINT " + scope.savepoint); !begun) return fail(begun.err());
  return scope;
}

result<void> connection::commit_atomic(const atomic_scope& scope) {
  if (scope.savepoint.empty() && !in_transaction()) {
    // SQLite already rolled the transaction back (some errors do that).
    return fail(errc::transaction_state,
                "the transaction was rolled back by SQLite after an error; nothing was written");
  }
  auto done = exec_script(scope.commit_sql);
  if (!done) rollback_atomic(scope);
  return done;
}

void connection::rollback_atomic(const atomic_scope& scope) noexcept {
  if (!in_transaction()) return;
  sqlite3_exec(db_.get(), scope.rollback_sql.c_str(), nullptr, nullptr, nullptr);
}

void connection::rollback_quietly() noexcept {
  if (db_ && in_transaction()) sqlite3_exec(db_.get(), "ROLLBACK", nullptr, nullptr, nullptr);
}

bool connection::in_transaction() const noexcept {
  return db_ && sqlite3_get_autocommit(db_.get()) == 0;
}

result<void> connection::verify_integrity() {
  auto rows = query("PRAGMA quick_check");
  if (!rows) return fail(rows.err());
  std::string problems;
  for (const auto& row : rows->rows) {
    const auto* text = row.empty() ? nullptr : std::get_if<std::string>(&row[0]);
    if (text != nullptr && *text == "ok") continue;
    if (!problems.empty()) problems += "; ";
    problems += text != nullptr ? *text : "unreadable check result";
    if (problems.size() > 500) break;
  }
  if (problems.empty()) return {};
  return fail(corrupt_database_error(path_, problems));
}

result<std::string> connection::journal_mode() {
  auto rows = query("PRAGMA journal_mode");
  if (!rows) return fail(rows.err());
  if (rows->rows.empty() || rows->rows[0].empty()) return std::string();
  const auto* mode = std::get_if<std::string>(&rows->rows[0][0]);
  return mode != nullptr ? *mode : std::string();
}

result<void> connection::enable_wal() {
  if (memory_ || is_read_only()) return {};
  auto mode = journal_mode();
  if (!mode) return fail(mode.err());
  if (*mode == "wal") return {};
  auto set = query("PRAGMA journal_mode = WAL");
  if (!set) return fail(set.err());
  const auto* now = set->rows.empty() || set->rows[0].empty()
                        ? nullptr
                        : std::get_if<std::string>(&set->rows[0][0]);
  if (now == nullptr || *now != "wal") {
    return fail(errc::io_error,
                "cannot switch " + path_.string() +
                    " to write-ahead logging; check that its folder is writable",
                now != nullptr ? "journal mode stayed " + *now : std::string());
  }
  return {};
}

void connection::clear_statement_cache() noexcept { cache_.clear(); }

error connection::last_error(int rc, std::string_view context) const {
  return map_sqlite_error(db_.get(), rc, path_, context);
}

}  // namespace patina::db::detail
