// Test helper: edits a small text file (a project's config.toml) in place.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace patina::test {

// Replaces the first `from` in the file at `path` with `to`; false (and the file
// unchanged) when `from` is not there.
inline bool replace_in_file(const std::filesystem::path& path, const std::string& from, const std::string& to) {
  std::stringstream text;
  text << std::ifstream(path).rdbuf();
  auto s = text.str();
  const auto at = s.find(from);
  if (at == std::string::npos) return false;
  s.replace(at, from.size(), to);
  std::ofstream(path) << s;
  return true;
}

}  // namespace patina::test
