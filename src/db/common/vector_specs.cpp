#include "db/common/vector_specs.hpp"

#include <array>
#include <cmath>
#include <cstring>
#include <string>

#include "db/common/schema.hpp"

namespace patina::db::detail {

namespace {

constexpr vector_filter_column obs_type_column{"obs_type", &vector_filter::obs_type,
                                               &vector_metadata::obs_type};
constexpr vector_filter_column language_column{"language", &vector_filter::language,
                                               &vector_metadata::language};
constexpr vector_filter_column kind_column{"kind", &vector_filter::kind, &vector_metadata::kind};

// Every filter field of vector_filter, to name the ones a table lacks.
constexpr std::array all_filter_columns{obs_type_column, language_column, kind_column};

constexpr std::array<vector_filter_column, 1> observation_columns{obs_type_column};
constexpr std::array<vector_filter_column, 2> symbol_columns{language_column, kind_column};

constexpr std::array specs{
    vector_table_spec{vector_table::beliefs, "belief_vectors", {}},
    vector_table_spec{vector_table::observations, "observation_vectors", observation_columns},
    vector_table_spec{vector_table::symbols, "symbol_vectors", symbol_columns},
};

}  // namespace

std::span<const vector_table_spec> vector_table_specs() noexcept { return specs; }

const vector_table_spec& spec_for(vector_table table) noexcept {
  for (const auto& spec : specs) {
    if (spec.table == table) return spec;
  }
  return specs[0];  // defensive: every enumerator has a spec
}

result<std::vector<std::pair<std::string_view, std::string>>> filter_terms(
    const vector_table_spec& spec, const vector_filter& filter) {
  for (const auto& column : all_filter_columns) {
    if (!(filter.*column.filter_field)) continue;
    bool known = false;
    for (const auto& own : spec.filter_columns) known = known || own.name == column.name;
    if (!known) {
      return fail(errc::invalid_argument, "cannot filter " + std::string(spec.name) + " by " +
                                              std::string(column.name) +
                                              ": the table has no such column; drop that filter");
    }
  }
  std::vector<std::pair<std::string_view, std::string>> terms;
  for (const auto& column : spec.filter_columns) {
    if (const auto& wanted = filter.*column.filter_field) terms.emplace_back(column.name, *wanted);
  }
  return terms;
}

std::vector<std::string> metadata_values(const vector_table_spec& spec,
                                         const vector_metadata& metadata) {
  std::vector<std::string> values;
  values.reserve(spec.filter_columns.size());
  for (const auto& column : spec.filter_columns) values.push_back(metadata.*column.metadata_field);
  return values;
}

result<void> check_dimension_allowed(std::size_t dimension) {
  if (dimension == 0 || dimension > max_vector_dimension) {
    return fail(errc::invalid_argument,
                "vector dimension " + std::to_string(dimension) + " is out of range; use 1 to " +
                    std::to_string(max_vector_dimension));
  }
  return {};
}

result<void> check_dimension(std::size_t expected, std::size_t actual, std::string_view what) {
  if (expected == actual) return {};
  return fail(errc::dimension_mismatch,
              std::string(what) + " has dimension " + std::to_string(actual) +
                  " but the vector tables hold dimension " + std::to_string(expected) +
                  "; embed with the configured model, or change the dimension (which re-embeds)");
}

result<void> check_vector_values(std::span<const float> vec, std::string_view what) {
  bool all_zero = true;
  for (const float x : vec) {
    if (!std::isfinite(x)) {
      return fail(errc::invalid_argument,
                  std::string(what) + " contains NaN or infinity; vectors must be finite");
    }
    all_zero = all_zero && x == 0.0F;
  }
  if (all_zero) {
    return fail(errc::invalid_argument,
                std::string(what) +
                    " is all zeros; it has no direction, so cosine distance is undefined for it");
  }
  return {};
}

result<std::size_t> read_vector_dimension(connection& conn) {
  auto text = read_meta(conn, meta_vector_dimension);
  if (!text) return fail(text.err());
  if (!*text) return std::size_t{0};
  try {
    std::size_t used = 0;
    const auto n = std::stoull(**text, &used);
    if (used == (*text)->size()) return static_cast<std::size_t>(n);
  } catch (const std::exception&) {  // NOLINT: falls through to the error below
  }
  return fail(errc::corrupt_database,
              "patina_meta holds an invalid vector_dimension; set the dimension again "
              "(which rebuilds the vector tables)",
              **text);
}

error no_vector_dimension_error() {
  return error{errc::invalid_argument,
               "the vector tables do not exist yet: no vector dimension is set; set the "
               "embedding model's dimension first (set_vector_dimension)",
               {}};
}

result<bool> vector_tables_exist(connection& conn) {
  std::vector<value> names;
  std::string placeholders;
  for (const auto& spec : specs) {
    names.emplace_back(std::string(spec.name));
    placeholders += (placeholders.empty() ? "?" : ", ?") + std::to_string(names.size());
  }
  auto rows = conn.query(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name IN (" + placeholders + ")",
      names);
  if (!rows) return fail(rows.err());
  return std::get<std::int64_t>(rows->rows.at(0).at(0)) == static_cast<std::int64_t>(specs.size());
}

result<void> finish_vector_rebuild(connection& conn, std::size_t dimension) {
  if (auto cleared = conn.execute("DELETE FROM embeddings"); !cleared) return fail(cleared.err());
  return write_meta(conn, meta_vector_dimension, std::to_string(dimension));
}

blob to_vector_blob(std::span<const float> vec) {
  static_assert(sizeof(float) == 4, "vector blobs are IEEE-754 binary32");
  blob out(vec.size() * sizeof(float));
  // x86-64 and aarch64 are little-endian, the byte order both formats use.
  if (!vec.empty()) std::memcpy(out.data(), vec.data(), out.size());
  return out;
}

}  // namespace patina::db::detail
