#include "patina/domain/engine_selection.hpp"

#include <utility>

#include <fmt/format.h>

#include "patina/core/assets.hpp"
#include "patina/embed/hashing_engine.hpp"
#include "patina/embed/use_lite_engine.hpp"

namespace patina::domain {

namespace {

result<selected_engine> hashing(const config& cfg, std::string warning) {
  auto engine = embed::hashing_engine::create(cfg.embeddings.hashing_dimension);
  if (!engine) return fail(std::move(engine).err());
  return selected_engine{std::make_unique<embed::hashing_engine>(std::move(*engine)), std::move(warning)};
}

}  // namespace

result<selected_engine> select_engine(const config& cfg) {
  if (cfg.embeddings.engine == embedding_engine::hashing) return hashing(cfg, {});

  auto dir = find_asset(asset::model_dir, &cfg);
  if (!dir) {
    if (cfg.embeddings.engine == embedding_engine::use_lite) return fail(std::move(dir).err());
    return hashing(cfg, "the USE-lite model is not installed, so search uses the hashing engine "
                        "(matches words, not meaning); run scripts/setup to install the model");
  }
  auto engine = embed::use_lite_engine::load(*dir);
  if (!engine) return fail(std::move(engine).err());
  return selected_engine{std::move(*engine), {}};
}

}  // namespace patina::domain
