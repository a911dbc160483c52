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

// Deletes a file's rows. In symbols, imports and calls they share the file's high
// half of the id (row_ids), so a rowid range holds them all and no index on file_id
// is needed; file_id = ?1 drops another file's rows that share the range.
void append_delete_file_facts(std::int64_t fid, std::vector<db::statement>& out) {
  const auto low = static_cast<std::int64_t>((static_cast<std::uint64_t>(fid) >> 32) << 32);
  const std::int64_t high = low | std::int64_t{0xffffffff};
  for (const char* sql : {"DELETE FROM symbols WHERE id BETWEEN ?2 AND ?3 AND file_id = ?1",
                          "DELETE FROM imports WHERE id BETWEEN ?2 AND ?3 AND file_id = ?1",
                          "DELETE FROM calls WHERE id BETWEEN ?2 AND ?3 AND file_id = ?1"}) {
    out.push_back({sql, {fid, low, high}});
  }
  out.push_back({"DELETE FROM files WHERE id = ?1", {fid}});
}

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
  if (prior.facts) append_delete_file_facts(fid, out);
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
  if (prior.facts) append_delete_file_facts(fid, out);
  out.push_back({"INSERT INTO skipped_files (id, path, reason, detail, recorded_at) VALUES (?1, ?2, ?3, ?4, ?5) "
                 "ON CONFLICT(id) DO UPDATE SET reason = excluded.reason, detail = excluded.detail, "
                 "recorded_at = excluded.recorded_at",
                 {derived_id({"skipped", s.path}), s.path, std::string(to_string(s.reason)), s.detail, now_ms}});
}

