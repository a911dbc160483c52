/// @file
/// patina/domain/code_search.hpp — hybrid retrieval over code symbols and
/// knowledge: "where do we retry failed uploads?" -> the functions that do it.
///
/// CodeSearch<DB> ranks by two signals and fuses them by reciprocal rank
/// (patina/domain/hybrid_hit.hpp):
///   * vector: the query's embedding against symbol_vectors (and, for scope all,
///     belief and observation vectors), cosine similarity; language and kind
///     filters apply inside the KNN, a path glob after it (over-fetching);
///   * lexical: BM25 over the words of names, qualified names, signatures, doc
///     comments and paths (LexicalIndex, refreshed first), all filters inside.
/// Each result says why it matched and carries each signal's rank and score.
/// Symbols without a vector are still found by the lexical signal; the result
/// counts them so that callers can say `patina embeddings generate`.
///
/// CodeSearch<DB> is a template over the database type: plain calls for a
/// db::SyncDatabase (SQLite build), awaitables for a db::AsyncDatabase (Turso
/// build), same names and parameters. The query is embedded on the caller's
/// thread (a few ms with USE-lite). In the SQLite build the lexical signal runs on
/// a short-lived thread of its own meanwhile (it touches only the sidecar).
///
/// REQUIRES: the database's vector space belongs to the engine
/// (EmbeddingsDatabase::ensure_model); otherwise the vector signal fails with
/// errc::dimension_mismatch.
///
/// Thread safety: borrows the database, the engine and the lexical index; as
/// thread-safe as they are. All must outlive the search object.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <future>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "patina/db/concepts.hpp"
#include "patina/domain/detail/search.hpp"
#include "patina/domain/detail/sql.hpp"
#include "patina/domain/hybrid_hit.hpp"
#include "patina/domain/lexical_index.hpp"
#include "patina/embed/embedding_engine.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#endif

namespace patina::domain {

/// Hybrid search (meaning + keywords, fused by rank) over code symbols and,
/// with search_scope::all, knowledge (search_scope::knowledge: knowledge only). Plain calls over a db::SyncDatabase,
/// awaitables over a db::AsyncDatabase; see the file description for details.
template <class DB>
class CodeSearch {
 public:
  /// REQUIRES: db, engine and lexical outlive this object.
  CodeSearch(DB& db, embed::embedding_engine& engine, LexicalIndex<DB>& lexical)
      : db_(db), engine_(engine), lexical_(lexical) {}

  /// The fusion parameters; may be changed between searches.
  fusion_params& params() noexcept { return params_; }

  // --- SQLite build (synchronous) ---------------------------------------------

  /// The best `request.limit` results, best first. An empty query (no words and
  /// nothing to embed) gives no results.
  hybrid_result search(const search_request& request)
    requires db::SyncDatabase<DB>
  {
    const auto p = plan_for(request);
    hybrid_result out;
    const auto stamp_q = detail::select_symbol_vector_stamp();
    const auto stamp = detail::stamp_from(db_.query(stamp_q.sql, stamp_q.params));
    if (auto cached = cached_counts(stamp)) {
      out.symbols = cached->first;
      out.symbols_without_vectors = cached->second;
    } else {
      const auto counts_q = detail::select_symbol_vector_counts(engine_.model_id());
      apply_counts(out, db_.query(counts_q.sql, counts_q.params));
      remember_counts(stamp, out);
    }

    gathered g;
    // The lexical signal runs on a thread of its own (it reads only the
    // sidecar, after a refresh here) while this thread embeds the query and
    // runs the KNN; both finish before fusion.
    std::future<std::pair<std::vector<lexical_match>, std::vector<lexical_match>>> lexical_found;
    if (p.use_lexical) {
      lexical_.refresh_for_search();
      out.lexical_stale = lexical_.stale();
      lexical_found = std::async(std::launch::async, [this, &request, &p] {
        return lexical_.search_indexed(request.query, request.filter, p.depth, p.code, p.knowledge);
      });
    }
    if (p.use_vector) {
      const auto dim = db_.vector_dimension();
      if (dim > 0) {
        const auto q = engine_.embed(request.query);
        if (p.code) g.vector_symbols = db_.vector_search(db::vector_table::symbols, q, p.vector_filter, p.knn_depth);
        if (p.knowledge) {
          const db::vector_filter none;
          g.vector_beliefs = db_.vector_search(db::vector_table::beliefs, q, none, p.vector_depth);
          g.vector_observations = db_.vector_search(db::vector_table::observations, q, none, p.vector_depth);
        }
      }
    }
    if (lexical_found.valid()) {
      auto found = lexical_found.get();
      g.lexical_symbols = std::move(found.first);
      g.lexical_knowledge = std::move(found.second);
    }
    const auto ids = symbol_ids(g);
    const auto sym_q = detail::select_symbols_by_id(ids);
    details d;
    d.symbols = detail::symbol_records_from(db_.query(sym_q.sql, sym_q.params));
    if (p.knowledge) {
      const auto b_ids = knowledge_ids(g, item_type::belief);
      const auto o_ids = knowledge_ids(g, item_type::observation);
      const auto bq = detail::select_beliefs_by_id(b_ids);
      const auto oq = detail::select_observations_by_id(o_ids);
      d.beliefs = detail::beliefs_from(db_.query(bq.sql, bq.params));
      d.observations = detail::observations_from(db_.query(oq.sql, oq.params));
    }
    out.hits = assemble(request, p, g, d);
    return out;
  }

#if defined(PATINA_BACKEND_TURSO)
  // --- Turso build (asynchronous): same operation, same semantics ------------

