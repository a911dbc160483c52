#pragma once
// The words of callable bodies (file_facts::body_terms), gathered from the text
// of each function's line range after the language's extractor has run.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "patina/scrape/symbol.hpp"

namespace patina::scrape::detail {

// One entry per symbol: for functions, methods, constructors and destructors
// that have a body here, the distinct words of lines start_line..end_line in
// order of first use, space-separated, at most `cap` bytes; "" for the rest.
std::vector<std::string> body_terms(std::string_view content, const std::vector<symbol>& symbols, std::size_t cap);

}  // namespace patina::scrape::detail
