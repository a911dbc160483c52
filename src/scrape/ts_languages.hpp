// Private: the tree-sitter grammar of each language.
#pragma once

#include <tree_sitter/api.h>

#include "patina/scrape/language.hpp"

namespace patina::scrape {

// The compiled-in grammar; never null for a valid `lang`.
const TSLanguage* ts_language_for(language lang) noexcept;

}  // namespace patina::scrape
