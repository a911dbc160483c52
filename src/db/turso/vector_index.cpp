#include "db/turso/vector_index.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <new>

#include "patina/core/vector.hpp"

namespace patina::db::turso {

namespace {

constexpr std::align_val_t block_alignment{64};  // one cache line; AVX loads stay aligned
constexpr std::size_t first_block_capacity = 16;

// A candidate of the top-k selection.
struct candidate {
  float score;  // cosine similarity
  std::int64_t id;
};

// Nearer first; equal similarity: smaller id first (the SQL path's ORDER BY d, id).
bool nearer(const candidate& a, const candidate& b) noexcept {
  return a.score > b.score || (a.score == b.score && a.id < b.id);
}

// Keeps the k nearest candidates seen, the farthest on top of the heap.
class top_k {
 public:
  explicit top_k(std::size_t k) : k_(k) { heap_.reserve(k); }

  void offer(float score, std::int64_t id) {
    const candidate c{score, id};
    if (heap_.size() < k_) {
      heap_.push_back(c);
      std::push_heap(heap_.begin(), heap_.end(), nearer);
      return;
    }
    if (!nearer(c, heap_.front())) return;
    std::pop_heap(heap_.begin(), heap_.end(), nearer);
    heap_.back() = c;
    std::push_heap(heap_.begin(), heap_.end(), nearer);
  }
  // Scores at or below this cannot enter (when full); -inf while filling.
  float threshold() const noexcept {
    return heap_.size() < k_ ? -std::numeric_limits<float>::infinity() : heap_.front().score;
  }

  std::vector<vector_match> take() {
    std::sort(heap_.begin(), heap_.end(), nearer);
    std::vector<vector_match> out;
    out.reserve(heap_.size());
    for (const auto& c : heap_) {
      const double distance = 1.0 - static_cast<double>(c.score);
      out.push_back(vector_match{c.id, distance, 1.0 - distance});
    }
    return out;
  }

