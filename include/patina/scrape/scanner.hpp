/// @file
/// patina/scrape/scanner.hpp — the parallel scrape pipeline: walk a tree, read, check,
/// hash and parse its files on worker threads, and hand the results to one consumer.
///
/// `scan` walks `root` (file_walker.hpp), then N worker threads each read a file, check it
/// (binary, UTF-8), hash it, settle its language (refine_language: a `.h` with C++ content
/// is C++), ask `already_known(path, hash)` and, unless it answers true, parse and extract
/// it (extractor.hpp). Results reach `sink` on the thread that called
/// `scan`, in batches: first the files the walk itself skipped (too large, symbolic links,
/// unreadable directories) in their own batches, then every candidate in path order. At most `max_in_flight` finished files wait for the
/// sink, so memory stays bounded on large trees however slow the sink is. Storing the
/// facts (one writer, one transaction per batch) is the sink's business.
///
/// Thread safety: `scan` may be called from any thread; it returns only after every
/// worker has stopped. `already_known` is called concurrently from the worker threads and
/// must be thread-safe; `sink` is only ever called from the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/scrape/extractor.hpp"
#include "patina/scrape/file_facts.hpp"
#include "patina/scrape/file_walker.hpp"
#include "patina/scrape/skipped_file.hpp"

namespace patina::scrape {

/// A file whose content hash `already_known` recognised: it was read and hashed, not parsed.
struct unchanged_file {
  std::string path;  ///< Relative to the scan root, '/' separators.
  language lang = language::c;  ///< Its language.
  std::uint64_t size = 0;  ///< Bytes.
  std::int64_t mtime_ns = 0;  ///< Modification time, nanoseconds since the epoch.
  std::string content_hash;  ///< XXH3-64 of the bytes, 16 lower-case hex digits.

  friend bool operator==(const unchanged_file&, const unchanged_file&) = default;
};

/// One delivery to the sink. Within each vector, files are in path order.
struct scan_batch {
  std::vector<file_facts> parsed;  ///< Files parsed, with their facts.
  std::vector<unchanged_file> unchanged;  ///< Files recognised by already_known.
  std::vector<skipped_file> skipped;  ///< Files skipped, with the reason.

  /// Files in the batch.
  std::size_t size() const noexcept { return parsed.size() + unchanged.size() + skipped.size(); }
};

/// How scan() walks, parses and delivers.
struct scan_options {
  walk_options walk;  ///< walk.check_content is ignored: the workers check what they read
  extract_options extract;  ///< Limits for each file's extraction.
  unsigned threads = 0;         ///< worker threads; 0 = std::thread::hardware_concurrency()
  std::size_t batch_size = 64;  ///< files per sink call (the last batch may be smaller)
  /// Files claimed by the workers and not yet delivered to the sink; 0 = 128 per
  /// thread. Enough for the workers to keep parsing while the sink commits a large
  /// transaction (8 per thread: full scrape of bench/scrape's tree 17.5 s; 128: 16.3 s).
  std::size_t max_in_flight = 0;
  /// Source bytes of those files at most (the next file to deliver is always let
  /// through, however large): bounds memory on trees of large files.
  std::uint64_t max_in_flight_bytes = std::uint64_t{64} << 20;
  /// Incremental scans: return true when (path, content hash) is already stored, and the
  /// file is then reported as unchanged instead of being parsed. Called from worker
  /// threads; must be thread-safe. Empty: every file is parsed.
  std::function<bool(std::string_view path, std::string_view content_hash)> already_known;
  /// Called once on the calling thread when the walk is done, before the first sink call:
  /// how many files the scan will deliver (skipped ones included) and the bytes of those
  /// it may parse. For progress displays (time left). Empty: not called.
  std::function<void(std::size_t files, std::uint64_t bytes)> walked;
};

/// What one scan() found and delivered.
struct scan_summary {
  std::size_t files = 0;      ///< candidate files found by the walk
  std::size_t parsed = 0;     ///< delivered in scan_batch::parsed
  std::size_t partial = 0;    ///< parsed files with problems (syntax errors)
  std::size_t unchanged = 0;  ///< delivered in scan_batch::unchanged
  std::size_t skipped = 0;    ///< delivered in scan_batch::skipped
  std::uint64_t bytes_parsed = 0;  ///< Bytes of source parsed.
};

/// The consumer. Returning an error stops the scan: workers finish their current file and
/// stop, and `scan` returns that error. The batch may be moved from.
using scan_sink = std::function<result<void>(scan_batch& batch)>;

/// Scans `root` and delivers every file to `sink`. Fails when the walk fails (root missing
/// or not a directory) or when the sink fails. An exception thrown by the sink or raised in
/// a worker (e.g. std::bad_alloc) is rethrown after all workers have stopped.
result<scan_summary> scan(const std::filesystem::path& root, const scan_options& options,
                          const scan_sink& sink);

}  // namespace patina::scrape
