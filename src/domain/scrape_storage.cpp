#include "patina/scrape/detail/storage.hpp"
#include "patina/scrape/extractor.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <iterator>
#include <map>
#include <unordered_map>
#include <unordered_set>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>
#include <xxhash.h>

namespace patina::scrape::detail {

namespace {

constexpr std::uint64_t id_mask = (std::uint64_t{1} << 63) - 1;

// A positive 63-bit id from the parts, separated so ("ab","c") != ("a","bc").
std::int64_t derived_id(std::initializer_list<std::string_view> parts) {
  // One hash over the joined parts: the same value as hashing them one by one.
  std::string joined;
  for (auto p : parts) joined.append(p).append(1, '\x1f');
  const std::uint64_t h = XXH3_64bits(joined.data(), joined.size()) & id_mask;
  return static_cast<std::int64_t>(h == 0 ? 1 : h);
}

// Ids of one file's rows in symbols, imports or calls: the file's id in the high
// 31 bits, a hash of the row's identity in the low 32. A file's rows then sit
// together in each table's B-tree, so writing a file touches a page or two per
// table instead of one page per row. The low halves are kept unique within the
// file (a collision is hashed again with a retry count, in row order, so the same
// content gives the same ids); two files whose high halves meet would also need
// two of their rows to meet in the low half.
class row_ids {
 public:
  explicit row_ids(std::int64_t file) : high_((static_cast<std::uint64_t>(file) >> 32) << 32) {}

  std::int64_t next(std::string_view table, std::string_view path, std::string_view identity,
                    std::string_view ordinal) {
    for (int retry = 0;; ++retry) {
      const std::string salt = retry == 0 ? std::string() : std::to_string(retry);
      const auto low = static_cast<std::uint32_t>(derived_id({table, path, identity, ordinal, salt}));
      if (!taken_.insert(low).second) continue;
      const auto id = static_cast<std::int64_t>(high_ | low);
      return id == 0 ? 1 : id;
    }
  }

 private:
  std::uint64_t high_;
  std::unordered_set<std::uint32_t> taken_;
};

// The tables a scrape fills row by row, written as multi-row INSERTs: a
// statement per rows_per_insert rows instead of one per row (800k on a 75 MB tree).
enum class fact_table { symbols, imports, calls };
constexpr std::size_t rows_per_insert = 32;

struct fact_insert {
  std::string_view head;  // INSERT INTO t (...) VALUES
  std::string_view row;   // one row's placeholders
  std::size_t columns;    // placeholders per row
};

constexpr fact_insert fact_inserts[] = {
    {"INSERT INTO symbols (id, file_id, name, qualified_name, kind, language, start_line, end_line, signature, "
     "doc, parent_id, parameters, return_type, flags, generic_count, body_terms) VALUES ",
     "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", 16},
    {"INSERT INTO imports (id, file_id, path, names, line) VALUES ", "(?, ?, ?, ?, ?)", 5},
    {"INSERT INTO calls (id, file_id, caller_id, callee_name, callee_simple, callee_id, kind, line) VALUES ",
     "(?, ?, ?, ?, ?, NULL, ?, ?)", 7},
};

// The INSERT of `rows` rows (1..rows_per_insert) into `table`.
const std::string& insert_sql(fact_table table, std::size_t rows) {
  static const auto texts = [] {
    std::array<std::array<std::string, rows_per_insert + 1>, std::size(fact_inserts)> all;
    for (std::size_t t = 0; t < all.size(); ++t) {
      for (std::size_t n = 1; n <= rows_per_insert; ++n) {
        std::string sql(fact_inserts[t].head);
        for (std::size_t r = 0; r < n; ++r) sql.append(r == 0 ? "" : ", ").append(fact_inserts[t].row);
        all[t][n] = std::move(sql);
      }
    }
    return all;
  }();
  return texts[static_cast<std::size_t>(table)][rows];
}

// Gathers the rows of one table into multi-row INSERT statements appended to `out`.
class fact_rows {
 public:
  fact_rows(fact_table table, std::vector<db::statement>& out) : table_(table), out_(out) {}
  fact_rows(const fact_rows&) = delete;
  fact_rows& operator=(const fact_rows&) = delete;

