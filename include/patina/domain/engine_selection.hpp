/// @file
/// patina/domain/engine_selection.hpp — picks the embedding engine a project's
/// configuration asks for (DESIGN §6).
///
///   engine = "use-lite"  USE-lite; its model must be installed (missing_asset otherwise)
///   engine = "hashing"   the hashing engine with [embeddings] hashing_dimension
///   engine = "auto"      USE-lite when its model is found, else hashing + a warning;
///                        but a model folder named by PATINA_MODEL_DIR or [assets]
///                        model_dir that is missing or incomplete is an error, as
///                        with "use-lite" (a typo must not switch engines)
///
/// Thread safety: a free function; the returned engine's own contract applies.
#pragma once

#include <memory>
#include <string>

#include "patina/core/config.hpp"
#include "patina/core/result.hpp"
#include "patina/embed/embedding_engine.hpp"

namespace patina::domain {

/// The engine select_engine() picked, and a warning when it had to fall back.
struct selected_engine {
  std::unique_ptr<embed::embedding_engine> engine;  ///< Never null on success.
  std::string warning;  ///< non-empty when "auto" fell back to hashing, says why
};

/// The engine `cfg.embeddings` asks for (see above). Errors: missing_asset
/// (use-lite without its model: the message says to run scripts/setup; a
/// model folder set explicitly that does not hold the model: the message names
/// the setting),
/// invalid_argument (bad hashing_dimension), parse_error or io_error (a malformed
/// or unreadable model).
result<selected_engine> select_engine(const config& cfg);

}  // namespace patina::domain
