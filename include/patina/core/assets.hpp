/// @file
/// patina/core/assets.hpp — finding the files Patina needs at run time but does not
/// build: sqlite-vec's loadable extension, the USE-lite model, the tursodb test server.
///
/// `scripts/setup` unpacks them into the source tree's deps/ folder; an installed copy
/// has them under `<prefix>/share/patina/`. Each asset is looked for in this order, and
/// the first place that has it wins:
///
///   1. its environment variable (PATINA_SQLITE_VEC, PATINA_MODEL_DIR, PATINA_TURSODB);
///   2. the config file's [assets] entry (sqlite_vec, model_dir; tursodb has none);
///   3. `<deps>/<relative location>`, deps being the folder recorded at build time;
///   4. `<prefix>/share/patina/<relative location>`, for an installed copy;
///   5. `<directory of the running program>/../share/patina/<relative location>`, for an
///      installed `patina` moved or installed under another prefix than configured.
///
/// Relative locations: sqlite-vec/vec0.so, model-embeddings-en/dist (a directory
/// holding model.json and vocab.json), tursodb/tursodb (an executable).
/// A location given explicitly (1 or 2) that does not hold the asset is an error that
/// names it: a typo in a setting must not silently fall through to another copy.
///
/// Thread safety: reads the process environment and the filesystem only; must not race
/// with setenv() in another thread.
#pragma once

#include <filesystem>
#include <string_view>

#include "patina/core/result.hpp"

namespace patina {

struct config;

/// The run-time files Patina looks up with find_asset().
enum class asset {
  sqlite_vec,  ///< sqlite-vec's loadable extension, vec0.so
  model_dir,   ///< the USE-lite model directory (model.json, vocab.json, weight shards)
  tursodb,     ///< the Turso server binary, for tests and development
};

/// The environment variable that names `a`'s location, e.g. "PATINA_SQLITE_VEC".
std::string_view env_var_name(asset a) noexcept;

/// Where `a` sits inside the deps/ folder and the install data folder,
/// e.g. "sqlite-vec/vec0.so".
std::string_view relative_location(asset a) noexcept;

/// The built-in folders searched after the environment and the config file.
struct asset_locations {
  std::filesystem::path deps_dir;         ///< places 3
  std::filesystem::path install_datadir;  ///< place 4
  std::filesystem::path relocated_datadir;  ///< place 5 (empty: not searched)
};

/// PATINA_DEPS_DIR and PATINA_INSTALL_DATADIR as recorded in patina/build_config.hpp,
/// and share/patina beside the running program's bin/ folder.
asset_locations default_asset_locations();

/// Finds `a` in the order above. `cfg` may be null (no config file); its [assets] paths
/// are resolved against its project root. An environment path is taken relative to the
/// working directory. Returns an absolute path to the file (or, for model_dir, the
/// directory).
/// Fails with errc::missing_asset when:
///   - the environment variable is set (non-empty) but does not name the asset (no such
///     file, a directory instead of a file, a model directory lacking model.json or
///     vocab.json, tursodb not executable): the message names the variable and path;
///   - likewise for the config entry: the message names `assets.<key>` and the path;
///   - the asset is in none of the places: the message names every place it looked and
///     says to run `scripts/setup`.
result<std::filesystem::path> find_asset(asset a, const config* cfg);

/// As above with explicit built-in folders (an empty path skips that place). For
/// relocated installs and tests.
result<std::filesystem::path> find_asset(asset a, const config* cfg,
                                         const asset_locations& builtin);

}  // namespace patina
