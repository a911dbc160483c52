#include "patina/domain/engine_selection.hpp"

#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <system_error>
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

// PATINA_MODEL_DIR or [assets] model_dir names the model: the user asked for
// that copy, so "auto" must not quietly use another engine when it is unusable.
bool model_dir_given(const config& cfg) {
  const char* env = std::getenv(std::string(env_var_name(asset::model_dir)).c_str());
  return (env != nullptr && *env != '\0') || !cfg.assets.model_dir.empty();
}

// A built-in place that has a model folder, but not a complete one: a broken
// install, which must not be reported as "not installed".
std::filesystem::path incomplete_builtin_model() {
  const auto places = default_asset_locations();
  for (const auto& base : {places.deps_dir, places.install_datadir, places.relocated_datadir}) {
    if (base.empty()) continue;
    const auto dir = base / std::filesystem::path(relative_location(asset::model_dir));
    std::error_code ec;
    if (std::filesystem::is_directory(dir, ec)) return dir;
  }
  return {};
}

}  // namespace

result<selected_engine> select_engine(const config& cfg) {
  if (cfg.embeddings.engine == embedding_engine::hashing) return hashing(cfg, {});

  auto dir = find_asset(asset::model_dir, &cfg);
  if (!dir) {
    if (cfg.embeddings.engine == embedding_engine::use_lite || model_dir_given(cfg)) return fail(std::move(dir).err());
    if (const auto broken = incomplete_builtin_model(); !broken.empty()) {
      return hashing(cfg, fmt::format("the USE-lite model in {} is incomplete (model.json or vocab.json is missing), "
                                      "so search uses the hashing engine (matches words, not meaning); run "
                                      "scripts/setup to reinstall the model",
                                      broken.string()));
    }
    return hashing(cfg, "the USE-lite model is not installed, so search uses the hashing engine "
                        "(matches words, not meaning); run scripts/setup to install the model");
  }
  auto engine = embed::use_lite_engine::load(*dir);
  if (!engine) return fail(std::move(engine).err());
  return selected_engine{std::move(*engine), {}};
}

}  // namespace patina::domain
