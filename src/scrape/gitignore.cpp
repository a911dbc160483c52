#include "patina/scrape/gitignore.hpp"

#include <fnmatch.h>

#include <cstddef>

namespace patina::scrape {
namespace {

std::vector<std::string_view> split_segments(std::string_view path) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  while (start <= path.size()) {
    const std::size_t slash = path.find('/', start);
    const std::size_t end = slash == std::string_view::npos ? path.size() : slash;
    if (end > start) out.push_back(path.substr(start, end - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return out;
}

bool glob_match(const std::string& glob, std::string_view name) {
  // fnmatch needs NUL-terminated text; names are short, a copy is cheap.
  const std::string text(name);
  return ::fnmatch(glob.c_str(), text.c_str(), 0) == 0;
}

// Removes unescaped trailing spaces (gitignore(5): "Trailing spaces are ignored unless
// they are quoted with backslash").
std::string_view trim_trailing_spaces(std::string_view line) {
  while (!line.empty() && line.back() == ' ') {
    std::size_t backslashes = 0;
    for (std::size_t i = line.size() - 1; i > 0 && line[i - 1] == '\\'; --i) ++backslashes;
    if (backslashes % 2 == 1) break;  // "\ " is an escaped, significant space
    line.remove_suffix(1);
  }
  return line;
}

}  // namespace

gitignore gitignore::parse(std::string_view text, std::string base_dir) {
  gitignore g;
  g.base_dir_ = std::move(base_dir);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = trim_trailing_spaces(line);
    if (line.empty() || line.front() == '#') continue;

    rule r;
    if (line.front() == '!') {
      r.negated = true;
      line.remove_prefix(1);
    }
    if (!line.empty() && line.back() == '/') {
      r.dir_only = true;
      while (!line.empty() && line.back() == '/') line.remove_suffix(1);
    }
    if (line.empty()) continue;
    // A slash at the start or in the middle anchors the pattern to base_dir.
    r.anchored = line.find('/') != std::string_view::npos;
    if (!r.anchored) {
      r.basename_glob = std::string(line);
      g.rules_.push_back(std::move(r));
      continue;
    }
    for (std::string_view seg : split_segments(line)) {
      // Consecutive "**" segments mean the same as one.
      if (seg == "**" && !r.segments.empty() && r.segments.back() == "**") continue;
      r.segments.emplace_back(seg);
    }
    if (r.segments.empty()) continue;
    g.rules_.push_back(std::move(r));
  }
  return g;
}

bool gitignore::match_rule(const rule& r, std::string_view rel, bool is_dir) {
  if (r.dir_only && !is_dir) return false;
  if (!r.anchored) {
    const std::size_t slash = rel.find_last_of('/');
    const std::string_view name = slash == std::string_view::npos ? rel : rel.substr(slash + 1);
    return glob_match(r.basename_glob, name);
  }
  const std::vector<std::string_view> path = split_segments(rel);
  const std::size_t np = r.segments.size();
  const std::size_t ns = path.size();
  // ok[i * (ns + 1) + j]: segments[i..] match path[j..]. Both are short (directory depth).
  std::vector<char> ok((np + 1) * (ns + 1), 0);
  auto at = [&](std::size_t i, std::size_t j) -> char& { return ok[i * (ns + 1) + j]; };
  at(np, ns) = 1;
  for (std::size_t i = np; i-- > 0;) {
    const std::string& seg = r.segments[i];
    for (std::size_t j = ns + 1; j-- > 0;) {
      bool m = false;
      if (seg == "**") {
        if (i == np - 1) {
          m = j < ns;  // a trailing "/**" matches everything inside, not the directory itself
        } else {
          m = at(i + 1, j) != 0 || (j < ns && at(i, j + 1) != 0);
        }
      } else {
        m = j < ns && at(i + 1, j + 1) != 0 && glob_match(seg, path[j]);
      }
      at(i, j) = m ? 1 : 0;
    }
  }
  return at(0, 0) != 0;
}

ignore_match gitignore::match(std::string_view path, bool is_dir) const {
  std::string_view rel = path;
  if (!base_dir_.empty()) {
    if (path.size() <= base_dir_.size() || path.compare(0, base_dir_.size(), base_dir_) != 0 ||
        path[base_dir_.size()] != '/') {
      return ignore_match::none;
    }
    rel = path.substr(base_dir_.size() + 1);
  }
  for (auto it = rules_.rbegin(); it != rules_.rend(); ++it) {
    if (match_rule(*it, rel, is_dir)) {
      return it->negated ? ignore_match::unignored : ignore_match::ignored;
    }
  }
  return ignore_match::none;
}

}  // namespace patina::scrape
