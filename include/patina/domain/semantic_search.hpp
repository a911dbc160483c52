/// @file
/// patina/domain/semantic_search.hpp — answers a question by meaning: embeds the
/// query with the configured engine and finds the nearest beliefs and
/// observations by cosine similarity.
///
/// SemanticSearch<DB> is a template over the database type: plain calls for a
/// db::SyncDatabase (SQLite build), awaitables for a db::AsyncDatabase (Turso
/// build), same names and parameters. search_many runs its searches with scoped
/// concurrency in the Turso build (all finish before it returns; nothing is
/// spawned detached) and one after another in the SQLite build.
///
/// Results are best first; `score` is the cosine similarity (1 = same meaning).
/// REQUIRES: the database's vector space belongs to the engine
/// (EmbeddingsDatabase::ensure_model); otherwise the query's dimension may not
/// match and the search fails with errc::dimension_mismatch. A database with no
/// vectors yet returns no results.
///
/// Thread safety: borrows the database and engine; as thread-safe as the
/// database. Both must outlive the search object.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "patina/db/concepts.hpp"
#include "patina/domain/detail/sql.hpp"
#include "patina/domain/knowledge.hpp"
#include "patina/embed/embedding_engine.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/experimental/parallel_group.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#endif

namespace patina::domain {

/// Search by meaning over beliefs and observations. See the file description
/// for the contract (engine and database must share a vector space) and thread safety.
template <class DB>
class SemanticSearch {
 public:
  /// Borrows `db` and `engine`. REQUIRES: both outlive this object.
  SemanticSearch(DB& db, embed::embedding_engine& engine) : db_(db), engine_(engine) {}

  // --- SQLite build (synchronous) ---------------------------------------------

  /// The `k` beliefs nearest in meaning to `query`, best first (fewer when the
  /// database holds fewer). Throws patina::exception on a database failure
  /// (dimension_mismatch when the vectors belong to another model).
  std::vector<search_hit> search_beliefs(const std::string& query, std::size_t k)
    requires db::SyncDatabase<DB>
  {
    const auto q = engine_.embed(query);
    if (db_.vector_dimension() == 0 || k == 0) return {};
    const auto matches = db_.vector_search(db::vector_table::beliefs, q, db::vector_filter{}, k);
    const auto ids = ids_of(matches);
    const auto st = detail::select_beliefs_by_id(ids);
    const auto items = detail::beliefs_from(db_.query(st.sql, st.params));
    return detail::belief_hits(matches, items);
  }

  /// Like search_beliefs over observations; with `type`, only observations of that
  /// type are considered (the filter applies inside the nearest-neighbour search).
  std::vector<search_hit> search_observations(const std::string& query, std::optional<observation_type> type,
                                              std::size_t k)
    requires db::SyncDatabase<DB>
  {
    const auto q = engine_.embed(query);
    if (db_.vector_dimension() == 0 || k == 0) return {};
    const auto matches = db_.vector_search(db::vector_table::observations, q, filter_for(type), k);
    const auto ids = ids_of(matches);
    const auto st = detail::select_observations_by_id(ids);
    const auto items = detail::observations_from(db_.query(st.sql, st.params));
    return detail::observation_hits(matches, items);
  }

  /// Beliefs and observations together, merged by similarity.
  std::vector<search_hit> search_knowledge(const std::string& query, std::size_t k)
    requires db::SyncDatabase<DB>
  {
    std::vector<std::vector<search_hit>> lists;
    lists.push_back(search_beliefs(query, k));
    lists.push_back(search_observations(query, std::nullopt, k));
    return detail::merge_by_score(std::move(lists), k);
  }

