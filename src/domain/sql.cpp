#include "patina/domain/detail/sql.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cmath>
#include <unordered_map>
#include <utility>

#include <fmt/format.h>
#include <xxhash.h>

#include "patina/core/id.hpp"
#include "patina/embed/identifier_words.hpp"

namespace patina::domain {

std::string_view to_string(observation_type t) noexcept {
  switch (t) {
    case observation_type::pattern: return "pattern";
    case observation_type::decision: return "decision";
    case observation_type::challenge: return "challenge";
    case observation_type::technology: return "technology";
    case observation_type::note: return "note";
  }
  return "note";
}

result<observation_type> parse_observation_type(std::string_view name) {
  for (auto t : {observation_type::pattern, observation_type::decision, observation_type::challenge,
                 observation_type::technology, observation_type::note}) {
    if (name == to_string(t)) return t;
  }
  return fail(errc::invalid_argument,
              fmt::format("unknown observation type '{}'; use one of: pattern, decision, challenge, technology, note",
                          name));
}

std::string_view to_string(item_type t) noexcept {
  switch (t) {
    case item_type::belief: return "belief";
    case item_type::observation: return "observation";
    case item_type::symbol: return "symbol";
  }
  return "belief";
}

namespace detail {

namespace {

constexpr std::string_view belief_columns = "id, statement, confidence, active, created_at, updated_at";
constexpr std::string_view observation_columns = "id, content, obs_type, source, created_at, updated_at";

std::int64_t as_int(const db::value& v) {
  if (const auto* i = std::get_if<std::int64_t>(&v)) return *i;
  if (const auto* d = std::get_if<double>(&v)) return static_cast<std::int64_t>(*d);
  return 0;
}
double as_double(const db::value& v) {
  if (const auto* d = std::get_if<double>(&v)) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&v)) return static_cast<double>(*i);
  return 0;
}
std::string as_text(const db::value& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return *s;
  return {};
}

// "?1, ?2, …" and the id parameters for an IN list.
db::statement select_by_ids(std::string_view columns, std::string_view table, std::span<const std::int64_t> ids) {
  db::statement st;
  std::string placeholders;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) placeholders += ", ";
    placeholders += fmt::format("?{}", i + 1);
    st.params.emplace_back(ids[i]);
  }
  if (ids.empty()) placeholders = "NULL";
  st.sql = fmt::format("SELECT {} FROM {} WHERE id IN ({})", columns, table, placeholders);
  return st;
}

result<std::string> validated_text(std::string text, std::string_view what) {
  const bool blank = std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isspace(c) != 0; });
  if (blank) return fail(errc::invalid_argument, fmt::format("the {} is empty; give some text", what));
  return text;
}

template <class Item>
std::vector<search_hit> hits_for(std::span<const db::vector_match> matches, std::span<const Item> items,
                                 item_type type) {
  std::unordered_map<std::int64_t, const Item*> by_id;
  for (const auto& item : items) by_id.emplace(item.id, &item);
  std::vector<search_hit> hits;
  hits.reserve(matches.size());
  for (const auto& m : matches) {
    auto it = by_id.find(m.id);
    if (it == by_id.end()) continue;  // the item was removed after its vector was read
    search_hit h;
    h.type = type;
    h.id = m.id;
    h.score = m.similarity;
    if constexpr (std::is_same_v<Item, belief>) {
      h.text = it->second->statement;
    } else {
      h.text = it->second->content;
      h.obs_type = it->second->type;
    }
    h.why = fmt::format("semantic similarity {:.3f}", m.similarity);
    hits.push_back(std::move(h));
  }
  return hits;
}

}  // namespace

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

result<belief> make_belief(std::string statement, double confidence) {
  auto text = validated_text(std::move(statement), "belief statement");
  if (!text) return fail(std::move(text).err());
  if (!std::isfinite(confidence) || confidence < 0.0 || confidence > 1.0) {
    return fail(errc::invalid_argument,
                fmt::format("confidence {} is out of range; give a number from 0 to 1", confidence));
  }
  belief b;
  b.id = new_id();
  b.statement = std::move(*text);
  b.confidence = confidence;
  b.created_at = b.updated_at = now_ms();
  return b;
}

result<observation> make_observation(std::string content, observation_type type, std::string source) {
  auto text = validated_text(std::move(content), "observation");
  if (!text) return fail(std::move(text).err());
  observation o;
  o.id = new_id();
  o.content = std::move(*text);
  o.type = type;
  o.source = std::move(source);
  o.created_at = o.updated_at = now_ms();
  return o;
}

