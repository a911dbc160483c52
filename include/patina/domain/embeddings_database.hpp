// patina/domain/embeddings_database.hpp — keeps each item's vector in step with
// its text and with the configured embedding model.
//
// For every embedded item the `embeddings` table records the model id, the
// dimension and a hash of the text. An item whose text is unchanged is never
// embedded twice; a model change (different id or dimension) drops every vector
// and starts over, so vectors of two models are never mixed in one space.
//
// EmbeddingsDatabase<DB> is a template over the database type: for a
// db::SyncDatabase (SQLite build) its operations are plain calls; for a
// db::AsyncDatabase (Turso build) the same names return awaitables.
//
// Thread safety: an EmbeddingsDatabase borrows the database and the engine; it is
// as thread-safe as the database it wraps (see the backend's header). Both must
// outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "patina/db/concepts.hpp"
#include "patina/domain/detail/sql.hpp"
#include "patina/domain/knowledge.hpp"
#include "patina/embed/embedding_engine.hpp"

namespace patina::domain {

// What ensure_model() found.
struct model_state {
  bool changed = false;      // the vector tables were (re)created for the engine's model
  std::string previous_model;  // empty when none was recorded
};

template <class DB>
class EmbeddingsDatabase {
 public:
  // REQUIRES: db and engine outlive this object.
  EmbeddingsDatabase(DB& db, embed::embedding_engine& engine) : db_(db), engine_(engine) {}

  embed::embedding_engine& engine() const noexcept { return engine_; }

  // --- SQLite build (synchronous) ---------------------------------------------

  // Makes the database's vector space the engine's: if another model (or none)
  // is recorded, recreates the vector tables for the engine's dimension and
  // forgets every embedding, so everything is embedded again.
  model_state ensure_model()
    requires db::SyncDatabase<DB>
  {
    const auto meta = detail::select_meta(detail::meta_embedding_model);
    const auto recorded = db_.query(meta.sql, meta.params);
    const auto previous = detail::text_from(recorded).value_or("");
    const auto dim = db_.vector_dimension();
    if (previous == engine_.model_id() && dim == engine_.dimension()) return {false, previous};
    db_.set_vector_dimension(engine_.dimension());
    db_.execute_batch(reset_statements());
    return {true, previous};
  }

  // Embeds `text` for the item unless its current vector was made from the same
  // text by the same model. Returns true when a new vector was written.
  bool index(item_type type, std::int64_t id, std::string_view text, const db::vector_metadata& metadata = {})
    requires db::SyncDatabase<DB>
  {
    const auto hash = detail::content_hash(text);
    const auto st = detail::select_embedding(id);
    const auto existing = db_.query(st.sql, st.params);
    if (is_current(existing, hash)) return false;
    const auto vec = engine_.embed(text);
    write(type, id, vec, metadata, hash);
    return true;
  }

  void remove(item_type type, std::int64_t id)
    requires db::SyncDatabase<DB>
  {
    const std::int64_t ids[] = {id};
    if (db_.vector_dimension() > 0) db_.vector_delete(detail::vector_table_for(type), ids);
    const auto st = detail::delete_embedding(id);
    db_.execute(st.sql, st.params);
  }

  // Embeds every belief and observation that lacks a current vector. Returns how
  // many were embedded. Work is committed per item, so an interrupted run keeps
  // what it finished.
  std::size_t generate_missing()
    requires db::SyncDatabase<DB>
  {
    std::size_t done = 0;
    for (auto type : {item_type::belief, item_type::observation}) {
      const auto st = detail::select_embedding_candidates(type, engine_.model_id());
      const auto rows = db_.query(st.sql, st.params);
      for (const auto& c : candidates(rows, type)) {
        write(type, c.id, engine_.embed(c.text), c.metadata, c.hash);
        ++done;
      }
    }
    return done;
  }

  std::int64_t embedded_count()
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::count_embeddings(engine_.model_id());
    return detail::count_from(db_.query(st.sql, st.params));
  }

#if defined(PATINA_BACKEND_TURSO)
  // --- Turso build (asynchronous): same operations, same semantics -----------

  db::awaitable<model_state> ensure_model()
    requires db::AsyncDatabase<DB>
  {
    const auto meta = detail::select_meta(detail::meta_embedding_model);
    auto recorded = co_await db_.query(meta.sql, meta.params);
    const auto previous = detail::text_from(recorded).value_or("");
    const auto dim = co_await db_.vector_dimension();
    if (previous == engine_.model_id() && dim == engine_.dimension()) co_return model_state{false, previous};
    co_await db_.set_vector_dimension(engine_.dimension());
    co_await db_.execute_batch(reset_statements());
    co_return model_state{true, previous};
  }

