/// @file
/// patina/domain/hybrid_hit.hpp — what a hybrid search is asked and what it
/// returns: the request (query, scope, filters, signals), the fusion parameters
/// and one ranked result with the evidence of each signal.
///
/// Hybrid search ranks code symbols (and, with scope `all`, beliefs and
/// observations) by two signals — vector similarity of the query's embedding and
/// BM25 over the words of names, signatures, doc comments and paths — fused by
/// reciprocal rank: score = sum over signals of weight / (k + rank), rank 1 the
/// best of that signal. docs/search.md explains the choice of k and the weights.
///
/// Thread safety: value types.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "patina/domain/knowledge.hpp"

namespace patina::domain {

/// Filters on code results. language and kind are equality filters applied
/// inside the vector KNN and the lexical query; path_glob is a glob over the
/// project-relative path (`*` also matches `/`, as SQLite's GLOB), applied inside
/// the lexical query and after the KNN (which over-fetches to make up for it).
/// Knowledge items have none of these and are never filtered by them.
struct code_filter {
  std::optional<std::string> language;  ///< "c", "cpp", "python", …
  std::optional<std::string> kind;      ///< "function", "method", "class", …
  std::optional<std::string> path_glob; ///< "src/net/*"

  /// True when no filter is set.
  bool empty() const noexcept { return !language && !kind && !path_glob; }
};

/// What a hybrid search looks at.
enum class search_scope {
  code,  ///< symbols only
  all,   ///< symbols, beliefs and observations in one ranking
  knowledge,  ///< beliefs and observations only
};

/// Which signals rank the results (the single-signal modes are ablations for
/// evaluation and debugging).
enum class search_signals { hybrid, lexical, vector };

/// Reciprocal rank fusion: score = Σ weight_s / (k + rank_s). `depth` results are
/// taken from the lexical signal and `vector_depth` from the vector signal
/// before fusing (sqlite-vec's KNN cost grows with k, and with a small fusion k
/// ranks past a few dozen add almost nothing).
struct fusion_params {
  double k = 1;  ///< The fusion constant k.
  double vector_weight = 0.5;  ///< Weight of the vector (meaning) signal.
  double lexical_weight = 1.0;  ///< Weight of the lexical (BM25) signal.
  std::size_t depth = 100;  ///< Results taken from the lexical signal.
  std::size_t vector_depth = 30;  ///< Results taken from the vector signal.
  /// With a path filter the KNN fetches depth * path_over_fetch neighbours and
  /// keeps those whose path matches.
  std::size_t path_over_fetch = 10;
  /// Multiplies the fused score of symbols that hold data rather than behaviour
  /// or structure (fields, variables, constants, enum members, macros without
  /// parameters): questions are mostly about what code does, and such symbols
  /// have short texts that look similar to anything.
  double data_kind_weight = 0.25;
  /// Multiplies the fused score of symbols in test or example code (test and
  /// examples folders, files such as `*_test.go`, `test_*.py`): questions are
  /// mostly about the product, and tests and examples repeat its words.
  double test_code_weight = 0.5;
};

/// One hybrid search: the question, where to look, how many results, filters.
struct search_request {
  std::string query;  ///< The question, in words or identifiers.
  search_scope scope = search_scope::code;  ///< Code only, or code and knowledge.
  std::size_t limit = 10;  ///< At most this many results.
  code_filter filter;  ///< Filters on code results.
  search_signals signals = search_signals::hybrid;  ///< Which signals rank the results.
};

/// One signal's opinion of a result: its rank there (1 = best) and its own score
/// (cosine similarity for the vector signal, BM25 with the sign flipped so that
/// higher is better for the lexical one).
struct signal_rank {
  std::size_t rank = 0;  ///< 1 = best.
  double score = 0;  ///< The signal's own score (higher is better).
};

/// One hybrid search result: a symbol, belief or observation, with its fused
/// score, why it matched and each signal's rank.
struct hybrid_hit {
  item_type type = item_type::symbol;  ///< Which kind of item.
  std::int64_t id = 0;  ///< Its id.
  double score = 0;  ///< fused score (higher is better)
  std::string text;  ///< symbols: the signature (or qualified name); knowledge: the item's text
  std::string why;   ///< one line: which words matched where, how similar in meaning

  /// Symbols only.
  std::string path;
  std::uint32_t line = 0;  ///< First line, 1-based.
  std::uint32_t end_line = 0;  ///< Last line, 1-based.
  std::string name;  ///< Short name.
  std::string qualified_name;  ///< Name with its enclosing scopes.
  std::string kind;  ///< "function", "class", ….
  std::string language;  ///< "cpp", "python", ….
  std::string signature;  ///< The declaration's text up to its body.
  bool declaration = false;  ///< a declaration (prototype) rather than a definition

  std::optional<observation_type> obs_type;  ///< observations only

  std::optional<signal_rank> vector;   ///< absent: not among the vector signal's results
  std::optional<signal_rank> lexical;  ///< absent: not among the lexical signal's results
};

/// The results of a hybrid search, best first, and how complete the vector signal was.
struct hybrid_result {
  std::vector<hybrid_hit> hits;  ///< Best first, at most the request's limit.
  /// Code symbols without a vector of the engine's model: while > 0 the vector
  /// signal cannot find them (`patina embeddings generate` fixes it).
  std::int64_t symbols_without_vectors = 0;
  std::int64_t symbols = 0;  ///< Code symbols in the database.
  /// The lexical index could not be brought up to date because another process
  /// was writing it (a scrape): it may miss the newest changes.
  bool lexical_stale = false;
};

}  // namespace patina::domain
