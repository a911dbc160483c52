// patina/db/types.hpp — values, rows, statements and vector-search types shared by
// both storage backends.
//
// These are plain value types. The SQLite backend (`db::SqliteDatabase`, sync) and
// the Turso backend (`db::TursoDatabase`, async) take and return exactly these, so
// that domain code is written once over either.
//
// Thread safety: value types; distinct objects may be used from different threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace patina::db {

using blob = std::vector<std::uint8_t>;

// One SQL value: NULL, INTEGER, REAL, TEXT or BLOB (in that variant order).
using value = std::variant<std::monostate, std::int64_t, double, std::string, blob>;

inline bool is_null(const value& v) noexcept { return v.index() == 0; }

// A statement with positional parameters bound to ?1..?N.
struct statement {
  std::string sql;
  std::vector<value> params;
};

struct query_result {
  std::vector<std::string> columns;
  std::vector<std::vector<value>> rows;
};

struct exec_result {
  std::int64_t changes = 0;            // rows changed by the statement
  std::int64_t last_insert_rowid = 0;  // rowid of the last insert on this connection
};

// Vector tables known to the schema (DESIGN §5). Each holds one vector per item,
// keyed by the item's id, plus the filter columns the domain needs so that filters
// apply inside the KNN.
enum class vector_table {
  beliefs,       // belief_vectors(id, embedding)
  observations,  // observation_vectors(id, embedding, obs_type)
  symbols,       // symbol_vectors(id, embedding, language, kind)
};

// Equality filters on a vector table's filter columns, ANDed. An unset field
// means "any". A field that the table does not have is an invalid_argument error.
struct vector_filter {
  std::optional<std::string> obs_type;  // observations only
  std::optional<std::string> language;  // symbols only
  std::optional<std::string> kind;      // symbols only

  bool empty() const noexcept { return !obs_type && !language && !kind; }
};

// The filter column values stored beside a vector.
struct vector_metadata {
  std::string obs_type;  // observations
  std::string language;  // symbols
  std::string kind;      // symbols
};

struct vector_item {
  std::int64_t id = 0;
  std::vector<float> embedding;
  vector_metadata metadata;
};

// One nearest neighbour. distance is the cosine distance (0 = same direction,
// 2 = opposite); similarity = 1 - distance.
struct vector_match {
  std::int64_t id = 0;
  double distance = 0;
  double similarity = 0;
};

}  // namespace patina::db
