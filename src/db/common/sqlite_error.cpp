#include "db/common/sqlite_error.hpp"

#include <sqlite3.h>

#include <string>
#include <utility>

namespace patina::db::detail {

error not_a_database_error(const std::filesystem::path& path, std::string detail) {
  return error{errc::not_a_database,
               path.string() +
                   " is not a Patina database (not a SQLite file); point --db at the right file "
                   "or run `patina init`",
               std::move(detail)};
}

error corrupt_database_error(const std::filesystem::path& path, std::string detail) {
  return error{errc::corrupt_database,
               path.string() +
                   " is damaged (SQLite reports corruption); restore it from a backup, or move "
                   "it aside and rebuild it with `patina init`",
               std::move(detail)};
}

error map_sqlite_error(sqlite3* db, int rc, const std::filesystem::path& path,
                       std::string_view context) {
  std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  const std::string where = path.string();
  switch (rc & 0xff) {
    case SQLITE_NOTADB:
      return not_a_database_error(path, std::move(detail));
    case SQLITE_CORRUPT:
      return corrupt_database_error(path, std::move(detail));
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return error{errc::busy,
                   where + " is locked by another connection (while " + std::string(context) +
                       "); wait for the other Patina command to finish and try again",
                   std::move(detail)};
    case SQLITE_READONLY:
      return error{errc::read_only,
                   "cannot write to " + where + " (while " + std::string(context) +
                       "): it is open read-only or the file is not writable; check its "
                       "permissions",
                   std::move(detail)};
    case SQLITE_CANTOPEN:
      return error{errc::io_error,
                   "cannot open " + where + "; check that the file and its folder exist and are "
                   "readable and writable",
                   std::move(detail)};
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_PERM:
      return error{errc::io_error,
                   "I/O error on " + where + " while " + std::string(context) +
                       "; check free disk space and the file's permissions",
                   std::move(detail)};
    case SQLITE_NOMEM:
      return error{errc::internal, "out of memory while " + std::string(context),
                   std::move(detail)};
    default:
      return error{errc::sql_error, "SQL error while " + std::string(context),
                   std::move(detail)};
  }
}

}  // namespace patina::db::detail
