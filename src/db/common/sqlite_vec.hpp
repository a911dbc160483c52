// db/common/sqlite_vec.hpp — finding and loading the sqlite-vec extension.
//
// The SQLite backend loads it into every connection. The Turso build loads it
// only into the read-only connection with which `patina migrate` reads a database
// written by the SQLite build (DESIGN §1: a run-time load, no build dependency).
//
// vec0.so comes from the npm package sqlite-vec-linux-x64 (pinned 0.1.9) that
// scripts/setup unpacks. It is found by patina::find_asset (patina/core/assets.hpp):
// the PATINA_SQLITE_VEC environment variable, then the configured path, then the
// deps/ folder recorded at build time, then <prefix>/share/patina/. A path given
// explicitly that does not hold the file is an error naming it.
//
// Thread safety: reads the environment; must not race with setenv().
#pragma once

#include <filesystem>

#include "db/common/connection.hpp"
#include "patina/core/result.hpp"

namespace patina::db::detail {

// The vec0 file to load; `configured` is the config file's assets.sqlite_vec
// (empty if unset). Errors: missing_asset naming the places tried.
result<std::filesystem::path> locate_sqlite_vec(const std::filesystem::path& configured);

// Loads the extension into `conn` (extension loading is switched on only for
// the call). Errors: missing_asset naming the file, with SQLite's text as detail.
result<void> load_sqlite_vec(connection& conn, const std::filesystem::path& file);

}  // namespace patina::db::detail