  /// Turso build: the awaitable form of the synchronous search(); same semantics.
  db::awaitable<hybrid_result> search(search_request request)
    requires db::AsyncDatabase<DB>
  {
    const auto p = plan_for(request);
    hybrid_result out;
    const auto stamp_q = detail::select_symbol_vector_stamp();
    const auto stamp_rows = co_await db_.query(stamp_q.sql, stamp_q.params);
    const auto stamp = detail::stamp_from(stamp_rows);
    const auto cached = cached_counts(stamp);
    if (cached) {
      out.symbols = cached->first;
      out.symbols_without_vectors = cached->second;
    } else {
      const auto counts_q = detail::select_symbol_vector_counts(engine_.model_id());
      const auto counts = co_await db_.query(counts_q.sql, counts_q.params);
      apply_counts(out, counts);
      remember_counts(stamp, out);
    }

    // The two signals run concurrently (the lexical one on the index's thread,
    // the vector one on the database's threads after embedding the query
    // here); both finish before this continues.
    namespace asio = boost::asio;
    auto ex = co_await asio::this_coro::executor;
    auto lexical_op = asio::co_spawn(ex, lexical_signal(request, p), asio::deferred);
    auto vector_op = asio::co_spawn(ex, vector_signal(request, p), asio::deferred);
    auto [order, lexical_error, lexical_found, vector_error, vector_found] =
        co_await asio::experimental::make_parallel_group(std::move(lexical_op), std::move(vector_op))
            .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    (void)order;
    if (lexical_error) std::rethrow_exception(lexical_error);
    if (vector_error) std::rethrow_exception(vector_error);
    out.lexical_stale = p.use_lexical && lexical_.stale();
    gathered g = std::move(vector_found);
    g.lexical_symbols = std::move(lexical_found.first);
    g.lexical_knowledge = std::move(lexical_found.second);
    const auto ids = symbol_ids(g);
    const auto sym_q = detail::select_symbols_by_id(ids);
    const auto sym_rows = co_await db_.query(sym_q.sql, sym_q.params);
    details d;
    d.symbols = detail::symbol_records_from(sym_rows);
    if (p.knowledge) {
      const auto b_ids = knowledge_ids(g, item_type::belief);
      const auto o_ids = knowledge_ids(g, item_type::observation);
      const auto bq = detail::select_beliefs_by_id(b_ids);
      const auto oq = detail::select_observations_by_id(o_ids);
      const auto b_rows = co_await db_.query(bq.sql, bq.params);
      const auto o_rows = co_await db_.query(oq.sql, oq.params);
      d.beliefs = detail::beliefs_from(b_rows);
      d.observations = detail::observations_from(o_rows);
    }
    out.hits = assemble(request, p, g, d);
    co_return out;
  }
#endif

 private:
  struct plan {
    bool code = true;
    bool knowledge = false;
    bool use_vector = true;
    bool use_lexical = true;
    std::size_t depth = 0;         // results taken from the lexical signal
    std::size_t vector_depth = 0;  // results taken from the vector signal
    std::size_t knn_depth = 0;     // symbol neighbours fetched (over-fetch for a path filter)
    db::vector_filter vector_filter;
  };

  /// Everything the signals returned, before fusion.
  struct gathered {
    std::vector<lexical_match> lexical_symbols;
    std::vector<lexical_match> lexical_knowledge;
    std::vector<db::vector_match> vector_symbols;
    std::vector<db::vector_match> vector_beliefs;
    std::vector<db::vector_match> vector_observations;
  };

