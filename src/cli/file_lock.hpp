// An exclusive advisory lock that a command holds for its whole run, on a file
// beside the database (flock(2): tied to the open file, so it is released when
// the holder exits, even by a crash, and no stale lock is ever left behind).
// Used to run one `patina scrape` per database at a time: two scrapes that
// diffed the tree against the same snapshot would both write the same files.
// Not thread-safe; one holder per object.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>

namespace patina::cli {

class file_lock {
 public:
  // Takes the lock on `file` (created if missing), waiting as long as another
  // process holds it; `on_wait` runs once, before waiting. Empty when the file
  // cannot be opened or locked (e.g. a read-only folder): the command then runs
  // unlocked, and reports its own error if it cannot write either.
  static std::optional<file_lock> acquire(const std::filesystem::path& file, const std::function<void()>& on_wait);

  file_lock(file_lock&& other) noexcept;
  file_lock& operator=(file_lock&&) = delete;
  file_lock(const file_lock&) = delete;
  file_lock& operator=(const file_lock&) = delete;
  ~file_lock();

 private:
  explicit file_lock(int fd) noexcept : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace patina::cli
