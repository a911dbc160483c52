/// @file
/// patina/domain/lexical_store.hpp — the full-text (BM25) index of code symbols
/// and knowledge items, kept in a local sidecar database.
///
/// A lexical_store is an SQLite file with FTS5 tables (the `porter unicode61`
/// tokenizer over text already split into lower-case words, so `retryUpload`,
/// `retry_upload` and "retries uploads" share terms). It is a derived index: it
/// never goes into the synced database (DESIGN §3), it can be deleted at any time
/// and is rebuilt from the main database by LexicalIndex::refresh
/// (patina/domain/lexical_index.hpp). Symbols are stored per file, with a stamp per
/// file (content hash and index time) so that a refresh rewrites only the files
/// whose stamp changed.
///
/// Every operation has a non-throwing `try_` form returning result<T> and a
/// throwing form. Errors: io_error, busy, corrupt_database (delete the file: it is
/// rebuilt), sql_error.
///
/// Thread safety: none inside; use a lexical_store from one thread at a time (it
/// may move between threads). Several processes may open the same file; writes
/// wait for each other (busy timeout 5 s).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/db/open_options.hpp"
#include "patina/domain/hybrid_hit.hpp"
#include "patina/domain/knowledge.hpp"

namespace patina::domain {

/// One symbol as the lexical index stores it.
struct lexical_symbol_doc {
  std::int64_t id = 0;  ///< The symbol's id.
  std::int64_t file_id = 0;  ///< Its file's id.
  std::string name;  ///< Short name.
  std::string qualified_name;  ///< Name with its enclosing scopes.
  std::string signature;  ///< Declaration up to its body.
  std::string doc;  ///< Doc comment, may be empty.
  std::string path;  ///< Project-relative path.
  std::string language;  ///< Language name.
  std::string kind;  ///< Symbol kind name.
  std::string body_terms;  ///< Words of a function's body (scrape::file_facts::body_terms).
};

/// One belief or observation as the lexical index stores it.
struct lexical_knowledge_doc {
  std::int64_t id = 0;  ///< The item's id.
  item_type type = item_type::belief;  ///< Belief or observation.
  std::string text;  ///< Its statement or content.
};

/// One lexical (BM25) match.
struct lexical_match {
  item_type type = item_type::symbol;  ///< Which kind of item matched.
  std::int64_t id = 0;  ///< Its id.
  double score = 0;  ///< -bm25: higher is better
};

/// BM25 weight of each field of a symbol.
struct lexical_weights {
  double name = 4.0;  ///< Weight of the short name.
  double qualified_name = 2.0;  ///< Weight of the qualified name.
  double signature = 1.0;  ///< Weight of the signature.
  double doc = 3.0;  ///< Weight of the doc comment.
  double path = 0.5;  ///< Weight of the path.
  double body = 1.0;  ///< Weight of the body's words.
};

/// The lexical index's storage: an FTS5 sidecar database (`.patina/local.db`),
/// derived from the main database and rebuildable at any time. Synchronous in
/// both builds. Thread safety: none inside; use one object from one thread at a time.
class lexical_store {
 public:
  /// Opens (creating if needed) the sidecar at `path`, or a private in-memory
  /// one for ":memory:". A file of an older format is emptied (and rebuilt by
  /// the next refresh). `mmap_bytes` of the file are read through a memory map
  /// (db::open_options::mmap_bytes): fast reads for searches; 0 for long writers,
  /// whose mapped pages would all count in the process's memory. A write waits
  /// up to `busy_timeout` for another process's write (a search's refresh, a
  /// scrape's follower) before it fails with errc::busy.
  static result<lexical_store> try_open(const std::filesystem::path& path,
                                        std::int64_t mmap_bytes = db::open_options().mmap_bytes,
                                        std::chrono::milliseconds busy_timeout = db::open_options().busy_timeout);
  /// Throwing form of try_open(): returns the value, throws patina::exception on failure.
  static lexical_store open(const std::filesystem::path& path,
                            std::int64_t mmap_bytes = db::open_options().mmap_bytes,
                            std::chrono::milliseconds busy_timeout = db::open_options().busy_timeout) {
    return try_open(path, mmap_bytes, busy_timeout).value();
  }

