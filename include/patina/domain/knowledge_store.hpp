/// @file
/// patina/domain/knowledge_store.hpp — add, list, get and remove beliefs and
/// observations.
///
/// KnowledgeStore<DB> is a template over the database type: for a
/// db::SyncDatabase (SQLite build) its operations are plain calls; for a
/// db::AsyncDatabase (Turso build) the same names return awaitables. When an
/// EmbeddingsDatabase is attached, new items are embedded as they are added and
/// their vectors removed with them.
///
/// Failure semantics: invalid input (empty text, confidence outside 0..1) throws
/// patina::exception with errc::invalid_argument before anything is written;
/// get/remove of an unknown id is errc::not_found. Database failures propagate.
/// An add is all or nothing: when embedding the new item fails, its row is
/// deleted again before the error propagates, so a caller that retries after an
/// error does not record the item twice. An item that cannot be embedded
/// because the stored vectors belong to another model
/// (EmbeddingsDatabase::index) is stored without a vector; that is no error.
///
/// Thread safety: borrows the database (and embeddings database); as thread-safe
/// as the database it wraps. Both must outlive the store.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "patina/db/concepts.hpp"
#include "patina/domain/detail/sql.hpp"
#include "patina/domain/embeddings_database.hpp"
#include "patina/domain/knowledge.hpp"

namespace patina::domain {

/// Beliefs and observations of one database: add, list, get, remove, count.
/// Plain calls over a db::SyncDatabase, awaitables over a db::AsyncDatabase;
/// see the file description for failure semantics and thread safety.
template <class DB>
class KnowledgeStore {
 public:
  /// REQUIRES: db (and embeddings, when given) outlive this object.
  explicit KnowledgeStore(DB& db, EmbeddingsDatabase<DB>* embeddings = nullptr) : db_(db), embeddings_(embeddings) {}

  // --- SQLite build (synchronous) ---------------------------------------------

  /// Records a belief (`confidence` in 0..1) and, with embeddings attached, embeds it.
  /// Returns it with its new id and timestamps. Throws patina::exception:
  /// invalid_argument (empty statement, confidence out of range; nothing written),
  /// or the database's error.
  belief add_belief(std::string statement, double confidence = 1.0)
    requires db::SyncDatabase<DB>
  {
    auto b = detail::make_belief(std::move(statement), confidence).value();
    const auto st = detail::insert_belief(b);
    db_.execute(st.sql, st.params);
    if (embeddings_ != nullptr) {
      try {
        embeddings_->index(item_type::belief, b.id, b.statement);
      } catch (...) {
        undo_add(item_type::belief, b.id);
        throw;
      }
    }
    return b;
  }

  /// Records an observation of `type` from `source` (may be empty) and, with
  /// embeddings attached, embeds it. Returns it with its new id. Throws like add_belief.
  observation add_observation(std::string content, observation_type type, std::string source = {})
    requires db::SyncDatabase<DB>
  {
    auto o = detail::make_observation(std::move(content), type, std::move(source)).value();
    const auto st = detail::insert_observation(o);
    db_.execute(st.sql, st.params);
    if (embeddings_ != nullptr) {
      try {
        embeddings_->index(item_type::observation, o.id, o.content, detail::metadata_for(o));
      } catch (...) {
        undo_add(item_type::observation, o.id);
        throw;
      }
    }
    return o;
  }

  /// Every belief, oldest first.
  std::vector<belief> list_beliefs()
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::select_beliefs();
    return detail::beliefs_from(db_.query(st.sql, st.params));
  }

  /// Every observation (only those of `type` when given), oldest first.
  std::vector<observation> list_observations(std::optional<observation_type> type = std::nullopt)
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::select_observations(type);
    return detail::observations_from(db_.query(st.sql, st.params));
  }

  /// The belief `id`; throws patina::exception with errc::not_found if there is none.
  belief get_belief(std::int64_t id)
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::select_belief(id);
    auto found = detail::beliefs_from(db_.query(st.sql, st.params));
    if (found.empty()) throw not_found("belief", id);
    return std::move(found.front());
  }

  /// The observation `id`; throws patina::exception with errc::not_found if there is none.
  observation get_observation(std::int64_t id)
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::select_observation(id);
    auto found = detail::observations_from(db_.query(st.sql, st.params));
    if (found.empty()) throw not_found("observation", id);
    return std::move(found.front());
  }

  /// Deletes belief `id` and its vector; errc::not_found (thrown) if there is none.
  void remove_belief(std::int64_t id)
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::delete_belief(id);
    if (db_.execute(st.sql, st.params).changes == 0) throw not_found("belief", id);
    if (embeddings_ != nullptr) embeddings_->remove(item_type::belief, id);
  }

  /// Deletes observation `id` and its vector; errc::not_found (thrown) if there is none.
  void remove_observation(std::int64_t id)
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::delete_observation(id);
    if (db_.execute(st.sql, st.params).changes == 0) throw not_found("observation", id);
    if (embeddings_ != nullptr) embeddings_->remove(item_type::observation, id);
  }

  /// How many items of `type` the database holds.
  std::int64_t count(item_type type)
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::count_items(type);
    return detail::count_from(db_.query(st.sql, st.params));
  }

