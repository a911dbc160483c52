/// @file
/// patina/domain/embeddings_database.hpp — keeps each item's vector in step with
/// its text and with the configured embedding model.
///
/// Items are beliefs, observations and code symbols. For every embedded item the
/// `embeddings` table records the model id, the dimension and a hash of the text.
/// An item whose text is unchanged is never embedded twice. Vectors of two
/// models are never mixed in one space: index() writes nothing while the stored
/// vectors belong to another model (or dimension), and only ensure_model(), an
/// explicit switch, drops them and starts over. adopt_model() and stored_space()
/// never drop anything, so commands that only read can use them safely. A symbol is embedded by its qualified
/// name split into words and the prose of its doc comment
/// (detail::symbol_embedding_text; its signature and path feed the lexical index).
///
/// generate_missing works in batches (embed_batch over up to batch_size texts,
/// then one vector upsert and one batch of bookkeeping rows): each batch is
/// committed on its own, so an interrupted run keeps its finished batches and the
/// next run embeds only what is still missing or stale.
///
/// EmbeddingsDatabase<DB> is a template over the database type: for a
/// db::SyncDatabase (SQLite build) its operations are plain calls; for a
/// db::AsyncDatabase (Turso build) the same names return awaitables.
///
/// Thread safety: an EmbeddingsDatabase borrows the database and the engine; it is
/// as thread-safe as the database it wraps (see the backend's header). Both must
/// outlive it.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "patina/db/concepts.hpp"
#include "patina/domain/detail/sql.hpp"
#include "patina/domain/knowledge.hpp"
#include "patina/embed/embedding_engine.hpp"

namespace patina::domain {

/// What ensure_model() found.
struct model_state {
  bool changed = false;      ///< the vector tables were (re)created for the engine's model
  std::string previous_model;  ///< empty when none was recorded
};

/// The vector space a database holds, compared with the engine's model
/// (EmbeddingsDatabase::stored_space).
struct vector_space {
  std::string model;  ///< the model recorded with the vectors; empty when none
  std::size_t dimension = 0;  ///< the vector tables' dimension; 0 when they have none
  bool matches = false;  ///< model and dimension are the engine's: its vectors can be searched and written
};

/// Progress of generate_missing, reported after each committed batch. `done`
/// and `total` count the items that needed a vector, over every item type.
struct embedding_progress {
  item_type type = item_type::belief;  ///< the type of the batch just written
  std::size_t done = 0;  ///< Items embedded so far.
  std::size_t total = 0;  ///< Items that needed a vector when the run started.
};

/// What EmbeddingsDatabase::generate_missing embeds, and how.
struct generate_options {
  bool knowledge = true;  ///< beliefs and observations
  bool symbols = true;    ///< code symbols
  bool force = false;     ///< embed again even items whose vector is current
  std::size_t batch_size = 256;  ///< Texts per embed_batch call and per committed transaction.
  /// Called on the caller's thread after each committed batch; may be empty.
  std::function<void(const embedding_progress&)> progress;
};

/// Items of one type: how many exist and how many have a vector of the engine's
/// model (possibly of an older text until the next generate_missing).
struct item_counts {
  std::int64_t total = 0;  ///< Items of the type.
  std::int64_t embedded = 0;  ///< Of those, items with a vector of the engine's model.
};

/// item_counts for each item type (EmbeddingsDatabase::counts).
struct embedding_counts {
  item_counts beliefs;  ///< Beliefs.
  item_counts observations;  ///< Observations.
  item_counts symbols;  ///< Code symbols.
};

/// Keeps each item's vector in step with its text and the engine's model.
/// Plain calls over a db::SyncDatabase, awaitables over a db::AsyncDatabase;
/// see the file description for the contract and thread safety.
template <class DB>
class EmbeddingsDatabase {
 public:
  /// REQUIRES: db and engine outlive this object.
  EmbeddingsDatabase(DB& db, embed::embedding_engine& engine) : db_(db), engine_(engine) {}

  /// The engine vectors are made with.
  embed::embedding_engine& engine() const noexcept { return engine_; }

  // --- SQLite build (synchronous) ---------------------------------------------

  /// Makes the database's vector space the engine's: if another model (or none)
  /// is recorded, recreates the vector tables for the engine's dimension and
  /// forgets every embedding, so everything is embedded again.
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

