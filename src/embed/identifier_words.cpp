#include "patina/embed/identifier_words.hpp"

namespace patina::embed {
namespace {

enum class char_class { separator, lower, upper, digit };

// Non-ASCII bytes (parts of UTF-8 sequences) count as lower-case letters, so a
// multi-byte character is never split and "caféBar" still splits before 'B'.
char_class classify(unsigned char c) noexcept {
  if (c >= 0x80) return char_class::lower;
  if (c >= 'a' && c <= 'z') return char_class::lower;
  if (c >= 'A' && c <= 'Z') return char_class::upper;
  if (c >= '0' && c <= '9') return char_class::digit;
  return char_class::separator;
}

bool is_letter(char_class k) noexcept { return k == char_class::lower || k == char_class::upper; }

}  // namespace

std::vector<std::string> split_identifier_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  auto flush = [&] {
    if (!current.empty()) words.push_back(std::move(current));
    current.clear();
  };
  char_class previous = char_class::separator;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const char_class k = classify(c);
    if (k == char_class::separator) {
      flush();
      previous = k;
      continue;
    }
    const char_class next =
        i + 1 < text.size() ? classify(static_cast<unsigned char>(text[i + 1])) : char_class::separator;
    const bool camel_step = previous == char_class::lower && k == char_class::upper;
    const bool acronym_end =
        previous == char_class::upper && k == char_class::upper && next == char_class::lower;
    const bool digit_step = (previous == char_class::digit && is_letter(k)) ||
                            (is_letter(previous) && k == char_class::digit);
    if (camel_step || acronym_end || digit_step) flush();
    current.push_back(k == char_class::upper ? static_cast<char>(c - 'A' + 'a') : static_cast<char>(c));
    previous = k;
  }
  flush();
  return words;
}

}  // namespace patina::embed
