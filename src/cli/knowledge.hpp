// Helpers shared by the knowledge commands (belief, observe, search, status):
// the domain objects over this build's database, and printing of items.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "code_queries.hpp"
#include "context.hpp"
#include "patina/domain/embeddings_database.hpp"
#include "patina/domain/knowledge.hpp"
#include "patina/domain/knowledge_store.hpp"
#include "patina/domain/semantic_search.hpp"

namespace patina::cli {

using embeddings_db = domain::EmbeddingsDatabase<database>;
using knowledge_store = domain::KnowledgeStore<database>;
using semantic_search = domain::SemanticSearch<database>;

// Checks the database's vectors against the configured engine, for a command
// that searches or adds items; prints the engine's warning, if any. Never drops
// or rewrites vectors: a database without a recorded model takes the engine's;
// vectors of another model stay as they are (only `patina embeddings generate`
// replaces them), and a note on stderr (vectors_elsewhere_note) says that search
// then uses words only and new items get no vector. Returns the space found.
task<domain::vector_space> prepare_embeddings(context& ctx, embeddings_db& embeddings);

// Why vectors cannot be used when `space` is not the engine's, and the fix;
// for notes on stderr and in MCP results.
std::string vectors_elsewhere_note(const domain::vector_space& space, const embed::embedding_engine& engine);

// Beliefs or observations (`type`; of `obs_type` when given) ranked by their
// words alone, for when the vectors cannot be searched. Scores are the fused
// lexical scores (higher is better).
task<std::vector<domain::search_hit>> lexical_knowledge_search(code_searcher& searcher, std::string query,
                                                               domain::item_type type,
                                                               std::optional<domain::observation_type> obs_type,
                                                               std::size_t limit);

nlohmann::json to_json(const domain::belief& b);
nlohmann::json to_json(const domain::observation& o);

// "2026-11-27 04:12" in UTC, for tables.
std::string format_time(std::int64_t unix_ms);

// Parses a decimal id; invalid_argument naming the text otherwise.
std::int64_t parse_id(const std::string& text, const char* what);

}  // namespace patina::cli
