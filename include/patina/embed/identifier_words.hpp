/// @file
/// patina/embed/identifier_words.hpp — splitting code identifiers into words.
///
/// `split_identifier_words("std::vector<int>::push_back")` gives
/// {"std", "vector", "int", "push", "back"}. The rules, applied to UTF-8 text:
///   * a word is a maximal run of ASCII letters, ASCII digits and non-ASCII
///     characters; everything else (spaces, `_`, `-`, `::`, `.`, `/`, brackets,
///     punctuation) separates words;
///   * inside a run, a new word starts at a lower-case -> upper-case step
///     ("parseCommand" -> parse, command), before the last capital of a capital
///     run followed by a lower-case letter ("HTTPResponse" -> http, response), and
///     at every letter <-> digit step ("utf8ToUtf16" -> utf, 8, to, utf, 16);
///   * ASCII letters are lower-cased; non-ASCII characters count as lower-case
///     letters and are kept as they are ("caféBar" -> café, bar).
/// The rules are part of the hashing engine's model id ("hashing-v1-…"): changing
/// them changes every hashing vector.
///
/// Thread safety: a pure function.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace patina::embed {

/// The lower-case words of `text`, in order (duplicates kept).
std::vector<std::string> split_identifier_words(std::string_view text);

}  // namespace patina::embed
