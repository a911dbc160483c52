// db/common/sqlite_error.hpp — mapping SQLite result codes to Patina errors.
//
// One place decides how a SQLite failure reads to people: which `errc` it is and
// which fix the message names. SQLite's own text goes into `error::detail`.
//
// Thread safety: pure functions.
#pragma once

#include <filesystem>
#include <string_view>

#include "patina/core/error.hpp"

struct sqlite3;

namespace patina::db::detail {

// The error for result code `rc` (primary or extended) from an operation on the
// database at `path`. `context` says what was being done ("preparing a statement").
// `db` may be null (then SQLite's generic text for `rc` is used as detail).
//   SQLITE_NOTADB  -> not_a_database      SQLITE_CORRUPT -> corrupt_database
//   SQLITE_BUSY/LOCKED -> busy            SQLITE_READONLY -> read_only
//   SQLITE_CANTOPEN -> not_found or io_error   SQLITE_IOERR/FULL -> io_error
//   anything else -> sql_error
error map_sqlite_error(sqlite3* db, int rc, const std::filesystem::path& path,
                       std::string_view context);

// Messages shared with checks that do not go through SQLite (header check).
error not_a_database_error(const std::filesystem::path& path, std::string detail = {});
error corrupt_database_error(const std::filesystem::path& path, std::string detail = {});

}  // namespace patina::db::detail