  // The parameters of the statement being filled: append one row's values, then call row_done().
  std::vector<db::value>& params() {
    if (params_.empty()) params_.reserve(rows_per_insert * fact_inserts[static_cast<std::size_t>(table_)].columns);
    return params_;
  }
  void row_done() {
    if (++rows_ == rows_per_insert) flush();
  }
  // Appends the statement of the rows not yet written (call once, at the end).
  void flush() {
    if (rows_ == 0) return;
    out_.push_back({insert_sql(table_, rows_), std::move(params_)});
    params_ = {};
    rows_ = 0;
  }

 private:
  fact_table table_;
  std::vector<db::statement>& out_;
  std::vector<db::value> params_;
  std::size_t rows_ = 0;
};

std::int64_t flags_of(const symbol& s) {
  std::int64_t f = 0;
  if (s.flags.is_async) f |= flag_async;
  if (s.flags.is_static) f |= flag_static;
  if (s.flags.is_public) f |= flag_public;
  if (s.flags.is_const) f |= flag_const;
  if (s.flags.is_virtual) f |= flag_virtual;
  if (s.flags.is_abstract) f |= flag_abstract;
  if (s.flags.is_unsafe) f |= flag_unsafe;
  if (s.flags.is_declaration) f |= flag_declaration;
  return f;
}

db::value text_or_null(const std::string& s) { return s.empty() ? db::value{} : db::value{s}; }

std::string as_text(const db::value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return {};
}
std::int64_t as_int(const db::value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  return 0;
}

constexpr const char* delete_file_facts[] = {
    "DELETE FROM symbols WHERE file_id = ?1",
    "DELETE FROM imports WHERE file_id = ?1",
    "DELETE FROM calls WHERE file_id = ?1",
    "DELETE FROM files WHERE id = ?1",
};

constexpr std::string_view symbol_columns =
    "s.id, s.name, s.qualified_name, s.kind, s.language, f.path, s.start_line, s.end_line, s.signature, s.doc, "
    "coalesce(s.parameters, ''), s.return_type, s.flags, s.body_terms";

}  // namespace

std::int64_t file_id(std::string_view path) { return derived_id({"file", path}); }

std::string callee_simple_name(std::string_view callee) {
  while (!callee.empty() && (callee.back() == '!' || callee.back() == ' ')) callee.remove_suffix(1);
  std::size_t start = 0;
  for (std::size_t i = 0; i < callee.size(); ++i) {
    const char c = callee[i];
    if (c == '.' || c == ':' || c == '>' || c == ' ') start = i + 1;
  }
  return std::string(callee.substr(start));
}

void append_file_statements(const file_facts& f, std::int64_t now_ms, std::vector<db::statement>& out,
                            prior_rows prior) {
  const std::int64_t fid = file_id(f.path);
  if (prior.facts)
    for (const char* sql : delete_file_facts) out.push_back({sql, {fid}});
  if (prior.skipped) out.push_back({"DELETE FROM skipped_files WHERE path = ?1", {f.path}});

  std::string problems;
  if (!f.problems.empty()) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& p : f.problems) {
      list.push_back({{"kind", std::string(to_string(p.kind))}, {"line", p.line}, {"message", p.message}});
    }
    problems = list.dump();
  }
  out.push_back({"INSERT INTO files (id, path, language, size, content_hash, line_count, mtime_ns, problems, "
                 "indexed_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                 {fid, f.path, std::string(to_string(f.lang)), static_cast<std::int64_t>(f.size), f.content_hash,
                  static_cast<std::int64_t>(f.line_count), f.mtime_ns, text_or_null(problems), now_ms}});

  // Symbol ids: the file's id + a hash of the symbol's identity; identical twins
  // (same name, kind and signature in one file) are told apart by their order,
  // and the rare hash collision inside one file by a retry count.
  std::map<std::tuple<std::string, std::string, std::string>, int> seen;
  row_ids symbol_ids(fid);
  std::vector<std::int64_t> ids(f.symbols.size());
  const std::string lang(to_string(f.lang));
  std::string identity;
  for (std::size_t i = 0; i < f.symbols.size(); ++i) {
    const auto& s = f.symbols[i];
    const std::string kind(to_string(s.kind));
    const int ordinal = seen[{s.qualified_name, kind, s.signature}]++;
    identity.assign(s.qualified_name).append(1, '\x1f').append(kind).append(1, '\x1f').append(s.signature);
    ids[i] = symbol_ids.next("symbol", f.path, identity, std::to_string(ordinal));
  }
  {
    fact_rows rows(fact_table::symbols, out);
    for (std::size_t i = 0; i < f.symbols.size(); ++i) {
      const auto& s = f.symbols[i];
      db::value parent = s.parent < ids.size() ? db::value{ids[s.parent]} : db::value{};
      std::string params;
      if (!s.parameters.empty()) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& p : s.parameters) list.push_back({{"name", p.name}, {"type", p.type}});
        params = list.dump();
      }
      auto& v = rows.params();
      v.emplace_back(ids[i]);
      v.emplace_back(fid);
      v.emplace_back(s.name);
      v.emplace_back(s.qualified_name);
      v.emplace_back(std::string(to_string(s.kind)));
      v.emplace_back(lang);
      v.emplace_back(static_cast<std::int64_t>(s.start_line));
      v.emplace_back(static_cast<std::int64_t>(s.end_line));
      v.emplace_back(s.signature);
      v.emplace_back(s.doc);
      v.push_back(std::move(parent));
      v.push_back(text_or_null(params));
      v.emplace_back(s.return_type);
      v.emplace_back(flags_of(s));
      v.emplace_back(static_cast<std::int64_t>(s.generic_count));
      v.emplace_back(i < f.body_terms.size() ? f.body_terms[i] : std::string());
      rows.row_done();
    }
    rows.flush();
  }
  {
    fact_rows rows(fact_table::imports, out);
    row_ids import_ids(fid);
    for (std::size_t i = 0; i < f.imports.size(); ++i) {
      const auto& imp = f.imports[i];
      std::string names;
      if (!imp.names.empty()) names = nlohmann::json(imp.names).dump();
      auto& v = rows.params();
      v.emplace_back(import_ids.next("import", f.path, {}, std::to_string(i)));
      v.emplace_back(fid);
      v.emplace_back(imp.path);
      v.push_back(text_or_null(names));
      v.emplace_back(static_cast<std::int64_t>(imp.line));
      rows.row_done();
    }
    rows.flush();
  }
  fact_rows rows(fact_table::calls, out);
  row_ids call_ids(fid);
  for (std::size_t i = 0; i < f.calls.size(); ++i) {
    const auto& c = f.calls[i];
    auto& v = rows.params();
    v.emplace_back(call_ids.next("call", f.path, {}, std::to_string(i)));
    v.emplace_back(fid);
    v.push_back(c.caller < ids.size() ? db::value{ids[c.caller]} : db::value{});
    v.emplace_back(c.callee);
    v.emplace_back(callee_simple_name(c.callee));
    v.emplace_back(std::string(to_string(c.kind)));
    v.emplace_back(static_cast<std::int64_t>(c.line));
    rows.row_done();
  }
  rows.flush();
}

