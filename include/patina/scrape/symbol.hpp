/// @file
/// patina/scrape/symbol.hpp — one named declaration found in a source file.
///
/// A symbol is a plain value, laid out to map onto rows: scalar fields map to columns,
/// `parameters` to a child table (or a JSON column), `parent` to a foreign key within
/// the same file. Overloads and same-named members of different scopes are distinct
/// symbols: they differ in `qualified_name` and/or `signature`. A declaration and its
/// out-of-line definition in the same file (a C prototype, an in-class C++ method
/// declaration) are two symbols that differ in `flags.is_declaration` and lines.
///
/// Thread safety: values; no shared state.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace patina::scrape {

/// What a symbol declares.
enum class symbol_kind : std::uint8_t {
  function,     ///< free function (also a Rust fn outside impl/trait, a Go func)
  method,       ///< function member of a class, struct, trait, interface or impl
  constructor,  ///< C++/Java/JS/TS constructor, Python __init__
  destructor,   ///< C++ destructor, Python __del__
  class_,
  struct_,
  union_,
  enum_,
  interface,    ///< Go/Java/TS interface
  trait,        ///< Rust trait
  type_alias,   ///< typedef, using X = Y, Rust/TS type, Go defined and alias types
  constant,     ///< const/constexpr objects, Rust const, Go const, Java static final,
                ///< JS/TS const, Python module-level ALL_CAPS names
  variable,     ///< namespace/module-level variables (never locals)
  macro,        ///< C/C++ `#define`, Rust macro_rules!
  module,       ///< Rust mod
  namespace_,   ///< C++ namespace, TypeScript namespace / declared module
  field,        ///< data member of a class, struct, union, interface
  enum_member,  ///< enumerator / enum variant / enum constant
};

/// Stable lower-case name, as stored: "function", "method", …, "class", "struct",
/// "union", "enum", "namespace", "enum_member".
std::string_view to_string(symbol_kind kind) noexcept;
/// The kind named `name` (as to_string spells it); nullopt for an unknown name.
std::optional<symbol_kind> symbol_kind_from_string(std::string_view name) noexcept;

/// One parameter of a function, method or function-like macro, as written.
struct parameter {
  /// The name as written; patterns and splats keep their punctuation
  /// ("*args", "**kwargs", "...rest", "{ size = 1 }", "&self" is named "self").
  /// Empty when the code gives none (an unnamed C++ or Go parameter).
  std::string name;
  /// The type as written, whitespace-collapsed (C/C++: the declaration with the name cut
  /// out, e.g. "const char *", "int (*)(int)"); empty when the language or code gives none.
  std::string type;

  friend bool operator==(const parameter&, const parameter&) = default;
};

/// Facts about a symbol that are true or false. Each is false when unknown.
struct symbol_flags {
  bool is_async = false;     ///< Rust/Python/JS/TS async
  bool is_static = false;    ///< C/C++ static storage or member, Java/JS/TS static, Python
                             ///< `@staticmethod`, a Rust associated fn without self
  bool is_public = false;    ///< visible outside its file/module/class: C/C++ external linkage
                             ///< or public access, Rust `pub` (not `pub(crate)`), Go capitalised,
                             ///< Python no leading underscore, JS/TS exported (top level) or not
                             ///< private/protected/`#private` (members), Java `public` or interface member
  bool is_const = false;     ///< C++ const member function or const/constexpr object, Rust const fn,
                             ///< Java final field, TS readonly
  bool is_virtual = false;   ///< C++ virtual/override/final
  bool is_abstract = false;  ///< declared without an implementation by design: C++ pure virtual,
                             ///< Java/TS abstract, interface and trait methods without a body,
                             ///< Python `@abstractmethod`
  bool is_unsafe = false;    ///< Rust unsafe fn
  bool is_declaration = false;  ///< no body here: prototype, forward member declaration,
                                ///< signature, extern object, Python `@overload`

  friend bool operator==(const symbol_flags&, const symbol_flags&) = default;
};

/// Stands for "no symbol" in symbol indexes (symbol::parent, call_edge::caller).
inline constexpr std::uint32_t no_symbol = std::numeric_limits<std::uint32_t>::max();

/// One declaration extracted from a file.
struct symbol {
  std::string name;            ///< as declared: "draw", "~Widget", "operator==", "__init__"
  std::string qualified_name;  ///< scopes joined by the language's separator (extractor.hpp)
  symbol_kind kind = symbol_kind::function;  ///< What it declares.
  std::uint32_t start_line = 0;  ///< 1-based, includes decorators, template heads, `export`
  std::uint32_t end_line = 0;    ///< 1-based, inclusive
  std::string signature;  ///< the declaration up to its body, whitespace-collapsed, comments and
                          ///< decorators/annotations left out, capped (see extract_options)
  std::string doc;        ///< doc comment or Python docstring, markers stripped; may be empty
  std::uint32_t parent = no_symbol;  ///< index of the enclosing symbol in this file, or no_symbol
  std::vector<parameter> parameters;  ///< functions, methods, constructors, function-like macros
  std::string return_type;            ///< as written; empty when none is written
  symbol_flags flags;  ///< Modifiers (async, static, public, ...).
  std::uint16_t generic_count = 0;  ///< template/type/lifetime parameters declared on the symbol

  friend bool operator==(const symbol&, const symbol&) = default;
};

}  // namespace patina::scrape
