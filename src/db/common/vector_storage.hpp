// db/common/vector_storage.hpp — which build of Patina wrote a database file.
//
// The two builds share every table but the vector tables: the SQLite build keeps
// vectors in sqlite-vec `vec0` virtual tables, the Turso build in ordinary tables
// of vector32 BLOBs (with the change counters of patina_vector_generation). Each
// build checks the file's layout when it opens it, before anything is written, and
// refuses the other build's layout with a message naming the fix, instead of failing
// later with an SQL error. A file whose vector tables do not exist yet (no embedding
// dimension set) has no build-specific part and opens in either build.
//
// The check reads the schema only (sqlite_schema), so it needs neither sqlite-vec nor
// a recorded marker: files written before it existed are recognised as well.
//
// Thread safety: functions over one connection; see connection.hpp.
#pragma once

#include "db/common/connection.hpp"
#include "patina/core/result.hpp"

namespace patina::db::detail {

enum class vector_storage {
  none,      // no vector table yet: either build may open the file
  vec0,      // sqlite-vec virtual tables: written by the SQLite build
  vector32,  // ordinary BLOB tables: written by the Turso build
};

// The layout of the vector tables in the connection's database.
result<vector_storage> detect_vector_storage(connection& conn);

// Succeeds if the file's layout is `expected` or none. Otherwise errc::unsupported
// with a message naming the build that wrote the file and what to do (for a
// SQLite-build file opened by the Turso build: `patina migrate --from PATH`).
// Reads only; the file is left unchanged either way.
result<void> check_vector_storage(connection& conn, vector_storage expected);

}  // namespace patina::db::detail