void append_skipped_statements(const skipped_file& s, std::int64_t now_ms, std::vector<db::statement>& out,
                               prior_rows prior) {
  const std::int64_t fid = file_id(s.path);
  if (prior.facts)
    for (const char* sql : delete_file_facts) out.push_back({sql, {fid}});
  out.push_back({"INSERT INTO skipped_files (id, path, reason, detail, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                 "ON CONFLICT(id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail, "
                 "recorded_at = excluded.recorded_at",
                 {derived_id({"skipped", s.path}), s.path, std::string(to_string(s.reason)), s.detail, now_ms}});
}

void append_remove_statements(std::string_view path, std::vector<db::statement>& out) {
  const std::int64_t fid = file_id(path);
  for (const char* sql : delete_file_facts) out.push_back({sql, {fid}});
  out.push_back({"DELETE FROM skipped_files WHERE path = ?1", {std::string(path)}});
}

std::vector<db::statement> clear_code_index() {
  return {{"DELETE FROM calls", {}},
          {"DELETE FROM imports", {}},
          {"DELETE FROM symbols", {}},
          {"DELETE FROM files", {}},
          {"DELETE FROM skipped_files", {}}};
}

db::statement select_known_files() { return {"SELECT path, content_hash FROM files", {}}; }

std::unordered_map<std::string, std::string> known_files_from(const db::query_result& r) {
  std::unordered_map<std::string, std::string> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) out.emplace(as_text(row.at(0)), as_text(row.at(1)));
  return out;
}

namespace {
constexpr const char* extraction_version_key = "scrape_extraction_version";
}  // namespace

db::statement select_extraction_version() {
  return {"SELECT value FROM patina_meta WHERE key = ?1", {std::string(extraction_version_key)}};
}

