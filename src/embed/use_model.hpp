// Private: USE-lite's weights and its forward pass.
//
// `load_use_weights` reads model.json's weights manifest and the shards it names,
// checks that every weight the forward pass needs is there with the expected
// shape, and keeps a copy of each (matrices packed for the matmul kernels); the
// shard bytes are released before it returns. `use_forward` computes the graph's
// output for one window of at most 128 token ids:
//   x0[i]  = 2 E[id_i] + timing(i)            (the graph adds the embedding twice)
//   layer  = pre-LN transformer layer, 4 heads, ReLU FFN (layer 0 widens 256 -> 512
//            through a projected residual)
//   output = l2_normalise(tanh(mean_i x[i] · Wt + bt))
//
// Thread safety: use_weights is immutable after loading; use_forward allocates its
// scratch memory per call, so it may run on several threads at once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <vector>

#include "kernels.hpp"
#include "patina/core/result.hpp"

namespace patina::embed::detail {

inline constexpr std::size_t use_embedding_width = 256;
inline constexpr std::size_t use_width = 512;
inline constexpr std::size_t use_heads = 4;
inline constexpr std::size_t use_max_tokens = 128;

// One transformer layer. Attention runs at the input width (4 heads of
// input_width / 4); the output projection and the FFN are at `width`.
struct use_layer {
  std::size_t input_width = 0;
  std::size_t width = 0;
  float query_scale = 0;
  std::vector<float> attention_norm_scale, attention_norm_bias;  // [input_width]
  packed_matrix qkv;                                              // [input_width, 3 input_width]
  std::vector<float> qkv_bias;
  packed_matrix attention_output;  // [input_width, width]
  std::vector<float> attention_output_bias;
  packed_matrix residual;  // layer 0 only: [256, 512]; empty otherwise
  std::vector<float> residual_bias;
  std::vector<float> ffn_norm_scale, ffn_norm_bias;  // [width]
  packed_matrix ffn_in;                              // [width, 3 width]
  std::vector<float> ffn_in_bias;
  packed_matrix ffn_out;  // [3 width, width]
  std::vector<float> ffn_out_bias;
};

struct use_weights {
  std::size_t vocabulary_rows = 0;
  std::vector<float> embeddings;  // [vocabulary_rows, 256]
  std::vector<float> timing;      // [128, 256]: sin | cos of position · inverse timescale
  use_layer layers[2];
  float norm_epsilon = 0;
  packed_matrix tanh_weights;  // [512, 512]
  std::vector<float> tanh_bias;
  float l2_epsilon = 0;

  std::size_t memory_bytes() const noexcept;
};

// Fails with missing_asset (model.json or a shard missing, a shard of the wrong
// size), parse_error (model.json malformed or not USE-lite) or io_error.
result<use_weights> load_use_weights(const std::filesystem::path& model_dir);

// The 512-d unit embedding of one window. REQUIRES: ids.size() <= 128 and every
// id < weights.vocabulary_rows.
std::vector<float> use_forward(const use_weights& weights, std::span<const std::int32_t> ids);

}  // namespace patina::embed::detail