  /// The stored model and dimension, and whether they are the engine's. Reads only.
  vector_space stored_space()
    requires db::SyncDatabase<DB>
  {
    const auto meta = detail::select_meta(detail::meta_embedding_model);
    const auto recorded = db_.query(meta.sql, meta.params);
    return space_of(detail::text_from(recorded).value_or(""), db_.vector_dimension());
  }

  /// Makes the engine's model the database's when none is recorded yet (a new
  /// database); otherwise changes nothing, so vectors of another model stay.
  /// Returns the space as it then is.
  vector_space adopt_model()
    requires db::SyncDatabase<DB>
  {
    auto space = stored_space();
    if (!space.model.empty() || space.matches) return space;
    ensure_model();
    return stored_space();
  }

  /// Embeds `text` for the item unless its current vector was made from the same
  /// text by the same model. Returns true when a new vector was written; false
  /// also when the stored vectors belong to another model (stored_space() says
  /// so): the item is then left without a vector until ensure_model().
  bool index(item_type type, std::int64_t id, std::string_view text, const db::vector_metadata& metadata = {})
    requires db::SyncDatabase<DB>
  {
    if (!stored_space().matches) return false;
    const auto hash = detail::content_hash(text);
    const auto st = detail::select_embedding(id);
    const auto existing = db_.query(st.sql, st.params);
    if (is_current(existing, hash)) return false;
    const auto vec = engine_.embed(text);
    write(type, id, vec, metadata, hash);
    return true;
  }

  /// Deletes the item's vector and its bookkeeping row; an item without one is no error.
  void remove(item_type type, std::int64_t id)
    requires db::SyncDatabase<DB>
  {
    const std::int64_t ids[] = {id};
    if (db_.vector_dimension() > 0) db_.vector_delete(detail::vector_table_for(type), ids);
    const auto st = detail::delete_embedding(id);
    db_.execute(st.sql, st.params);
  }

  /// Embeds every item (belief, observation, symbol) that lacks a current vector
  /// of the engine's model. Returns how many were embedded.
  std::size_t generate_missing()
    requires db::SyncDatabase<DB>
  {
    const generate_options all;
    return generate_missing(all);
  }

  /// Embeds the items `options` selects that lack a current vector (with
  /// `force`, all of them), in committed batches, reporting progress after each.
  /// REQUIRES: ensure_model() was called (the vector tables have the engine's
  /// dimension). Database failures propagate; finished batches stay.
  std::size_t generate_missing(const generate_options& options)
    requires db::SyncDatabase<DB>
  {
    const auto types = types_of(options);
    std::vector<std::vector<std::int64_t>> stale(types.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < types.size(); ++i) {
      std::int64_t after = 0;
      for (;;) {
        const auto st = detail::select_embedding_page(types[i], engine_.model_id(), after, page_size);
        const auto page = detail::embedding_sources_from(types[i], db_.query(st.sql, st.params));
        after = collect_stale(page, options.force, stale[i]);
        if (page.size() < page_size) break;
      }
      total += stale[i].size();
    }
    embedding_progress progress{item_type::belief, 0, total};
    const std::size_t batch = std::max<std::size_t>(1, options.batch_size);
    for (std::size_t i = 0; i < types.size(); ++i) {
      progress.type = types[i];
      for (std::size_t start = 0; start < stale[i].size(); start += batch) {
        const std::span<const std::int64_t> ids(stale[i].data() + start, std::min(batch, stale[i].size() - start));
        const auto st = detail::select_embedding_sources(types[i], engine_.model_id(), ids);
        auto sources = detail::embedding_sources_from(types[i], db_.query(st.sql, st.params));
        auto texts = texts_of(sources);
        auto vectors = engine_.embed_batch(texts);
        const auto items = vector_items(sources, std::move(vectors));
        if (!items.empty()) {
          db_.vector_upsert(detail::vector_table_for(types[i]), items);
          db_.execute_batch(bookkeeping(types[i], sources, items));
        }
        progress.done += ids.size();
        if (options.progress) options.progress(progress);
      }
    }
    return progress.done;
  }

  /// How many items of each type exist and how many have a vector of the
  /// engine's model.
  embedding_counts counts()
    requires db::SyncDatabase<DB>
  {
    embedding_counts c;
    for (auto type : {item_type::belief, item_type::observation, item_type::symbol}) {
      const auto st = detail::count_items(type);
      count_for(c, type).total = detail::count_from(db_.query(st.sql, st.params));
    }
    const auto st = detail::count_embedded_by_type(engine_.model_id());
    apply_embedded(c, db_.query(st.sql, st.params));
    return c;
  }

