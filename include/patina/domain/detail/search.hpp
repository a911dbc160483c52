// patina/domain/detail/search.hpp — the backend-neutral half of hybrid search
// and of the lexical index's refresh: query words, statements, row mapping,
// reciprocal rank fusion and the "why" of a result. Used by both member sets of
// LexicalIndex<DB> and CodeSearch<DB>. Not API: may change without notice.
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "patina/db/types.hpp"
#include "patina/domain/hybrid_hit.hpp"
#include "patina/domain/knowledge.hpp"
#include "patina/domain/lexical_store.hpp"
#include "patina/scrape/code_index.hpp"

namespace patina::domain::detail {

// --- query words ----------------------------------------------------------------
// The words of a query as the lexical index sees them: split like identifiers,
// lower-cased, common English words dropped, duplicates removed, in order.
std::vector<std::string> query_terms(std::string_view query);
// The terms plus the words code abbreviates them to, or spells them out as
// ("arguments" -> arguments, argument, arg, args, argv), each once.
std::vector<std::string> expand_abbreviations(std::span<const std::string> terms);
// Words of the index's names that glue something in front of a term: "printf" ->
// gzprintf, gzvprintf; "buffers" -> gzbuffer. `reversed_names` are the index's
// name terms (stemmed, lower case) as reversed_sorted() gives them. Terms shorter
// than 4 letters are not extended; at most `per_term` words each, shortest first.
std::vector<std::string> glued_words(std::span<const std::string> terms, std::span<const std::string> reversed_names,
                                     std::size_t per_term);
// Each name spelled backwards, sorted, duplicates removed (for glued_words).
std::vector<std::string> reversed_sorted(std::vector<std::string> names);
// An FTS5 MATCH expression matching any of the terms ("" when there are none).
std::string fts_any_of(std::span<const std::string> terms);
// `text` split into words and joined by single spaces, for an FTS column.
std::string words_of(std::string_view text);
// words_of without the languages' keywords (scrape::is_keyword): a signature's
// `func`, `def` or `int` would match every symbol of its language.
std::string words_without_keywords(std::string_view text);
// True when `path` matches the glob (`*` also matches `/`, like SQLite's GLOB).
bool path_matches(std::string_view glob, std::string_view path);

// --- lexical index refresh --------------------------------------------------------
inline constexpr std::string_view stamp_code = "code";
inline constexpr std::string_view stamp_knowledge = "knowledge";

// One row: (code stamp, knowledge stamp), each changing whenever files or
// knowledge items are added, removed or rewritten.
db::statement select_index_stamps();
// (file id, stamp) of every file in the code index.
db::statement select_file_stamps();
std::unordered_map<std::int64_t, std::string> file_stamps_from(const db::query_result& r);

struct file_changes {
  std::vector<std::pair<std::int64_t, std::string>> changed;  // new or rewritten, with their stamp
  std::vector<std::int64_t> removed;
};
// What the lexical index must redo so that its files equal `current`.
file_changes diff_files(const std::unordered_map<std::int64_t, std::string>& current,
                        const std::unordered_map<std::int64_t, std::string>& indexed);

db::statement select_lexical_symbols(std::span<const std::pair<std::int64_t, std::string>> files);
std::vector<lexical_symbol_doc> lexical_symbols_from(const db::query_result& r);
db::statement select_lexical_knowledge();
std::vector<lexical_knowledge_doc> lexical_knowledge_from(const db::query_result& r);

// --- hybrid search ------------------------------------------------------------------
// (symbols in the index, symbols with a vector of `model`).
db::statement select_symbol_vector_counts(std::string_view model);
// One text that changes when symbols or embeddings are added or removed: the
// counts above cost a scan of the embeddings, this four b-tree lookups/counts.
db::statement select_symbol_vector_stamp();
std::string stamp_from(const db::query_result& r);
// Symbols with their file's path, as scrape::detail::symbols_from reads them.
db::statement select_symbols_by_id(std::span<const std::int64_t> ids);
std::vector<scrape::symbol_record> symbol_records_from(const db::query_result& r);

// An entry of one signal's ranking, best first.
struct ranked_item {
  item_type type = item_type::symbol;
  std::int64_t id = 0;
  double score = 0;
  double prior = 1.0;  // multiplies the item's fused score
};

// The prior of a symbol of `kind` (fusion_params::data_kind_weight for data).
double kind_prior(std::string_view kind, std::string_view signature, const fusion_params& params);
// True for a path in test or example code: a test folder (test/, tests/, testing/,
// __tests__/, testdata/), a test file by the usual conventions (foo_test.go,
// test_foo.py, foo_test.py, conftest.py, foo.test.ts, foo.spec.js, FooTest.java,
// foo_test.cc), or an examples folder (examples/, example/, demo/, demos/, samples/).
bool is_test_or_example_path(std::string_view path);
// The prior of a symbol: kind_prior times fusion_params::test_code_weight in test code.
double symbol_prior(std::string_view kind, std::string_view signature, std::string_view path,
                    const fusion_params& params);

struct fused_item {
  item_type type = item_type::symbol;
  std::int64_t id = 0;
  double score = 0;
  std::optional<signal_rank> vector;
  std::optional<signal_rank> lexical;
};

// Reciprocal rank fusion of the two rankings (each best first, at most one
// entry per item): score = prior · Σ w / (k + rank). Ties keep the better vector rank,
// then the better lexical rank, then the smaller id, so results are stable.
std::vector<fused_item> fuse(std::span<const ranked_item> vector, std::span<const ranked_item> lexical,
                             const fusion_params& params);

// One result per named thing: symbols sharing a qualified name (a C
// declaration in a header, its definition, a renaming macro; overloads) are
// shown once, where the group's best member ranked, by the member with the
// highest preference (then the best rank). Items without a key pass through.
struct symbol_key {
  std::string qualified_name;
  std::string path;
  int preference = 0;
};
std::vector<fused_item> collapse_by_name(const std::vector<fused_item>& fused,
                                         const std::unordered_map<std::int64_t, symbol_key>& keys);
// 2 for a definition of behaviour or structure, 1 for a declaration, 0 for data.
int symbol_preference(std::string_view kind, std::string_view signature, std::int64_t flags);

// Merges two rankings whose scores are not comparable (BM25 over two corpora):
// ordered by each score divided by its list's best, keeping the raw scores.
std::vector<ranked_item> merge_scaled(std::vector<ranked_item> a, std::vector<ranked_item> b);

// Vector matches of knowledge items merged by similarity, best first.
std::vector<ranked_item> ranked_by_score(std::vector<ranked_item> items);

// One line saying why a symbol matched: the query words found in its name,
// signature, doc comment or path, and how close it is in meaning.
std::string why_symbol(std::span<const std::string> terms, const scrape::symbol_record& s, const fused_item& f);
std::string why_text(std::span<const std::string> terms, std::string_view text, const fused_item& f);

}  // namespace patina::domain::detail
