// patina/scrape/detail/storage.hpp — the backend-neutral half of the code index:
// ids, statements and row mapping, written once for both builds. Not API.
//
// Ids of code rows are derived from content (63-bit hashes of the path and the
// symbol's identity), not drawn from new_id(): two replicas that scrape the same
// code base write the same rows, and an unchanged symbol keeps its id across
// rescans, so its embedding is reused.
//
// Thread safety: pure functions.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "patina/db/types.hpp"
#include "patina/scrape/code_index.hpp"
#include "patina/scrape/file_facts.hpp"
#include "patina/scrape/skipped_file.hpp"

namespace patina::scrape::detail {

std::int64_t file_id(std::string_view path);

// The callee's last identifier: "obj.bar" -> "bar", "Foo::baz" -> "baz",
// "p->run" -> "run", "println!" -> "println".
std::string callee_simple_name(std::string_view callee);

// What the index held for a path before this scrape: rows that must go before
// the path's new rows are written. A path with neither has nothing to delete.
struct prior_rows {
  bool facts = true;    // a files row (and its symbols, imports and calls)
  bool skipped = true;  // a skipped_files row
};

// Bound values (about rows x columns) a scrape gathers before writing them in
// one transaction: larger commits write less, and this keeps them to a few MB.
inline constexpr std::size_t values_per_write = 200000;

// Statements replacing everything stored about one parsed file.
void append_file_statements(const file_facts& f, std::int64_t now_ms, std::vector<db::statement>& out,
                            prior_rows prior = {});
// Statements recording a skipped file (and dropping facts it had before).
void append_skipped_statements(const skipped_file& s, std::int64_t now_ms, std::vector<db::statement>& out,
                               prior_rows prior = {});
// Statements deleting a file that is gone from the tree.
void append_remove_statements(std::string_view path, std::vector<db::statement>& out);
// Everything in the code index, for `--full` when files must go too.
std::vector<db::statement> clear_code_index();

// path -> content hash of every stored file.
db::statement select_known_files();
std::unordered_map<std::string, std::string> known_files_from(const db::query_result& r);
db::statement select_skipped_paths();

// The extraction_version the index was built with (patina_meta): whether it is
// this build's, and the statement recording this build's. An index with files and
// another (or no) version must be parsed again in full.
db::statement select_extraction_version();
bool extraction_version_current(const db::query_result& stored_version);
// Whether the index's rows have ids grouped by file (extraction version 3 on),
// which the per-file deletes rely on; an older index is cleared before a scrape.
bool rows_grouped_by_file(const db::query_result& stored_version);
db::statement record_extraction_version();

// Call resolution, after a scrape's writes: points each call edge at the one
// definition its callee denotes, or at none. A candidate is a callable definition
// of the callee's simple name in the caller's language family (C with C++, and
// JavaScript with TypeScript). The written qualifier narrows them: `Type::f` and
// `Type.f` only reach members of `Type` (none, when the index holds no `Type`
// member of that name: `AtomicUsize::new` is not `State::new`), and a call on an
// expression (`f(x).replace`) only reaches methods. Of several candidates, the one
// in the caller's file wins, then the one in its folder (a Go package); otherwise
// the call stays unresolved.
//
// Usage: construct it from select_call_files(), feed it the definitions page by
// page (select_callables_page from the last id the previous page returned, until
// add_callables returns nullopt), then the calls the same way (select_calls_page,
// add_calls); statements() then writes only the edges whose target changed.
db::statement select_call_files();
db::statement select_callables_page(std::int64_t after_id, std::size_t limit);
db::statement select_calls_page(std::int64_t after_id, std::size_t limit);

class call_resolver {
 public:
  explicit call_resolver(const db::query_result& files);
  call_resolver(call_resolver&&) noexcept;
  call_resolver& operator=(call_resolver&&) noexcept;
  ~call_resolver();

  // Each returns the last id of its page (the next page starts after it), or
  // nullopt when the page is empty. All definitions must come before the calls.
  std::optional<std::int64_t> add_callables(const db::query_result& page);
  std::optional<std::int64_t> add_calls(const db::query_result& page);
  std::vector<db::statement> statements() const;

 private:
  struct state;
  std::unique_ptr<state> state_;
};
// Embeddings and vectors of symbols that no longer exist.
db::statement select_orphan_symbol_embeddings();
db::statement delete_orphan_symbol_embeddings();

db::statement select_symbols_named(std::string_view name, std::size_t limit);
db::statement select_callers(std::int64_t symbol_id);
db::statement select_callees(std::int64_t symbol_id);
db::statement select_skipped_files();
std::vector<symbol_record> symbols_from(const db::query_result& r);
std::vector<call_record> calls_from(const db::query_result& r);
std::vector<skipped_record> skipped_from(const db::query_result& r);

// The state of one scrape, shared by the sync and async drivers: which files
// the index already has, which ones this scan saw, and the report.
class scrape_session {
 public:
  // known_files: path -> content hash (select_known_files); skipped_paths:
  // paths recorded as skipped (select_skipped_paths). With `full`, no file
  // counts as known: everything is parsed again.
  scrape_session(const db::query_result& known_files, const db::query_result& skipped_paths, bool full);

  // For scan_options::already_known: the file is stored with this content.
  // Safe to call from the scan's worker threads (reads only).
  bool is_known(std::string_view path, std::string_view content_hash) const;

  // Appends the statements storing one batch to `out` and returns the number of
  // values they bind; records the batch's files as seen.
  // REQUIRES: called from one thread at a time.
  std::size_t append_statements_for(const scan_batch& batch, std::int64_t now_ms, std::vector<db::statement>& out);

  // After the scan: appends the statements deleting the files that are no longer
  // in the tree. Fills report().removed.
  void append_finish_statements(std::vector<db::statement>& out);

  // Whether call edges must be resolved again (something was parsed or removed).
  bool calls_changed() const noexcept { return report_.parsed > 0 || report_.removed > 0; }

  scrape_report& report() noexcept { return report_; }
  std::size_t files_seen() const noexcept { return seen_.size(); }
  std::uint64_t bytes_seen() const noexcept { return bytes_; }

  // What the walk found (scan_options::walked); may be set from the scan's thread.
  void set_totals(std::size_t files, std::uint64_t bytes) noexcept {
    files_total_.store(files);
    bytes_total_.store(bytes);
  }
  std::size_t files_total() const noexcept { return files_total_.load(); }
  std::uint64_t bytes_total() const noexcept { return bytes_total_.load(); }

 private:
  // The rows the index holds for `path` from before this scrape.
  prior_rows prior_for(const std::string& path) const;

  std::unordered_map<std::string, std::string> known_;
  std::unordered_set<std::string> previously_skipped_;
  std::unordered_set<std::string> seen_;
  bool full_ = false;
  std::uint64_t bytes_ = 0;
  std::atomic<std::size_t> files_total_{0};
  std::atomic<std::uint64_t> bytes_total_{0};
  scrape_report report_;
};

}  // namespace patina::scrape::detail
