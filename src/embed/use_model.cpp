// Loading USE-lite's weights from the TF.js export (model.json + shards).
#include "use_model.hpp"

#include "asset_files.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <map>
#include <optional>
#include <string>

namespace patina::embed::detail {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the TF.js weight shards are little-endian; add byte swapping for this platform");

// The TF.js converter's shard size: every shard but the last has exactly this many
// bytes, which lets a damaged shard be named.
constexpr std::uint64_t converter_shard_bytes = 4u << 20;

const std::string encode_graph = "module_apply_default/Encoder_en/KonaTransformer/Encode/";
const std::string encode_vars = "module/Encoder_en/KonaTransformer/Encode/";

struct tensor_location {
  std::size_t group = 0;
  std::size_t offset = 0;  // in 4-byte elements
  std::vector<std::size_t> shape;
  std::string dtype;
};

struct manifest_group {
  std::vector<std::string> paths;
  std::uint64_t bytes = 0;
};

// Looks weights up by name and shape; remembers the first problem instead of
// failing at every call, so building the model reads as a list of weights.
class tensor_reader {
 public:
  tensor_reader(const std::filesystem::path& model_json, std::map<std::string, tensor_location> tensors,
                std::vector<std::vector<float>> groups)
      : model_json_(model_json), tensors_(std::move(tensors)), groups_(std::move(groups)) {}

  std::span<const float> get(const std::string& name, const std::vector<std::size_t>& shape) {
    const auto found = tensors_.find(name);
    if (found == tensors_.end()) {
      note("lacks the weight " + name);
      return {};
    }
    const tensor_location& t = found->second;
    if (t.shape != shape || t.dtype != "float32") {
      note("has the weight " + name + " with an unexpected shape or type");
      return {};
    }
    std::size_t count = 1;
    for (const auto d : shape) count *= d;
    return std::span<const float>(groups_[t.group]).subspan(t.offset, count);
  }

  std::vector<float> vec(const std::string& name, std::size_t size) {
    const auto s = get(name, {size});
    return {s.begin(), s.end()};
  }

  packed_matrix matrix(const std::string& name, const std::vector<std::size_t>& shape) {
    const auto s = get(name, shape);
    if (s.empty()) return {};
    const std::size_t cols = shape.back();
    return pack_matrix(s, s.size() / cols, cols);
  }

  float scalar(const std::string& name) {
    const auto s = get(name, {});
    return s.empty() ? 0.0F : s[0];
  }

  const std::optional<failure>& problem() const { return problem_; }

 private:
  void note(const std::string& what) {
    if (!problem_)
      problem_ = asset_parse_error(model_json_, what + " (it does not describe USE-lite as Patina expects)");
  }

  std::filesystem::path model_json_;
  std::map<std::string, tensor_location> tensors_;
  std::vector<std::vector<float>> groups_;
  std::optional<failure> problem_;
};

bool is_plain_file_name(const std::string& name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string::npos &&
         name.find('\\') == std::string::npos;
}

// Checks the shards' sizes against the manifest and reads them into one buffer.
result<std::vector<float>> read_group(const std::filesystem::path& dir, const manifest_group& group) {
  std::vector<std::uint64_t> sizes;
  std::uint64_t total = 0;
  for (const auto& name : group.paths) {
    auto size = asset_file_size(dir / name);
    if (!size) return fail(std::move(size).err());
    sizes.push_back(*size);
    total += *size;
  }
  const auto expected_shards = (group.bytes + converter_shard_bytes - 1) / converter_shard_bytes;
  if (group.paths.size() == expected_shards) {
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      const std::uint64_t expected = std::min(converter_shard_bytes, group.bytes - i * converter_shard_bytes);
      if (sizes[i] != expected)
        return fail(errc::missing_asset, "model file " + (dir / group.paths[i]).string() + " has " +
                                             std::to_string(sizes[i]) + " bytes instead of " +
                                             std::to_string(expected) + " (damaged or truncated); " +
                                             std::string(setup_hint));
    }
  } else if (total != group.bytes) {
    return fail(errc::missing_asset, "the weight shards in " + dir.string() + " hold " + std::to_string(total) +
                                         " bytes but model.json's manifest needs " +
                                         std::to_string(group.bytes) + " (damaged or truncated); " +
                                         std::string(setup_hint));
  }
  std::vector<float> buffer(group.bytes / sizeof(float));
  char* destination = reinterpret_cast<char*>(buffer.data());
  for (std::size_t i = 0; i < sizes.size(); ++i) {
    if (auto read = read_asset_bytes(dir / group.paths[i], destination, sizes[i]); !read) return fail(read.err());
    destination += sizes[i];
  }
  return buffer;
}