#if defined(PATINA_BACKEND_TURSO)
  // --- Turso build (asynchronous): same operations, same semantics -----------

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<belief> add_belief(std::string statement, double confidence = 1.0)
    requires db::AsyncDatabase<DB>
  {
    auto b = detail::make_belief(std::move(statement), confidence).value();
    const auto st = detail::insert_belief(b);
    co_await db_.execute(st.sql, st.params);
    if (embeddings_ != nullptr) {
      std::exception_ptr failed;
      try {
        const db::vector_metadata none;
        co_await embeddings_->index(item_type::belief, b.id, b.statement, none);
      } catch (...) {
        failed = std::current_exception();
      }
      if (failed) {
        co_await undo_add(item_type::belief, b.id);
        std::rethrow_exception(failed);
      }
    }
    co_return b;
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<observation> add_observation(std::string content, observation_type type, std::string source = {})
    requires db::AsyncDatabase<DB>
  {
    auto o = detail::make_observation(std::move(content), type, std::move(source)).value();
    const auto st = detail::insert_observation(o);
    co_await db_.execute(st.sql, st.params);
    if (embeddings_ != nullptr) {
      std::exception_ptr failed;
      try {
        const auto metadata = detail::metadata_for(o);
        co_await embeddings_->index(item_type::observation, o.id, o.content, metadata);
      } catch (...) {
        failed = std::current_exception();
      }
      if (failed) {
        co_await undo_add(item_type::observation, o.id);
        std::rethrow_exception(failed);
      }
    }
    co_return o;
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<belief>> list_beliefs()
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::select_beliefs();
    const auto rows = co_await db_.query(st.sql, st.params);
    co_return detail::beliefs_from(rows);
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::vector<observation>> list_observations(std::optional<observation_type> type = std::nullopt)
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::select_observations(type);
    const auto rows = co_await db_.query(st.sql, st.params);
    co_return detail::observations_from(rows);
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<belief> get_belief(std::int64_t id)
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::select_belief(id);
    const auto rows = co_await db_.query(st.sql, st.params);
    auto found = detail::beliefs_from(rows);
    if (found.empty()) throw not_found("belief", id);
    co_return std::move(found.front());
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<observation> get_observation(std::int64_t id)
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::select_observation(id);
    const auto rows = co_await db_.query(st.sql, st.params);
    auto found = detail::observations_from(rows);
    if (found.empty()) throw not_found("observation", id);
    co_return std::move(found.front());
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<void> remove_belief(std::int64_t id)
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::delete_belief(id);
    const auto r = co_await db_.execute(st.sql, st.params);
    if (r.changes == 0) throw not_found("belief", id);
    if (embeddings_ != nullptr) co_await embeddings_->remove(item_type::belief, id);
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<void> remove_observation(std::int64_t id)
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::delete_observation(id);
    const auto r = co_await db_.execute(st.sql, st.params);
    if (r.changes == 0) throw not_found("observation", id);
    if (embeddings_ != nullptr) co_await embeddings_->remove(item_type::observation, id);
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::int64_t> count(item_type type)
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::count_items(type);
    const auto rows = co_await db_.query(st.sql, st.params);
    co_return detail::count_from(rows);
  }
#endif

 private:
  static exception not_found(const char* what, std::int64_t id) {
    return exception(errc::not_found,
                     fmt::format("no {} with id {}; list them with `patina {} list`", what, id,
                                 std::string_view(what) == "belief" ? "belief" : "observe"));
  }

  // Takes back an add whose embedding failed: the row and any vector written.
  // Best effort: the embedding's failure is the error to report, not this one's.
  void undo_add(item_type type, std::int64_t id) noexcept
    requires db::SyncDatabase<DB>
  {
    try {
      const auto st = type == item_type::belief ? detail::delete_belief(id) : detail::delete_observation(id);
      db_.execute(st.sql, st.params);
      embeddings_->remove(type, id);
    } catch (...) {
    }
  }

#if defined(PATINA_BACKEND_TURSO)
  db::awaitable<void> undo_add(item_type type, std::int64_t id)
    requires db::AsyncDatabase<DB>
  {
    try {
      const auto st = type == item_type::belief ? detail::delete_belief(id) : detail::delete_observation(id);
      co_await db_.execute(st.sql, st.params);
      co_await embeddings_->remove(type, id);
    } catch (...) {
    }
  }
#endif

  DB& db_;
  EmbeddingsDatabase<DB>* embeddings_;
};

}  // namespace patina::domain
