// Content checks, hashing and the enum names of the scrape module.
#include <cstring>

#include <xxhash.h>

#include "patina/scrape/file_facts.hpp"
#include "patina/scrape/skipped_file.hpp"
#include "patina/scrape/symbol.hpp"
#include "utf8.hpp"

namespace patina::scrape {

std::string content_hash(std::string_view bytes) {
  const XXH64_hash_t h = XXH3_64bits(bytes.data(), bytes.size());
  static constexpr char digits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 0; i < 16; ++i) {
    out[static_cast<std::size_t>(15 - i)] = digits[(h >> (4 * i)) & 0xFu];
  }
  return out;
}

std::uint32_t count_lines(std::string_view bytes) noexcept {
  if (bytes.empty()) return 0;
  std::uint32_t lines = 0;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  while ((p = static_cast<const char*>(std::memchr(p, '\n', static_cast<std::size_t>(end - p)))) != nullptr) {
    ++lines;
    ++p;
  }
  if (bytes.back() != '\n') ++lines;
  return lines;
}

std::optional<skip_reason> check_content(std::string_view bytes, std::string* why) {
  const std::size_t probe = bytes.size() < binary_probe_bytes ? bytes.size() : binary_probe_bytes;
  if (const void* nul = std::memchr(bytes.data(), '\0', probe); nul != nullptr) {
    if (why != nullptr) {
      *why = "NUL byte at offset " +
                std::to_string(static_cast<const char*>(nul) - bytes.data());
    }
    return skip_reason::binary;
  }
  if (const std::size_t bad = detail::first_invalid_utf8(bytes); bad != bytes.size()) {
    if (why != nullptr) *why = "invalid UTF-8 at offset " + std::to_string(bad);
    return skip_reason::invalid_utf8;
  }
  return std::nullopt;
}

std::string_view to_string(skip_reason reason) noexcept {
  switch (reason) {
    case skip_reason::binary: return "binary";
    case skip_reason::invalid_utf8: return "invalid_utf8";
    case skip_reason::too_large: return "too_large";
    case skip_reason::unreadable: return "unreadable";
    case skip_reason::symlink: return "symlink";
  }
  return "unknown";
}

std::string_view to_string(call_kind kind) noexcept {
  switch (kind) {
    case call_kind::call: return "call";
    case call_kind::construct: return "construct";
    case call_kind::macro: return "macro";
  }
  return "unknown";
}

std::string_view to_string(problem_kind kind) noexcept {
  switch (kind) {
    case problem_kind::syntax_error: return "syntax_error";
    case problem_kind::missing_token: return "missing_token";
    case problem_kind::too_many_errors: return "too_many_errors";
    case problem_kind::nesting_too_deep: return "nesting_too_deep";
    case problem_kind::parse_failed: return "parse_failed";
  }
  return "unknown";
}

namespace {
constexpr std::pair<symbol_kind, std::string_view> symbol_kind_names[] = {
    {symbol_kind::function, "function"},     {symbol_kind::method, "method"},
    {symbol_kind::constructor, "constructor"}, {symbol_kind::destructor, "destructor"},
    {symbol_kind::class_, "class"},          {symbol_kind::struct_, "struct"},
    {symbol_kind::union_, "union"},          {symbol_kind::enum_, "enum"},
    {symbol_kind::interface, "interface"},   {symbol_kind::trait, "trait"},
    {symbol_kind::type_alias, "type_alias"}, {symbol_kind::constant, "constant"},
    {symbol_kind::variable, "variable"},     {symbol_kind::macro, "macro"},
    {symbol_kind::module, "module"},         {symbol_kind::namespace_, "namespace"},
    {symbol_kind::field, "field"},           {symbol_kind::enum_member, "enum_member"},
};
}  // namespace

std::string_view to_string(symbol_kind kind) noexcept {
  for (const auto& [k, name] : symbol_kind_names) {
    if (k == kind) return name;
  }
  return "unknown";
}

std::optional<symbol_kind> symbol_kind_from_string(std::string_view name) noexcept {
  for (const auto& [k, n] : symbol_kind_names) {
    if (n == name) return k;
  }
  return std::nullopt;
}

}  // namespace patina::scrape