bool extraction_version_current(const db::query_result& stored_version) {
  if (stored_version.rows.empty()) return false;
  // A newer extractor's index (a teammate upgraded first, the replica synced) is
  // left as it is: parsing it again here would put the older facts back, and the
  // newer build would parse everything again after the next sync, back and forth.
  const auto stored = as_text(stored_version.rows.front().at(0));
  int version = 0;
  const auto [end, ec] = std::from_chars(stored.data(), stored.data() + stored.size(), version);
  return ec == std::errc{} && end == stored.data() + stored.size() && version >= extraction_version;
}

db::statement record_extraction_version() {
  return {"INSERT INTO patina_meta (key, value) VALUES (?1, ?2) "
          "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          {std::string(extraction_version_key), std::to_string(extraction_version)}};
}

db::statement select_skipped_paths() { return {"SELECT path, '' FROM skipped_files", {}}; }

namespace {

// Symbols a call can resolve to: definitions (not declarations) of callables.
constexpr const char* callable_condition =
    "kind IN ('function', 'method', 'constructor', 'macro', 'class', 'struct') AND (flags & 128) = 0";

}  // namespace

db::statement select_callables() {
  return {std::string("SELECT id, file_id, name FROM symbols WHERE ") + callable_condition, {}};
}

std::vector<db::statement> resolve_call_statements(const db::query_result& callables) {
  // name -> its definitions (id, file id). A name with one definition resolves every
  // call of it; with several, a call resolves only when the caller's own file holds
  // exactly one of them. One statement per name, each touching only the calls of
  // that name (index calls_callee_simple) and writing only rows that change, so the
  // cost grows with the number of calls, not calls x definitions.
  std::unordered_map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> by_name;
  by_name.reserve(callables.rows.size());
  for (const auto& row : callables.rows) {
    by_name[as_text(row.at(2))].emplace_back(as_int(row.at(0)), as_int(row.at(1)));
  }
  std::vector<db::statement> out;
  out.reserve(by_name.size() + 1);
  // Calls whose target is gone or no longer a callable definition.
  out.push_back({std::string("UPDATE calls SET callee_id = NULL WHERE callee_id IS NOT NULL AND callee_id NOT IN "
                             "(SELECT id FROM symbols WHERE ") +
                     callable_condition + ")",
                 {}});
  for (auto& [name, defs] : by_name) {
    if (defs.size() == 1) {
      out.push_back({"UPDATE calls SET callee_id = ?1 WHERE callee_simple = ?2 AND callee_id IS NOT ?1",
                     {defs.front().first, name}});
      continue;
    }
    // Several definitions: start from unresolved, then resolve inside each file that
    // holds exactly one.
    out.push_back({"UPDATE calls SET callee_id = NULL WHERE callee_simple = ?1 AND callee_id IS NOT NULL", {name}});
    std::sort(defs.begin(), defs.end(), [](const auto& a, const auto& b) { return a.second < b.second; });
    for (std::size_t i = 0; i < defs.size();) {
      std::size_t j = i + 1;
      while (j < defs.size() && defs[j].second == defs[i].second) ++j;
      if (j - i == 1) {
        out.push_back({"UPDATE calls SET callee_id = ?1 WHERE callee_simple = ?2 AND file_id = ?3",
                       {defs[i].first, name, defs[i].second}});
      }
      i = j;
    }
  }
  return out;
}

db::statement select_orphan_symbol_embeddings() {
  return {"SELECT item_id FROM embeddings WHERE item_type = 'symbol' "
          "AND item_id NOT IN (SELECT id FROM symbols)",
          {}};
}
db::statement delete_orphan_symbol_embeddings() {
  return {"DELETE FROM embeddings WHERE item_type = 'symbol' AND item_id NOT IN (SELECT id FROM symbols)", {}};
}

db::statement select_symbols_named(std::string_view name, std::size_t limit) {
  return {std::string("SELECT ") + std::string(symbol_columns) +
              " FROM symbols s JOIN files f ON f.id = s.file_id"
              " WHERE s.name = ?1 OR s.qualified_name = ?1"
              " ORDER BY (s.flags & 128), f.path, s.start_line LIMIT ?2",
          {std::string(name), static_cast<std::int64_t>(limit)}};
}

db::statement select_callers(std::int64_t symbol_id) {
  return {"SELECT cs.qualified_name, cs.id, cs.qualified_name, f.path, c.line"
          " FROM calls c JOIN files f ON f.id = c.file_id LEFT JOIN symbols cs ON cs.id = c.caller_id"
          " WHERE c.callee_id = ?1 ORDER BY f.path, c.line",
          {symbol_id}};
}

db::statement select_callees(std::int64_t symbol_id) {
  return {"SELECT c.callee_name, coalesce(t.id, 0), coalesce(t.qualified_name, ''), coalesce(tf.path, ''),"
          " coalesce(t.start_line, c.line)"
          " FROM calls c LEFT JOIN symbols t ON t.id = c.callee_id LEFT JOIN files tf ON tf.id = t.file_id"
          " WHERE c.caller_id = ?1 ORDER BY c.line",
          {symbol_id}};
}

db::statement select_skipped_files() {
  return {"SELECT path, reason, detail FROM skipped_files ORDER BY path", {}};
}

std::vector<symbol_record> symbols_from(const db::query_result& r) {
  std::vector<symbol_record> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    symbol_record s;
    s.id = as_int(row.at(0));
    s.name = as_text(row.at(1));
    s.qualified_name = as_text(row.at(2));
    s.kind = as_text(row.at(3));
    s.language = as_text(row.at(4));
    s.path = as_text(row.at(5));
    s.start_line = static_cast<std::uint32_t>(as_int(row.at(6)));
    s.end_line = static_cast<std::uint32_t>(as_int(row.at(7)));
    s.signature = as_text(row.at(8));
    s.doc = as_text(row.at(9));
    s.parameters = as_text(row.at(10));
    s.return_type = as_text(row.at(11));
    s.flags = as_int(row.at(12));
    s.body_terms = as_text(row.at(13));
    out.push_back(std::move(s));
  }
  return out;
}

