#include "body_terms.hpp"

#include "patina/scrape/language.hpp"

#include <algorithm>
#include <iterator>
#include <unordered_set>

namespace patina::scrape::detail {

namespace {

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c >= 0x80;
}

bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

bool has_body(const symbol& s) {
  switch (s.kind) {
    case symbol_kind::function:
    case symbol_kind::method:
    case symbol_kind::constructor:
    case symbol_kind::destructor: return !s.flags.is_declaration && !s.flags.is_abstract;
    default: return false;
  }
}

bool has_members(symbol_kind kind) {
  switch (kind) {
    case symbol_kind::class_:
    case symbol_kind::struct_:
    case symbol_kind::union_:
    case symbol_kind::interface:
    case symbol_kind::trait:
    case symbol_kind::enum_: return true;
    default: return false;
  }
}

// Words longer than this are data (hashes, base64), not vocabulary.
constexpr std::size_t longest_word = 64;

std::string words_of_range(std::string_view text, std::size_t cap) {
  std::string out;
  std::unordered_set<std::string_view> seen;
  std::size_t i = 0;
  while (i < text.size()) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (!is_word_byte(c)) {
      ++i;
      continue;
    }
    std::size_t j = i;
    while (j < text.size() && is_word_byte(static_cast<unsigned char>(text[j]))) ++j;
    const std::string_view w = text.substr(i, j - i);
    i = j;
    // Numbers count when they are whole (303, 65521), not digits led literals
    // such as 0x1f or 10u; single digits are everywhere.
    if (is_digit(static_cast<unsigned char>(w.front()))) {
      if (w.size() < 2 || !std::all_of(w.begin(), w.end(), [](char d) { return is_digit(static_cast<unsigned char>(d)); }))
        continue;
    }
    if (w.size() > longest_word || is_keyword(w) || !seen.insert(w).second) continue;
    if (out.size() + w.size() + 1 > cap) break;
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

}  // namespace

std::vector<std::string> body_terms(std::string_view content, const std::vector<symbol>& symbols, std::size_t cap) {
  std::vector<std::string> out(symbols.size());
  // A type's words are its members' names: "the object holding the method,
  // URL, headers and body" names a class by what it holds.
  for (const auto& s : symbols) {
    if (s.parent >= symbols.size() || !has_members(symbols[s.parent].kind)) continue;
    auto& words = out[s.parent];
    if (words.size() + s.name.size() + 1 > cap) continue;
    if (!words.empty()) words += ' ';
    words += s.name;
  }
  if (std::none_of(symbols.begin(), symbols.end(), has_body)) return out;
  std::vector<std::size_t> line_start{0};
  for (std::size_t i = 0; i < content.size(); ++i)
    if (content[i] == '\n') line_start.push_back(i + 1);
  const auto offset_of_line = [&](std::uint32_t line) {  // 1-based; one past the last line is the end
    if (line == 0) return std::size_t{0};
    return line - 1 < line_start.size() ? line_start[line - 1] : content.size();
  };
  for (std::size_t k = 0; k < symbols.size(); ++k) {
    const auto& s = symbols[k];
    if (!has_body(s) || s.end_line < s.start_line) continue;
    const std::size_t begin = offset_of_line(s.start_line);
    const std::size_t end = std::max(begin, offset_of_line(s.end_line + 1));
    out[k] = words_of_range(content.substr(begin, end - begin), cap);
  }
  return out;
}

}  // namespace patina::scrape::detail
