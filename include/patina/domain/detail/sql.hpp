// patina/domain/detail/sql.hpp — the backend-neutral half of the domain layer:
// statement text, parameter binding, row mapping and ranking, written once and
// used by both the sync (SQLite) and the async (Turso) member sets of the domain
// templates. Not API: may change without notice.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/db/types.hpp"
#include "patina/domain/knowledge.hpp"

namespace patina::domain::detail {

std::int64_t now_ms();

// --- beliefs and observations ---------------------------------------------------
// Validate input and build a new item with a fresh id and timestamps.
result<belief> make_belief(std::string statement, double confidence);
result<observation> make_observation(std::string content, observation_type type, std::string source);

db::statement insert_belief(const belief& b);
db::statement insert_observation(const observation& o);
db::statement select_beliefs();                  // all, oldest first
db::statement select_observations(std::optional<observation_type> type);
db::statement select_belief(std::int64_t id);
db::statement select_observation(std::int64_t id);
db::statement select_beliefs_by_id(std::span<const std::int64_t> ids);
db::statement select_observations_by_id(std::span<const std::int64_t> ids);
db::statement delete_belief(std::int64_t id);
db::statement delete_observation(std::int64_t id);
db::statement count_items(item_type t);

// REQUIRES: rows come from the matching select_* statement.
std::vector<belief> beliefs_from(const db::query_result& r);
std::vector<observation> observations_from(const db::query_result& r);
std::int64_t count_from(const db::query_result& r);

// --- embeddings bookkeeping -----------------------------------------------------
inline constexpr std::string_view meta_embedding_model = "embedding_model";

std::string content_hash(std::string_view text);
db::statement select_meta(std::string_view key);
db::statement upsert_meta(std::string_view key, std::string_view value);
db::statement select_embedding(std::int64_t item_id);
db::statement upsert_embedding(std::int64_t item_id, item_type type, std::string_view model,
                               std::size_t dimension, std::string_view hash);
db::statement delete_embedding(std::int64_t item_id);
db::statement delete_all_embeddings();
db::statement count_embeddings(std::string_view model);
// Per item type, how many existing items have a vector of `model`: rows
// (item_type, count) for belief, observation and symbol.
db::statement count_embedded_by_type(std::string_view model);

// The text a symbol is embedded by: its qualified name cut to its three
// innermost scopes (`a.b.c.d` -> `b.c.d`, `a::b::c::d` -> `b::c::d`) and split
// into words, then the prose of its doc comment (banner, field-list and
// doctest lines dropped, about 600 characters).
std::string symbol_embedding_text(std::string_view qualified_name, std::string_view doc);

// One item as the embedder sees it: the text to embed, the filter values stored
// beside its vector, and the content hash recorded with its current vector of
// the model asked for (empty when it has none).
struct embedding_source {
  std::int64_t id = 0;
  std::string text;
  db::vector_metadata metadata;
  std::string stored_hash;
};
// Items of a type with id > after_id, ascending, at most `limit` (keyset pages,
// so a large code index is never held in memory at once).
db::statement select_embedding_page(item_type t, std::string_view model, std::int64_t after_id,
                                    std::size_t limit);
// The same columns for the given ids.
db::statement select_embedding_sources(item_type t, std::string_view model, std::span<const std::int64_t> ids);
// REQUIRES: rows come from select_embedding_page/select_embedding_sources of type t.
std::vector<embedding_source> embedding_sources_from(item_type t, const db::query_result& r);

std::optional<std::string> text_from(const db::query_result& r);  // first cell, if any

db::vector_table vector_table_for(item_type t);
db::vector_metadata metadata_for(const observation& o);

// --- search ---------------------------------------------------------------------
// Joins vector matches with the items they point at, keeping the match order and
// dropping matches whose item no longer exists.
std::vector<search_hit> belief_hits(std::span<const db::vector_match> matches, std::span<const belief> items);
std::vector<search_hit> observation_hits(std::span<const db::vector_match> matches,
                                         std::span<const observation> items);
// Merges ranked lists by score, best first, keeping at most k.
std::vector<search_hit> merge_by_score(std::vector<std::vector<search_hit>> lists, std::size_t k);

}  // namespace patina::domain::detail
