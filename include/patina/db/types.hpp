/// @file
/// patina/db/types.hpp — values, rows, statements and vector-search types shared by
/// both storage backends.
///
/// These are plain value types. The SQLite backend (`db::SqliteDatabase`, sync) and
/// the Turso backend (`db::TursoDatabase`, async) take and return exactly these, so
/// that domain code is written once over either.
///
/// Thread safety: value types; distinct objects may be used from different threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace patina::db {

/// A BLOB value: raw bytes.
using blob = std::vector<std::uint8_t>;

/// One SQL value: NULL, INTEGER, REAL, TEXT or BLOB (in that variant order).
using value = std::variant<std::monostate, std::int64_t, double, std::string, blob>;

/// True when `v` is SQL NULL.
inline bool is_null(const value& v) noexcept { return v.index() == 0; }

/// A statement with positional parameters bound to ?1..?N.
struct statement {
  std::string sql;  ///< The SQL text, one statement.
  std::vector<value> params;  ///< Values bound to ?1..?N, in order.
};

/// The rows a statement returned, with its column names.
struct query_result {
  std::vector<std::string> columns;  ///< Column names, in select order.
  std::vector<std::vector<value>> rows;  ///< One vector of values per row, in column order.
};

/// What a statement changed.
struct exec_result {
  std::int64_t changes = 0;            ///< rows changed by the statement
  std::int64_t last_insert_rowid = 0;  ///< rowid of the last insert on this connection
};

/// Vector tables known to the schema (DESIGN §5). Each holds one vector per item,
/// keyed by the item's id, plus the filter columns the domain needs so that filters
/// apply inside the KNN.
enum class vector_table {
  beliefs,       ///< belief_vectors(id, embedding)
  observations,  ///< observation_vectors(id, embedding, obs_type)
  symbols,       ///< symbol_vectors(id, embedding, language, kind)
};

/// Equality filters on a vector table's filter columns, ANDed. An unset field
/// means "any". A field that the table does not have is an invalid_argument error.
struct vector_filter {
  std::optional<std::string> obs_type;  ///< observations only
  std::optional<std::string> language;  ///< symbols only
  std::optional<std::string> kind;      ///< symbols only

  /// True when no field is set (no filtering).
  bool empty() const noexcept { return !obs_type && !language && !kind; }
};

/// The filter column values stored beside a vector.
struct vector_metadata {
  std::string obs_type;  ///< observations
  std::string language;  ///< symbols
  std::string kind;      ///< symbols
};

/// One vector to store: the item's id, its embedding and its filter values.
struct vector_item {
  std::int64_t id = 0;  ///< The item's id (belief, observation or symbol).
  std::vector<float> embedding;  ///< The vector; its size must be the table's dimension.
  vector_metadata metadata;  ///< The filter column values.
};

/// One nearest neighbour. distance is the cosine distance (0 = same direction,
/// 2 = opposite); similarity = 1 - distance.
struct vector_match {
  std::int64_t id = 0;  ///< The matched item's id.
  double distance = 0;  ///< Cosine distance to the query, 0..2.
  double similarity = 0;  ///< 1 - distance.
};

}  // namespace patina::db
