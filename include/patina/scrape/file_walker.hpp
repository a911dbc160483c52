/// @file
/// patina/scrape/file_walker.hpp — finds the source files below a root directory.
///
/// The walk respects .gitignore files (the root's, nested ones, and .git/info/exclude),
/// skips well-known build/dependency directories by name, never follows symbolic links
/// (so link loops cannot hang it), and records files it will not read — too large,
/// unreadable, binary, invalid UTF-8, symbolic links — instead of failing. Files in no
/// scraped language are ignored silently. The walk itself is iterative (no recursion).
///
/// Thread safety: `walk` touches no shared state; concurrent walks are safe.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/scrape/language.hpp"
#include "patina/scrape/skipped_file.hpp"

namespace patina::scrape {

/// What walk() visits and skips.
struct walk_options {
  /// Directory names skipped at any depth.
  std::vector<std::string> default_excludes = {".git",  "node_modules", "target",      "build",
                                               "deps",  "dist",         "vendor",      "__pycache__",
                                               ".patina", ".venv"};
  /// Extra patterns in .gitignore syntax, relative to the root; they win over every
  /// .gitignore (a `!` in a project's .gitignore cannot re-include what they exclude).
  std::vector<std::string> extra_excludes;
  bool respect_gitignore = true;  ///< Honour the tree's .gitignore files.
  /// Files larger than this are skipped as too_large.
  std::uint64_t max_file_size = 2ull * 1024 * 1024;
  /// Read every candidate to check it (binary, UTF-8, readable). scan() turns this off and
  /// checks the bytes it reads anyway, so each file is read once.
  bool check_content = true;
};

/// A candidate source file found by the walk.
struct walked_file {
  std::string path;  ///< relative to the root, '/' separators, no leading "./"
  language lang = language::c;  ///< Its language, from the file name.
  std::uint64_t size = 0;  ///< Bytes.
  std::int64_t mtime_ns = 0;  ///< nanoseconds since the epoch

  friend bool operator==(const walked_file&, const walked_file&) = default;
};

/// The candidate files of a tree and the files skipped on the way.
struct walk_result {
  std::vector<walked_file> files;     ///< sorted by path (byte order)
  std::vector<skipped_file> skipped;  ///< sorted by path
};

/// Walks `root`. Fails (not_found / invalid_argument / io_error) only when the root itself
/// is missing, not a directory, or cannot be listed; anything below it that cannot be read
/// is recorded in `skipped`.
result<walk_result> walk(const std::filesystem::path& root, const walk_options& options = {});

}  // namespace patina::scrape
