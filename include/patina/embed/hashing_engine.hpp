/// @file
/// patina/embed/hashing_engine.hpp — a deterministic, dependency-free embedder.
///
/// The hashing engine needs no model files: it splits the text into lower-case
/// words (patina/embed/identifier_words.hpp), takes every word as a feature plus
/// every character 3-, 4- and 5-gram of the word wrapped in boundary markers
/// ("<parse>" -> "<pa", "par", …, "se>", "<par", …), and adds each feature's count
/// (term frequency) into one of D buckets with a sign, both chosen by a 64-bit
/// hash of the feature: FNV-1a 64 over a one-byte kind tag ('w' word, 'g' n-gram)
/// followed by the feature's bytes, then MurmurHash3's fmix64 finaliser; bucket =
/// hash mod D, sign = minus when bit 63 is set. The sum is L2-normalised. A text
/// without any word (empty, or only punctuation) is embedded as the single
/// feature "<none>", so every vector has unit length.
///
/// Arithmetic is on integers until one final division in double, so the same
/// text gives a bit-identical vector on every run and machine. The model id
/// records the scheme and D: "hashing-v1-256".
///
/// Good at shared vocabulary ("parseCommandLine" ~ "parse command line args"),
/// blind to paraphrase ("release the lock" vs "Mutex::unlock").
///
/// Thread safety: immutable after construction; any member may be called from
/// several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/embed/embedding_engine.hpp"

namespace patina::embed {

/// The dependency-free, deterministic embedder described above.
class hashing_engine final : public embedding_engine {
 public:
  /// Buckets of a default-constructed engine.
  static constexpr std::size_t default_dimension = 256;
  /// The largest dimension create() accepts.
  static constexpr std::size_t max_dimension = 1u << 20;

  /// An engine with `default_dimension` buckets.
  hashing_engine() = default;

  /// An engine with `dimension` buckets. Fails with errc::invalid_argument when
  /// dimension is 0 or above max_dimension.
  static result<hashing_engine> create(std::size_t dimension);

  std::string model_id() const override;  ///< "hashing-v1-<D>"
  std::size_t dimension() const override { return dimension_; }
  std::vector<float> embed(std::string_view text) const override;

  /// The hash used for features (exposed for tests and tools): FNV-1a 64 of
  /// `kind` then `bytes`, finalised with fmix64.
  static std::uint64_t feature_hash(char kind, std::string_view bytes) noexcept;

 private:
  explicit hashing_engine(std::size_t dimension) : dimension_(dimension) {}
  std::size_t dimension_ = default_dimension;
};

}  // namespace patina::embed
