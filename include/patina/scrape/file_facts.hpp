/// @file
/// patina/scrape/file_facts.hpp — everything extracted from one source file.
///
/// `file_facts` is a plain value designed to be stored as rows: one file row (path,
/// language, size, content hash, line count, mtime), and child rows for symbols,
/// imports, call edges and problems. Indexes between them (`call_edge::caller`,
/// `symbol::parent`) point into this file's `symbols` vector.
///
/// A file whose parse had syntax errors still yields the facts that could be read
/// ("partial extraction"); `problems` then says where and why.
///
/// Thread safety: values; no shared state.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "patina/scrape/language.hpp"
#include "patina/scrape/symbol.hpp"

namespace patina::scrape {

/// One import/include/use statement (one row per imported module).
struct import_fact {
  /// The module or path as written, without quotes or angle brackets: "stdio.h",
  /// "std::fmt::{self, Display}", "os.path", "..pkg.mod", "react", "java.util.*".
  std::string path;
  /// Names taken from the module when the statement lists them: Python `from m import a, b`
  /// gives {"a", "b"}; JS/TS named imports give their exported names, a default import gives
  /// "default" and a namespace import "*". Empty otherwise.
  std::vector<std::string> names;
  std::uint32_t line = 0;  ///< 1-based

  friend bool operator==(const import_fact&, const import_fact&) = default;
};

/// How a call is written.
enum class call_kind : std::uint8_t {
  call,       ///< an ordinary call: f(), obj.m(), Foo::bar()
  construct,  ///< `new T(...)` (C++, Java, JS/TS): the callee is the type
  macro,      ///< a Rust macro invocation: the callee ends in "!"
};
/// Stable lower-case name: "call", "construct", "macro".
std::string_view to_string(call_kind kind) noexcept;

/// A call found in the file. The callee is a name as written, not resolved.
struct call_edge {
  /// The innermost symbol whose declaration contains the call (a function, or a field or
  /// constant whose initializer calls), or no_symbol for calls at file level.
  std::uint32_t caller = no_symbol;
  /// The called expression as written, whitespace removed, with call arguments and
  /// template/generic arguments left out: "foo", "obj.bar", "Foo::baz", "this->draw",
  /// "super().__init__", "std::make_shared", "println!".
  std::string callee;
  call_kind kind = call_kind::call;  ///< How the call is written.
  std::uint32_t line = 0;  ///< 1-based

  friend bool operator==(const call_edge&, const call_edge&) = default;
};

/// What went wrong while parsing a file.
enum class problem_kind : std::uint8_t {
  syntax_error,      ///< the parser could not read a region (an ERROR node)
  missing_token,     ///< the parser assumed a token that is not there (a MISSING node)
  too_many_errors,   ///< more syntax problems than are listed
  nesting_too_deep,  ///< symbols nested deeper than extract_options::max_scope_depth
  parse_failed,      ///< the parser gave up; no facts were extracted
};
/// Stable lower-case name, e.g. "syntax_error".
std::string_view to_string(problem_kind kind) noexcept;

/// A problem met while parsing a file; the facts around it are still extracted.
struct parse_problem {
  problem_kind kind = problem_kind::syntax_error;  ///< What went wrong.
  std::uint32_t line = 0;  ///< 1-based; 0 when it concerns the whole file
  std::string message;     ///< for people: what happened and its consequence
  std::string detail;      ///< from the file: the start of the unreadable text, may be empty

  friend bool operator==(const parse_problem&, const parse_problem&) = default;
};

/// Everything extracted from one source file.
struct file_facts {
  std::string path;  ///< relative to the scan root, '/' separators, no leading "./"
  language lang = language::c;  ///< The language it was parsed as.
  std::uint64_t size = 0;    ///< bytes
  std::string content_hash;  ///< XXH3-64 of the bytes, 16 lower-case hex digits
  std::uint32_t line_count = 0;  ///< Lines in the file.
  std::int64_t mtime_ns = 0;  ///< modification time (ns since the epoch) when read from disk, else 0

  std::vector<symbol> symbols;  ///< in source order
  /// Per symbol (same index as `symbols`): the distinct words of a function's, method's
  /// or constructor's body (identifiers, comment and string words; numbers of two digits
  /// or more) in order of first use, space-separated, without the languages' keywords.
  /// Lexical search reads them: a question often names what a body does
  /// ("circular window", "303") rather than what it is called. For a class, struct,
  /// union, enum, interface or trait: the names of its members. Empty for other kinds
  /// and for declarations; capped at extract_options::max_body_terms_bytes.
  std::vector<std::string> body_terms;
  std::vector<import_fact> imports;  ///< In source order.
  std::vector<call_edge> calls;  ///< in source order
  std::vector<parse_problem> problems;  ///< Empty for a clean parse.

  /// True when the parse had errors, so the facts may be incomplete.
  bool partial() const noexcept { return !problems.empty(); }
};

/// XXH3-64 of `bytes` as 16 lower-case hex digits (the content hash of file_facts).
std::string content_hash(std::string_view bytes);

/// Number of lines: the count of '\n', plus one if the last line has no newline.
std::uint32_t count_lines(std::string_view bytes) noexcept;

}  // namespace patina::scrape
