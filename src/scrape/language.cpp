#include "patina/scrape/language.hpp"

#include <algorithm>
#include <cstddef>
#include <iterator>

#include "ts_languages.hpp"

extern "C" {
const TSLanguage* tree_sitter_c(void);
const TSLanguage* tree_sitter_cpp(void);
const TSLanguage* tree_sitter_rust(void);
const TSLanguage* tree_sitter_python(void);
const TSLanguage* tree_sitter_go(void);
const TSLanguage* tree_sitter_javascript(void);
const TSLanguage* tree_sitter_typescript(void);
const TSLanguage* tree_sitter_tsx(void);
const TSLanguage* tree_sitter_java(void);
}

namespace patina::scrape {
namespace {

struct extension_entry {
  std::string_view extension;  // lower case, with the dot
  language lang;
};

constexpr extension_entry extensions[] = {
    {".c", language::c},          {".h", language::c},
    {".cc", language::cpp},       {".cpp", language::cpp},        {".cxx", language::cpp},
    {".c++", language::cpp},      {".hpp", language::cpp},        {".hh", language::cpp},
    {".hxx", language::cpp},      {".h++", language::cpp},        {".ipp", language::cpp},
    {".tpp", language::cpp},      {".rs", language::rust},        {".py", language::python},
    {".pyi", language::python},   {".go", language::go},          {".js", language::javascript},
    {".mjs", language::javascript}, {".cjs", language::javascript}, {".jsx", language::javascript},
    {".ts", language::typescript}, {".mts", language::typescript}, {".cts", language::typescript},
    {".tsx", language::tsx},      {".java", language::java},
};

constexpr std::size_t longest_extension = 5;

char lower(char c) noexcept { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

}  // namespace

std::string_view to_string(language lang) noexcept {
  switch (lang) {
    case language::c: return "c";
    case language::cpp: return "cpp";
    case language::rust: return "rust";
    case language::python: return "python";
    case language::go: return "go";
    case language::javascript: return "javascript";
    case language::typescript: return "typescript";
    case language::tsx: return "tsx";
    case language::java: return "java";
  }
  return "unknown";
}

std::optional<language> language_from_string(std::string_view name) noexcept {
  for (language lang : all_languages) {
    if (to_string(lang) == name) return lang;
  }
  return std::nullopt;
}

std::optional<language> detect_language(std::string_view path) noexcept {
  const auto slash = path.find_last_of('/');
  const std::string_view base = slash == std::string_view::npos ? path : path.substr(slash + 1);
  const auto dot = base.find_last_of('.');
  // A name that is only an extension (".c") is a hidden file, not a C file.
  if (dot == std::string_view::npos || dot == 0) return std::nullopt;
  const std::string_view ext = base.substr(dot);
  if (ext.size() > longest_extension) return std::nullopt;
  // Case-insensitive comparison in place: no buffer (g++ 12 -O3 warns falsely on one).
  const auto same = [ext](std::string_view candidate) {
    return candidate.size() == ext.size() &&
           std::equal(ext.begin(), ext.end(), candidate.begin(),
                      [](char a, char b) { return lower(a) == b; });
  };
  for (const auto& entry : extensions) {
    if (same(entry.extension)) return entry.lang;
  }
  return std::nullopt;
}

namespace {

bool is_ident_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

std::string_view skip_blanks(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Whether a line (leading blanks removed) is unmistakably C++.
bool cpp_line(std::string_view l) noexcept {
  auto word = [&](std::string_view w) {
    return l.substr(0, w.size()) == w && (l.size() == w.size() || !is_ident_char(l[w.size()]));
  };
  if (word("namespace") || word("template") || word("using namespace")) return true;
  for (std::string_view access : {"public", "private", "protected"}) {
    if (!word(access)) continue;
    const std::string_view rest = skip_blanks(l.substr(access.size()));
    return !rest.empty() && rest.front() == ':' && (rest.size() == 1 || rest[1] != ':');
  }
  if (word("class")) {
    // `class Name {`, `class Name : Base`, `class Name final` - not prose like "class of".
    std::string_view rest = skip_blanks(l.substr(5));
    std::size_t i = 0;
    while (i < rest.size() && is_ident_char(rest[i])) ++i;
    if (i == 0) return false;
    rest = skip_blanks(rest.substr(i));
    return rest.empty() || rest.front() == '{' || rest.front() == ':' || rest.front() == ';' ||
           rest.substr(0, 5) == "final";
  }
  return false;
}

}  // namespace

language refine_language(language lang, std::string_view path, std::string_view content) noexcept {
  if (lang != language::c) return lang;
  const auto dot = path.find_last_of('.');
  if (dot == std::string_view::npos || (path.substr(dot) != ".h" && path.substr(dot) != ".H")) return lang;
  if (content.find("std::") != std::string_view::npos) return language::cpp;
  std::size_t pos = 0;
  while (pos < content.size()) {
    std::size_t eol = content.find('\n', pos);
    if (eol == std::string_view::npos) eol = content.size();
    std::string_view l = content.substr(pos, eol - pos);
    pos = eol + 1;
    l = skip_blanks(l);
    if (!l.empty() && (l.front() == 'n' || l.front() == 't' || l.front() == 'u' || l.front() == 'p' || l.front() == 'c') &&
        cpp_line(l)) {
      return language::cpp;
    }
  }
  return lang;
}

std::string_view qualifier_separator(language lang) noexcept {
  switch (lang) {
    case language::c:
    case language::cpp:
    case language::rust: return "::";
    default: return ".";
  }
}

const TSLanguage* ts_language_for(language lang) noexcept {
  switch (lang) {
    case language::c: return tree_sitter_c();
    case language::cpp: return tree_sitter_cpp();
    case language::rust: return tree_sitter_rust();
    case language::python: return tree_sitter_python();
    case language::go: return tree_sitter_go();
    case language::javascript: return tree_sitter_javascript();
    case language::typescript: return tree_sitter_typescript();
    case language::tsx: return tree_sitter_tsx();
    case language::java: return tree_sitter_java();
  }
  return nullptr;
}

namespace {

// In nearly every body and signature of their language, so they tell symbols
// apart no better than punctuation.
constexpr std::string_view keywords[] = {
    "abstract", "and", "as", "async", "auto", "await", "bool", "break", "case", "catch", "chan", "char",
    "class", "const", "continue", "def", "defer", "del", "do", "double", "elif", "else", "enum", "except",
    "export", "extends", "extern", "false", "fallthrough", "final", "finally", "float", "fn", "for", "from",
    "func", "function", "go", "goto", "if", "impl", "implements", "import", "in", "inline", "instanceof",
    "int", "interface", "is", "lambda", "let", "long", "mut", "nil", "None", "nonlocal", "not", "null", "or",
    "pass", "pub", "raise", "register", "return", "self", "short", "signed", "sizeof", "static", "struct",
    "super", "switch", "this", "throw", "throws", "true", "True", "False", "try", "typedef", "undefined",
    "unsigned", "var", "void", "while",
};

}  // namespace

bool is_keyword(std::string_view word) noexcept {
  return std::find(std::begin(keywords), std::end(keywords), word) != std::end(keywords);
}

}  // namespace patina::scrape
