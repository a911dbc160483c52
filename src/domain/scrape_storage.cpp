#include "patina/scrape/detail/storage.hpp"
#include "patina/scrape/extractor.hpp"

#include <algorithm>
#include <map>
#include <unordered_map>
#include <tuple>
#include <utility>

#include <nlohmann/json.hpp>
#include <xxhash.h>

namespace patina::scrape::detail {

namespace {

constexpr std::uint64_t id_mask = (std::uint64_t{1} << 63) - 1;

// A positive 63-bit id from the parts, separated so ("ab","c") != ("a","bc").
std::int64_t derived_id(std::initializer_list<std::string_view> parts) {
  XXH3_state_t* state = XXH3_createState();
  XXH3_64bits_reset(state);
  for (auto p : parts) {
    XXH3_64bits_update(state, p.data(), p.size());
    const char sep = '\x1f';
    XXH3_64bits_update(state, &sep, 1);
  }
  std::uint64_t h = XXH3_64bits_digest(state) & id_mask;
  XXH3_freeState(state);
  return static_cast<std::int64_t>(h == 0 ? 1 : h);
}

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

void append_file_statements(const file_facts& f, std::int64_t now_ms, std::vector<db::statement>& out) {
  const std::int64_t fid = file_id(f.path);
  for (const char* sql : delete_file_facts) out.push_back({sql, {fid}});
  out.push_back({"DELETE FROM skipped_files WHERE path = ?1", {f.path}});

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

  // Symbol ids: path + identity; identical twins (same name, kind and
  // signature in one file) are told apart by their order.
  std::map<std::tuple<std::string, std::string, std::string>, int> seen;
  std::vector<std::int64_t> ids(f.symbols.size());
  const std::string lang(to_string(f.lang));
  for (std::size_t i = 0; i < f.symbols.size(); ++i) {
    const auto& s = f.symbols[i];
    const std::string kind(to_string(s.kind));
    const int ordinal = seen[{s.qualified_name, kind, s.signature}]++;
    ids[i] = derived_id({"symbol", f.path, s.qualified_name, kind, s.signature, std::to_string(ordinal)});
  }
  for (std::size_t i = 0; i < f.symbols.size(); ++i) {
    const auto& s = f.symbols[i];
    db::value parent = s.parent < ids.size() ? db::value{ids[s.parent]} : db::value{};
    std::string params;
    if (!s.parameters.empty()) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& p : s.parameters) list.push_back({{"name", p.name}, {"type", p.type}});
      params = list.dump();
    }
    out.push_back({"INSERT INTO symbols (id, file_id, name, qualified_name, kind, language, start_line, end_line, "
                   "signature, doc, parent_id, parameters, return_type, flags, generic_count, body_terms) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                   {ids[i], fid, s.name, s.qualified_name, std::string(to_string(s.kind)), lang,
                    static_cast<std::int64_t>(s.start_line), static_cast<std::int64_t>(s.end_line), s.signature,
                    s.doc, std::move(parent), text_or_null(params), s.return_type, flags_of(s),
                    static_cast<std::int64_t>(s.generic_count),
                    i < f.body_terms.size() ? f.body_terms[i] : std::string()}});
  }
  for (std::size_t i = 0; i < f.imports.size(); ++i) {
    const auto& imp = f.imports[i];
    std::string names;
    if (!imp.names.empty()) names = nlohmann::json(imp.names).dump();
    out.push_back({"INSERT INTO imports (id, file_id, path, names, line) VALUES (?1, ?2, ?3, ?4, ?5)",
                   {derived_id({"import", f.path, std::to_string(i)}), fid, imp.path, text_or_null(names),
                    static_cast<std::int64_t>(imp.line)}});
  }
  for (std::size_t i = 0; i < f.calls.size(); ++i) {
    const auto& c = f.calls[i];
    db::value caller = c.caller < ids.size() ? db::value{ids[c.caller]} : db::value{};
    out.push_back({"INSERT INTO calls (id, file_id, caller_id, callee_name, callee_simple, callee_id, kind, line) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7)",
                   {derived_id({"call", f.path, std::to_string(i)}), fid, std::move(caller), c.callee,
                    callee_simple_name(c.callee), std::string(to_string(c.kind)),
                    static_cast<std::int64_t>(c.line)}});
  }
}

void append_skipped_statements(const skipped_file& s, std::int64_t now_ms, std::vector<db::statement>& out) {
  const std::int64_t fid = file_id(s.path);
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
  return !stored_version.rows.empty() &&
         as_text(stored_version.rows.front().at(0)) == std::to_string(extraction_version);
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

std::vector<db::statement> scrape_session::statements_for(const scan_batch& batch, std::int64_t now_ms) {
  std::vector<db::statement> out;
  for (const auto& f : batch.parsed) {
    seen_.insert(f.path);
    bytes_ += f.size;
    ++report_.parsed;
    if (f.partial()) ++report_.partial;
    report_.symbols += f.symbols.size();
    report_.bytes_parsed += f.size;
    append_file_statements(f, now_ms, out);
  }
  for (const auto& u : batch.unchanged) {
    seen_.insert(u.path);
    bytes_ += u.size;
    ++report_.unchanged;
  }
  for (const auto& s : batch.skipped) {
    seen_.insert(s.path);
    ++report_.skipped;
    append_skipped_statements(s, now_ms, out);
  }
  return out;
}

std::vector<db::statement> scrape_session::finish_statements() {
  std::vector<db::statement> out;
  auto remove = [&](const std::string& path) {
    if (seen_.count(path) != 0) return;
    append_remove_statements(path, out);
  };
  for (const auto& [path, hash] : known_) {
    if (seen_.count(path) == 0) ++report_.removed;
    remove(path);
  }
  for (const auto& path : previously_skipped_) remove(path);
  return out;
}

}  // namespace patina::scrape::detail