db::statement insert_belief(const belief& b) {
  return {fmt::format("INSERT INTO beliefs ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", belief_columns),
          {b.id, b.statement, b.confidence, std::int64_t{b.active ? 1 : 0}, b.created_at, b.updated_at}};
}

db::statement insert_observation(const observation& o) {
  db::value source = o.source.empty() ? db::value{} : db::value{o.source};
  return {fmt::format("INSERT INTO observations ({}) VALUES (?1, ?2, ?3, ?4, ?5, ?6)", observation_columns),
          {o.id, o.content, std::string(to_string(o.type)), std::move(source), o.created_at, o.updated_at}};
}

db::statement select_beliefs() {
  return {fmt::format("SELECT {} FROM beliefs ORDER BY created_at, id", belief_columns), {}};
}

db::statement select_observations(std::optional<observation_type> type) {
  if (!type) return {fmt::format("SELECT {} FROM observations ORDER BY created_at, id", observation_columns), {}};
  return {fmt::format("SELECT {} FROM observations WHERE obs_type = ?1 ORDER BY created_at, id", observation_columns),
          {std::string(to_string(*type))}};
}

db::statement select_belief(std::int64_t id) {
  return {fmt::format("SELECT {} FROM beliefs WHERE id = ?1", belief_columns), {id}};
}
db::statement select_observation(std::int64_t id) {
  return {fmt::format("SELECT {} FROM observations WHERE id = ?1", observation_columns), {id}};
}
db::statement select_beliefs_by_id(std::span<const std::int64_t> ids) {
  return select_by_ids(belief_columns, "beliefs", ids);
}
db::statement select_observations_by_id(std::span<const std::int64_t> ids) {
  return select_by_ids(observation_columns, "observations", ids);
}
db::statement delete_belief(std::int64_t id) { return {"DELETE FROM beliefs WHERE id = ?1", {id}}; }
db::statement delete_observation(std::int64_t id) { return {"DELETE FROM observations WHERE id = ?1", {id}}; }

db::statement count_items(item_type t) {
  switch (t) {
    case item_type::belief: return {"SELECT count(*) FROM beliefs", {}};
    case item_type::observation: return {"SELECT count(*) FROM observations", {}};
    case item_type::symbol: return {"SELECT count(*) FROM symbols", {}};
  }
  return {"SELECT 0", {}};
}

std::vector<belief> beliefs_from(const db::query_result& r) {
  std::vector<belief> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    belief b;
    b.id = as_int(row.at(0));
    b.statement = as_text(row.at(1));
    b.confidence = as_double(row.at(2));
    b.active = as_int(row.at(3)) != 0;
    b.created_at = as_int(row.at(4));
    b.updated_at = as_int(row.at(5));
    out.push_back(std::move(b));
  }
  return out;
}

std::vector<observation> observations_from(const db::query_result& r) {
  std::vector<observation> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    observation o;
    o.id = as_int(row.at(0));
    o.content = as_text(row.at(1));
    // The schema's CHECK constraint only admits known types.
    auto type = parse_observation_type(as_text(row.at(2)));
    o.type = type ? *type : observation_type::note;
    o.source = as_text(row.at(3));
    o.created_at = as_int(row.at(4));
    o.updated_at = as_int(row.at(5));
    out.push_back(std::move(o));
  }
  return out;
}

std::int64_t count_from(const db::query_result& r) {
  if (r.rows.empty() || r.rows.front().empty()) return 0;
  return as_int(r.rows.front().front());
}

std::string content_hash(std::string_view text) {
  return fmt::format("{:016x}", XXH3_64bits(text.data(), text.size()));
}