  struct details {
    std::vector<scrape::symbol_record> symbols;
    std::vector<belief> beliefs;
    std::vector<observation> observations;
  };

#if defined(PATINA_BACKEND_TURSO)
  using lexical_lists = std::pair<std::vector<lexical_match>, std::vector<lexical_match>>;

  db::awaitable<lexical_lists> lexical_signal(search_request request, plan p)
    requires db::AsyncDatabase<DB>
  {
    if (!p.use_lexical) co_return lexical_lists{};
    auto found = co_await lexical_.search(request.query, request.filter, p.depth, p.code, p.knowledge);
    co_return found;
  }

  db::awaitable<gathered> vector_signal(search_request request, plan p)
    requires db::AsyncDatabase<DB>
  {
    gathered g;
    if (!p.use_vector) co_return g;
    const auto dim = co_await db_.vector_dimension();
    if (dim == 0) co_return g;
    const auto q = engine_.embed(request.query);
    if (p.code) {
      auto m = co_await db_.vector_search(db::vector_table::symbols, q, p.vector_filter, p.knn_depth);
      g.vector_symbols = std::move(m);
    }
    if (p.knowledge) {
      const db::vector_filter none;
      auto b = co_await db_.vector_search(db::vector_table::beliefs, q, none, p.vector_depth);
      g.vector_beliefs = std::move(b);
      auto o = co_await db_.vector_search(db::vector_table::observations, q, none, p.vector_depth);
      g.vector_observations = std::move(o);
    }
    co_return g;
  }
#endif


  plan plan_for(const search_request& r) const {
    plan p;
    p.code = r.scope != search_scope::knowledge;
    p.knowledge = r.scope != search_scope::code;
    p.use_vector = r.signals != search_signals::lexical;
    p.use_lexical = r.signals != search_signals::vector;
    p.depth = std::max(params_.depth, r.limit);
    p.vector_depth = std::max(params_.vector_depth, r.limit);
    p.knn_depth =
        r.filter.path_glob ? p.vector_depth * std::max<std::size_t>(1, params_.path_over_fetch) : p.vector_depth;
    p.vector_filter.language = r.filter.language;
    p.vector_filter.kind = r.filter.kind;
    return p;
  }

  // The counts of the last search, reused while the stamp (symbols and
  // embeddings added or removed) stays the same.
  std::optional<std::pair<std::int64_t, std::int64_t>> cached_counts(const std::string& stamp) const {
    const std::lock_guard<std::mutex> lock(counts_mutex_);
    if (stamp.empty() || stamp != counts_stamp_) return std::nullopt;
    return counts_;
  }
  void remember_counts(const std::string& stamp, const hybrid_result& out) {
    const std::lock_guard<std::mutex> lock(counts_mutex_);
    counts_stamp_ = stamp;
    counts_ = {out.symbols, out.symbols_without_vectors};
  }

  static void apply_counts(hybrid_result& out, const db::query_result& r) {
    if (r.rows.empty() || r.rows.front().size() < 2) return;
    const auto* total = std::get_if<std::int64_t>(&r.rows.front()[0]);
    const auto* with = std::get_if<std::int64_t>(&r.rows.front()[1]);
    out.symbols = total != nullptr ? *total : 0;
    out.symbols_without_vectors = std::max<std::int64_t>(0, out.symbols - (with != nullptr ? *with : 0));
  }

