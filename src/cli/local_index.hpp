// The project's derived, local-only indexes (DESIGN §3): the lexical (BM25)
// index of code and knowledge lives in a sidecar database beside the main one,
// `.patina/local.db` for a project's `.patina/patina.db` (for any other database
// file `<name>.local.db` beside it). It is never synced; deleting it is safe (the
// next search rebuilds it).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string_view>

#include "context.hpp"
#include "patina/domain/lexical_follower.hpp"
#include "patina/domain/lexical_store.hpp"

namespace patina::cli {

// A file of the project's beside the database at `database_path`, named `name`
// for a project's `.patina/patina.db`, else `<stem>.<name>`.
std::filesystem::path beside_database(const std::filesystem::path& database_path, std::string_view name);

// The sidecar of the database at `database_path`.
std::filesystem::path local_index_path(const std::filesystem::path& database_path);

// How long a write to the lexical index waits for another process's write
// before it fails: a search gives way soon and searches the index as it is
// (LexicalIndex::refresh_for_search); a scrape's or sync's refresh must finish.
inline constexpr std::chrono::milliseconds search_index_wait{2000};
inline constexpr std::chrono::milliseconds writer_index_wait{10 * 60 * 1000};

// Opens the project's lexical index; when its file cannot be opened or created
// (a read-only folder, a damaged file), warns on stderr and returns an
// in-memory one, which the next refresh fills.
domain::lexical_store open_local_index(context& ctx, std::chrono::milliseconds busy_timeout);

// Brings the derived indexes up to date with `db` (the project's database).
// Searches do this on their own; `patina sync` calls it after a pull so that the
// cost is paid there, not by the next search.
task<void> refresh_local_indexes(context& ctx, database& db);

// Starts the lexical index following a long write to `db` (a scrape; see
// domain::LexicalFollower): in the SQLite build through a read connection of its
// own (if it cannot open, finish() does all the work); in the Turso build on the
// command's executor, except in remote mode (every read a round trip to the
// server), where finish() is one refresh.
// REQUIRES: db (the command's connection) outlives the follower.
task<domain::LexicalFollower<database>> start_index_follower(context& ctx, database& db);

}  // namespace patina::cli