use_layer read_layer(tensor_reader& r, int index, std::size_t input_width, std::size_t width) {
  const std::string layer = "Layer_" + std::to_string(index) + "/TransformerLayer/";
  const std::string graph = encode_graph + layer;
  const std::string stack = encode_graph + "TransformerStack/" + layer;
  const std::string concat = "/ConcatPartitions/concat";
  const std::size_t inner = 3 * width;

  use_layer l;
  l.input_width = input_width;
  l.width = width;
  l.query_scale = r.scalar(stack + "MultiheadAttention/mul/y");
  l.attention_norm_scale = r.vec(graph + "layer_prepostprocess/layer_norm/layer_norm_scale" + concat, input_width);
  l.attention_norm_bias = r.vec(graph + "layer_prepostprocess/layer_norm/layer_norm_bias" + concat, input_width);
  l.qkv = r.matrix(encode_vars + layer + "MultiheadAttention/qkv_transform_single/kernel/part_0",
                   {1, 1, input_width, 3 * input_width});
  l.qkv_bias = r.vec(graph + "MultiheadAttention/qkv_transform_single/bias" + concat, 3 * input_width);
  l.attention_output = r.matrix(encode_vars + layer + "MultiheadAttention/output_transform_single/kernel/part_0",
                                {1, 1, input_width, width});
  l.attention_output_bias = r.vec(graph + "MultiheadAttention/output_transform_single/bias" + concat, width);
  if (input_width != width) {
    l.residual = r.matrix(graph + "dense/kernel" + concat, {input_width, width});
    l.residual_bias = r.vec(graph + "dense/bias" + concat, width);
  }
  l.ffn_norm_scale = r.vec(graph + "FFN/layer_prepostprocess/layer_norm/layer_norm_scale" + concat, width);
  l.ffn_norm_bias = r.vec(graph + "FFN/layer_prepostprocess/layer_norm/layer_norm_bias" + concat, width);
  l.ffn_in = r.matrix(stack + "FFN/conv1/Tensordot/Reshape_1", {width, inner});
  l.ffn_in_bias = r.vec(graph + "FFN/conv1/bias" + concat, inner);
  l.ffn_out = r.matrix(stack + "FFN/conv2/Tensordot/Reshape_1", {inner, width});
  l.ffn_out_bias = r.vec(graph + "FFN/conv2/bias" + concat, width);
  return l;
}

}  // namespace

std::size_t use_weights::memory_bytes() const noexcept {
  std::size_t floats = embeddings.size() + timing.size() + tanh_weights.data.size() + tanh_bias.size();
  for (const auto& l : layers) {
    for (const auto* v : {&l.attention_norm_scale, &l.attention_norm_bias, &l.qkv_bias, &l.attention_output_bias,
                          &l.residual_bias, &l.ffn_norm_scale, &l.ffn_norm_bias, &l.ffn_in_bias, &l.ffn_out_bias})
      floats += v->size();
    for (const auto* m : {&l.qkv, &l.attention_output, &l.residual, &l.ffn_in, &l.ffn_out}) floats += m->data.size();
  }
  return floats * sizeof(float);
}

