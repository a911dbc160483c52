#include "patina/domain/lexical_store.hpp"

#include <optional>

#include <fmt/format.h>

#include "db/common/connection.hpp"
#include "patina/domain/detail/search.hpp"

namespace patina::domain {

namespace {

// Glued words (gzprintf for "printf") added per query term, at most.
constexpr std::size_t glued_per_term = 8;

// Bump when the tables below change: an older file is emptied and rebuilt.
constexpr std::string_view format_version = "3";

// Text columns first (the BM25 weights follow their order); the UNINDEXED ones
// only filter. Texts are stored as lower-case words (detail::words_of), so the
// tokenizer sees `retry upload` for `retryUpload`; Porter stemming then joins
// "retries" and "retry".
constexpr std::string_view schema_sql =
    "CREATE TABLE IF NOT EXISTS lexical_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS lexical_files (file_id INTEGER PRIMARY KEY, stamp TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS lexical_symbols (id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS lexical_symbols_file ON lexical_symbols (file_id);"
    "CREATE VIRTUAL TABLE IF NOT EXISTS symbol_fts USING fts5("
    " name, qualified_name, signature, doc, path_words, body,"
    " path UNINDEXED, language UNINDEXED, kind UNINDEXED,"
    " tokenize = 'porter unicode61 remove_diacritics 2');"
    "CREATE VIRTUAL TABLE IF NOT EXISTS symbol_terms USING fts5vocab(symbol_fts, 'col');"
    "CREATE VIRTUAL TABLE IF NOT EXISTS knowledge_fts USING fts5("
    " text, item_type UNINDEXED,"
    " tokenize = 'porter unicode61 remove_diacritics 2');";

constexpr std::string_view drop_sql =
    "DROP TABLE IF EXISTS symbol_terms; DROP TABLE IF EXISTS symbol_fts; DROP TABLE IF EXISTS knowledge_fts; DROP TABLE IF EXISTS lexical_symbols;"
    "DROP TABLE IF EXISTS lexical_files; DROP TABLE IF EXISTS lexical_meta;";

std::string as_text(const db::value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return {};
}
std::int64_t as_int(const db::value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  return 0;
}
double as_double(const db::value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return 0;
}

error with_context(error e, std::string_view what, const std::filesystem::path& path) {
  e.message = fmt::format("the lexical index {} failed to {}: {}; it is derived data, so deleting the file "
                          "rebuilds it",
                          path.string(), what, e.message);
  return e;
}

}  // namespace

struct lexical_store::impl {
  db::detail::connection conn;
  std::filesystem::path path;
  // The distinct words of the name column, spelled backwards and sorted; read
  // once and again after the symbols change (glued-word expansion of queries).
  std::optional<std::vector<std::string>> name_terms;
};

lexical_store::lexical_store(std::unique_ptr<impl> state) noexcept : impl_(std::move(state)) {}
lexical_store::lexical_store(lexical_store&&) noexcept = default;
lexical_store& lexical_store::operator=(lexical_store&&) noexcept = default;
lexical_store::~lexical_store() = default;

const std::filesystem::path& lexical_store::path() const noexcept { return impl_->path; }

result<lexical_store> lexical_store::try_open(const std::filesystem::path& path, std::int64_t mmap_bytes,
                                             std::chrono::milliseconds busy_timeout) {
  db::detail::connection_options options;
  options.mode = db::open_mode::create;
  // A small cache: the index is a few MB per 10k symbols and stays in the OS's
  // page cache anyway.
  options.cache_kib = 16 * 1024;
  options.mmap_bytes = mmap_bytes;
  options.busy_timeout = busy_timeout;
  auto conn = db::detail::connection::open(path, options);
  if (!conn) return fail(with_context(std::move(conn).err(), "open", path));
  if (auto wal = conn->enable_wal(); !wal) return fail(with_context(wal.err(), "open", path));
  // Usually the tables are there and current: a read says so without taking the
  // write lock, which another process (a scrape's follower) may hold for a while.
  if (auto version = conn->query("SELECT value FROM lexical_meta WHERE key = 'format'");
      version && !version->rows.empty() && as_text(version->rows[0][0]) == format_version) {
    return lexical_store(std::make_unique<impl>(impl{std::move(*conn), path, std::nullopt}));
  }
  auto ready = conn->atomically([&]() -> result<void> {
    if (auto created = conn->exec_script(schema_sql); !created) return created;
    auto version = conn->query("SELECT value FROM lexical_meta WHERE key = 'format'");
    if (!version) return fail(version.err());
    const bool current = !version->rows.empty() && as_text(version->rows[0][0]) == format_version;
    if (current) return {};
    if (!version->rows.empty()) {
      conn->clear_statement_cache();
      if (auto dropped = conn->exec_script(drop_sql); !dropped) return dropped;
      if (auto created = conn->exec_script(schema_sql); !created) return created;
    }
    const std::vector<db::value> params{std::string(format_version)};
    auto recorded = conn->execute("INSERT OR REPLACE INTO lexical_meta (key, value) VALUES ('format', ?1)", params);
    if (!recorded) return fail(recorded.err());
    return {};
  });
  if (!ready) return fail(with_context(ready.err(), "prepare its tables", path));
  return lexical_store(std::make_unique<impl>(impl{std::move(*conn), path, std::nullopt}));
}

result<std::string> lexical_store::try_stamp(std::string_view key) {
  const std::vector<db::value> params{std::string("stamp:") + std::string(key)};
  auto rows = impl_->conn.query("SELECT value FROM lexical_meta WHERE key = ?1", params);
  if (!rows) return fail(with_context(rows.err(), "read a stamp", impl_->path));
  if (rows->rows.empty()) return std::string();
  return as_text(rows->rows[0][0]);
}

result<void> lexical_store::try_set_stamp(std::string_view key, std::string_view value) {
  const std::vector<db::value> params{std::string("stamp:") + std::string(key), std::string(value)};
  auto done = impl_->conn.execute("INSERT OR REPLACE INTO lexical_meta (key, value) VALUES (?1, ?2)", params);
  if (!done) return fail(with_context(done.err(), "record a stamp", impl_->path));
  return {};
}

result<std::unordered_map<std::int64_t, std::string>> lexical_store::try_file_stamps() {
  auto rows = impl_->conn.query("SELECT file_id, stamp FROM lexical_files");
  if (!rows) return fail(with_context(rows.err(), "list its files", impl_->path));
  std::unordered_map<std::int64_t, std::string> out;
  out.reserve(rows->rows.size());
  for (const auto& row : rows->rows) out.emplace(as_int(row[0]), as_text(row[1]));
  return out;
}

result<std::size_t> lexical_store::try_replace_files(std::span<const std::pair<std::int64_t, std::string>> files,
                                                     std::span<const std::int64_t> removed,
                                                     std::span<const lexical_symbol_doc> docs) {
  auto& conn = impl_->conn;
  impl_->name_terms.reset();
  auto done = conn.atomically([&]() -> result<std::size_t> {
    auto forget = [&](std::int64_t file_id) -> result<void> {
      const std::vector<db::value> p{file_id};
      for (const char* sql : {"DELETE FROM symbol_fts WHERE rowid IN (SELECT id FROM lexical_symbols WHERE file_id = ?1)",
                              "DELETE FROM lexical_symbols WHERE file_id = ?1",
                              "DELETE FROM lexical_files WHERE file_id = ?1"}) {
        if (auto r = conn.execute(sql, p); !r) return fail(r.err());
      }
      return {};
    };
    for (auto id : removed)
      if (auto r = forget(id); !r) return fail(r.err());
    for (const auto& f : files)
      if (auto r = forget(f.first); !r) return fail(r.err());
    for (const auto& d : docs) {
      const std::vector<db::value> row{d.id, d.file_id};
      // OR IGNORE: two symbols can never share an id, but a corrupt main
      // database must not stop the index from being built.
      auto kept = conn.execute("INSERT OR IGNORE INTO lexical_symbols (id, file_id) VALUES (?1, ?2)", row);
      if (!kept) return fail(kept.err());
      if (kept->changes == 0) continue;
      const std::vector<db::value> text{d.id,
                                        detail::words_of(d.name),
                                        detail::words_of(d.qualified_name),
                                        detail::words_without_keywords(d.signature),
                                        detail::words_of(d.doc),
                                        detail::words_of(d.path),
                                        d.path,
                                        d.language,
                                        d.kind,
                                        detail::words_of(d.body_terms)};
      auto r = conn.execute(
          "INSERT INTO symbol_fts (rowid, name, qualified_name, signature, doc, path_words, path, language, kind, body) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
          text);
      if (!r) return fail(r.err());
    }
    for (const auto& f : files) {
      const std::vector<db::value> p{f.first, f.second};
      if (auto r = conn.execute("INSERT INTO lexical_files (file_id, stamp) VALUES (?1, ?2)", p); !r)
        return fail(r.err());
    }
    return docs.size();
  });
  if (!done) return fail(with_context(std::move(done).err(), "store symbols", impl_->path));
  return done;
}

result<std::size_t> lexical_store::try_replace_knowledge(std::span<const lexical_knowledge_doc> docs,
                                                         std::string_view stamp) {
  auto& conn = impl_->conn;
  auto done = conn.atomically([&]() -> result<std::size_t> {
    if (auto r = conn.execute("DELETE FROM knowledge_fts"); !r) return fail(r.err());
    for (const auto& d : docs) {
      const std::vector<db::value> row{d.id, detail::words_of(d.text), std::string(to_string(d.type))};
      if (auto r = conn.execute("INSERT INTO knowledge_fts (rowid, text, item_type) VALUES (?1, ?2, ?3)", row); !r)
        return fail(r.err());
    }
    const std::vector<db::value> p{std::string("stamp:") + std::string(detail::stamp_knowledge), std::string(stamp)};
    if (auto r = conn.execute("INSERT OR REPLACE INTO lexical_meta (key, value) VALUES (?1, ?2)", p); !r)
      return fail(r.err());
    return docs.size();
  });
  if (!done) return fail(with_context(std::move(done).err(), "store knowledge items", impl_->path));
  return done;
}

result<std::vector<lexical_match>> lexical_store::try_search_symbols(std::string_view query,
                                                                     const code_filter& filter, std::size_t k,
                                                                     const lexical_weights& w) {
  auto terms = detail::expand_abbreviations(detail::query_terms(query));
  std::vector<lexical_match> out;
  if (terms.empty() || k == 0) return out;
  if (!impl_->name_terms) {
    auto rows = impl_->conn.query("SELECT term FROM symbol_terms WHERE col = 'name'");
    if (!rows) return fail(with_context(rows.err(), "read its words", impl_->path));
    std::vector<std::string> names;
    names.reserve(rows->rows.size());
    for (const auto& row : rows->rows) names.push_back(as_text(row[0]));
    impl_->name_terms = detail::reversed_sorted(std::move(names));
  }
  for (auto& g : detail::glued_words(terms, *impl_->name_terms, glued_per_term)) terms.push_back(std::move(g));
  std::vector<db::value> params{detail::fts_any_of(terms)};
  std::string where = "symbol_fts MATCH ?1";
  auto add = [&](const std::optional<std::string>& value, std::string_view clause) {
    if (!value) return;
    params.emplace_back(*value);
    where += fmt::format(" AND {} ?{}", clause, params.size());
  };
  add(filter.language, "language =");
  add(filter.kind, "kind =");
  add(filter.path_glob, "path GLOB");
  params.emplace_back(static_cast<std::int64_t>(k));
  const auto sql = fmt::format(
      "SELECT rowid, bm25(symbol_fts, {}, {}, {}, {}, {}, {}) AS lexical_score FROM symbol_fts WHERE {} ORDER BY lexical_score LIMIT ?{}",
      w.name, w.qualified_name, w.signature, w.doc, w.path, w.body, where, params.size());
  auto rows = impl_->conn.query(sql, params);
  if (!rows) return fail(with_context(rows.err(), "search symbols", impl_->path));
  out.reserve(rows->rows.size());
  for (const auto& row : rows->rows) out.push_back({item_type::symbol, as_int(row[0]), -as_double(row[1])});
  return out;
}

result<std::vector<lexical_match>> lexical_store::try_search_knowledge(std::string_view query, std::size_t k) {
  const auto terms = detail::expand_abbreviations(detail::query_terms(query));
  std::vector<lexical_match> out;
  if (terms.empty() || k == 0) return out;
  const std::vector<db::value> params{detail::fts_any_of(terms), static_cast<std::int64_t>(k)};
  auto rows = impl_->conn.query(
      "SELECT rowid, item_type, bm25(knowledge_fts) AS lexical_score FROM knowledge_fts WHERE knowledge_fts MATCH ?1 "
      "ORDER BY lexical_score LIMIT ?2",
      params);
  if (!rows) return fail(with_context(rows.err(), "search knowledge", impl_->path));
  out.reserve(rows->rows.size());
  for (const auto& row : rows->rows) {
    const auto type = as_text(row[1]) == "belief" ? item_type::belief : item_type::observation;
    out.push_back({type, as_int(row[0]), -as_double(row[2])});
  }
  return out;
}

result<std::int64_t> lexical_store::try_symbol_count() {
  auto rows = impl_->conn.query("SELECT count(*) FROM lexical_symbols");
  if (!rows) return fail(with_context(rows.err(), "count symbols", impl_->path));
  return as_int(rows->rows.at(0).at(0));
}

}  // namespace patina::domain
