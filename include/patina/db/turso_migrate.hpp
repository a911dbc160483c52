/// @file
/// patina/db/turso_migrate.hpp — importing a database written by the SQLite build
/// into a TursoDatabase (Turso build only).
///
/// The two builds share every table except the vector tables: the SQLite build keeps
/// vectors in sqlite-vec `vec0` virtual tables, the Turso build in ordinary tables of
/// vector32 BLOBs. `migrate_from_sqlite` copies everything a SQLite-build database
/// holds — beliefs, observations, the embeddings bookkeeping, the code index (files,
/// symbols, imports, calls, skipped files), patina_meta settings and every vector —
/// into a local TursoDatabase, keeping every id, in one transaction. It reads the
/// vec0 tables through sqlite-vec's own `vec0.so`, loaded at run time into a
/// read-only connection on the source (found as patina/core/assets.hpp describes); the
/// build does not link it. The source file is never written.
///
/// Rows are matched by primary key. A row whose key is not in the target is added;
/// a row already there is left as it is (`already_present` if identical,
/// `kept_target` if the target's differs), so importing the same file twice changes
/// nothing the second time. Before committing, the import is verified: per table
/// the target must hold every source key and exactly the rows counted, every
/// relational row added or found identical must equal the source's value for value,
/// and a sample of the vectors (up to 256 per table) must match byte for byte. Any
/// difference rolls everything back.
///
/// Thread safety: as TursoDatabase; the operation runs on the database's writer thread.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/db/turso_database.hpp"

namespace patina::db {

/// How to find sqlite-vec for reading the source's vec0 tables.
struct migrate_options {
  /// vec0.so to load (the config file's assets.sqlite_vec); empty: PATINA_SQLITE_VEC,
  /// then the deps/ folder recorded at build time, then `<prefix>/share/patina/`.
  std::filesystem::path sqlite_vec;
};

/// What the import did to one table.
struct migrated_table {
  std::string name;                  ///< e.g. "beliefs", "symbol_vectors"
  bool vectors = false;              ///< a vector table (vec0 in the source)
  std::int64_t source_rows = 0;      ///< rows in the source
  std::int64_t imported = 0;         ///< rows added to the target
  std::int64_t already_present = 0;  ///< rows the target already held, identical
  std::int64_t kept_target = 0;      ///< keys the target already held with other values (kept)
  std::int64_t target_rows = 0;      ///< rows in the target afterwards
};

/// What one migrate_from_sqlite() did, and what it verified.
struct migrate_report {
  std::filesystem::path source;  ///< the imported file
  std::string model;             ///< embedding model of the source's vectors; empty if none recorded
  std::size_t dimension = 0;     ///< their dimension; 0 if the source has no vector tables
  bool adopted_model = false;    ///< the target (empty of vectors) took the source's model and dimension
  std::vector<migrated_table> tables;       ///< in import order
  std::vector<std::string> skipped_tables;  ///< source tables outside Patina's schema (not imported)
  std::uint64_t rows_verified = 0;     ///< relational rows compared value for value
  std::uint64_t vectors_compared = 0;  ///< vectors compared byte for byte

  /// Rows added over all tables.
  std::int64_t imported() const noexcept {
    std::int64_t n = 0;
    for (const auto& t : tables) n += t.imported;
    return n;
  }
  /// Whether the target changed (rows added or the model adopted).
  bool changed() const noexcept { return adopted_model || imported() > 0; }
};

/// Imports the SQLite-build database at `source` into `db` as the file description
/// says, in one transaction: on any failure nothing is written. REQUIRES: `db` is a
/// local database (database_mode::local).
/// Errors: unsupported (`db` is remote or an embedded replica), not_found (no file at
/// `source`), invalid_argument (`source` is `db`'s own file, or a Turso-build
/// database), not_a_database (not SQLite, or SQLite but not Patina), schema_too_new,
/// missing_asset (vec0.so not found or not loadable), dimension_mismatch (the
/// source's vectors come from another model or dimension than the target's, and the
/// target holds vectors), corrupt_database (a malformed vector in the source), busy,
/// internal (the verification found a difference; rolled back).
awaitable<result<migrate_report>> try_migrate_from_sqlite(TursoDatabase& db, std::filesystem::path source,
                                                          migrate_options options);
/// Throwing form of try_migrate_from_sqlite(): returns the report, throws patina::exception on failure.
awaitable<migrate_report> migrate_from_sqlite(TursoDatabase& db, std::filesystem::path source,
                                              migrate_options options);

}  // namespace patina::db
