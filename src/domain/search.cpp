#include "patina/domain/detail/search.hpp"

#include <fnmatch.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <limits>
#include <optional>
#include <map>
#include <tuple>
#include <unordered_set>

#include <fmt/format.h>

#include "patina/embed/identifier_words.hpp"
#include "patina/scrape/detail/storage.hpp"
#include "patina/scrape/language.hpp"

namespace patina::domain::detail {

namespace {

// Words that carry no meaning in a question about code ("where do we …"). Kept
// short on purpose: BM25's IDF already discounts frequent words, this only keeps
// them from widening the candidate set.
constexpr std::array<std::string_view, 52> stop_words = {
    "a",     "about", "an",    "and",   "any",   "are",   "as",    "at",   "be",    "by",    "can",
    "could", "did",   "do",    "does",  "for",   "from",  "how",   "i",    "if",    "in",    "into",
    "is",    "it",    "its",   "me",    "my",    "of",    "on",    "or",   "our",   "should", "so",
    "some",  "that",  "the",   "their", "there", "this",  "to",    "us",   "was",   "we",    "what",
    "when",  "where", "which", "who",   "why",   "will",  "with",  "you",
};

bool is_stop_word(std::string_view w) {
  return std::find(stop_words.begin(), stop_words.end(), w) != stop_words.end();
}

// Words that code abbreviates, each group read as one term by the lexical
// signal: a question says "arguments", the code says `args`. (A generic list of
// common programming abbreviations, not fitted to any question set.)
const std::vector<std::vector<std::string_view>>& abbreviation_groups() {
  static const std::vector<std::vector<std::string_view>> groups = {
      {"argument", "arguments", "arg", "args", "argv"},
      {"string", "strings", "str"},
      {"length", "len"},
      {"dictionary", "dict"},
      {"authentication", "authorization", "auth"},
      {"directory", "dir"},
      {"command", "commands", "cmd"},
      {"message", "msg"},
      {"error", "errors", "err"},
      {"buffer", "buf"},
      {"number", "num"},
      {"initialize", "initialise", "init"},
      {"configuration", "config", "cfg", "conf"},
      {"environment", "env"},
      {"context", "ctx"},
      {"request", "req"},
      {"response", "resp"},
      {"connection", "conn"},
      {"temporary", "tmp", "temp"},
      {"allocate", "alloc"},
      {"maximum", "max"},
      {"minimum", "min"},
      {"source", "src"},
      {"destination", "dst", "dest"},
      {"previous", "prev"},
      {"index", "idx"},
      {"position", "pos"},
      {"value", "val"},
      {"variable", "var"},
      {"function", "func", "fn"},
      {"parameter", "param", "params"},
      {"attribute", "attr"},
      {"library", "lib"},
      {"package", "pkg"},
      {"specification", "spec"},
      {"information", "info"},
      {"document", "doc", "docs"},
      {"utility", "util"},
      {"character", "char"},
      {"pointer", "ptr"},
      {"reference", "ref"},
      {"iterator", "iter"},
      {"address", "addr"},
      {"execute", "exec"},
      {"compare", "cmp"},
      {"calculate", "calc"},
      {"description", "desc"},
      {"statistics", "stats"},
      {"sequence", "seq"},
      {"memory", "mem"},
      {"object", "obj"},
      {"manual", "man"},
  };
  return groups;
}

std::int64_t as_int(const db::value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  return 0;
}
std::string as_text(const db::value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return std::to_string(*i);
  return {};
}

// "?1, ?2, …" for n parameters starting at `first`.
std::string placeholders(std::size_t n, std::size_t first = 1) {
  if (n == 0) return "NULL";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) out += ", ";
    out += fmt::format("?{}", first + i);
  }
  return out;
}

// A query word found in a document word: the same word, or the same stem
// give or take a short ending ("retries" ~ "retry", "uploads" ~ "upload"),
// roughly what the index's Porter stemmer treats as one term.
bool same_term(std::string_view term, std::string_view word) {
  if (term == word) return true;
  std::size_t common = 0;
  while (common < term.size() && common < word.size() && term[common] == word[common]) ++common;
  const std::size_t shorter = std::min(term.size(), word.size());
  return common >= 4 && common + 2 >= shorter;
}