 private:
  std::size_t k_;
  std::vector<candidate> heap_;
};

float* allocate_rows(std::size_t rows, std::size_t dimension) {
  return static_cast<float*>(::operator new[](rows * dimension * sizeof(float), block_alignment));
}

}  // namespace

void vector_index::block_deleter::operator()(float* p) const noexcept {
  ::operator delete[](p, block_alignment);
}

vector_index::vector_index(std::size_t dimension, std::size_t filter_columns)
    : dimension_(dimension),
      filter_columns_(filter_columns),
      codes_(filter_columns),
      dictionaries_(filter_columns) {
  assert(dimension > 0 && "vector_index: dimension must be positive");
}

float* vector_index::row_pointer(std::size_t slot) noexcept {
  return blocks_[slot / block_rows].get() + (slot % block_rows) * dimension_;
}

const float* vector_index::row_pointer(std::size_t slot) const noexcept {
  return blocks_[slot / block_rows].get() + (slot % block_rows) * dimension_;
}

void vector_index::grow_for_one_more_row() {
  const std::size_t rows = ids_.size();
  const std::size_t in_last = blocks_.empty() ? 0 : rows - (blocks_.size() - 1) * block_rows;
  if (blocks_.empty() || in_last == block_rows) {
    blocks_.emplace_back(allocate_rows(first_block_capacity, dimension_));
    last_block_capacity_ = first_block_capacity;
    return;
  }
  if (in_last < last_block_capacity_) return;
  // Only the partly filled last block is ever reallocated.
  const std::size_t capacity = std::min(last_block_capacity_ * 2, block_rows);
  block_ptr bigger(allocate_rows(capacity, dimension_));
  std::memcpy(bigger.get(), blocks_.back().get(), in_last * dimension_ * sizeof(float));
  blocks_.back() = std::move(bigger);
  last_block_capacity_ = capacity;
}

std::uint32_t vector_index::intern(std::size_t column, const std::string& value) {
  auto& dictionary = dictionaries_[column];
  const auto [it, inserted] =
      dictionary.try_emplace(value, static_cast<std::uint32_t>(dictionary.size()));
  return it->second;
}

void vector_index::upsert(std::int64_t id, std::span<const float> embedding,
                          std::span<const std::string> filters) {
  assert(embedding.size() == dimension_ && "vector_index::upsert: wrong dimension");
  assert(filters.size() == filter_columns_ && "vector_index::upsert: wrong filter count");
  std::size_t slot = 0;
  if (const auto found = slots_.find(id); found != slots_.end()) {
    slot = found->second;
  } else {
    grow_for_one_more_row();
    slot = ids_.size();
    ids_.push_back(id);
    norms_.push_back(0);
    for (auto& column : codes_) column.push_back(0);
    slots_.emplace(id, static_cast<std::uint32_t>(slot));
  }
  float* row = row_pointer(slot);
  std::memcpy(row, embedding.data(), dimension_ * sizeof(float));
  norms_[slot] = vec::normalize(std::span<float>(row, dimension_));
  for (std::size_t c = 0; c < filter_columns_; ++c) codes_[c][slot] = intern(c, filters[c]);
}

void vector_index::erase(std::int64_t id) {
  const auto found = slots_.find(id);
  if (found == slots_.end()) return;
  const std::size_t slot = found->second;
  const std::size_t last = ids_.size() - 1;
  slots_.erase(found);
  if (slot != last) {
    std::memcpy(row_pointer(slot), row_pointer(last), dimension_ * sizeof(float));
    ids_[slot] = ids_[last];
    norms_[slot] = norms_[last];
    for (auto& column : codes_) column[slot] = column[last];
    slots_[ids_[slot]] = static_cast<std::uint32_t>(slot);
  }
  ids_.pop_back();
  norms_.pop_back();
  for (auto& column : codes_) column.pop_back();
  if (ids_.size() == (blocks_.size() - 1) * block_rows) {
    blocks_.pop_back();
    last_block_capacity_ = blocks_.empty() ? 0 : block_rows;
  }
}

std::optional<std::vector<std::int64_t>> vector_index::wanted_codes(
    std::span<const std::optional<std::string>> filters) const {
  std::vector<std::int64_t> wanted(filter_columns_, -1);
  for (std::size_t c = 0; c < filter_columns_; ++c) {
    if (!filters[c]) continue;
    const auto found = dictionaries_[c].find(*filters[c]);
    if (found == dictionaries_[c].end()) return std::nullopt;
    wanted[c] = found->second;
  }
  return wanted;
}

std::vector<vector_match> vector_index::search(std::span<const float> query,
                                               std::span<const std::optional<std::string>> filters,
                                               std::size_t k) const {
  assert(query.size() == dimension_ && "vector_index::search: wrong dimension");
  assert(filters.size() == filter_columns_ && "vector_index::search: wrong filter count");
  k = std::min(k, size());
  if (k == 0) return {};
  const auto wanted = wanted_codes(filters);
  if (!wanted) return {};
  bool filtered = false;
  for (const auto code : *wanted) filtered = filtered || code >= 0;

  std::vector<float> unit(query.begin(), query.end());
  const float query_norm = vec::normalize(unit);
  // A zero query: the SQL function puts zero rows at distance 0 and all others at 1.
  const bool zero_query = !(query_norm > 0.0f) || !std::isfinite(query_norm);

  thread_local std::vector<float> scores;
  thread_local std::vector<std::uint32_t> matching;
  scores.resize(block_rows);
  top_k best(k);
  const std::size_t rows = size();
  for (std::size_t b = 0; b < blocks_.size(); ++b) {
    const std::size_t first = b * block_rows;
    const std::size_t count = std::min(block_rows, rows - first);
    const float* block = blocks_[b].get();
    if (!filtered && !zero_query) {
      // The common case: one streaming pass of the kernel over the whole block.
      vec::dot_many(block, count, dimension_, unit.data(), scores.data());
      float threshold = best.threshold();
      for (std::size_t r = 0; r < count; ++r) {
        // NaN (from a NaN stored by another writer) never ranks.
        if (!(scores[r] >= threshold)) continue;
        best.offer(scores[r], ids_[first + r]);
        threshold = best.threshold();
      }
      continue;
    }
    matching.clear();
    for (std::size_t r = 0; r < count; ++r) {
      bool keep = true;
      for (std::size_t c = 0; filtered && keep && c < filter_columns_; ++c) {
        keep = (*wanted)[c] < 0 || codes_[c][first + r] == static_cast<std::uint32_t>((*wanted)[c]);
      }
      if (keep) matching.push_back(static_cast<std::uint32_t>(r));
    }
    if (matching.empty()) continue;
    if (zero_query) {
      for (const auto r : matching) scores[r] = norms_[first + r] == 0.0f ? 1.0f : 0.0f;
    } else if (matching.size() * 4 >= count) {
      // Most rows are wanted: scoring them all is as cheap as picking.
      vec::dot_many(block, count, dimension_, unit.data(), scores.data());
    } else {
      for (const auto r : matching) {
        scores[r] = vec::dot(std::span<const float>(block + r * dimension_, dimension_), unit);
      }
    }
    float threshold = best.threshold();
    for (const auto r : matching) {
      if (!(scores[r] >= threshold)) continue;
      best.offer(scores[r], ids_[first + r]);
      threshold = best.threshold();
    }
  }
  return best.take();
}

std::size_t vector_index::memory_bytes() const noexcept {
  std::size_t bytes = 0;
  if (!blocks_.empty()) {
    bytes += (blocks_.size() - 1) * block_rows * dimension_ * sizeof(float);
    bytes += last_block_capacity_ * dimension_ * sizeof(float);
  }
  bytes += blocks_.capacity() * sizeof(block_ptr);
  bytes += ids_.capacity() * sizeof(std::int64_t) + norms_.capacity() * sizeof(float);
  for (const auto& column : codes_) bytes += column.capacity() * sizeof(std::uint32_t);
  // Hash nodes: key, value, next pointer and cached hash; plus the bucket array.
  constexpr std::size_t node_bytes = 32;
  for (const auto& dictionary : dictionaries_) {
    bytes += dictionary.bucket_count() * sizeof(void*);
    for (const auto& [text, code] : dictionary) bytes += node_bytes + sizeof(std::string) + text.capacity();
  }
  bytes += slots_.bucket_count() * sizeof(void*) + slots_.size() * node_bytes;
  return bytes;
}

}  // namespace patina::db::turso