std::vector<call_record> calls_from(const db::query_result& r) {
  std::vector<call_record> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    call_record c;
    c.name = as_text(row.at(0));
    c.symbol_id = as_int(row.at(1));
    c.qualified_name = as_text(row.at(2));
    c.path = as_text(row.at(3));
    c.line = static_cast<std::uint32_t>(as_int(row.at(4)));
    out.push_back(std::move(c));
  }
  return out;
}

std::vector<skipped_record> skipped_from(const db::query_result& r) {
  std::vector<skipped_record> out;
  for (const auto& row : r.rows) out.push_back({as_text(row.at(0)), as_text(row.at(1)), as_text(row.at(2))});
  return out;
}

scrape_session::scrape_session(const db::query_result& known_files, const db::query_result& skipped_paths,
                               bool full)
    : known_(known_files_from(known_files)), full_(full) {
  for (const auto& row : skipped_paths.rows) previously_skipped_.insert(as_text(row.at(0)));
}

bool scrape_session::is_known(std::string_view path, std::string_view content_hash) const {
  if (full_) return false;
  const auto it = known_.find(std::string(path));
  return it != known_.end() && it->second == content_hash;
}

prior_rows scrape_session::prior_for(const std::string& path) const {
  return {known_.count(path) != 0, previously_skipped_.count(path) != 0};
}

std::size_t scrape_session::append_statements_for(const scan_batch& batch, std::int64_t now_ms,
                                                  std::vector<db::statement>& out) {
  const std::size_t first = out.size();
  for (const auto& f : batch.parsed) {
    seen_.insert(f.path);
    bytes_ += f.size;
    ++report_.parsed;
    if (f.partial()) ++report_.partial;
    report_.symbols += f.symbols.size();
    report_.bytes_parsed += f.size;
    append_file_statements(f, now_ms, out, prior_for(f.path));
  }
  for (const auto& u : batch.unchanged) {
    seen_.insert(u.path);
    bytes_ += u.size;
    ++report_.unchanged;
  }
  for (const auto& s : batch.skipped) {
    seen_.insert(s.path);
    ++report_.skipped;
    append_skipped_statements(s, now_ms, out, prior_for(s.path));
  }
  std::size_t values = 0;
  for (std::size_t i = first; i < out.size(); ++i) values += out[i].params.size();
  return values;
}

void scrape_session::append_finish_statements(std::vector<db::statement>& out) {
  auto remove = [&](const std::string& path) {
    if (seen_.count(path) != 0) return;
    append_remove_statements(path, out);
  };
  for (const auto& [path, hash] : known_) {
    if (seen_.count(path) == 0) ++report_.removed;
    remove(path);
  }
  for (const auto& path : previously_skipped_) remove(path);
}

}  // namespace patina::scrape::detail