result<use_weights> load_use_weights(const std::filesystem::path& model_dir) {
  const auto model_json = model_dir / "model.json";
  auto text = read_asset_file(model_json);
  if (!text) return fail(std::move(text).err());

  std::map<std::string, tensor_location> tensors;
  std::vector<manifest_group> groups;
  try {
    const auto doc = nlohmann::json::parse(*text);
    std::string().swap(*text);
    for (const auto& g : doc.at("weightsManifest")) {
      manifest_group group;
      for (const auto& p : g.at("paths")) {
        group.paths.push_back(p.get<std::string>());
        if (!is_plain_file_name(group.paths.back()))
          return asset_parse_error(model_json, "names a weight shard outside its folder: " + group.paths.back());
      }
      std::uint64_t elements = 0;
      for (const auto& w : g.at("weights")) {
        tensor_location t{groups.size(), static_cast<std::size_t>(elements),
                          w.at("shape").get<std::vector<std::size_t>>(), w.at("dtype").get<std::string>()};
        if ((t.dtype != "float32" && t.dtype != "int32") || w.contains("quantization"))
          return asset_parse_error(model_json, "uses a weight type Patina does not read (" + t.dtype + ")");
        std::uint64_t count = 1;
        for (const auto d : t.shape) count *= d;
        elements += count;
        tensors.emplace(w.at("name").get<std::string>(), std::move(t));
      }
      group.bytes = elements * sizeof(float);
      groups.push_back(std::move(group));
    }
  } catch (const nlohmann::json::exception& e) {
    return asset_parse_error(model_json, "is not a TF.js model with a weights manifest", e.what());
  }

  std::vector<std::vector<float>> buffers;
  for (const auto& group : groups) {
    auto buffer = read_group(model_dir, group);
    if (!buffer) return fail(std::move(buffer).err());
    buffers.push_back(std::move(*buffer));
  }

  tensor_reader r(model_json, std::move(tensors), std::move(buffers));
  use_weights w;
  const auto embeddings = r.get("module/Embeddings_en", {8002, use_embedding_width});
  w.embeddings.assign(embeddings.begin(), embeddings.end());
  w.vocabulary_rows = w.embeddings.size() / use_embedding_width;
  const auto inverse_timescales =
      r.get(encode_graph + "TransformerStack/Layer_0/AddTimingSignal/TimingSignal/ExpandDims_1",
            {1, use_embedding_width / 2});
  w.layers[0] = read_layer(r, 0, use_embedding_width, use_width);
  w.layers[1] = read_layer(r, 1, use_width, use_width);
  w.norm_epsilon = r.scalar(encode_graph + "TransformerStack/Layer_1/TransformerLayer/FFN/layer_prepostprocess/"
                                           "layer_norm/Cast/x");
  w.tanh_weights = r.matrix("module/Encoder_en/hidden_layers/tanh_layer_0/weights", {use_width, use_width});
  w.tanh_bias = r.vec("module/Encoder_en/hidden_layers/tanh_layer_0/bias", use_width);
  w.l2_epsilon = r.scalar("module_apply_default/Encoder_en/hidden_layers/l2_normalize/Maximum/y");
  if (r.problem()) return *r.problem();

  // timing(i) = [sin(i · inv_j) | cos(i · inv_j)], as the graph computes it in float.
  const std::size_t half = inverse_timescales.size();
  w.timing.resize(use_max_tokens * 2 * half);
  for (std::size_t i = 0; i < use_max_tokens; ++i) {
    for (std::size_t j = 0; j < half; ++j) {
      const float angle = static_cast<float>(i) * inverse_timescales[j];
      w.timing[i * 2 * half + j] = std::sin(angle);
      w.timing[i * 2 * half + half + j] = std::cos(angle);
    }
  }
  return w;
}

}  // namespace patina::embed::detail
