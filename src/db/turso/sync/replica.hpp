// db/turso/sync/replica.hpp — the steps of an embedded replica's sync, each one a
// small operation that TursoDatabase strings together (docs/sync.md has the whole
// algorithm, its files and its crash windows).
//
// Local steps work on the replica's connections and block; they run on the
// database's writer thread. Remote steps are awaitables over the server's routes.
//
// Push is one all-or-nothing batch: `CREATE TABLE IF NOT EXISTS
// turso_sync_last_change_id`, one upsert or delete per changed row, then the upsert
// of this client's high-water row `(client_id, pull_gen, change_id)` — the table and
// semantics the official Turso clients use, so a retried push after a lost answer
// sends only what did not land.
//
// Errors: as the pieces they use (change_log, page_file, replica_files,
// remote_executor, pull_client); protocol_error for a server high-water row from
// the future.
//
// Thread safety: free functions; see each piece.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "db/common/connection.hpp"
#include "db/turso/sync/change_log.hpp"
#include "db/turso/sync/pull_client.hpp"
#include "db/turso/sync/remote_executor.hpp"
#include "db/turso/sync/replica_files.hpp"

namespace patina::db::turso::sync {

// Tables of the synced file that are local bookkeeping on a replica, never pushed.
inline constexpr std::string_view vector_generation_table = "patina_vector_generation";

// Checkpoints off (`wal_autocheckpoint = 0`, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE): the
// database file must stay the server image. For every connection of a replica, right
// after it opens.
result<void> configure_replica_connection(detail::connection& conn);

// Change capture on the replica's writer (change_log.hpp), minus local bookkeeping.
result<void> install_replica_capture(detail::connection& writer);

// The largest change id logged (0: none).
result<std::int64_t> last_logged_change(detail::connection& conn);

// The rows changed after `floor`, as push statements with their last change ids.
result<std::vector<row_statement>> local_changes(detail::connection& conn, std::int64_t floor);

struct high_water {
  std::int64_t pull_gen = 0;
  std::int64_t change_id = 0;
};

// The change ids at or below the result were pushed in this replica's current pull
// generation: given this client's row on the server (or in the pulled pages).
// Errors: protocol_error if the row is from a later generation than the replica's.
result<std::int64_t> pushed_floor(const std::optional<high_water>& row, std::int64_t pull_gen);

// This client's row of turso_sync_last_change_id in a local database (the pulled
// pages hold the server's copy).
result<std::optional<high_water>> read_local_high_water(detail::connection& conn, const std::string& client_id);

// Runs `pending` (those with change_id > floor) in one transaction on the writer
// with change capture on, so they are logged again, and records `generation` as
// replayed in the same transaction. A statement that fails with sql_error (its
// table was dropped on the server) is skipped and counted.
struct replay_outcome {
  std::uint64_t replayed = 0;
  std::uint64_t skipped = 0;
};
result<replay_outcome> replay_pending(detail::connection& writer, std::span<const row_statement> pending,
                                      std::int64_t floor, std::int64_t generation);
// True if the replay of `generation` committed.
result<bool> replay_committed(detail::connection& conn, std::int64_t generation);

// Deletes the WAL and its index. REQUIRES: no connection has the database open.
result<void> discard_wal(const replica_paths& paths);

// ---- remote steps -------------------------------------------------------------------

// This client's row on the server; nullopt if it never pushed.
awaitable<result<std::optional<high_water>>> read_server_high_water(const remote_executor& exec,
                                                                    std::string client_id);

// Pushes `rows` and the high-water row (pull_gen, the largest change id of `rows`)
// in one all-or-nothing batch. REQUIRES: rows not empty.
awaitable<result<void>> push_rows(const remote_executor& exec, std::string client_id, std::int64_t pull_gen,
                                  std::vector<row_statement> rows);

// Pulls the pages changed since `client_revision` into a new stage file at `stage`,
// sealed when it holds pages; with no pages the file is removed.
awaitable<result<pull_outcome>> pull_into_stage(const http_client& http, std::string client_revision,
                                                std::filesystem::path stage);

// Builds `database` from a full pull (bootstrap_file). Errors: protocol_error when
// the server has nothing to bootstrap from.
awaitable<result<pull_outcome>> bootstrap_database(const http_client& http, std::filesystem::path database);

// True if `next` is a revision older than `current` (both decimal numbers, as
// tursodb sends): the server's history was reset. Opaque revisions never compare.
bool revision_went_back(const std::string& current, const std::string& next);

}  // namespace patina::db::turso::sync
