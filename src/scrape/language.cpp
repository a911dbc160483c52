#include "patina/scrape/language.hpp"

#include <algorithm>
#include <cstddef>

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
  char buf[longest_extension];
  std::transform(ext.begin(), ext.end(), buf, lower);
  const std::string_view lowered(buf, ext.size());
  for (const auto& entry : extensions) {
    if (entry.extension == lowered) return entry.lang;
  }
  return std::nullopt;
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

}  // namespace patina::scrape
