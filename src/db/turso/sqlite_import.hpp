// db/turso/sqlite_import.hpp — the blocking half of migrate_from_sqlite
// (patina/db/turso_migrate.hpp): reads a SQLite-build database and writes it into
// the Turso backend's local file on the writer connection, in one transaction.
//
// Thread safety: runs on the writer thread, with the writer's connection.
#pragma once

#include <filesystem>

#include "db/common/connection.hpp"
#include "db/turso/local_store.hpp"
#include "patina/core/result.hpp"
#include "patina/db/turso_migrate.hpp"

namespace patina::db::turso {

// Imports `source` into the database of `writer` (see migrate_from_sqlite for the
// contract). `store` recreates the vector tables when the target adopts the source's
// dimension. All or nothing.
result<migrate_report> import_sqlite_build(detail::connection& writer, local_store& store,
                                           const std::filesystem::path& source,
                                           const migrate_options& options);

}  // namespace patina::db::turso