  /// How many items have a vector of the engine's model.
  std::int64_t embedded_count()
    requires db::SyncDatabase<DB>
  {
    const auto st = detail::count_embeddings(engine_.model_id());
    return detail::count_from(db_.query(st.sql, st.params));
  }

#if defined(PATINA_BACKEND_TURSO)
  // --- Turso build (asynchronous): same operations, same semantics -----------

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
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

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<vector_space> stored_space()
    requires db::AsyncDatabase<DB>
  {
    const auto meta = detail::select_meta(detail::meta_embedding_model);
    const auto recorded = co_await db_.query(meta.sql, meta.params);
    const auto dim = co_await db_.vector_dimension();
    co_return space_of(detail::text_from(recorded).value_or(""), dim);
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<vector_space> adopt_model()
    requires db::AsyncDatabase<DB>
  {
    auto space = co_await stored_space();
    if (!space.model.empty() || space.matches) co_return space;
    co_await ensure_model();
    auto adopted = co_await stored_space();
    co_return adopted;
  }

  /// (No default argument here: g++ 12 destroys a braced default argument of a
  /// coroutine twice. Callers pass a named vector_metadata.)
  db::awaitable<bool> index(item_type type, std::int64_t id, std::string_view text,
                            db::vector_metadata metadata)
    requires db::AsyncDatabase<DB>
  {
    const auto space = co_await stored_space();
    if (!space.matches) co_return false;
    const auto hash = detail::content_hash(text);
    const auto st = detail::select_embedding(id);
    const auto existing = co_await db_.query(st.sql, st.params);
    if (is_current(existing, hash)) co_return false;
    const auto vec = engine_.embed(text);
    co_await write(type, id, vec, metadata, hash);
    co_return true;
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<void> remove(item_type type, std::int64_t id)
    requires db::AsyncDatabase<DB>
  {
    const std::int64_t ids[] = {id};
    const auto dim = co_await db_.vector_dimension();
    if (dim > 0) co_await db_.vector_delete(detail::vector_table_for(type), ids);
    const auto st = detail::delete_embedding(id);
    co_await db_.execute(st.sql, st.params);
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::size_t> generate_missing()
    requires db::AsyncDatabase<DB>
  {
    const generate_options all;
    auto n = co_await generate_missing(all);
    co_return n;
  }

  /// `options` must stay alive until the operation completes.
  db::awaitable<std::size_t> generate_missing(const generate_options& options)
    requires db::AsyncDatabase<DB>
  {
    const auto types = types_of(options);
    std::vector<std::vector<std::int64_t>> stale(types.size());
    std::size_t total = 0;
    for (std::size_t i = 0; i < types.size(); ++i) {
      std::int64_t after = 0;
      for (;;) {
        const auto st = detail::select_embedding_page(types[i], engine_.model_id(), after, page_size);
        const auto rows = co_await db_.query(st.sql, st.params);
        const auto page = detail::embedding_sources_from(types[i], rows);
        after = collect_stale(page, options.force, stale[i]);
        if (page.size() < page_size) break;
      }
      total += stale[i].size();
    }
    embedding_progress progress{item_type::belief, 0, total};
    const std::size_t batch = std::max<std::size_t>(1, options.batch_size);
    for (std::size_t i = 0; i < types.size(); ++i) {
      progress.type = types[i];
      for (std::size_t start = 0; start < stale[i].size(); start += batch) {
        const std::span<const std::int64_t> ids(stale[i].data() + start, std::min(batch, stale[i].size() - start));
        const auto st = detail::select_embedding_sources(types[i], engine_.model_id(), ids);
        const auto rows = co_await db_.query(st.sql, st.params);
        auto sources = detail::embedding_sources_from(types[i], rows);
        auto texts = texts_of(sources);
        auto vectors = engine_.embed_batch(texts);
        const auto items = vector_items(sources, std::move(vectors));
        if (!items.empty()) {
          co_await db_.vector_upsert(detail::vector_table_for(types[i]), items);
          const auto rows_to_write = bookkeeping(types[i], sources, items);
          co_await db_.execute_batch(rows_to_write);
        }
        progress.done += ids.size();
        if (options.progress) options.progress(progress);
      }
    }
    co_return progress.done;
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<embedding_counts> counts()
    requires db::AsyncDatabase<DB>
  {
    embedding_counts c;
    for (auto type : {item_type::belief, item_type::observation, item_type::symbol}) {
      const auto st = detail::count_items(type);
      const auto rows = co_await db_.query(st.sql, st.params);
      count_for(c, type).total = detail::count_from(rows);
    }
    const auto st = detail::count_embedded_by_type(engine_.model_id());
    const auto rows = co_await db_.query(st.sql, st.params);
    apply_embedded(c, rows);
    co_return c;
  }

  /// Turso build: the awaitable form of the synchronous member of the same name; same semantics.
  db::awaitable<std::int64_t> embedded_count()
    requires db::AsyncDatabase<DB>
  {
    const auto st = detail::count_embeddings(engine_.model_id());
    const auto r = co_await db_.query(st.sql, st.params);
    co_return detail::count_from(r);
  }
#endif

 private:
  static constexpr std::size_t page_size = 2048;

  std::vector<db::statement> reset_statements() const {
    return {detail::delete_all_embeddings(), detail::upsert_meta(detail::meta_embedding_model, engine_.model_id())};
  }

  vector_space space_of(std::string model, std::size_t dimension) const {
    const bool matches = model == engine_.model_id() && dimension == engine_.dimension();
    return vector_space{std::move(model), dimension, matches};
  }

  static bool is_current(const db::query_result& existing, const std::string& hash) {
    return !existing.rows.empty() && existing.rows.front().size() == 2 &&
           std::get_if<std::string>(&existing.rows.front()[1]) != nullptr &&
           std::get<std::string>(existing.rows.front()[1]) == hash;
  }

  static std::vector<item_type> types_of(const generate_options& o) {
    std::vector<item_type> types;
    if (o.knowledge) {
      types.push_back(item_type::belief);
      types.push_back(item_type::observation);
    }
    if (o.symbols) types.push_back(item_type::symbol);
    return types;
  }

  /// Appends the ids of the page's items whose vector is missing or stale;
  /// returns the page's last id (the next page starts after it).
  static std::int64_t collect_stale(const std::vector<detail::embedding_source>& page, bool force,
                                    std::vector<std::int64_t>& stale) {
    for (const auto& s : page) {
      if (force || s.stored_hash.empty() || s.stored_hash != detail::content_hash(s.text)) stale.push_back(s.id);
    }
    return page.empty() ? 0 : page.back().id;
  }

  static std::vector<std::string> texts_of(const std::vector<detail::embedding_source>& sources) {
    std::vector<std::string> texts;
    texts.reserve(sources.size());
    for (const auto& s : sources) texts.push_back(s.text);
    return texts;
  }

  static std::vector<db::vector_item> vector_items(const std::vector<detail::embedding_source>& sources,
                                                   std::vector<std::vector<float>> vectors) {
    std::vector<db::vector_item> items;
    items.reserve(sources.size());
    for (std::size_t i = 0; i < sources.size() && i < vectors.size(); ++i) {
      items.push_back(db::vector_item{sources[i].id, std::move(vectors[i]), sources[i].metadata});
    }
    return items;
  }

  std::vector<db::statement> bookkeeping(item_type type, const std::vector<detail::embedding_source>& sources,
                                         const std::vector<db::vector_item>& items) const {
    std::vector<db::statement> out;
    out.reserve(items.size());
    for (std::size_t i = 0; i < items.size(); ++i) {
      out.push_back(detail::upsert_embedding(items[i].id, type, engine_.model_id(), items[i].embedding.size(),
                                             detail::content_hash(sources[i].text)));
    }
    return out;
  }

  static item_counts& count_for(embedding_counts& c, item_type type) {
    switch (type) {
      case item_type::belief: return c.beliefs;
      case item_type::observation: return c.observations;
      case item_type::symbol: return c.symbols;
    }
    return c.beliefs;
  }

  static void apply_embedded(embedding_counts& c, const db::query_result& rows) {
    for (const auto& row : rows.rows) {
      const auto* type = std::get_if<std::string>(&row.at(0));
      const auto* n = std::get_if<std::int64_t>(&row.at(1));
      if (type == nullptr || n == nullptr) continue;
      for (auto t : {item_type::belief, item_type::observation, item_type::symbol}) {
        if (*type == to_string(t)) count_for(c, t).embedded = *n;
      }
    }
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
