/// @file
/// patina/scrape/gitignore.hpp — the rules of one .gitignore file, and matching paths
/// against them.
///
/// Supported syntax (gitignore(5)): blank lines and `#` comments; backslash escapes of
/// `#`, `!` and space; trailing spaces ignored; `!` negation; a trailing `/` matches directories only;
/// a pattern with a `/` at its start or middle is anchored to the .gitignore's directory,
/// one without matches a name at any depth below it; `*`, `?` and `[...]` never match `/`;
/// a `**` segment matches in all directories at the start, everything inside at the
/// end, and zero or more directories in the middle. Globs are matched per path segment
/// with fnmatch(3). Precedence across files (deeper files win, an excluded directory
/// cannot have files re-included) is the walker's job.
///
/// Thread safety: immutable after construction; const methods are safe from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace patina::scrape {

/// The outcome of matching a path against one .gitignore.
enum class ignore_match : std::uint8_t {
  none,       ///< no rule matched
  ignored,    ///< the last matching rule excludes the path
  unignored,  ///< the last matching rule is a negation (`!pattern`)
};

/// The rules of one .gitignore file (see the file description).
class gitignore {
 public:
  gitignore() = default;

  /// Parses the text of a .gitignore located in `base_dir` (relative to the walk root,
  /// '/' separators, "" for the root itself). Lines that cannot be patterns are skipped.
  static gitignore parse(std::string_view text, std::string base_dir = {});

  /// Matches `path` (relative to the walk root, '/' separators, no trailing '/') against
  /// the rules; `is_dir` tells whether it names a directory. Paths outside base_dir never
  /// match.
  ignore_match match(std::string_view path, bool is_dir) const;

  /// The directory the file sits in, relative to the walk root ("" for the root).
  const std::string& base_dir() const noexcept { return base_dir_; }
  /// True when the file has no rules.
  bool empty() const noexcept { return rules_.empty(); }

 private:
  struct rule {
    std::vector<std::string> segments;  // anchored: glob per path segment ("**" spans)
    std::string basename_glob;          // unanchored: glob matched against the last segment
    bool anchored = false;
    bool negated = false;
    bool dir_only = false;
  };
  static bool match_rule(const rule& r, std::string_view rel, bool is_dir);

  std::string base_dir_;
  std::vector<rule> rules_;
};

}  // namespace patina::scrape