std::string quoted_list(const std::vector<std::string>& words) {
  std::string out;
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i > 0) out += ", ";
    out += '"' + words[i] + '"';
  }
  return out;
}

// "matches "a", "b" in name, "c" in doc" for the fields in order; each term
// counts for the first field that has it.
std::string matched_words(std::span<const std::string> terms,
                          const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
  std::vector<std::pair<std::string_view, std::vector<std::string>>> found;
  for (const auto& [label, text] : fields) {
    const auto words = embed::split_identifier_words(text);
    std::vector<std::string> hits;
    for (const auto& t : terms) {
      bool already = false;
      for (const auto& f : found)
        if (std::find(f.second.begin(), f.second.end(), t) != f.second.end()) already = true;
      if (already) continue;
      if (std::any_of(words.begin(), words.end(), [&](const std::string& w) { return same_term(t, w); }))
        hits.push_back(t);
    }
    if (!hits.empty()) found.emplace_back(label, std::move(hits));
  }
  if (found.empty()) return {};
  std::string out = "matches ";
  for (std::size_t i = 0; i < found.size(); ++i) {
    if (i > 0) out += ", ";
    out += fmt::format("{} in {}", quoted_list(found[i].second), found[i].first);
  }
  return out;
}

std::string why_line(std::string words, const fused_item& f) {
  if (words.empty() && f.lexical) words = fmt::format("matches the query's words (BM25 {:.2f})", f.lexical->score);
  std::string meaning;
  if (f.vector) meaning = fmt::format("similar meaning (cosine {:.2f})", f.vector->score);
  if (words.empty()) return meaning.empty() ? std::string("ranked by fusion") : meaning;
  if (meaning.empty()) return words;
  return words + "; " + meaning;
}

}  // namespace

std::vector<std::string> query_terms(std::string_view query) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  for (auto& w : embed::split_identifier_words(query)) {
    if (is_stop_word(w) || !seen.insert(w).second) continue;
    out.push_back(std::move(w));
  }
  return out;
}

std::vector<std::string> expand_abbreviations(std::span<const std::string> terms) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen;
  auto add = [&](std::string_view w) {
    if (seen.emplace(w).second) out.emplace_back(w);
  };
  for (const auto& t : terms) {
    add(t);
    for (const auto& group : abbreviation_groups()) {
      if (std::find(group.begin(), group.end(), t) == group.end()) continue;
      for (auto w : group) add(w);
    }
  }
  return out;
}