  // (No default argument here: g++ 12 destroys a braced default argument of a
  // coroutine twice. Callers pass a named vector_metadata.)
  db::awaitable<bool> index(item_type type, std::int64_t id, std::string_view text,
                            db::vector_metadata metadata)
    requires db::AsyncDatabase<DB>
  {
    const auto hash = detail::content_hash(text);
    const auto st = detail::select_embedding(id);
    const auto existing = co_await db_.query(st.sql, st.params);
    if (is_current(existing, hash)) co_return false;
    const auto vec = engine_.embed(text);
    co_await write(type, id, vec, metadata, hash);
    co_return true;
  }

  db::awaitable<void> remove(item_type type, std::int64_t id)
    requires db::AsyncDatabase<DB>
  {
    const std::int64_t ids[] = {id};
    const auto dim = co_await db_.vector_dimension();
    if (dim > 0) co_await db_.vector_delete(detail::vector_table_for(type), ids);
    const auto st = detail::delete_embedding(id);
    co_await db_.execute(st.sql, st.params);
  }

  db::awaitable<std::size_t> generate_missing()
    requires db::AsyncDatabase<DB>
  {
    std::size_t done = 0;
    for (auto type : {item_type::belief, item_type::observation}) {
      const auto st = detail::select_embedding_candidates(type, engine_.model_id());
      const auto rows = co_await db_.query(st.sql, st.params);
      for (const auto& c : candidates(rows, type)) {
        co_await write(type, c.id, engine_.embed(c.text), c.metadata, c.hash);
        ++done;
      }
    }
    co_return done;
  }

  db::awaitable<std::int64_t> embedded_count()
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::count_embeddings(engine_.model_id());
    const auto r = co_await db_.query(st.sql, st.params);
    co_return detail::count_from(r);
  }
#endif

 private:
  struct candidate {
    std::int64_t id;
    std::string text;
    std::string hash;
    db::vector_metadata metadata;
  };

  std::vector<db::statement> reset_statements() const {
    return {detail::delete_all_embeddings(), detail::upsert_meta(detail::meta_embedding_model, engine_.model_id())};
  }

  static bool is_current(const db::query_result& existing, const std::string& hash) {
    return !existing.rows.empty() && existing.rows.front().size() == 2 &&
           std::get_if<std::string>(&existing.rows.front()[1]) != nullptr &&
           std::get<std::string>(existing.rows.front()[1]) == hash;
  }

  // Rows of select_embedding_candidates whose stored hash is missing or stale.
  static std::vector<candidate> candidates(const db::query_result& rows, item_type type) {
    std::vector<candidate> out;
    for (const auto& row : rows.rows) {
      const auto* id = std::get_if<std::int64_t>(&row.at(0));
      const auto* text = std::get_if<std::string>(&row.at(1));
      if (id == nullptr || text == nullptr) continue;
      auto hash = detail::content_hash(*text);
      const auto* stored = std::get_if<std::string>(&row.at(2));
      if (stored != nullptr && *stored == hash) continue;
      candidate c{*id, *text, std::move(hash), {}};
      if (type == item_type::observation && row.size() > 3) {
        if (const auto* t = std::get_if<std::string>(&row[3])) c.metadata.obs_type = *t;
      }
      out.push_back(std::move(c));
    }
    return out;
  }

  void write(item_type type, std::int64_t id, const std::vector<float>& vec, const db::vector_metadata& metadata,
             const std::string& hash)
    requires db::SyncDatabase<DB>
  {
    const db::vector_item items[] = {db::vector_item{id, vec, metadata}};
    db_.vector_upsert(detail::vector_table_for(type), items);
    const auto st = detail::upsert_embedding(id, type, engine_.model_id(), vec.size(), hash);
    db_.execute(st.sql, st.params);
  }

#if defined(PATINA_BACKEND_TURSO)
  db::awaitable<void> write(item_type type, std::int64_t id, std::vector<float> vec, db::vector_metadata metadata,
                            std::string hash)
    requires db::AsyncDatabase<DB>
  {
    std::vector<db::vector_item> items;
    items.push_back(db::vector_item{id, std::move(vec), std::move(metadata)});
    co_await db_.vector_upsert(detail::vector_table_for(type), items);
    const auto st = detail::upsert_embedding(id, type, engine_.model_id(), items.front().embedding.size(), hash);
    co_await db_.execute(st.sql, st.params);
  }
#endif

  DB& db_;
  embed::embedding_engine& engine_;
};

}  // namespace patina::domain
