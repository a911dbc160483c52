// patina/domain/engine_selection.hpp — picks the embedding engine a project's
// configuration asks for (DESIGN §6).
//
//   engine = "use-lite"  USE-lite; its model must be installed (missing_asset otherwise)
//   engine = "hashing"   the hashing engine with [embeddings] hashing_dimension
//   engine = "auto"      USE-lite when its model is found, else hashing + a warning
//
// Thread safety: a free function; the returned engine's own contract applies.
#pragma once

#include <memory>
#include <string>

#include "patina/core/config.hpp"
#include "patina/core/result.hpp"
#include "patina/embed/embedding_engine.hpp"

namespace patina::domain {

struct selected_engine {
  std::unique_ptr<embed::embedding_engine> engine;
  std::string warning;  // non-empty when "auto" fell back to hashing, says why
};

result<selected_engine> select_engine(const config& cfg);

}  // namespace patina::domain
