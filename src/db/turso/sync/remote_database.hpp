// db/turso/sync/remote_database.hpp — Patina's schema and vector storage on a Turso
// server, driven through the pipeline (remote mode, and the schema an embedded
// replica pulls).
//
// Schema: the versioned migrations of db/common/schema.cpp, run remotely by the
// first client that finds the server behind. Each missing migration goes in one
// all-or-nothing batch that first records its version in `patina_schema` (primary
// key): when two clients migrate at once, the second one's batch fails on that row,
// changes nothing, and the client re-reads the version. A server database that holds
// tables but no `patina_schema` is someone else's and is refused.
//
// Vector storage on the server: the Turso backend's plain tables
//   <name>(id INTEGER PRIMARY KEY, embedding BLOB NOT NULL, <filter> TEXT NOT NULL DEFAULT '')
// with an index per filter column, holding vector32 blobs. The change counters that
// keep a local in-memory index coherent (`patina_vector_generation` and its
// triggers) are local objects and never exist on the server. Search is the SQL a
// Turso server runs: `vector_distance_cos(embedding, vector32(?))` with the filter
// columns in WHERE, `ORDER BY d, id LIMIT k` (a linear scan: the server has no
// dense vector index).
//
// Errors: those of remote_executor (busy, sql_error, network_error,
// protocol_error), plus the local checks of the local backend (invalid_argument,
// dimension_mismatch), schema_too_new, not_a_database and read_only where noted.
//
// Asynchrony and lifetimes: as remote_executor; arguments are copied before the
// first suspension.
//
// Thread safety: free functions; any number may run at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/turso/sync/remote_executor.hpp"
#include "patina/db/types.hpp"

namespace patina::db::turso::sync {

// The schema version on the server (0: none yet). Errors: schema_too_new.
awaitable<result<int>> remote_schema_version(const remote_executor& exec);

// Brings the server's schema to this build's latest version and returns it.
// Errors: schema_too_new, not_a_database (foreign tables), and remote errors.
awaitable<result<int>> ensure_remote_schema(const remote_executor& exec);

// CREATE … IF NOT EXISTS of the vector tables and their indexes.
std::vector<db::statement> remote_vector_storage_ddl();

awaitable<result<std::size_t>> remote_vector_dimension(const remote_executor& exec);
awaitable<result<void>> remote_set_vector_dimension(const remote_executor& exec, std::size_t dimension);
awaitable<result<void>> remote_vector_upsert(const remote_executor& exec, vector_table table,
                                             std::vector<vector_item> items);
awaitable<result<void>> remote_vector_delete(const remote_executor& exec, vector_table table,
                                             std::vector<std::int64_t> ids);
awaitable<result<std::vector<vector_match>>> remote_vector_search(const remote_executor& exec, vector_table table,
                                                                  std::vector<float> query, vector_filter filter,
                                                                  std::size_t k);

// True if `sql` may change the database: its first keyword (after blanks and
// comments, and after a WITH clause) is not SELECT/VALUES/EXPLAIN, or it is a
// PRAGMA that assigns.
bool may_write(std::string_view sql);

// Runs a read-only statement: refuses (read_only) one that may write; runs the
// others inside a transaction that is always rolled back, so nothing persists.
awaitable<result<query_result>> remote_query_readonly(const remote_executor& exec, std::string sql,
                                                      std::vector<value> params);

}  // namespace patina::db::turso::sync
