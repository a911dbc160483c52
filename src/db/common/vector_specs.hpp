// db/common/vector_specs.hpp — the vector tables, described as data.
//
// Each `db::vector_table` has a table name and the filter columns the domain
// filters on inside the KNN (observations: obs_type; symbols: language, kind).
// Each backend builds its own physical storage from these specs for the
// configured dimension: the SQLite backend a `vec0` virtual table, the Turso
// backend an ordinary table with an `embedding BLOB` in vector32 format.
//
// The dimension lives in patina_meta under `vector_dimension`; changing it drops
// and recreates the vector tables (and empties the `embeddings` bookkeeping that
// describes what they hold), in one transaction.
//
// Thread safety: constants and pure functions, except those taking a connection.
#pragma once

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "db/common/connection.hpp"
#include "patina/core/result.hpp"
#include "patina/db/types.hpp"

namespace patina::db::detail {

// A TEXT filter column stored beside each vector, with the fields that carry
// its value in vector_filter (for search) and vector_metadata (for upsert).
struct vector_filter_column {
  std::string_view name;
  std::optional<std::string> vector_filter::*filter_field;
  std::string vector_metadata::*metadata_field;
};

struct vector_table_spec {
  vector_table table;
  std::string_view name;  // e.g. "belief_vectors"
  std::span<const vector_filter_column> filter_columns;
};

// All vector tables, in vector_table order.
std::span<const vector_table_spec> vector_table_specs() noexcept;
const vector_table_spec& spec_for(vector_table table) noexcept;

// Largest dimension a vector table accepts (sqlite-vec's vec0 limit).
inline constexpr std::size_t max_vector_dimension = 8192;

// The filter as (column, value) pairs, in the spec's column order.
// Errors: invalid_argument if `filter` sets a field the table does not have.
result<std::vector<std::pair<std::string_view, std::string>>> filter_terms(
    const vector_table_spec& spec, const vector_filter& filter);

// The metadata values of `item` for the spec's filter columns, in column order.
std::vector<std::string> metadata_values(const vector_table_spec& spec,
                                         const vector_metadata& metadata);

// invalid_argument unless 1 <= dimension <= max_vector_dimension.
result<void> check_dimension_allowed(std::size_t dimension);
// dimension_mismatch naming both dimensions when `actual != expected`;
// `what` names the vector ("the query vector", "vector for item 42").
result<void> check_dimension(std::size_t expected, std::size_t actual, std::string_view what);
// invalid_argument if any element is NaN or infinite, or if all are zero (a zero
// vector has no direction, so its cosine distance is undefined).
result<void> check_vector_values(std::span<const float> vec, std::string_view what);

// Dimension recorded in patina_meta; 0 if none has been set.
result<std::size_t> read_vector_dimension(connection& conn);
// The error for a vector operation before any dimension is set.
error no_vector_dimension_error();

// True if every vector table exists (by name, whatever its physical form).
result<bool> vector_tables_exist(connection& conn);

// The bookkeeping half of a dimension change, run in the same transaction after
// the backend has dropped and recreated its vector tables: empties `embeddings`
// (it describes vectors that no longer exist, so everything is re-embedded) and
// records `dimension` in patina_meta.
result<void> finish_vector_rebuild(connection& conn, std::size_t dimension);

// Raw little-endian f32 bytes (sqlite-vec float[] and Turso vector32 format).
blob to_vector_blob(std::span<const float> vec);

}  // namespace patina::db::detail