std::vector<std::string> reversed_sorted(std::vector<std::string> names) {
  for (auto& n : names) std::reverse(n.begin(), n.end());
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

std::vector<std::string> glued_words(std::span<const std::string> terms, std::span<const std::string> reversed_names,
                                     std::size_t per_term) {
  std::vector<std::string> out;
  std::unordered_set<std::string> seen(terms.begin(), terms.end());
  for (const auto& t : terms) {
    // The index holds Porter stems; a plural's stem is its singular.
    std::string_view stem = t;
    if (stem.size() > 4 && stem.back() == 's' && stem[stem.size() - 2] != 's') stem.remove_suffix(1);
    if (stem.size() < 4) continue;
    // Names ending in the stem are the reversed names starting with it reversed.
    const std::string key(stem.rbegin(), stem.rend());
    std::vector<std::string> found;
    for (auto it = std::lower_bound(reversed_names.begin(), reversed_names.end(), key);
         it != reversed_names.end() && it->compare(0, key.size(), key) == 0; ++it) {
      if (it->size() < key.size() + 2 || std::isalpha(static_cast<unsigned char>(it->back())) == 0) continue;
      found.emplace_back(it->rbegin(), it->rend());
    }
    std::stable_sort(found.begin(), found.end(), [](const std::string& a, const std::string& b) {
      return a.size() != b.size() ? a.size() < b.size() : a < b;
    });
    if (found.size() > per_term) found.resize(per_term);
    for (auto& f : found)
      if (seen.insert(f).second) out.push_back(std::move(f));
  }
  return out;
}

std::string fts_any_of(std::span<const std::string> terms) {
  std::string out;
  for (const auto& t : terms) {
    if (!out.empty()) out += " OR ";
    // Words hold no '"' (split_identifier_words keeps letters, digits and
    // non-ASCII bytes), so quoting makes each a plain string token.
    out += '"' + t + '"';
  }
  return out;
}

namespace {
std::string joined_words(std::string_view text, bool skip_keywords) {
  std::string out;
  for (const auto& w : embed::split_identifier_words(text)) {
    if (skip_keywords && scrape::is_keyword(w)) continue;
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}
}  // namespace

std::string words_of(std::string_view text) { return joined_words(text, false); }

std::string words_without_keywords(std::string_view text) { return joined_words(text, true); }

bool path_matches(std::string_view glob, std::string_view path) {
  const std::string g(glob);
  const std::string p(path);
  return ::fnmatch(g.c_str(), p.c_str(), 0) == 0;
}

// Each stamp changes when rows are added, removed or rewritten (a rewrite
// gets a new index/update time); the sums are taken modulo a prime so that
// they cannot overflow.
db::statement select_index_stamps() {
  return {"SELECT "
          "(SELECT count(*) || ':' || coalesce(max(indexed_at), 0) || ':' || "
          "coalesce(sum(indexed_at % 1000000007), 0) || ':' || coalesce(sum(id % 1000000007), 0) FROM files), "
          "(SELECT count(*) || ':' || coalesce(max(updated_at), 0) || ':' || "
          "coalesce(sum(updated_at % 1000000007), 0) || ':' || coalesce(sum(id % 1000000007), 0) FROM beliefs) "
          "|| '/' || "
          "(SELECT count(*) || ':' || coalesce(max(updated_at), 0) || ':' || "
          "coalesce(sum(updated_at % 1000000007), 0) || ':' || coalesce(sum(id % 1000000007), 0) "
          "FROM observations)",
          {}};
}

db::statement select_file_stamps() { return {"SELECT id, content_hash || ':' || indexed_at FROM files", {}}; }

std::unordered_map<std::int64_t, std::string> file_stamps_from(const db::query_result& r) {
  std::unordered_map<std::int64_t, std::string> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) out.emplace(as_int(row.at(0)), as_text(row.at(1)));
  return out;
}

file_changes diff_files(const std::unordered_map<std::int64_t, std::string>& current,
                        const std::unordered_map<std::int64_t, std::string>& indexed) {
  file_changes out;
  for (const auto& [id, stamp] : current) {
    const auto it = indexed.find(id);
    if (it == indexed.end() || it->second != stamp) out.changed.emplace_back(id, stamp);
  }
  for (const auto& [id, stamp] : indexed) {
    if (current.count(id) == 0) out.removed.push_back(id);
  }
  // Deterministic order: batches and tests do not depend on hash order.
  std::sort(out.changed.begin(), out.changed.end());
  std::sort(out.removed.begin(), out.removed.end());
  return out;
}

db::statement select_lexical_symbols(std::span<const std::pair<std::int64_t, std::string>> files) {
  db::statement st;
  for (const auto& f : files) st.params.emplace_back(f.first);
  st.sql = "SELECT s.id, s.file_id, s.name, s.qualified_name, s.signature, s.doc, f.path, s.language, s.kind, "
           "s.body_terms FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.file_id IN (" +
           placeholders(files.size()) + ")";
  return st;
}

std::vector<lexical_symbol_doc> lexical_symbols_from(const db::query_result& r) {
  std::vector<lexical_symbol_doc> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    lexical_symbol_doc d;
    d.id = as_int(row.at(0));
    d.file_id = as_int(row.at(1));
    d.name = as_text(row.at(2));
    d.qualified_name = as_text(row.at(3));
    d.signature = as_text(row.at(4));
    d.doc = as_text(row.at(5));
    d.path = as_text(row.at(6));
    d.language = as_text(row.at(7));
    d.kind = as_text(row.at(8));
    d.body_terms = as_text(row.at(9));
    out.push_back(std::move(d));
  }
  return out;
}

db::statement select_lexical_knowledge() {
  return {"SELECT id, 'belief', statement FROM beliefs UNION ALL SELECT id, 'observation', content FROM observations",
          {}};
}