  /// search_knowledge for each query, one after another; results in query order.
  std::vector<std::vector<search_hit>> search_many(const std::vector<std::string>& queries, std::size_t k)
    requires db::SyncDatabase<DB>
  {
    std::vector<std::vector<search_hit>> out;
    out.reserve(queries.size());
    for (const auto& q : queries) out.push_back(search_knowledge(q, k));
    return out;
  }

#if defined(PATINA_BACKEND_TURSO)
  // --- Turso build (asynchronous): same operations, same semantics -----------

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<search_hit>> search_beliefs(std::string query, std::size_t k)
    requires db::AsyncDatabase<DB>
  {
    const auto q = engine_.embed(query);
    const auto dim = co_await db_.vector_dimension();
    if (dim == 0 || k == 0) co_return std::vector<search_hit>{};
    const db::vector_filter no_filter;
    const auto matches = co_await db_.vector_search(db::vector_table::beliefs, q, no_filter, k);
    const auto ids = ids_of(matches);
    const auto st = detail::select_beliefs_by_id(ids);
    const auto rows = co_await db_.query(st.sql, st.params);
    const auto items = detail::beliefs_from(rows);
    co_return detail::belief_hits(matches, items);
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<search_hit>> search_observations(std::string query,
                                                             std::optional<observation_type> type, std::size_t k)
    requires db::AsyncDatabase<DB>
  {
    const auto q = engine_.embed(query);
    const auto dim = co_await db_.vector_dimension();
    if (dim == 0 || k == 0) co_return std::vector<search_hit>{};
    const auto filter = filter_for(type);
    const auto matches = co_await db_.vector_search(db::vector_table::observations, q, filter, k);
    const auto ids = ids_of(matches);
    const auto st = detail::select_observations_by_id(ids);
    const auto rows = co_await db_.query(st.sql, st.params);
    const auto items = detail::observations_from(rows);
    co_return detail::observation_hits(matches, items);
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<search_hit>> search_knowledge(std::string query, std::size_t k)
    requires db::AsyncDatabase<DB>
  {
    std::vector<std::vector<search_hit>> lists;
    auto beliefs = co_await search_beliefs(query, k);
    lists.push_back(std::move(beliefs));
    auto observations = co_await search_observations(query, std::nullopt, k);
    lists.push_back(std::move(observations));
    co_return detail::merge_by_score(std::move(lists), k);
  }

  /// Runs one search_knowledge per query concurrently and returns when all are
  /// done, results in the order of `queries`. The first failure is rethrown after
  /// every search has finished.
  db::awaitable<std::vector<std::vector<search_hit>>> search_many(std::vector<std::string> queries, std::size_t k)
    requires db::AsyncDatabase<DB>
  {
    namespace asio = boost::asio;
    auto ex = co_await asio::this_coro::executor;
    using op_type = decltype(asio::co_spawn(ex, search_knowledge(std::string{}, k), asio::deferred));
    std::vector<op_type> ops;
    ops.reserve(queries.size());
    for (const auto& q : queries) ops.push_back(asio::co_spawn(ex, search_knowledge(q, k), asio::deferred));
    std::vector<std::vector<search_hit>> out(queries.size());
    if (ops.empty()) co_return out;
    auto [order, errors, results] = co_await asio::experimental::make_parallel_group(std::move(ops))
                                        .async_wait(asio::experimental::wait_for_all(), asio::use_awaitable);
    for (std::size_t i = 0; i < errors.size(); ++i) {
      if (errors[i]) std::rethrow_exception(errors[i]);
    }
    for (std::size_t i = 0; i < results.size(); ++i) out[i] = std::move(results[i]);
    co_return out;
  }
#endif

 private:
  static std::vector<std::int64_t> ids_of(const std::vector<db::vector_match>& matches) {
    std::vector<std::int64_t> ids;
    ids.reserve(matches.size());
    for (const auto& m : matches) ids.push_back(m.id);
    return ids;
  }
  static db::vector_filter filter_for(std::optional<observation_type> type) {
    db::vector_filter f;
    if (type) f.obs_type = std::string(to_string(*type));
    return f;
  }

  DB& db_;
  embed::embedding_engine& engine_;
};

}  // namespace patina::domain
