#include "db/common/vector_storage.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "db/common/vector_specs.hpp"

namespace patina::db::detail {

namespace {

// The Turso build's per-table change counters; only it creates this table.
constexpr std::string_view generation_table = "patina_vector_generation";

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

result<vector_storage> detect_vector_storage(connection& conn) {
  std::vector<value> names{std::string(generation_table)};
  std::string placeholders = "?1";
  for (const auto& spec : vector_table_specs()) {
    names.emplace_back(std::string(spec.name));
    placeholders += ", ?" + std::to_string(names.size());
  }
  auto rows = conn.query("SELECT name, sql FROM sqlite_schema WHERE type = 'table' AND name IN (" +
                             placeholders + ")",
                         names);
  if (!rows) return fail(rows.err());
  bool ordinary = false;
  for (const auto& row : rows->rows) {
    const auto* sql = std::get_if<std::string>(&row.at(1));
    const std::string text = sql == nullptr ? std::string() : lower(*sql);
    // A virtual table's sql begins "CREATE VIRTUAL TABLE"; vec0 is the only module
    // Patina has ever used for them.
    if (text.rfind("create virtual table", 0) == 0) return vector_storage::vec0;
    ordinary = true;
  }
  return ordinary ? vector_storage::vector32 : vector_storage::none;
}

result<void> check_vector_storage(connection& conn, vector_storage expected) {
  auto found = detect_vector_storage(conn);
  if (!found) return fail(found.err());
  if (*found == vector_storage::none || *found == expected) return {};
  const std::string path = conn.path().string();
  if (*found == vector_storage::vec0) {
    return fail(errc::unsupported,
                path + " was written by the SQLite build of Patina (its vectors are in sqlite-vec vec0 "
                       "tables), which this Turso build cannot open; import it into a Turso-build project "
                       "with `patina migrate --from " + path +
                       "` (see docs/migration.md), or open it with the SQLite build");
  }
  return fail(errc::unsupported,
              path + " was written by the Turso build of Patina (its vectors are vector32 BLOB columns), "
                     "which this SQLite build cannot search; open it with the Turso build (there is no "
                     "migration from the Turso build to the SQLite build; see docs/migration.md)");
}

}  // namespace patina::db::detail
