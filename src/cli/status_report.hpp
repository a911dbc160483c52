// What `patina status` reports and the `status` tool of `patina mcp` returns:
// the database's counts, its vector space and the embedding model, read once
// and shared so that the two can never disagree (DESIGN §10).
//
// Thread safety: read_status borrows the database and the embeddings; a
// status_report is a value.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "knowledge.hpp"

namespace patina::cli {

struct status_report {
  std::string backend;
  std::string database;  // its path
  std::int64_t schema_version = 0;
  std::int64_t beliefs = 0;
  std::int64_t observations = 0;
  std::int64_t symbols = 0;
  std::int64_t files = 0;
  std::int64_t embedded = 0;
  std::size_t vector_dimension = 0;  // of the vector tables, 0 when none
  std::string model_id;
  std::size_t model_dimension = 0;
  std::vector<std::string> warnings;  // for people, each says what to do
};

// Reads the report of the context's database `db`. REQUIRES: `embeddings`
// wraps `db` with the context's engine.
task<status_report> read_status(context& ctx, database& db, embeddings_db& embeddings);

// The keys of `patina status --json`: backend, database, schema_version, the
// counts, vector_dimension, model {id, dimension} and warnings.
nlohmann::json to_json(const status_report& s);

}  // namespace patina::cli
