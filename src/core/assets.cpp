#include "patina/core/assets.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>
#include <system_error>
#include <vector>

#include "patina/build_config.hpp"
#include "patina/core/config.hpp"

namespace patina {
namespace fs = std::filesystem;

namespace {

std::string_view asset_name(asset a) noexcept {
  switch (a) {
    case asset::sqlite_vec: return "sqlite-vec extension (vec0.so)";
    case asset::model_dir: return "USE-lite model directory";
    case asset::tursodb: return "tursodb server binary";
  }
  return "asset";
}

// Why `p` does not hold asset `a`, or an empty string if it does.
std::string why_not(asset a, const fs::path& p) {
  std::error_code ec;
  const fs::file_status st = fs::status(p, ec);
  if (!fs::exists(st)) return "does not exist";
  if (a == asset::model_dir) {
    if (!fs::is_directory(st)) return "is not a directory";
    for (const char* required : {"model.json", "vocab.json"}) {
      if (!fs::is_regular_file(p / required, ec)) return std::string("has no ") + required;
    }
    return {};
  }
  if (fs::is_directory(st)) return "is a directory, not a file";
  if (!fs::is_regular_file(st)) return "is not a regular file";
  if (a == asset::tursodb && ::access(p.c_str(), X_OK) != 0) return "is not executable";
  return {};
}

fs::path absolute_normal(const fs::path& p) {
  std::error_code ec;
  fs::path abs = fs::absolute(p, ec);
  return ec ? p : abs.lexically_normal();
}

}  // namespace

std::string_view env_var_name(asset a) noexcept {
  switch (a) {
    case asset::sqlite_vec: return "PATINA_SQLITE_VEC";
    case asset::model_dir: return "PATINA_MODEL_DIR";
    case asset::tursodb: return "PATINA_TURSODB";
  }
  return {};
}

std::string_view relative_location(asset a) noexcept {
  switch (a) {
    case asset::sqlite_vec: return "sqlite-vec/vec0.so";
    case asset::model_dir: return "model-embeddings-en/dist";
    case asset::tursodb: return "tursodb/tursodb";
  }
  return {};
}

asset_locations default_asset_locations() {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  fs::path relocated;
  if (!ec && self.has_parent_path()) relocated = self.parent_path().parent_path() / "share" / "patina";
  return {fs::path(PATINA_DEPS_DIR), fs::path(PATINA_INSTALL_DATADIR), relocated};
}

result<fs::path> find_asset(asset a, const config* cfg) {
  return find_asset(a, cfg, default_asset_locations());
}

result<fs::path> find_asset(asset a, const config* cfg, const asset_locations& builtin) {
  const std::string var(env_var_name(a));
  const std::string what(asset_name(a));
  std::vector<std::string> looked;

  // 1. The environment: set means "use exactly this".
  if (const char* env = std::getenv(var.c_str()); env != nullptr && *env != '\0') {
    const fs::path p = absolute_normal(fs::path(env));
    const std::string why = why_not(a, p);
    if (why.empty()) return p;
    return fail(errc::missing_asset, var + " is set to '" + p.string() + "', which " + why +
                                         "; point it at the " + what + ", or unset it and run `scripts/setup` to install it");
  }
  looked.push_back(var + " (not set)");

  // 2. The config file, for the assets it has a key for.
  if (a != asset::tursodb) {
    const std::string key = a == asset::sqlite_vec ? "assets.sqlite_vec" : "assets.model_dir";
    const fs::path* entry = nullptr;
    if (cfg != nullptr) entry = a == asset::sqlite_vec ? &cfg->assets.sqlite_vec : &cfg->assets.model_dir;
    if (entry != nullptr && !entry->empty()) {
      const fs::path p = absolute_normal(cfg->resolve(*entry));
      const std::string why = why_not(a, p);
      if (why.empty()) return p;
      return fail(errc::missing_asset,
                  "the config file sets " + key + " = '" + entry->string() + "' ('" + p.string() +
                      "'), which " + why +
                      "; fix that entry in .patina/config.toml, or remove it and run `scripts/setup` to install it");
    }
    looked.push_back(key + (cfg == nullptr ? " (no config file)" : " (not set)"));
  }

  // 3 and 4. The folders recorded at build time.
  for (const fs::path& base : {builtin.deps_dir, builtin.install_datadir, builtin.relocated_datadir}) {
    if (base.empty()) continue;
    const fs::path p = absolute_normal(base / fs::path(relative_location(a)));
    const std::string why = why_not(a, p);
    if (why.empty()) return p;
    looked.push_back(p.string() + " (" + why + ")");
  }

  std::string places;
  for (const std::string& place : looked) {
    places += places.empty() ? "" : "; ";
    places += place;
  }
  return fail(errc::missing_asset, "cannot find the " + what + ". Looked in: " + places +
                                       ". Run `scripts/setup` to install it, or set " + var +
                                       " to its location");
}

}  // namespace patina
