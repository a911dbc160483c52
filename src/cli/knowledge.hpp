// Helpers shared by the knowledge commands (belief, observe, search, status):
// the domain objects over this build's database, and printing of items.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "context.hpp"
#include "patina/domain/embeddings_database.hpp"
#include "patina/domain/knowledge.hpp"
#include "patina/domain/knowledge_store.hpp"
#include "patina/domain/semantic_search.hpp"

namespace patina::cli {

using embeddings_db = domain::EmbeddingsDatabase<database>;
using knowledge_store = domain::KnowledgeStore<database>;
using semantic_search = domain::SemanticSearch<database>;

// Makes the database's vectors belong to the configured engine. When the
// engine changed since the vectors were made, they are rebuilt: knowledge
// items are embedded again at once (there are few), with a note on stderr.
task<void> prepare_embeddings(context& ctx, embeddings_db& embeddings);

nlohmann::json to_json(const domain::belief& b);
nlohmann::json to_json(const domain::observation& o);

// "2026-11-27 04:12" in UTC, for tables.
std::string format_time(std::int64_t unix_ms);

// Parses a decimal id; invalid_argument naming the text otherwise.
std::int64_t parse_id(const std::string& text, const char* what);

}  // namespace patina::cli