  static std::vector<std::int64_t> symbol_ids(const gathered& g) {
    std::vector<std::int64_t> ids;
    for (const auto& m : g.vector_symbols) ids.push_back(m.id);
    for (const auto& m : g.lexical_symbols) ids.push_back(m.id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  }

  static std::vector<std::int64_t> knowledge_ids(const gathered& g, item_type type) {
    std::vector<std::int64_t> ids;
    const auto& vec = type == item_type::belief ? g.vector_beliefs : g.vector_observations;
    for (const auto& m : vec) ids.push_back(m.id);
    for (const auto& m : g.lexical_knowledge)
      if (m.type == type) ids.push_back(m.id);
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  }

  /// Drops what no longer exists or fails the path filter, ranks what is left
  /// per signal, fuses, and fills in the results.
  std::vector<hybrid_hit> assemble(const search_request& r, const plan& p, const gathered& g,
                                   const details& d) const {
    std::unordered_map<std::int64_t, const scrape::symbol_record*> symbols;
    for (const auto& s : d.symbols) {
      if (r.filter.path_glob && !detail::path_matches(*r.filter.path_glob, s.path)) continue;
      symbols.emplace(s.id, &s);
    }
    std::unordered_map<std::int64_t, const belief*> beliefs;
    for (const auto& b : d.beliefs) beliefs.emplace(b.id, &b);
    std::unordered_map<std::int64_t, const observation*> observations;
    for (const auto& o : d.observations) observations.emplace(o.id, &o);
    auto exists = [&](item_type t, std::int64_t id) {
      switch (t) {
        case item_type::symbol: return symbols.count(id) != 0;
        case item_type::belief: return beliefs.count(id) != 0;
        case item_type::observation: return observations.count(id) != 0;
      }
      return false;
    };

    auto prior = [&](std::int64_t id) {
      const auto* s = symbols.at(id);
      return detail::symbol_prior(s->kind, s->signature, s->path, params_);
    };
    std::vector<detail::ranked_item> vector;
    for (const auto& m : g.vector_symbols) {
      if (vector.size() >= p.vector_depth) break;
      if (exists(item_type::symbol, m.id)) vector.push_back({item_type::symbol, m.id, m.similarity, prior(m.id)});
    }
    if (p.knowledge) {
      std::vector<detail::ranked_item> k;
      for (const auto& m : g.vector_beliefs)
        if (exists(item_type::belief, m.id)) k.push_back({item_type::belief, m.id, m.similarity, 1.0});
      for (const auto& m : g.vector_observations)
        if (exists(item_type::observation, m.id)) k.push_back({item_type::observation, m.id, m.similarity, 1.0});
      for (auto& item : k) vector.push_back(item);
      vector = detail::ranked_by_score(std::move(vector));
    }
    std::vector<detail::ranked_item> lexical;
    for (const auto& m : g.lexical_symbols)
      if (exists(item_type::symbol, m.id)) lexical.push_back({item_type::symbol, m.id, m.score, prior(m.id)});
    if (p.knowledge) {
      // BM25 of two corpora is not comparable (a handful of knowledge items
      // gives every term a tiny IDF): each list is scaled to its best score
      // before they are merged.
      std::vector<detail::ranked_item> k;
      for (const auto& m : g.lexical_knowledge)
        if (exists(m.type, m.id)) k.push_back({m.type, m.id, m.score, 1.0});
      lexical = detail::merge_scaled(std::move(lexical), std::move(k));
    } else {
      lexical = detail::ranked_by_score(std::move(lexical));
    }

    std::unordered_map<std::int64_t, detail::symbol_key> keys;
    for (const auto& [id, s] : symbols)
      keys.emplace(id, detail::symbol_key{s->qualified_name, s->path,
                                          detail::symbol_preference(s->kind, s->signature, s->flags)});
    const auto fused = detail::collapse_by_name(detail::fuse(vector, lexical, params_), keys);
    const auto terms = detail::query_terms(r.query);
    std::vector<hybrid_hit> hits;
    for (const auto& f : fused) {
      if (hits.size() >= r.limit) break;
      hybrid_hit h;
      h.type = f.type;
      h.id = f.id;
      h.score = f.score;
      h.vector = f.vector;
      h.lexical = f.lexical;
      if (f.type == item_type::symbol) {
        const auto& s = *symbols.at(f.id);
        h.text = s.signature.empty() ? s.qualified_name : s.signature;
        h.path = s.path;
        h.line = s.start_line;
        h.end_line = s.end_line;
        h.name = s.name;
        h.qualified_name = s.qualified_name;
        h.kind = s.kind;
        h.language = s.language;
        h.signature = s.signature;
        h.declaration = (s.flags & scrape::flag_declaration) != 0;
        h.why = detail::why_symbol(terms, s, f);
      } else if (f.type == item_type::belief) {
        h.text = beliefs.at(f.id)->statement;
        h.why = detail::why_text(terms, h.text, f);
      } else {
        const auto& o = *observations.at(f.id);
        h.text = o.content;
        h.obs_type = o.type;
        h.why = detail::why_text(terms, h.text, f);
      }
      hits.push_back(std::move(h));
    }
    return hits;
  }

  DB& db_;
  embed::embedding_engine& engine_;
  LexicalIndex<DB>& lexical_;
  fusion_params params_;
  mutable std::mutex counts_mutex_;
  std::string counts_stamp_;
  std::pair<std::int64_t, std::int64_t> counts_{0, 0};
};

}  // namespace patina::domain
