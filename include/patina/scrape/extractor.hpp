/// @file
/// patina/scrape/extractor.hpp — parses one source file with tree-sitter and extracts its
/// code facts (symbols, parameters, imports, call edges, problems) into a `file_facts`.
///
/// Qualified names join the enclosing scopes with the language's separator:
/// - C/C++: namespaces, classes, structs, unions and scoped enums, e.g. `geo::Widget::draw`
///   (enumerators of unscoped enums live in the enclosing scope, as in the language);
///   out-of-line definitions keep their written qualifier (`Widget::draw` inside
///   `namespace geo` is `geo::Widget::draw`); C struct fields are `point::x`; anonymous
///   namespaces add nothing (their members are not public). A specialization is named
///   after its template (`hash<bool>` is `hash`); `class Outer::Inner {` is `Inner`,
///   qualified `Outer::Inner`.
/// - Rust: `crate` + the module path derived from the file path (`src/a/b.rs` and
///   `src/a/b/mod.rs` are `crate::a::b`; `src/lib.rs`, `src/main.rs`, `src/bin/*` and files
///   outside `src/` are crate roots) + in-file `mod`s + the impl's type:
///   `crate::a::b::Cache::new`; trait impl members use Rust's qualified path syntax,
///   `<crate::a::b::Event as Display>::fmt`, so two impls' `fmt` stay distinct.
/// - Python: the module path derived from the file path (`pkg/mod.py` is `pkg.mod`,
///   `pkg/__init__.py` is `pkg`, a leading `src/` is dropped; folders up to the last one
///   whose name is not a Python identifier are dropped too, so
///   `lib/python3.11/asyncio/tasks.py` is `asyncio.tasks`) + classes and functions.
/// - Go: the package name + the receiver type: `store.Widget.Draw`.
/// - Java: the package + classes: `com.example.shapes.Shape.area`.
/// - JavaScript/TypeScript: in-file scopes only (classes, namespaces): `Box.area`.
///
/// Local variables are never symbols; functions and classes nested in functions are
/// (`total.add`). Python instance fields are the `self.x = ...` assignments of `__init__`.
/// JS/TS members of object literals and anonymous classes are not symbols.
///
/// Calls: the caller is the innermost enclosing symbol, so calls inside lambdas and
/// closures belong to the named function around them, and calls in an initializer to the
/// variable, constant or field it initializes (the first one, when a declaration names
/// several). Python decorators run in the enclosing
/// scope and count there; TS/JS decorator arguments are not scanned for calls. C++ casts
/// (`static_cast` ...) are not calls. Callees are names as written, never resolved.
///
/// Docs: the run of comments immediately above a declaration (attributes, decorators and
/// annotations in between are skipped; a blank line or code breaks the run; a comment
/// trailing code on its line is not a doc); Rust takes only `///` and `/** */`; a Python
/// docstring wins over comments.
///
/// The syntax tree is walked with a tree cursor and explicit stacks, never by recursion,
/// so deeply nested code (tens of thousands of levels) cannot overflow the call stack.
///
/// Thread safety: an extractor is NOT thread-safe (it owns tree-sitter parsers); use one
/// per thread. Distinct extractors may be used concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>

#include "patina/scrape/file_facts.hpp"
#include "patina/scrape/language.hpp"

namespace patina::scrape {

/// The version of what extraction produces for a given file. A code index built by
/// another version is re-parsed in full on the next scrape (unchanged files would
/// otherwise keep the facts of the old extractor). Bump it whenever the facts
/// extracted from the same bytes change, or the ids derived from them (3: row ids
/// grouped by file, and the words of bodies; a full rescan replaces every replica's
/// rows of the old scheme; 4: C/C++ declaration macros, specialization names, line
/// ranges of declaration lists, Python module paths).
inline constexpr int extraction_version = 4;

/// Limits that keep extraction bounded on hostile input.
struct extract_options {
  /// Longest signature kept, in bytes; longer ones are cut at a UTF-8 boundary and end in "...".
  std::size_t max_signature_bytes = 400;
  /// Longest doc comment kept, in bytes (cut the same way).
  std::size_t max_doc_bytes = 4000;
  /// Longest body word list kept per symbol (file_facts::body_terms), in bytes; the
  /// words past it are left out.
  std::size_t max_body_terms_bytes = 4096;
  /// Symbols nested deeper than this many scopes are not recorded (a problem says so); it
  /// bounds the size of qualified names on hostile input.
  std::size_t max_scope_depth = 128;
  /// Syntax problems listed per file; the rest are counted in one too_many_errors problem.
  std::size_t max_problems = 16;
  /// A parse that takes longer is abandoned (a parse_failed problem says so); pathological
  /// input must not stall a scan. 0 means no limit.
  std::uint32_t parse_timeout_ms = 10000;
};

/// Parses one file with tree-sitter and extracts its facts. Holds one parser
/// per language; not thread-safe: use one extractor per thread (scan() does).
class extractor {
 public:
  /// An extractor with the given limits.
  explicit extractor(extract_options options = {});
  ~extractor();
  /// Takes over the parsers; the moved-from object may only be destroyed or assigned.
  extractor(extractor&&) noexcept;
  /// Takes over the other's parsers.
  extractor& operator=(extractor&&) noexcept;
  extractor(const extractor&) = delete;
  extractor& operator=(const extractor&) = delete;

  /// Parses `content` as `lang` and returns its facts. `path` is recorded as given (it
  /// should be relative to the scan root with '/' separators) and names Rust and Python
  /// modules. Never fails: a syntax error yields partial facts plus problems; a parser
  /// failure or timeout yields file-level facts plus a parse_failed problem.
  /// REQUIRES: content.size() < 4 GiB (the walker's size limit keeps it far below).
  file_facts extract(std::string_view path, language lang, std::string_view content);

  /// The limits this extractor applies.
  const extract_options& options() const noexcept;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace patina::scrape