  /// Takes over the sidecar; the moved-from object may only be destroyed or assigned.
  lexical_store(lexical_store&&) noexcept;
  /// Closes this sidecar, then takes over the other's.
  lexical_store& operator=(lexical_store&&) noexcept;
  lexical_store(const lexical_store&) = delete;
  lexical_store& operator=(const lexical_store&) = delete;
  ~lexical_store();

  /// A stamp recorded by set_stamp ("" when none).
  result<std::string> try_stamp(std::string_view key);
  /// Throwing form of try_stamp(): returns the value, throws patina::exception on failure.
  std::string stamp(std::string_view key) { return try_stamp(key).value(); }
  /// Records `value` under `key` (replacing any previous value).
  result<void> try_set_stamp(std::string_view key, std::string_view value);
  /// Throwing form of try_set_stamp(): returns the value, throws patina::exception on failure.
  void set_stamp(std::string_view key, std::string_view value) { try_set_stamp(key, value).value(); }

  /// file id -> stamp of every file whose symbols are stored.
  result<std::unordered_map<std::int64_t, std::string>> try_file_stamps();
  /// Throwing form of try_file_stamps(): returns the value, throws patina::exception on failure.
  std::unordered_map<std::int64_t, std::string> file_stamps() { return try_file_stamps().value(); }

  /// In one transaction: forgets the symbols of `removed` files and of the files
  /// in `files`, then stores `docs` (whose file_id must be among `files`) and the
  /// files' stamps. Returns the number of symbols stored.
  result<std::size_t> try_replace_files(std::span<const std::pair<std::int64_t, std::string>> files,
                                        std::span<const std::int64_t> removed,
                                        std::span<const lexical_symbol_doc> docs);
  /// Throwing form of try_replace_files(): returns the value, throws patina::exception on failure.
  std::size_t replace_files(std::span<const std::pair<std::int64_t, std::string>> files,
                            std::span<const std::int64_t> removed, std::span<const lexical_symbol_doc> docs) {
    return try_replace_files(files, removed, docs).value();
  }

  /// Replaces every knowledge document by `docs` and records `stamp` under the
  /// key "knowledge", in one transaction. Returns docs.size().
  result<std::size_t> try_replace_knowledge(std::span<const lexical_knowledge_doc> docs, std::string_view stamp);
  /// Throwing form of try_replace_knowledge(): returns the value, throws patina::exception on failure.
  std::size_t replace_knowledge(std::span<const lexical_knowledge_doc> docs, std::string_view stamp) {
    return try_replace_knowledge(docs, stamp).value();
  }

  /// The best `k` symbols for the words of `query` (any word may match; BM25
  /// with `weights`), after `filter`. No words (after dropping common English
  /// ones): no results.
  result<std::vector<lexical_match>> try_search_symbols(std::string_view query, const code_filter& filter,
                                                        std::size_t k, const lexical_weights& weights);
  /// Throwing form of try_search_symbols(): returns the value, throws patina::exception on failure.
  std::vector<lexical_match> search_symbols(std::string_view query, const code_filter& filter, std::size_t k,
                                            const lexical_weights& weights) {
    return try_search_symbols(query, filter, k, weights).value();
  }

  /// The best `k` beliefs and observations for the words of `query`.
  result<std::vector<lexical_match>> try_search_knowledge(std::string_view query, std::size_t k);
  /// Throwing form of try_search_knowledge(): returns the value, throws patina::exception on failure.
  std::vector<lexical_match> search_knowledge(std::string_view query, std::size_t k) {
    return try_search_knowledge(query, k).value();
  }

  /// Number of symbols stored.
  result<std::int64_t> try_symbol_count();
  /// Throwing form of try_symbol_count(): returns the value, throws patina::exception on failure.
  std::int64_t symbol_count() { return try_symbol_count().value(); }

  /// The path given to open.
  const std::filesystem::path& path() const noexcept;

 private:
  struct impl;
  explicit lexical_store(std::unique_ptr<impl> state) noexcept;
  std::unique_ptr<impl> impl_;
};

}  // namespace patina::domain
