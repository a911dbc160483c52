/// @file
/// patina/scrape/skipped_file.hpp — a file the scraper did not read, and why; plus the
/// content checks that decide it.
///
/// Thread safety: values and pure functions; safe from any thread.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace patina::scrape {

/// Why a file was not parsed.
enum class skip_reason : std::uint8_t {
  binary,        ///< a NUL byte in the first 8 KiB
  invalid_utf8,  ///< content or file/folder name not valid UTF-8 (a byte-order mark is accepted);
                 ///< such a name is recorded with its bad bytes replaced by '?'
  too_large,     ///< above walk_options::max_file_size
  unreadable,    ///< the file or directory could not be opened or read (permissions, I/O)
  symlink,       ///< a symbolic link to a file in a scraped language (links are not followed)
};

/// Stable lower-case name, as stored: "binary", "invalid_utf8", "too_large", "unreadable",
/// "symlink".
std::string_view to_string(skip_reason reason) noexcept;

/// A file the walk or scan skipped, and why.
struct skipped_file {
  std::string path;  ///< relative to the scan root, '/' separators (a directory ends in '/')
  skip_reason reason = skip_reason::unreadable;  ///< Why it was skipped.
  std::string detail;  ///< e.g. "3145728 bytes, limit 2097152", "Permission denied"

  friend bool operator==(const skipped_file&, const skipped_file&) = default;
};

/// Bytes of the head of a file searched for a NUL byte.
inline constexpr std::size_t binary_probe_bytes = 8192;

/// Checks that `bytes` are text a parser should read: no NUL byte in the first
/// binary_probe_bytes, valid UTF-8 throughout. Returns the reason to skip, or nullopt.
/// When `detail` is given it receives a short explanation (e.g. the offset of the first
/// invalid byte).
std::optional<skip_reason> check_content(std::string_view bytes, std::string* detail = nullptr);

}  // namespace patina::scrape
