/// @file
/// patina/scrape/language.hpp — the programming languages the scraper reads, and how a
/// file's language is decided.
///
/// The language of a file is decided by its extension (case-insensitive): `.c .h` are C;
/// `.cc .cpp .cxx .c++ .hpp .hh .hxx .h++ .ipp .tpp` are C++; `.rs` Rust; `.py .pyi` Python;
/// `.go` Go; `.js .mjs .cjs .jsx` JavaScript; `.ts .mts .cts` TypeScript; `.tsx` TSX;
/// `.java` Java. Anything else has no language and is not scraped.
///
/// `.h` is ambiguous. It is C by default (a C++ parser misreads C that uses `new`, `class`
/// or `template` as identifiers), and `refine_language` turns it into C++ when the content
/// shows C++ — a C parser turns C++ headers into a cascade of syntax errors and misses
/// their classes.
///
/// Thread safety: pure functions over values; safe from any thread.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace patina::scrape {

/// The languages Patina parses (one tree-sitter grammar each; TypeScript has two).
enum class language : std::uint8_t {
  c,
  cpp,
  rust,
  python,
  go,
  javascript,
  typescript,
  tsx,
  java,
};

/// Every language, in declaration order.
inline constexpr std::array<language, 9> all_languages = {
    language::c,          language::cpp,        language::rust,
    language::python,     language::go,         language::javascript,
    language::typescript, language::tsx,        language::java,
};

/// Stable lower-case name, as stored: "c", "cpp", "rust", "python", "go", "javascript",
/// "typescript", "tsx", "java".
std::string_view to_string(language lang) noexcept;

/// The language named by `name` (the names of to_string), or nullopt.
std::optional<language> language_from_string(std::string_view name) noexcept;

/// The language of a file, from its path's extension; nullopt when it is not scraped.
std::optional<language> detect_language(std::string_view path) noexcept;

/// The language to parse `content` as, given the extension-based `lang`: a `.h` file (C)
/// becomes C++ when a line starts with `namespace`, `template`, `class X {`/`class X :`,
/// `public:`, `private:`, `protected:` or `using namespace`, or `std::` appears. Other
/// languages are returned unchanged.
language refine_language(language lang, std::string_view path, std::string_view content) noexcept;

/// The separator of qualified names: "::" for C, C++ and Rust, "." for the others.
std::string_view qualifier_separator(language lang) noexcept;

/// Whether `word` (case-sensitive) is a keyword or built-in type or constant of one of the
/// eight languages that says nothing of what code does ("func", "def", "int", "None",
/// "self", …); search leaves such words out of body words and signatures.
bool is_keyword(std::string_view word) noexcept;

}  // namespace patina::scrape
