// db/turso/vector_index.hpp — the rows of one vector table in memory, for fast
// exact cosine search.
//
// Vectors are stored normalised to unit length, row after row in blocks of
// `block_rows` rows (a partly filled last block grows by doubling), so a search is
// one pass of the dot-product kernel over contiguous memory followed by a top-k
// selection. Beside each row: its id, its original norm (to recognise zero vectors)
// and one small integer code per filter column (the column's distinct strings are
// interned). Memory is the vector bytes plus about 1-3% for ids, codes and the id
// map (measured by `memory_bytes`).
//
// Distances follow the SQL function vector_distance_cos: 1 - cos, a zero vector is
// at distance 1 from any non-zero vector and 0 from another zero vector. Ties are
// broken by ascending id, as the SQL path's `ORDER BY d, id`.
//
// Thread safety: none inside; the owner serialises writers against readers (const
// member functions may run concurrently with each other).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "patina/db/types.hpp"

namespace patina::db::turso {

class vector_index {
 public:
  static constexpr std::size_t block_rows = 1024;

  // REQUIRES: dimension > 0.
  vector_index(std::size_t dimension, std::size_t filter_columns);

  vector_index(const vector_index&) = delete;
  vector_index& operator=(const vector_index&) = delete;

  std::size_t dimension() const noexcept { return dimension_; }
  std::size_t size() const noexcept { return ids_.size(); }
  bool contains(std::int64_t id) const noexcept { return slots_.contains(id); }

  // Inserts the row, or replaces the row with the same id.
  // REQUIRES: embedding.size() == dimension(), filters.size() == the filter column count.
  void upsert(std::int64_t id, std::span<const float> embedding, std::span<const std::string> filters);
  // Removes the row if present (the last row moves into its slot).
  void erase(std::int64_t id);

  // The k nearest rows by cosine distance, nearest first; `filters` holds one entry per
  // filter column (nullopt = any value).
  // REQUIRES: query.size() == dimension(), filters.size() == the filter column count.
  std::vector<vector_match> search(std::span<const float> query,
                                   std::span<const std::optional<std::string>> filters,
                                   std::size_t k) const;

  // Bytes held, including allocation slack of the blocks and side arrays.
  std::size_t memory_bytes() const noexcept;
  // Bytes the same vectors take as raw f32 (rows * dimension * 4).
  std::size_t raw_vector_bytes() const noexcept { return size() * dimension_ * sizeof(float); }

 private:
  struct block_deleter {
    void operator()(float* p) const noexcept;
  };
  using block_ptr = std::unique_ptr<float[], block_deleter>;

  float* row_pointer(std::size_t slot) noexcept;
  const float* row_pointer(std::size_t slot) const noexcept;
  void grow_for_one_more_row();
  std::uint32_t intern(std::size_t column, const std::string& value);
  // Filter codes wanted per column; nullopt if some wanted value never occurs.
  std::optional<std::vector<std::int64_t>> wanted_codes(
      std::span<const std::optional<std::string>> filters) const;

  std::size_t dimension_;
  std::size_t filter_columns_;
  std::vector<block_ptr> blocks_;
  std::size_t last_block_capacity_ = 0;  // rows the last block can hold
  std::vector<std::int64_t> ids_;        // by slot
  std::vector<float> norms_;             // by slot, before normalisation
  std::vector<std::vector<std::uint32_t>> codes_;  // [column][slot]
  std::vector<std::unordered_map<std::string, std::uint32_t>> dictionaries_;  // [column]
  std::unordered_map<std::int64_t, std::uint32_t> slots_;  // id -> slot
};

}  // namespace patina::db::turso