db::statement select_meta(std::string_view key) {
  return {"SELECT value FROM patina_meta WHERE key = ?1", {std::string(key)}};
}
db::statement upsert_meta(std::string_view key, std::string_view value) {
  return {"INSERT INTO patina_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
          {std::string(key), std::string(value)}};
}
db::statement select_embedding(std::int64_t item_id) {
  return {"SELECT model, content_hash FROM embeddings WHERE item_id = ?1", {item_id}};
}
db::statement upsert_embedding(std::int64_t item_id, item_type type, std::string_view model, std::size_t dimension,
                               std::string_view hash) {
  return {"INSERT INTO embeddings (item_id, item_type, model, dimension, content_hash, embedded_at) "
          "VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(item_id) DO UPDATE SET item_type = excluded.item_type, "
          "model = excluded.model, dimension = excluded.dimension, content_hash = excluded.content_hash, "
          "embedded_at = excluded.embedded_at",
          {item_id, std::string(to_string(type)), std::string(model), static_cast<std::int64_t>(dimension),
           std::string(hash), now_ms()}};
}
db::statement delete_embedding(std::int64_t item_id) {
  return {"DELETE FROM embeddings WHERE item_id = ?1", {item_id}};
}
db::statement delete_all_embeddings() { return {"DELETE FROM embeddings", {}}; }
db::statement count_embeddings(std::string_view model) {
  return {"SELECT count(*) FROM embeddings WHERE model = ?1", {std::string(model)}};
}

db::statement count_embedded_by_type(std::string_view model) {
  return {"SELECT 'belief', count(*) FROM embeddings e JOIN beliefs b ON b.id = e.item_id WHERE e.model = ?1 "
          "UNION ALL SELECT 'observation', count(*) FROM embeddings e JOIN observations o ON o.id = e.item_id "
          "WHERE e.model = ?1 "
          "UNION ALL SELECT 'symbol', count(*) FROM embeddings e JOIN symbols s ON s.id = e.item_id "
          "WHERE e.model = ?1",
          {std::string(model)}};
}

namespace {

// The doc comment as prose: lines without a letter (banners such as "=====")
// and field-list or doctest lines dropped, the rest joined by spaces, cut after
// about `max_chars` at a space. The first sentences say what a symbol does; the
// rest (parameter lists, caveats) would only dilute the vector.
std::string doc_prose(std::string_view doc, std::size_t max_chars) {
  std::string out;
  std::size_t start = 0;
  while (start < doc.size() && out.size() < max_chars) {
    auto end = doc.find('\n', start);
    if (end == std::string_view::npos) end = doc.size();
    auto line = doc.substr(start, end - start);
    start = end + 1;
    const bool has_letter =
        std::any_of(line.begin(), line.end(), [](unsigned char c) { return std::isalpha(c) != 0; });
    if (!has_letter) continue;
    while (!line.empty() && (std::isspace(static_cast<unsigned char>(line.front())) != 0 || line.front() == '*'))
      line.remove_prefix(1);
    // Field lists (`:param url:`, `@return`) and doctest lines (`>>>`, `...`)
    // name parameters and show calls; they say nothing of what the symbol does
    // (tuning split: vector-only MRR@10 0.372 -> 0.395, hybrid unchanged).
    if (line.starts_with(':') || line.starts_with('@') || line.starts_with(">>>") || line.starts_with("..."))
      continue;
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())) != 0) line.remove_suffix(1);
    if (!out.empty()) out += ' ';
    out += line;
  }
  if (out.size() > max_chars) {
    const auto cut = out.rfind(' ', max_chars);
    out.resize(cut == std::string::npos ? max_chars : cut);
  }
  return out;
}

}  // namespace

std::string symbol_embedding_text(std::string_view qualified_name, std::string_view doc) {
  // USE-lite is a sentence encoder: "<name as words>. <what the doc says>"
  // beat the name with the raw signature, doc and path words appended on the
  // tuning split of bench/search (vector-only MRR@10 0.20 -> 0.32,
  // docs/search.md). Signatures and paths still feed the lexical signal.
  std::string text;
  // At most the three innermost scopes (module, class, name): the outer
  // package words (`requests` in requests.models.Response.iter_lines) are in
  // every symbol of a code base and only dilute a short text (tuning split:
  // hybrid MRR@10 0.631 -> 0.665, docs/search.md).
  std::size_t scopes = 0;
  for (std::size_t i = qualified_name.size(); i-- > 0;) {
    const char c = qualified_name[i];
    if (c != '.' && c != ':') continue;
    const std::size_t start = i + 1;
    if (c == ':' && i > 0 && qualified_name[i - 1] == ':') --i;
    if (++scopes == 3) {
      qualified_name.remove_prefix(start);
      break;
    }
  }
  for (const auto& w : embed::split_identifier_words(qualified_name)) {
    if (!text.empty()) text += ' ';
    text += w;
  }
  const auto prose = doc_prose(doc, 600);
  if (!prose.empty()) {
    text += ". ";
    text += prose;
  }
  return text;
}

