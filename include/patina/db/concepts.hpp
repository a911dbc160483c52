/// @file
/// patina/db/concepts.hpp — the contract every storage backend meets.
///
/// A backend is a database type with the operations below, in one of two flavours
/// with the same names and parameters:
///   * SyncDatabase  (the SQLite backend): plain calls that return the value;
///   * AsyncDatabase (the Turso backend): calls that return boost::asio::awaitable<T>.
/// Domain code (knowledge store, embeddings, search, scrape) is a template over the
/// database type, constrained by these concepts; each backend `static_assert`s that
/// it satisfies its concept. There is no runtime dispatch between backends.
///
/// Semantics shared by both flavours:
///   query(sql, params)        runs one statement and returns its rows.
///   execute(sql, params)      runs one statement and returns changes/rowid.
///   execute_batch(stmts)      runs all statements in one transaction: all or nothing.
///   vector_dimension()        dimension the vector tables were created for, 0 if none.
///   set_vector_dimension(d)   creates the vector tables for d; if they exist with
///                             another dimension they are dropped and recreated empty.
///   vector_upsert(t, items)   inserts or replaces vectors (one transaction).
///   vector_delete(t, ids)     removes vectors; absent ids are ignored.
///   vector_search(t, q, f, k) the k nearest vectors by cosine distance, nearest
///                             first, filtered inside the KNN; a query of the wrong
///                             dimension is errc::dimension_mismatch.
/// Failures throw patina::exception with an errc (patina/core/error.hpp).
///
/// Thread safety: see each backend's header.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "patina/backend.hpp"
#include "patina/db/types.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/awaitable.hpp>
#endif

namespace patina::db {

template <class DB>
concept SyncDatabase = requires(DB& db, std::string_view sql, std::vector<value> params,
                                std::vector<statement> batch, vector_table table,
                                std::span<const float> query, const vector_filter& filter,
                                std::size_t k, std::span<const vector_item> items,
                                std::span<const std::int64_t> ids) {
  { db.query(sql, params) } -> std::same_as<query_result>;
  { db.execute(sql, params) } -> std::same_as<exec_result>;
  { db.execute_batch(batch) } -> std::same_as<void>;
  { db.vector_dimension() } -> std::same_as<std::size_t>;
  { db.set_vector_dimension(k) } -> std::same_as<void>;
  { db.vector_upsert(table, items) } -> std::same_as<void>;
  { db.vector_delete(table, ids) } -> std::same_as<void>;
  { db.vector_search(table, query, filter, k) } -> std::same_as<std::vector<vector_match>>;
};

#if defined(PATINA_BACKEND_TURSO)
/// What every operation of an AsyncDatabase returns (Turso build).
template <class T>
using awaitable = boost::asio::awaitable<T>;

template <class DB>
concept AsyncDatabase = requires(DB& db, std::string_view sql, std::vector<value> params,
                                 std::vector<statement> batch, vector_table table,
                                 std::span<const float> query, const vector_filter& filter,
                                 std::size_t k, std::span<const vector_item> items,
                                 std::span<const std::int64_t> ids) {
  { db.query(sql, params) } -> std::same_as<awaitable<query_result>>;
  { db.execute(sql, params) } -> std::same_as<awaitable<exec_result>>;
  { db.execute_batch(batch) } -> std::same_as<awaitable<void>>;
  { db.vector_dimension() } -> std::same_as<awaitable<std::size_t>>;
  { db.set_vector_dimension(k) } -> std::same_as<awaitable<void>>;
  { db.vector_upsert(table, items) } -> std::same_as<awaitable<void>>;
  { db.vector_delete(table, ids) } -> std::same_as<awaitable<void>>;
  { db.vector_search(table, query, filter, k) } -> std::same_as<awaitable<std::vector<vector_match>>>;
};
#endif

}  // namespace patina::db
