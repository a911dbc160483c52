// Private: reading a candidate file safely (no symlinks, no FIFOs, bounded size).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "patina/scrape/skipped_file.hpp"

namespace patina::scrape::detail {

struct read_outcome {
  std::string bytes;
  std::optional<skip_reason> skip;  // set when the file must be skipped
  std::string detail;               // why, when skipped
};

// Reads the regular file at `path` (not following a final symlink) if it has at most
// `max_size` bytes, then checks its content (check_content). Never throws for I/O errors.
read_outcome read_source(const std::string& path, std::uint64_t max_size);

}  // namespace patina::scrape::detail