namespace {

// Columns: id, stored hash, then the type's text columns (and filter values).
std::string embedding_source_query(item_type t, std::string_view where) {
  switch (t) {
    case item_type::belief:
      return fmt::format("SELECT b.id, e.content_hash, b.statement FROM beliefs b "
                         "LEFT JOIN embeddings e ON e.item_id = b.id AND e.model = ?1 WHERE {}",
                         fmt::format(fmt::runtime(where), "b.id"));
    case item_type::observation:
      return fmt::format("SELECT o.id, e.content_hash, o.content, o.obs_type FROM observations o "
                         "LEFT JOIN embeddings e ON e.item_id = o.id AND e.model = ?1 WHERE {}",
                         fmt::format(fmt::runtime(where), "o.id"));
    case item_type::symbol:
      return fmt::format("SELECT s.id, e.content_hash, s.qualified_name, s.signature, s.doc, f.path, s.language, "
                         "s.kind FROM symbols s JOIN files f ON f.id = s.file_id "
                         "LEFT JOIN embeddings e ON e.item_id = s.id AND e.model = ?1 WHERE {}",
                         fmt::format(fmt::runtime(where), "s.id"));
  }
  return "SELECT NULL WHERE 0";
}

}  // namespace

db::statement select_embedding_page(item_type t, std::string_view model, std::int64_t after_id, std::size_t limit) {
  return {embedding_source_query(t, "{0} > ?2 ORDER BY {0} LIMIT ?3"),
          {std::string(model), after_id, static_cast<std::int64_t>(limit)}};
}

db::statement select_embedding_sources(item_type t, std::string_view model, std::span<const std::int64_t> ids) {
  db::statement st;
  st.params.emplace_back(std::string(model));
  std::string placeholders;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    if (i > 0) placeholders += ", ";
    placeholders += fmt::format("?{}", i + 2);
    st.params.emplace_back(ids[i]);
  }
  if (ids.empty()) placeholders = "NULL";
  st.sql = embedding_source_query(t, "{0} IN (" + placeholders + ")");
  return st;
}

std::vector<embedding_source> embedding_sources_from(item_type t, const db::query_result& r) {
  std::vector<embedding_source> out;
  out.reserve(r.rows.size());
  for (const auto& row : r.rows) {
    embedding_source s;
    s.id = as_int(row.at(0));
    s.stored_hash = as_text(row.at(1));
    switch (t) {
      case item_type::belief: s.text = as_text(row.at(2)); break;
      case item_type::observation:
        s.text = as_text(row.at(2));
        s.metadata.obs_type = as_text(row.at(3));
        break;
      case item_type::symbol:
        s.text = symbol_embedding_text(as_text(row.at(2)), as_text(row.at(4)));
        s.metadata.language = as_text(row.at(6));
        s.metadata.kind = as_text(row.at(7));
        break;
    }
    out.push_back(std::move(s));
  }
  return out;
}

std::optional<std::string> text_from(const db::query_result& r) {
  if (r.rows.empty() || r.rows.front().empty()) return std::nullopt;
  if (const auto* s = std::get_if<std::string>(&r.rows.front().front())) return *s;
  return std::nullopt;
}

db::vector_table vector_table_for(item_type t) {
  switch (t) {
    case item_type::belief: return db::vector_table::beliefs;
    case item_type::observation: return db::vector_table::observations;
    case item_type::symbol: return db::vector_table::symbols;
  }
  return db::vector_table::beliefs;
}

db::vector_metadata metadata_for(const observation& o) {
  db::vector_metadata m;
  m.obs_type = std::string(to_string(o.type));
  return m;
}

std::vector<search_hit> belief_hits(std::span<const db::vector_match> matches, std::span<const belief> items) {
  return hits_for(matches, items, item_type::belief);
}
std::vector<search_hit> observation_hits(std::span<const db::vector_match> matches,
                                         std::span<const observation> items) {
  return hits_for(matches, items, item_type::observation);
}

std::vector<search_hit> merge_by_score(std::vector<std::vector<search_hit>> lists, std::size_t k) {
  std::vector<search_hit> all;
  for (auto& l : lists) std::move(l.begin(), l.end(), std::back_inserter(all));
  std::stable_sort(all.begin(), all.end(), [](const search_hit& a, const search_hit& b) { return a.score > b.score; });
  if (all.size() > k) all.resize(k);
  return all;
}

}  // namespace detail
}  // namespace patina::domain
