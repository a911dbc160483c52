// db/turso/sync/page_file.hpp — writing pulled pages into a SQLite database file.
//
// Pages from a Turso server are plain SQLite pages: page id N (zero-based) lives at
// byte offset N*4096. They may only be written while no SQLite connection has the
// file open (SQLite caches pages and would not notice), and the local file must be
// byte-identical to the server image at the pull's client revision beforehand.
//
//   bootstrap_file  builds a new database file from a full pull: pages go to
//                   `<target>.bootstrap`, which is validated, truncated to db_size
//                   pages, fsynced and renamed over `target` (then the folder is
//                   fsynced). Until commit, `target` is untouched; an uncommitted
//                   bootstrap file is removed.
//   page_stage      a durable, sealed record of one incremental pull (pages, new
//                   revision, db_size) in its own file, so that applying it can be
//                   repeated after a crash: `apply_page_stage` is idempotent.
//
// Validation after writing: page 0 must carry the SQLite header with a 4096-byte page
// size and WAL or rollback read/write versions (not Turso's MVCC marker), and a
// bootstrap must hold every page below db_size.
//
// Errors: io_error (the filesystem refused), protocol_error (the server's pages do not
// form a database: no page 0, a gap, a foreign header), corrupt_database (a stage
// file that is damaged or unsealed), unsupported (an MVCC database).
//
// Thread safety: each object is used by one thread at a time.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "db/turso/sync/pull_protocol.hpp"
#include "patina/core/result.hpp"

namespace patina::db::turso::sync {

// Owns a POSIX file descriptor.
class unique_fd {
 public:
  unique_fd() noexcept = default;
  explicit unique_fd(int fd) noexcept : fd_(fd) {}
  unique_fd(unique_fd&& o) noexcept : fd_(o.release()) {}
  unique_fd& operator=(unique_fd&& o) noexcept;
  unique_fd(const unique_fd&) = delete;
  unique_fd& operator=(const unique_fd&) = delete;
  ~unique_fd();
  int get() const noexcept { return fd_; }
  int release() noexcept;
  explicit operator bool() const noexcept { return fd_ >= 0; }

 private:
  int fd_ = -1;
};

class bootstrap_file {
 public:
  // Errors: io_error.
  static result<bootstrap_file> create(std::filesystem::path target);
  bootstrap_file(bootstrap_file&& other) noexcept;
  bootstrap_file& operator=(bootstrap_file&&) = delete;
  ~bootstrap_file();

  result<void> write_page(std::uint64_t page_id, page_span page);
  // Validates, sizes, syncs and renames into place. REQUIRES: not committed yet.
  result<void> commit(std::uint64_t db_size);

  const std::filesystem::path& temp_path() const noexcept { return temp_; }

 private:
  struct page_set;  // the ids written so far, in memory proportional to their count
  struct page_set_deleter {
    void operator()(page_set* set) const noexcept;
  };
  bootstrap_file(std::filesystem::path target, std::filesystem::path temp, unique_fd fd);
  std::filesystem::path target_;
  std::filesystem::path temp_;
  unique_fd fd_;
  std::unique_ptr<page_set, page_set_deleter> written_;
  bool committed_ = false;
};

// What a sealed stage file holds.
struct stage_info {
  std::string server_revision;
  std::uint64_t db_size = 0;
  std::uint64_t pages = 0;
};

class page_stage {
 public:
  // Creates (truncating) `path`. Errors: io_error.
  static result<page_stage> create(std::filesystem::path path);
  page_stage(page_stage&&) noexcept = default;
  page_stage& operator=(page_stage&&) noexcept = default;

  result<void> add(std::uint64_t page_id, page_span page);
  // Writes the trailer (revision, db_size, count, checksum) and fsyncs. After this
  // the file is complete; before it, `read_page_stage` rejects it.
  result<void> seal(const std::string& server_revision, std::uint64_t db_size);

  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  page_stage(std::filesystem::path path, unique_fd fd);
  std::filesystem::path path_;
  unique_fd fd_;
  std::uint64_t pages_ = 0;
  std::uint64_t checksum_;
  bool sealed_ = false;
};

// Checks a stage file's seal and checksum. Errors: corrupt_database, io_error.
result<stage_info> read_page_stage(const std::filesystem::path& stage);

// Writes the staged pages into `database` (closed by every connection), truncates it
// to db_size pages, fsyncs and validates page 0. Idempotent. Errors: see above.
result<stage_info> apply_page_stage(const std::filesystem::path& stage, const std::filesystem::path& database);

// Validates the first 100 bytes of a database file as a page-0 SQLite header that
// stock SQLite can read. Errors: protocol_error, unsupported.
result<void> check_database_header(std::span<const std::uint8_t> header);

}  // namespace patina::db::turso::sync
