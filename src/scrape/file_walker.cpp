#include "patina/scrape/file_walker.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>

#include "patina/scrape/gitignore.hpp"
#include "source_reader.hpp"
#include "utf8.hpp"

namespace patina::scrape {
namespace {

// The .gitignore files that apply in one directory: its own, then its ancestors'.
struct ignore_chain {
  gitignore rules;
  std::shared_ptr<const ignore_chain> parent;
};

struct pending_dir {
  std::string rel;  // "" for the root
  std::shared_ptr<const ignore_chain> ignores;
};

struct fd_closer {
  void operator()(DIR* d) const noexcept { ::closedir(d); }
};

std::string errno_text(int err) { return std::strerror(err); }

std::string join(const std::string& a, std::string_view b) {
  if (a.empty()) return std::string(b);
  std::string out;
  out.reserve(a.size() + 1 + b.size());
  out += a;
  out += '/';
  out += b;
  return out;
}

// Reads a whole small text file; empty when it is missing or unreadable (a .gitignore we
// cannot read is treated as absent, like git does).
std::string slurp(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) return {};
  struct stat st {};
  std::string out;
  if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
    char buf[8192];
    ssize_t n = 0;
    // A .gitignore larger than a few MiB is not a real one; stop there.
    constexpr std::size_t limit = 4u << 20;
    while (out.size() < limit && (n = ::read(fd, buf, sizeof buf)) > 0) {
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return out;
}

class walker {
 public:
  walker(std::string root, const walk_options& options) : root_(std::move(root)), options_(options) {
    extra_ = gitignore::parse(join_lines(options.extra_excludes));
  }

  result<walk_result> run() {
    struct stat st {};
    if (::stat(root_.c_str(), &st) != 0) {
      const int err = errno;
      if (err == ENOENT || err == ENOTDIR) {
        return fail(errc::not_found, "The folder to scan does not exist: " + root_ +
                                         ". Check the path, or run the command from the project root.",
                    errno_text(err));
      }
      return fail(errc::io_error, "Cannot read the folder to scan: " + root_ + ". Check its permissions.",
                  errno_text(err));
    }
    if (!S_ISDIR(st.st_mode)) {
      return fail(errc::invalid_argument,
                  "The path to scan is not a folder: " + root_ + ". Pass the project's root folder.");
    }
    std::shared_ptr<const ignore_chain> base;
    if (options_.respect_gitignore) {
      // .git/info/exclude has the lowest precedence: below the root's .gitignore.
      const std::string exclude = slurp(root_ + "/.git/info/exclude");
      if (!exclude.empty()) {
        base = std::make_shared<const ignore_chain>(ignore_chain{gitignore::parse(exclude), nullptr});
      }
    }
    std::vector<pending_dir> stack;
    stack.push_back({"", base});
    bool root_listed = false;
    while (!stack.empty()) {
      pending_dir dir = std::move(stack.back());
      stack.pop_back();
      const bool ok = list(dir, stack);
      if (dir.rel.empty()) root_listed = ok;
    }
    if (!root_listed) {
      return fail(errc::io_error, "Cannot list the folder to scan: " + root_ + ". Check its permissions.",
                  root_error_);
    }
    std::sort(out_.files.begin(), out_.files.end(),
              [](const walked_file& a, const walked_file& b) { return a.path < b.path; });
    std::sort(out_.skipped.begin(), out_.skipped.end(),
              [](const skipped_file& a, const skipped_file& b) { return a.path < b.path; });
    return std::move(out_);
  }

 private:
  static std::string join_lines(const std::vector<std::string>& lines) {
    std::string text;
    for (const auto& l : lines) {
      text += l;
      text += '\n';
    }
    return text;
  }

  std::string abs(const std::string& rel) const { return rel.empty() ? root_ : root_ + "/" + rel; }

  bool is_ignored(const std::string& rel, bool is_dir, const ignore_chain* chain) const {
    if (!extra_.empty()) {
      const ignore_match m = extra_.match(rel, is_dir);
      if (m == ignore_match::ignored) return true;
      if (m == ignore_match::unignored) return false;
    }
    // Deeper .gitignore files take precedence over those above them.
    for (const ignore_chain* c = chain; c != nullptr; c = c->parent.get()) {
      const ignore_match m = c->rules.match(rel, is_dir);
      if (m != ignore_match::none) return m == ignore_match::ignored;
    }
    return false;
  }

  bool default_excluded(std::string_view name) const {
    return std::find(options_.default_excludes.begin(), options_.default_excludes.end(), name) !=
           options_.default_excludes.end();
  }

