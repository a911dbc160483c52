#include "patina/embed/hashing_engine.hpp"

#include "patina/embed/identifier_words.hpp"

#include <cmath>
#include <string>

namespace patina::embed {
namespace {

constexpr std::uint64_t fnv_offset_basis = 14695981039346656037ULL;
constexpr std::uint64_t fnv_prime = 1099511628211ULL;
constexpr char word_kind = 'w';
constexpr char gram_kind = 'g';
constexpr std::size_t min_gram = 3;
constexpr std::size_t max_gram = 5;
constexpr std::string_view no_words_feature = "<none>";

std::uint64_t fnv1a(std::uint64_t h, unsigned char byte) noexcept { return (h ^ byte) * fnv_prime; }

// MurmurHash3's 64-bit finaliser: FNV-1a's low bits mix poorly, and the bucket
// is taken from the low bits.
std::uint64_t fmix64(std::uint64_t h) noexcept {
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

class accumulator {
 public:
  explicit accumulator(std::size_t dimension) : buckets_(dimension, 0) {}

  void add(char kind, std::string_view bytes) {
    const std::uint64_t h = hashing_engine::feature_hash(kind, bytes);
    auto& bucket = buckets_[h % buckets_.size()];
    bucket += (h >> 63) != 0 ? -1 : 1;
  }

  // Sum of squares; exact, as the buckets are small integers.
  double squared_norm() const {
    double sum = 0;
    for (const auto b : buckets_) sum += static_cast<double>(b) * static_cast<double>(b);
    return sum;
  }

  std::vector<float> normalised() const {
    const double norm = std::sqrt(squared_norm());
    std::vector<float> out(buckets_.size());
    for (std::size_t i = 0; i < buckets_.size(); ++i)
      out[i] = static_cast<float>(static_cast<double>(buckets_[i]) / norm);
    return out;
  }

 private:
  std::vector<std::int64_t> buckets_;
};

// Offsets of the code points of a UTF-8 string, plus its size: continuation
// bytes (10xxxxxx) never start a code point.
std::vector<std::size_t> code_point_offsets(std::string_view s) {
  std::vector<std::size_t> offsets;
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0U) != 0x80U) offsets.push_back(i);
  offsets.push_back(s.size());
  return offsets;
}

void add_word(accumulator& acc, const std::string& word) {
  acc.add(word_kind, word);
  const std::string marked = "<" + word + ">";
  const auto offsets = code_point_offsets(marked);
  const std::size_t chars = offsets.size() - 1;
  for (std::size_t n = min_gram; n <= max_gram && n <= chars; ++n)
    for (std::size_t start = 0; start + n <= chars; ++start)
      acc.add(gram_kind, std::string_view(marked).substr(offsets[start], offsets[start + n] - offsets[start]));
}

}  // namespace

result<hashing_engine> hashing_engine::create(std::size_t dimension) {
  if (dimension == 0 || dimension > max_dimension)
    return fail(errc::invalid_argument,
                "the hashing embedder's dimension must be between 1 and " + std::to_string(max_dimension) +
                    " (got " + std::to_string(dimension) + "); choose a dimension in that range");
  return hashing_engine(dimension);
}

std::string hashing_engine::model_id() const { return "hashing-v1-" + std::to_string(dimension_); }

std::uint64_t hashing_engine::feature_hash(char kind, std::string_view bytes) noexcept {
  std::uint64_t h = fnv1a(fnv_offset_basis, static_cast<unsigned char>(kind));
  for (const char c : bytes) h = fnv1a(h, static_cast<unsigned char>(c));
  return fmix64(h);
}

std::vector<float> hashing_engine::embed(std::string_view text) const {
  accumulator acc(dimension_);
  for (const auto& word : split_identifier_words(text)) add_word(acc, word);
  // Features can cancel out (same bucket, opposite signs); such a text is
  // treated like one without words so that the vector keeps unit length.
  if (acc.squared_norm() == 0) {
    accumulator none(dimension_);
    none.add(word_kind, no_words_feature);
    return none.normalised();
  }
  return acc.normalised();
}

}  // namespace patina::embed
