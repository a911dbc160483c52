#include "db/common/sqlite_vec.hpp"

#include <sqlite3.h>

#include <array>
#include <fstream>
#include <string>
#include <utility>

#include "patina/core/assets.hpp"
#include "patina/core/config.hpp"

namespace patina::db::detail {

namespace {

constexpr const char* entry_point = "sqlite3_vec_init";

// SQLite retries a failed load with ".so" appended and reports only that last
// failure, so a file that is not a shared library at all is recognised here.
bool looks_like_shared_library(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::array<char, 4> magic{};
  return in.read(magic.data(), magic.size()) && magic == std::array<char, 4>{'\x7f', 'E', 'L', 'F'};
}

error load_error(const std::filesystem::path& file, std::string detail) {
  return error{errc::missing_asset,
               "sqlite-vec at " + file.string() +
                   " could not be loaded (is it the sqlite-vec 0.1.9 vec0.so for this machine?); "
                   "run `scripts/setup` to install it, or point PATINA_SQLITE_VEC at it",
               std::move(detail)};
}

}  // namespace

result<std::filesystem::path> locate_sqlite_vec(const std::filesystem::path& configured) {
  if (configured.empty()) return find_asset(asset::sqlite_vec, nullptr);
  config cfg;
  cfg.assets.sqlite_vec = configured;
  return find_asset(asset::sqlite_vec, &cfg);
}

result<void> load_sqlite_vec(connection& conn, const std::filesystem::path& file) {
  if (!looks_like_shared_library(file)) {
    return fail(load_error(file, "the file is not a shared library (no ELF header)"));
  }
  sqlite3* db = conn.handle();
  // Only the C API may load extensions, and only for this call: SQL such as
  // `SELECT load_extension(...)` from `patina sql` stays refused.
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 1, nullptr);
  char* message = nullptr;
  const int rc = sqlite3_load_extension(db, file.c_str(), entry_point, &message);
  sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, nullptr);
  if (rc == SQLITE_OK) return {};
  std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
  sqlite3_free(message);
  return fail(load_error(file, std::move(detail)));
}

}  // namespace patina::db::detail
