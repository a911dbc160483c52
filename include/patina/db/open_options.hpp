/// @file
/// patina/db/open_options.hpp — how a local database file is opened.
///
/// Options shared by the backends that keep a local SQLite-format file. The
/// defaults suit the CLI: create the file if needed, wait up to 5 s for another
/// process's write lock, and give SQLite a large page cache and memory map so that
/// vector data stays in memory (inserts across filter values and KNN scans are
/// several times faster than with SQLite's 2 MiB default).
///
/// Thread safety: a value type.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>

namespace patina::db {

/// Whether a database may be written and whether it is created.
enum class open_mode {
  read_only,   ///< never writes; the file must exist
  read_write,  ///< the file must exist
  create,      ///< read-write; creates the file (and the schema) if it does not exist
};

/// How to open a local database file; the defaults suit the CLI.
struct open_options {
  open_mode mode = open_mode::create;  ///< Read-only, read-write, or create if missing.
  /// How long to wait for another connection's lock before errc::busy.
  std::chrono::milliseconds busy_timeout{5000};
  /// SQLite page cache in KiB (PRAGMA cache_size = -cache_kib); 0 = SQLite's default.
  std::int64_t cache_kib = 262144;
  /// Memory-mapped I/O in bytes (PRAGMA mmap_size); 0 disables it.
  std::int64_t mmap_bytes = std::int64_t{1} << 30;
  /// SQLite build: the config file's assets.sqlite_vec (vec0.so), absolute or
  /// relative to the working directory. Empty means the usual lookup
  /// (patina/core/assets.hpp); the PATINA_SQLITE_VEC environment variable wins.
  std::filesystem::path sqlite_vec;
};

}  // namespace patina::db