std::vector<lexical_knowledge_doc> lexical_knowledge_from(const db::query_result& r) {
  std::vector<lexical_knowledge_doc> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    lexical_knowledge_doc d;
    d.id = as_int(row.at(0));
    d.type = as_text(row.at(1)) == "belief" ? item_type::belief : item_type::observation;
    d.text = as_text(row.at(2));
    out.push_back(std::move(d));
  }
  return out;
}

db::statement select_symbol_vector_counts(std::string_view model) {
  return {"SELECT (SELECT count(*) FROM symbols), "
          "(SELECT count(*) FROM embeddings WHERE item_type = 'symbol' AND model = ?1)",
          {std::string(model)}};
}

db::statement select_symbol_vector_stamp() {
  return {"SELECT (SELECT count(*) FROM symbols) || ':' || coalesce((SELECT max(id) FROM symbols), 0) || ':' || "
          "(SELECT count(*) FROM embeddings) || ':' || coalesce((SELECT max(item_id) FROM embeddings), 0)",
          {}};
}

std::string stamp_from(const db::query_result& r) {
  if (r.rows.empty() || r.rows.front().empty()) return {};
  return as_text(r.rows.front().front());
}

db::statement select_symbols_by_id(std::span<const std::int64_t> ids) {
  db::statement st;
  for (auto id : ids) st.params.emplace_back(id);
  st.sql = "SELECT s.id, s.name, s.qualified_name, s.kind, s.language, f.path, s.start_line, s.end_line, "
           "s.signature, s.doc, coalesce(s.parameters, ''), s.return_type, s.flags, s.body_terms "
           "FROM symbols s JOIN files f ON f.id = s.file_id WHERE s.id IN (" +
           placeholders(ids.size()) + ")";
  return st;
}

std::vector<scrape::symbol_record> symbol_records_from(const db::query_result& r) {
  return scrape::detail::symbols_from(r);
}

double kind_prior(std::string_view kind, std::string_view signature, const fusion_params& params) {
  const bool data = kind == "field" || kind == "variable" || kind == "constant" || kind == "enum_member" ||
                    (kind == "macro" && signature.find('(') == std::string_view::npos);
  return data ? params.data_kind_weight : 1.0;
}

std::vector<fused_item> fuse(std::span<const ranked_item> vector, std::span<const ranked_item> lexical,
                             const fusion_params& params) {
  std::map<std::pair<item_type, std::int64_t>, fused_item> by_item;
  std::map<std::pair<item_type, std::int64_t>, double> priors;
  auto add = [&](std::span<const ranked_item> list, double weight, bool is_vector) {
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto& r = list[i];
      auto& f = by_item[{r.type, r.id}];
      f.type = r.type;
      f.id = r.id;
      priors.emplace(std::make_pair(r.type, r.id), r.prior);
      const signal_rank s{i + 1, r.score};
      auto& slot = is_vector ? f.vector : f.lexical;
      if (slot) continue;  // an item listed twice keeps its better rank
      slot = s;
      f.score += weight / (params.k + static_cast<double>(i + 1));
    }
  };
  add(vector, params.vector_weight, true);
  add(lexical, params.lexical_weight, false);
  std::vector<fused_item> out;
  out.reserve(by_item.size());
  for (auto& [key, f] : by_item) {
    f.score *= priors.at(key);
    out.push_back(std::move(f));
  }
  const auto rank_or_max = [](const std::optional<signal_rank>& s) {
    return s ? s->rank : std::numeric_limits<std::size_t>::max();
  };
  std::sort(out.begin(), out.end(), [&](const fused_item& a, const fused_item& b) {
    if (a.score != b.score) return a.score > b.score;
    const auto av = rank_or_max(a.vector), bv = rank_or_max(b.vector);
    if (av != bv) return av < bv;
    const auto al = rank_or_max(a.lexical), bl = rank_or_max(b.lexical);
    if (al != bl) return al < bl;
    return a.id < b.id;
  });
  return out;
}