  // Lists one directory: files become candidates or skips, subdirectories are pushed.
  bool list(const pending_dir& dir, std::vector<pending_dir>& stack) {
    const std::string dir_path = abs(dir.rel);
    std::unique_ptr<DIR, fd_closer> d(::opendir(dir_path.c_str()));
    if (!d) {
      const int err = errno;
      if (dir.rel.empty()) {
        root_error_ = errno_text(err);
      } else {
        out_.skipped.push_back({dir.rel + "/", skip_reason::unreadable, errno_text(err)});
      }
      return false;
    }
    std::shared_ptr<const ignore_chain> chain = dir.ignores;
    if (options_.respect_gitignore) {
      std::string text = slurp(join(dir_path, ".gitignore"));
      if (!text.empty()) {
        chain = std::make_shared<const ignore_chain>(ignore_chain{gitignore::parse(text, dir.rel), chain});
      }
    }
    const int dfd = ::dirfd(d.get());
    std::vector<pending_dir> subdirs;
    errno = 0;
    while (const dirent* e = ::readdir(d.get())) {
      const std::string_view name = e->d_name;
      if (name == "." || name == "..") continue;
      unsigned char type = e->d_type;
      struct stat st {};
      bool have_stat = false;
      if (type == DT_UNKNOWN) {
        if (::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        have_stat = true;
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
      }
      const std::string rel = join(dir.rel, name);
      // Paths are stored and printed as text: a name that is not UTF-8 is reported (its bad
      // bytes shown as '?') instead of walked or read.
      const bool text_name = detail::first_invalid_utf8(name) == name.size();
      if (type == DT_DIR) {
        if (default_excluded(name) || is_ignored(rel, true, chain.get())) continue;
        if (!text_name) {
          out_.skipped.push_back({detail::sanitize_utf8(rel) + "/", skip_reason::invalid_utf8,
                                  "the folder name is not valid UTF-8"});
          continue;
        }
        subdirs.push_back({rel, chain});
        continue;
      }
      if (type != DT_REG && type != DT_LNK) continue;  // FIFOs, sockets, devices: never read
      const std::optional<language> lang = detect_language(name);
      if (!lang) continue;
      if (is_ignored(rel, false, chain.get())) continue;
      if (!text_name) {
        out_.skipped.push_back({detail::sanitize_utf8(rel), skip_reason::invalid_utf8, "the file name is not valid UTF-8"});
        continue;
      }
      if (type == DT_LNK) {
        // Links are not followed (no loops, no files from outside the tree); only links
        // that look like source files are worth reporting.
        out_.skipped.push_back({rel, skip_reason::symlink, "symbolic link, not followed"});
        continue;
      }
      if (!have_stat && ::fstatat(dfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
        out_.skipped.push_back({rel, skip_reason::unreadable, errno_text(errno)});
        continue;
      }
      if (!S_ISREG(st.st_mode)) continue;
      const auto size = static_cast<std::uint64_t>(st.st_size);
      if (size > options_.max_file_size) {
        out_.skipped.push_back({rel, skip_reason::too_large,
                                std::to_string(size) + " bytes, limit " + std::to_string(options_.max_file_size)});
        continue;
      }
      if (options_.check_content) {
        detail::read_outcome r = detail::read_source(abs(rel), options_.max_file_size);
        if (r.skip) {
          out_.skipped.push_back({rel, *r.skip, std::move(r.detail)});
          continue;
        }
      }
      const std::int64_t mtime_ns =
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + static_cast<std::int64_t>(st.st_mtim.tv_nsec);
      out_.files.push_back({rel, *lang, size, mtime_ns});
    }
    // Push in reverse so that directories are visited in listing order (cosmetic: the
    // result is sorted anyway).
    for (auto it = subdirs.rbegin(); it != subdirs.rend(); ++it) stack.push_back(std::move(*it));
    return true;
  }

  std::string root_;
  const walk_options& options_;
  gitignore extra_;
  walk_result out_;
  std::string root_error_;
};

}  // namespace

namespace detail {

read_outcome read_source(const std::string& path, std::uint64_t max_size) {
  read_outcome out;
  // O_NONBLOCK: should the path have become a FIFO since the walk, open must not hang.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    out.skip = err == ELOOP ? skip_reason::symlink : skip_reason::unreadable;
    out.detail = errno_text(err);
    return out;
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    out.skip = skip_reason::unreadable;
    out.detail = "not a regular file";
    ::close(fd);
    return out;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  if (size > max_size) {
    out.skip = skip_reason::too_large;
    out.detail = std::to_string(size) + " bytes, limit " + std::to_string(max_size);
    ::close(fd);
    return out;
  }
  out.bytes.resize(static_cast<std::size_t>(size));
  std::size_t got = 0;
  for (;;) {
    if (got == out.bytes.size()) {
      // The file may have grown since fstat: read on, up to the limit.
      if (out.bytes.size() > max_size) break;
      out.bytes.resize(out.bytes.size() + 4096);
    }
    const ssize_t n = ::read(fd, out.bytes.data() + got, out.bytes.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      out.skip = skip_reason::unreadable;
      out.detail = errno_text(errno);
      ::close(fd);
      out.bytes.clear();
      return out;
    }
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.bytes.resize(got);
  if (got > max_size) {
    out.skip = skip_reason::too_large;
    out.detail = std::to_string(got) + "+ bytes, limit " + std::to_string(max_size);
    out.bytes.clear();
    return out;
  }
  std::string why;
  if (auto reason = check_content(out.bytes, &why)) {
    out.skip = reason;
    out.detail = std::move(why);
    out.bytes.clear();
  }
  return out;
}

}  // namespace detail

result<walk_result> walk(const std::filesystem::path& root, const walk_options& options) {
  std::string r = root.string();
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  if (r.empty()) r.push_back('.');
  walker w(std::move(r), options);
  return w.run();
}

}  // namespace patina::scrape
