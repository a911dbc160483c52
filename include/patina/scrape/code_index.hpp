/// @file
/// patina/scrape/code_index.hpp — what the code index stores and returns: the rows
/// of `patina symbol`, call edges, and the report of a scrape.
///
/// Plain value types, shared by both builds.
///
/// Thread safety: value types.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "patina/scrape/scanner.hpp"

namespace patina::scrape {

/// A stored symbol with its file, as lookups return it.
struct symbol_record {
  std::int64_t id = 0;  ///< The symbol's id.
  std::string name;  ///< Short name.
  std::string qualified_name;  ///< Name with its enclosing scopes.
  std::string kind;  ///< symbol_kind name, e.g. "function".
  std::string language;  ///< language name, e.g. "cpp".
  std::string path;  ///< Project-relative path, '/' separators.
  std::uint32_t start_line = 0;  ///< First line, 1-based.
  std::uint32_t end_line = 0;  ///< Last line, 1-based.
  std::string signature;  ///< The declaration up to its body.
  std::string doc;  ///< Its doc comment, may be empty.
  std::string parameters;   ///< JSON array of {"name","type"}, or empty
  std::string return_type;  ///< Functions: the return type as written, may be empty.
  std::int64_t flags = 0;   ///< symbol_flag bits (below)
  std::string body_terms;   ///< Words of a function's body (file_facts::body_terms), may be empty
};

/// Bits of symbol_record::flags (the `flags` column).
enum symbol_flag : std::int64_t {
  flag_async = 1,
  flag_static = 2,
  flag_public = 4,
  flag_const = 8,
  flag_virtual = 16,
  flag_abstract = 32,
  flag_unsafe = 64,
  flag_declaration = 128,
};

/// One call edge seen from a symbol: who calls it (callers) or what it calls
/// (callees). `symbol_id` is 0 when the other end did not resolve to exactly one
/// symbol; `name` is then the callee as written.
struct call_record {
  std::string name;            ///< callee as written, or the caller's qualified name
  std::int64_t symbol_id = 0;  ///< the other end, when known
  std::string qualified_name;  ///< of the other end, when known
  std::string path;            ///< where the call is (callers) or where the callee is (callees)
  std::uint32_t line = 0;      ///< line of the call (callers) or of the callee's definition (callees)
};

/// Progress of a scrape, reported after each written batch.
struct scrape_progress {
  std::size_t files_done = 0;  ///< Files handled so far.
  std::size_t files_total = 0;  ///< 0 while the walk is still running
  std::uint64_t bytes_done = 0;  ///< Bytes of source handled so far.
  std::uint64_t bytes_total = 0;  ///< 0 while the walk is still running
};

/// How Database::scrape walks and parses the tree.
struct scrape_options {
  scan_options scan;  ///< Walking and parsing options.
  bool full = false;  ///< re-parse every file even if its content hash is unchanged
  /// Called on the scrape's own thread after each written batch.
  std::function<void(const scrape_progress&)> progress;
  /// Called on the scrape's own thread after each write transaction commits:
  /// what it wrote is then visible to other connections (a follower such as the
  /// lexical index can catch up while the scrape goes on).
  std::function<void()> committed;
};

/// What one Database::scrape did.
struct scrape_report {
  std::size_t files = 0;      ///< candidate files in the tree
  std::size_t parsed = 0;     ///< (re)parsed and stored
  std::size_t unchanged = 0;  ///< same content hash: not parsed
  std::size_t skipped = 0;    ///< binary, invalid UTF-8, too large, unreadable, symlinks
  std::size_t partial = 0;    ///< parsed with syntax errors (facts extracted around them)
  std::size_t removed = 0;    ///< files gone from the tree; their rows were deleted
  std::size_t symbols = 0;    ///< symbols written by this scrape
  std::uint64_t bytes_parsed = 0;  ///< Bytes of source parsed.
  double seconds = 0;  ///< Wall-clock duration.
};

/// A file the last scrape skipped, and why.
struct skipped_record {
  std::string path;  ///< Project-relative path.
  std::string reason;  ///< skip_reason name, e.g. "binary".
  std::string detail;
};

}  // namespace patina::scrape
