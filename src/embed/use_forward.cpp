// USE-lite's forward pass for one window of token ids (see use_model.hpp).
// Operation order follows the TF.js graph so that results agree to ~1e-6.
#include "use_model.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>

namespace patina::embed::detail {
namespace {

// Scratch memory of one forward pass, sized for n tokens.
struct workspace {
  explicit workspace(std::size_t n)
      : normed(n * use_width),
        qkv(n * 3 * use_width),
        context(n * use_width),
        projected(n * use_width),
        hidden(n * 3 * use_width),
        query(n * use_width),
        keys_t(n * use_width),
        scores(n * n) {}
  std::vector<float> normed, qkv, context, projected, hidden, query, keys_t, scores;
};

// (x - mean) · (scale / sqrt(var + eps)) + bias per row, with the biased variance.
void layer_norm(const float* x, std::size_t n, std::size_t width, const std::vector<float>& scale,
                const std::vector<float>& bias, float epsilon, float* out) {
  for (std::size_t i = 0; i < n; ++i) {
    const float* row = x + i * width;
    float* dst = out + i * width;
    double sum = 0;
    for (std::size_t j = 0; j < width; ++j) sum += row[j];
    const auto mean = static_cast<float>(sum / static_cast<double>(width));
    double squares = 0;
    for (std::size_t j = 0; j < width; ++j) {
      const float d = row[j] - mean;
      squares += static_cast<double>(d) * d;
    }
    const auto variance = static_cast<float>(squares / static_cast<double>(width));
    const float inverse = 1.0F / std::sqrt(variance + epsilon);
    for (std::size_t j = 0; j < width; ++j) dst[j] = scale[j] * inverse * (row[j] - mean) + bias[j];
  }
}

void softmax_rows(float* scores, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) {
    float* row = scores + i * n;
    const float top = *std::max_element(row, row + n);
    double sum = 0;
    for (std::size_t j = 0; j < n; ++j) {
      row[j] = std::exp(row[j] - top);
      sum += row[j];
    }
    const auto total = static_cast<float>(sum);
    for (std::size_t j = 0; j < n; ++j) row[j] /= total;
  }
}

// Multi-head self-attention over qkv [n, 3 width] (q | k | v, each `heads` blocks
// of width/heads columns); writes the heads side by side into context [n, width].
void attention(const float* qkv, std::size_t n, std::size_t width, float query_scale, float* context,
               workspace& ws) {
  const std::size_t head = width / use_heads;
  const std::size_t stride = 3 * width;
  float* query = ws.query.data();
  float* keys_t = ws.keys_t.data();
  float* scores = ws.scores.data();
  for (std::size_t h = 0; h < use_heads; ++h) {
    const float* q = qkv + h * head;
    const float* k = qkv + width + h * head;
    const float* v = qkv + 2 * width + h * head;
    for (std::size_t i = 0; i < n; ++i)
      for (std::size_t d = 0; d < head; ++d) {
        query[i * head + d] = q[i * stride + d] * query_scale;
        keys_t[d * n + i] = k[i * stride + d];
      }
    matmul_rowmajor(query, n, head, head, keys_t, n, n, scores, n);
    softmax_rows(scores, n);
    matmul_rowmajor(scores, n, n, n, v, head, stride, context + h * head, width);
  }
}

void add_into(const std::vector<float>& from, std::size_t count, float* to) {
  for (std::size_t i = 0; i < count; ++i) to[i] = from[i] + to[i];
}

// One pre-LN transformer layer: in [n, input_width] -> out [n, width].
void run_layer(const use_layer& l, const float* in, std::size_t n, float epsilon, float* out, workspace& ws) {
  const std::size_t size = n * l.width;
  if (l.residual.data.empty())
    std::copy(in, in + size, out);
  else
    matmul(in, n, l.residual, l.residual_bias, out);

  layer_norm(in, n, l.input_width, l.attention_norm_scale, l.attention_norm_bias, epsilon, ws.normed.data());
  matmul(ws.normed.data(), n, l.qkv, l.qkv_bias, ws.qkv.data());
  attention(ws.qkv.data(), n, l.input_width, l.query_scale, ws.context.data(), ws);
  matmul(ws.context.data(), n, l.attention_output, l.attention_output_bias, ws.projected.data());
  add_into(ws.projected, size, out);

  layer_norm(out, n, l.width, l.ffn_norm_scale, l.ffn_norm_bias, epsilon, ws.normed.data());
  matmul(ws.normed.data(), n, l.ffn_in, l.ffn_in_bias, ws.hidden.data());
  for (std::size_t i = 0; i < n * l.ffn_in.cols; ++i) ws.hidden[i] = std::max(ws.hidden[i], 0.0F);
  matmul(ws.hidden.data(), n, l.ffn_out, l.ffn_out_bias, ws.projected.data());
  add_into(ws.projected, size, out);
}

}  // namespace

std::vector<float> use_forward(const use_weights& w, std::span<const std::int32_t> ids) {
  const std::size_t n = ids.size();
  assert(n <= use_max_tokens && "use_forward: window longer than 128 tokens");

  // Mean over tokens; an empty window pools to zero, as the graph's masked mean
  // does for an empty text in a batch.
  std::vector<float> pooled(use_width, 0.0F);
  if (n > 0) {
    workspace ws(n);
    std::vector<float> x0(n * use_embedding_width);
    for (std::size_t i = 0; i < n; ++i) {
      assert(ids[i] >= 0 && static_cast<std::size_t>(ids[i]) < w.vocabulary_rows && "use_forward: bad id");
      const float* e = w.embeddings.data() + static_cast<std::size_t>(ids[i]) * use_embedding_width;
      const float* t = w.timing.data() + i * use_embedding_width;
      for (std::size_t j = 0; j < use_embedding_width; ++j) x0[i * use_embedding_width + j] = e[j] + (e[j] + t[j]);
    }
    std::vector<float> x1(n * use_width);
    std::vector<float> x2(n * use_width);
    run_layer(w.layers[0], x0.data(), n, w.norm_epsilon, x1.data(), ws);
    run_layer(w.layers[1], x1.data(), n, w.norm_epsilon, x2.data(), ws);
    for (std::size_t j = 0; j < use_width; ++j) {
      double sum = 0;
      for (std::size_t i = 0; i < n; ++i) sum += x2[i * use_width + j];
      pooled[j] = static_cast<float>(sum / static_cast<double>(n));
    }
  }

  std::vector<float> out(use_width);
  matmul(pooled.data(), 1, w.tanh_weights, w.tanh_bias, out.data());
  double squares = 0;
  for (auto& v : out) {
    v = std::tanh(v);
    squares += static_cast<double>(v) * v;
  }
  const auto scale = static_cast<float>(1.0 / std::sqrt(std::max(squares, static_cast<double>(w.l2_epsilon))));
  for (auto& v : out) v *= scale;
  return out;
}

}  // namespace patina::embed::detail