bool is_test_or_example_path(std::string_view path) {
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    const bool last = end == std::string_view::npos;
    if (last) end = path.size();
    const auto part = path.substr(start, end - start);
    if (!last) {
      if (part == "test" || part == "tests" || part == "testing" || part == "__tests__" || part == "testdata")
        return true;
      if (part == "examples" || part == "example" || part == "demo" || part == "demos" || part == "samples")
        return true;
    } else {
      const auto dot = part.rfind('.');
      const auto stem = dot == std::string_view::npos ? part : part.substr(0, dot);
      auto ends = [&](std::string_view s) { return stem.size() > s.size() && stem.substr(stem.size() - s.size()) == s; };
      if (stem.substr(0, 5) == "test_" || ends("_test") || ends("_tests") || ends(".test") || ends(".spec") ||
          ends("Test") || ends("Tests") || stem == "conftest")
        return true;
    }
    if (last) break;
    start = end + 1;
  }
  return false;
}

double symbol_prior(std::string_view kind, std::string_view signature, std::string_view path,
                    const fusion_params& params) {
  return kind_prior(kind, signature, params) * (is_test_or_example_path(path) ? params.test_code_weight : 1.0);
}

int symbol_preference(std::string_view kind, std::string_view signature, std::int64_t flags) {
  const fusion_params probe;
  if (kind_prior(kind, signature, probe) < 1.0) return 0;
  return (flags & scrape::flag_declaration) != 0 ? 1 : 2;
}

std::vector<fused_item> collapse_by_name(const std::vector<fused_item>& fused,
                                         const std::unordered_map<std::int64_t, symbol_key>& keys) {
  // The representative of each name: highest preference, then first in order.
  std::unordered_map<std::string, std::size_t> best;
  for (std::size_t i = 0; i < fused.size(); ++i) {
    if (fused[i].type != item_type::symbol) continue;
    const auto k = keys.find(fused[i].id);
    if (k == keys.end()) continue;
    auto [it, inserted] = best.emplace(k->second.qualified_name, i);
    if (inserted) continue;
    const auto& current = keys.at(fused[it->second].id);
    if (k->second.preference > current.preference) it->second = i;
  }
  std::vector<fused_item> out;
  std::unordered_set<std::string> shown;
  for (std::size_t i = 0; i < fused.size(); ++i) {
    const auto k = fused[i].type == item_type::symbol ? keys.find(fused[i].id) : keys.end();
    if (k == keys.end()) {
      out.push_back(fused[i]);
      continue;
    }
    if (!shown.insert(k->second.qualified_name).second) continue;
    auto item = fused[best.at(k->second.qualified_name)];
    item.score = fused[i].score;  // the group ranks where its best member ranked
    out.push_back(std::move(item));
  }
  return out;
}

std::vector<ranked_item> merge_scaled(std::vector<ranked_item> a, std::vector<ranked_item> b) {
  auto best_of = [](const std::vector<ranked_item>& v) {
    double best = 0;
    for (const auto& i : v) best = std::max(best, i.score);
    return best > 0 ? best : 1.0;
  };
  std::vector<std::pair<double, ranked_item>> all;
  for (auto* list : {&a, &b}) {
    const double best = best_of(*list);
    for (auto& i : *list) all.emplace_back(i.score / best, std::move(i));
  }
  std::stable_sort(all.begin(), all.end(), [](const auto& x, const auto& y) { return x.first > y.first; });
  std::vector<ranked_item> out;
  out.reserve(all.size());
  for (auto& [scaled, item] : all) out.push_back(std::move(item));
  return out;
}

std::vector<ranked_item> ranked_by_score(std::vector<ranked_item> items) {
  std::stable_sort(items.begin(), items.end(),
                   [](const ranked_item& a, const ranked_item& b) { return a.score > b.score; });
  return items;
}

std::string why_symbol(std::span<const std::string> terms, const scrape::symbol_record& s, const fused_item& f) {
  // The signature as the index holds it: its keywords match nothing.
  const std::string signature = words_without_keywords(s.signature);
  const std::vector<std::pair<std::string_view, std::string_view>> fields = {
      {"name", s.name},        {"scope", s.qualified_name}, {"signature", signature},
      {"doc", s.doc},          {"body", s.body_terms},      {"path", s.path}};
  return why_line(f.lexical ? matched_words(terms, fields) : std::string(), f);
}

std::string why_text(std::span<const std::string> terms, std::string_view text, const fused_item& f) {
  const std::vector<std::pair<std::string_view, std::string_view>> fields = {{"text", text}};
  return why_line(f.lexical ? matched_words(terms, fields) : std::string(), f);
}

}  // namespace patina::domain::detail