void append_remove_statements(std::string_view path, std::vector<db::statement>& out) {
  const std::int64_t fid = file_id(path);
  append_delete_file_facts(fid, out);
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

namespace {

// The extraction version the index records; 0 when none (or not a number).
int stored_extraction_version(const db::query_result& stored_version) {
  if (stored_version.rows.empty()) return 0;
  const auto stored = as_text(stored_version.rows.front().at(0));
  int version = 0;
  const auto [end, ec] = std::from_chars(stored.data(), stored.data() + stored.size(), version);
  return ec == std::errc{} && end == stored.data() + stored.size() ? version : 0;
}

}  // namespace

bool rows_grouped_by_file(const db::query_result& stored_version) {
  return stored_extraction_version(stored_version) >= 3;
}

bool extraction_version_current(const db::query_result& stored_version) {
  // A newer extractor's index (a teammate upgraded first, the replica synced) is
  // left as it is: parsing it again here would put the older facts back, and the
  // newer build would parse everything again after the next sync, back and forth.
  return stored_extraction_version(stored_version) >= extraction_version;
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

// Languages whose code calls each other's definitions directly share a family.
std::uint8_t language_family(std::string_view language) {
  if (language == "c" || language == "cpp") return 1;
  if (language == "javascript" || language == "typescript" || language == "tsx") return 2;
  if (language == "rust") return 3;
  if (language == "python") return 4;
  if (language == "go") return 5;
  if (language == "java") return 6;
  return 0;
}

bool is_word_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// `Foo<T, U>` -> `Foo` (trailing template arguments, nested ones included).
std::string_view without_trailing_angles(std::string_view s) {
  if (s.empty() || s.back() != '>') return s;
  int depth = 0;
  for (std::size_t i = s.size(); i-- > 0;) {
    if (s[i] == '>') ++depth;
    if (s[i] == '<' && --depth == 0) return s.substr(0, i);
  }
  return s;
}

// The last component of a scope: `Cache` for `crate::a::Cache`, `Event` for
// `<crate::a::Event as Display>` (a Rust trait impl), `Widget` for `store.Widget`.
std::string_view last_component(std::string_view scope) {
  if (scope.size() > 1 && scope.front() == '<' && scope.back() == '>') {
    scope = scope.substr(1, scope.size() - 2);
    if (const auto as = scope.find(" as "); as != std::string_view::npos) scope = scope.substr(0, as);
  }
  scope = without_trailing_angles(scope);
  std::size_t cut = 0;
  for (std::size_t i = 0; i < scope.size(); ++i) {
    if (scope[i] == '.' || scope[i] == ':' || scope[i] == '>') cut = i + 1;
  }
  return scope.substr(cut);
}

// What a written callee says about its target, from the text before its simple name.
struct written_qualifier {
  enum class shape { none, own, named, expression } kind = shape::none;
  std::string_view name;  // shape::named: the qualifier's last component
  bool is_path = false;   // `::`: a type, namespace or module, never a variable
};

written_qualifier qualifier_of(std::string_view callee, std::string_view simple) {
  written_qualifier q;
  while (!callee.empty() && (callee.back() == '!' || callee.back() == ' ')) callee.remove_suffix(1);
  if (callee.size() <= simple.size()) return q;
  std::string_view scope = callee.substr(0, callee.size() - simple.size());
  std::size_t seps = 0;
  while (!scope.empty() && (scope.back() == '.' || scope.back() == ':' || scope.back() == '>' ||
                            scope.back() == '-' || scope.back() == '?')) {
    if (scope.back() == ':') q.is_path = true;
    scope.remove_suffix(1);
    ++seps;
  }
  if (seps == 0 || scope.empty()) return q;  // `new Foo`, or a bare name
  scope = without_trailing_angles(scope);
  if (scope.empty() || !is_word_char(scope.back())) {
    q.kind = written_qualifier::shape::expression;  // `f(x).replace`, `a[i].m`, `new T() {}.m`
    return q;
  }
  std::size_t start = scope.size();
  while (start > 0 && is_word_char(scope[start - 1])) --start;
  q.name = scope.substr(start);
  if (start > 0 && scope[start - 1] != '.' && scope[start - 1] != ':' && scope[start - 1] != '>') {
    q.kind = written_qualifier::shape::expression;  // `a + b.m`, `(x).m`
    return q;
  }
  static const std::unordered_set<std::string_view> own_words = {"self", "this", "Self", "cls", "super", "crate",
                                                                 "base"};
  q.kind = own_words.count(q.name) != 0 ? written_qualifier::shape::own : written_qualifier::shape::named;
  return q;
}

struct callable {
  std::int64_t id = 0;
  std::int64_t file_id = 0;
  std::string parent;  // last component of its scope
  std::uint8_t family = 0;
  bool is_method = false;
};

std::string directory_of(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string() : std::string(path.substr(0, slash));
}

}  // namespace

db::statement select_callables_page(std::int64_t after_id, std::size_t limit) {
  return {std::string("SELECT id, file_id, name, qualified_name, kind IN ('method', 'constructor') FROM symbols "
                      "WHERE id > ?1 AND ") +
              callable_condition + " ORDER BY id LIMIT ?2",
          {after_id, static_cast<std::int64_t>(limit)}};
}

db::statement select_call_files() { return {"SELECT id, language, path FROM files", {}}; }

db::statement select_calls_page(std::int64_t after_id, std::size_t limit) {
  return {"SELECT id, file_id, callee_name, callee_simple, callee_id FROM calls WHERE id > ?1 ORDER BY id LIMIT ?2",
          {after_id, static_cast<std::int64_t>(limit)}};
}

struct call_resolver::state {
  std::unordered_map<std::string, std::vector<callable>> by_name;
  struct file_info {
    std::uint8_t family = 0;
    std::string directory;
  };
  std::unordered_map<std::int64_t, file_info> files;
  // New target (0: none) -> the calls that must point there.
  std::map<std::int64_t, std::vector<std::int64_t>> changed;

  std::int64_t resolve(std::int64_t file_id, std::string_view callee, std::string_view simple) const {
    const auto defs = by_name.find(std::string(simple));
    if (defs == by_name.end()) return 0;
    const auto caller = files.find(file_id);
    if (caller == files.end()) return 0;
    const written_qualifier q = qualifier_of(callee, simple);
    std::vector<const callable*> candidates;
    for (const callable& c : defs->second) {
      if (c.family != caller->second.family) continue;
      if (q.kind == written_qualifier::shape::expression && !c.is_method) continue;
      candidates.push_back(&c);
    }
    if (q.kind == written_qualifier::shape::named) {
      std::vector<const callable*> members;
      for (const callable* c : candidates) {
        if (c->parent == q.name) members.push_back(c);
      }
      const bool type_like = q.is_path || (!q.name.empty() && q.name.front() >= 'A' && q.name.front() <= 'Z');
      // A lower-case `x.f` may name a variable, whose type the index does not know.
      if (!members.empty() || type_like) candidates = std::move(members);
    }
    if (candidates.size() == 1) return candidates.front()->id;
    if (candidates.empty()) return 0;
    const auto only = [&](auto&& keep) -> std::int64_t {
      const callable* found = nullptr;
      for (const callable* c : candidates) {
        if (!keep(*c)) continue;
        if (found != nullptr) return -1;
        found = c;
      }
      return found == nullptr ? 0 : found->id;
    };
    const std::int64_t in_file = only([&](const callable& c) { return c.file_id == file_id; });
    if (in_file != 0) return in_file > 0 ? in_file : 0;
    const std::int64_t in_folder = only([&](const callable& c) {
      const auto f = files.find(c.file_id);
      return f != files.end() && f->second.directory == caller->second.directory;
    });
    return in_folder > 0 ? in_folder : 0;
  }
};

call_resolver::call_resolver(const db::query_result& files) : state_(std::make_unique<state>()) {
  for (const auto& row : files.rows) {
    state_->files[as_int(row.at(0))] = {language_family(as_text(row.at(1))), directory_of(as_text(row.at(2)))};
  }
}

std::optional<std::int64_t> call_resolver::add_callables(const db::query_result& page) {
  if (page.rows.empty()) return std::nullopt;
  for (const auto& row : page.rows) {
    callable c;
    c.id = as_int(row.at(0));
    c.file_id = as_int(row.at(1));
    const std::string name = as_text(row.at(2));
    const std::string qualified = as_text(row.at(3));
    c.is_method = as_int(row.at(4)) != 0;
    if (const auto f = state_->files.find(c.file_id); f != state_->files.end()) c.family = f->second.family;
    if (qualified.size() > name.size() && qualified.compare(qualified.size() - name.size(), name.size(), name) == 0) {
      std::string_view scope(qualified.data(), qualified.size() - name.size());
      while (!scope.empty() && (scope.back() == '.' || scope.back() == ':')) scope.remove_suffix(1);
      c.parent = std::string(last_component(scope));
    }
    state_->by_name[name].push_back(std::move(c));
  }
  return as_int(page.rows.back().at(0));
}

call_resolver::call_resolver(call_resolver&&) noexcept = default;
call_resolver& call_resolver::operator=(call_resolver&&) noexcept = default;
call_resolver::~call_resolver() = default;

std::optional<std::int64_t> call_resolver::add_calls(const db::query_result& calls) {
  if (calls.rows.empty()) return std::nullopt;
  for (const auto& row : calls.rows) {
    const std::int64_t id = as_int(row.at(0));
    const std::int64_t target = state_->resolve(as_int(row.at(1)), as_text(row.at(2)), as_text(row.at(3)));
    const std::int64_t current = as_int(row.at(4));  // NULL reads as 0
    if (target != current) state_->changed[target].push_back(id);
  }
  return as_int(calls.rows.back().at(0));
}

std::vector<db::statement> call_resolver::statements() const {
  constexpr std::size_t ids_per_statement = 500;
  std::vector<db::statement> out;
  for (const auto& [target, ids] : state_->changed) {
    for (std::size_t i = 0; i < ids.size(); i += ids_per_statement) {
      const std::size_t n = std::min(ids_per_statement, ids.size() - i);
      db::statement st;
      st.sql = "UPDATE calls SET callee_id = ?1 WHERE id IN (";
      for (std::size_t k = 0; k < n; ++k) st.sql += (k == 0 ? "?" : ", ?") + std::to_string(k + 2);
      st.sql += ")";
      st.params.reserve(n + 1);
      if (target == 0) {
        st.params.emplace_back();
      } else {
        st.params.emplace_back(target);
      }
      for (std::size_t k = 0; k < n; ++k) st.params.emplace_back(ids[i + k]);
      out.push_back(std::move(st));
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
  // Also the tail of a qualified name at a scope boundary: `ReaderInputStream.grow`
  // finds `com.google.common.io.ReaderInputStream.grow`, `Printer::Print` finds
  // `google::protobuf::io::Printer::Print` (through the index of the last component).
  // Exact matches first, then definitions before declarations.
  return {std::string("SELECT ") + std::string(symbol_columns) +
              " FROM symbols s JOIN files f ON f.id = s.file_id"
              " WHERE s.name = ?1 OR s.qualified_name = ?1"
              " OR (s.name = ?3 AND length(s.qualified_name) > length(?1)"
              " AND substr(s.qualified_name, -length(?1)) = ?1"
              " AND substr(s.qualified_name, -length(?1) - 1, 1) IN ('.', ':'))"
              " ORDER BY s.name <> ?1 AND s.qualified_name <> ?1, (s.flags & 128), f.path, s.start_line LIMIT ?2",
          {std::string(name), static_cast<std::int64_t>(limit), callee_simple_name(name)}};
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
