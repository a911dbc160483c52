#include "patina/embed/embedding_engine.hpp"

namespace patina::embed {

std::vector<std::vector<float>> embedding_engine::embed_batch(
    std::span<const std::string> texts) const {
  std::vector<std::vector<float>> out;
  out.reserve(texts.size());
  for (const auto& text : texts) out.push_back(embed(text));
  return out;
}

}  // namespace patina::embed
