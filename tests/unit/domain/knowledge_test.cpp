// Domain layer over this build's backend: knowledge store, embeddings
// bookkeeping and semantic search. The same test bodies run in both builds.
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "backend_harness.hpp"
#include "patina/domain/embeddings_database.hpp"
#include "patina/domain/knowledge_store.hpp"
#include "patina/domain/semantic_search.hpp"
#include "patina/embed/hashing_engine.hpp"

namespace {

using namespace patina;
using patina::cli::task;
using patina::test::database;
using patina::test::harness;
using store_t = domain::KnowledgeStore<database>;
using embeddings_t = domain::EmbeddingsDatabase<database>;
using search_t = domain::SemanticSearch<database>;

// The hashing engine, counting how many texts it embedded.
class counting_engine final : public embed::embedding_engine {
 public:
  explicit counting_engine(std::size_t dim = 128) : inner_(embed::hashing_engine::create(dim).value()) {}
  std::string model_id() const override { return inner_.model_id(); }
  std::size_t dimension() const override { return inner_.dimension(); }
  std::vector<float> embed(std::string_view text) const override {
    ++calls;
    return inner_.embed(text);
  }
  mutable std::atomic<int> calls{0};

 private:
  embed::hashing_engine inner_;
};

TEST(domain, beliefs_add_list_get_remove) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    store_t store(db);
    auto a = PATINA_AWAIT store.add_belief("Uploads are retried three times", 0.9);
    auto b = PATINA_AWAIT store.add_belief("We use WAL mode");
    EXPECT_GT(b.id, a.id);
    EXPECT_DOUBLE_EQ(a.confidence, 0.9);
    EXPECT_DOUBLE_EQ(b.confidence, 1.0);

    auto all = PATINA_AWAIT store.list_beliefs();
    EXPECT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].statement, "Uploads are retried three times");
    EXPECT_EQ(all[1].id, b.id);

    auto got = PATINA_AWAIT store.get_belief(a.id);
    EXPECT_EQ(got.statement, a.statement);
    EXPECT_EQ(got.created_at, a.created_at);

    PATINA_AWAIT store.remove_belief(a.id);
    auto n = PATINA_AWAIT store.count(domain::item_type::belief);
    EXPECT_EQ(n, 1);
    bool threw = false;
    try {
      PATINA_AWAIT store.remove_belief(a.id);
    } catch (const exception& e) {
      threw = true;
      EXPECT_EQ(e.code(), errc::not_found);
    }
    EXPECT_TRUE(threw);
  });
}

TEST(domain, invalid_input_writes_nothing) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    store_t store(db);
    int failures = 0;
    try {
      PATINA_AWAIT store.add_belief("   ", 0.5);
    } catch (const exception& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument);
      ++failures;
    }
    try {
      PATINA_AWAIT store.add_belief("fine text", 1.5);
    } catch (const exception& e) {
      EXPECT_EQ(e.code(), errc::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("0 to 1"), std::string::npos);
      ++failures;
    }
    EXPECT_EQ(failures, 2);
    auto n = PATINA_AWAIT store.count(domain::item_type::belief);
    EXPECT_EQ(n, 0);
  });
}

TEST(domain, observations_filter_by_type) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    store_t store(db);
    auto p = PATINA_AWAIT store.add_observation("Retries double the wait", domain::observation_type::pattern, "http.cpp");
    PATINA_AWAIT store.add_observation("We chose TOML", domain::observation_type::decision);
    auto patterns = PATINA_AWAIT store.list_observations(domain::observation_type::pattern);
    PATINA_ASSERT_EQ(patterns.size(), 1u)
    EXPECT_EQ(patterns[0].id, p.id);
    EXPECT_EQ(patterns[0].source, "http.cpp");
    auto all = PATINA_AWAIT store.list_observations();
    EXPECT_EQ(all.size(), 2u);
  });
}

TEST(domain, data_survives_reopen) {
  harness h;
  h.run([](harness& t) -> task<void> {
    std::int64_t id = 0;
    {
      auto db = PATINA_AWAIT t.open(t.db_path());
      store_t store(db);
      auto b = PATINA_AWAIT store.add_belief("persisted belief", 0.25);
      id = b.id;
    }
    auto db = PATINA_AWAIT t.open(t.db_path());
    store_t store(db);
    auto b = PATINA_AWAIT store.get_belief(id);
    EXPECT_EQ(b.statement, "persisted belief");
    EXPECT_DOUBLE_EQ(b.confidence, 0.25);
  });
}

TEST(domain, unchanged_text_is_never_embedded_twice) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    counting_engine engine;
    embeddings_t embeddings(db, engine);
    auto state = PATINA_AWAIT embeddings.ensure_model();
    EXPECT_TRUE(state.changed);
    store_t store(db, &embeddings);
    auto b = PATINA_AWAIT store.add_belief("cache invalidation happens on write");
    EXPECT_EQ(engine.calls.load(), 1);

    const db::vector_metadata none;
    auto again = PATINA_AWAIT embeddings.index(domain::item_type::belief, b.id, b.statement, none);
    EXPECT_FALSE(again);
    EXPECT_EQ(engine.calls.load(), 1);
    auto missing = PATINA_AWAIT embeddings.generate_missing();
    EXPECT_EQ(missing, 0u);
    EXPECT_EQ(engine.calls.load(), 1);

    auto changed = PATINA_AWAIT embeddings.index(domain::item_type::belief, b.id, "a different text", none);
    EXPECT_TRUE(changed);
    EXPECT_EQ(engine.calls.load(), 2);
    auto count = PATINA_AWAIT embeddings.embedded_count();
    EXPECT_EQ(count, 1);
  });
}

TEST(domain, model_change_reembeds_everything) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    {
      counting_engine small(64);
      embeddings_t embeddings(db, small);
      PATINA_AWAIT embeddings.ensure_model();
      store_t store(db, &embeddings);
      PATINA_AWAIT store.add_belief("first belief");
      PATINA_AWAIT store.add_observation("first observation", domain::observation_type::note);
    }
    counting_engine big(96);
    embeddings_t embeddings(db, big);
    auto state = PATINA_AWAIT embeddings.ensure_model();
    EXPECT_TRUE(state.changed);
    EXPECT_EQ(state.previous_model, "hashing-v1-64");
    auto dim = PATINA_AWAIT db.vector_dimension();
    EXPECT_EQ(dim, 96u);
    auto before = PATINA_AWAIT embeddings.embedded_count();
    EXPECT_EQ(before, 0);
    auto n = PATINA_AWAIT embeddings.generate_missing();
    EXPECT_EQ(n, 2u);
    auto after = PATINA_AWAIT embeddings.embedded_count();
    EXPECT_EQ(after, 2);
    auto unchanged = PATINA_AWAIT embeddings.ensure_model();
    EXPECT_FALSE(unchanged.changed);
  });
}

TEST(domain, search_finds_the_matching_item_first) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    counting_engine engine(256);
    embeddings_t embeddings(db, engine);
    PATINA_AWAIT embeddings.ensure_model();
    store_t store(db, &embeddings);
    PATINA_AWAIT store.add_belief("uploads are retried with exponential backoff");
    auto wal = PATINA_AWAIT store.add_belief("the database runs in WAL journal mode");
    PATINA_AWAIT store.add_belief("secrets are never written to logs");
    auto toml = PATINA_AWAIT store.add_observation("configuration files are written in TOML",
                                                   domain::observation_type::decision);
    PATINA_AWAIT store.add_observation("retry loops double their backoff", domain::observation_type::pattern);

    search_t search(db, engine);
    auto hits = PATINA_AWAIT search.search_beliefs("which journal mode does the database use", 3);
    PATINA_ASSERT_TRUE(!hits.empty())
    EXPECT_EQ(hits[0].id, wal.id);
    EXPECT_EQ(hits[0].type, domain::item_type::belief);
    EXPECT_GT(hits[0].score, 0.0);
    for (std::size_t i = 1; i < hits.size(); ++i) EXPECT_GE(hits[i - 1].score, hits[i].score);

    auto decisions = PATINA_AWAIT search.search_observations("retry backoff configuration",
                                                             domain::observation_type::decision, 5);
    PATINA_ASSERT_EQ(decisions.size(), 1u)
    EXPECT_EQ(decisions[0].id, toml.id);

    auto all = PATINA_AWAIT search.search_knowledge("configuration files TOML", 10);
    PATINA_ASSERT_TRUE(!all.empty())
    EXPECT_EQ(all[0].id, toml.id);
    EXPECT_EQ(all.size(), 5u);
  });
}

TEST(domain, removed_items_leave_search) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    counting_engine engine;
    embeddings_t embeddings(db, engine);
    PATINA_AWAIT embeddings.ensure_model();
    store_t store(db, &embeddings);
    auto b = PATINA_AWAIT store.add_belief("temporary belief about caches");
    PATINA_AWAIT store.remove_belief(b.id);
    search_t search(db, engine);
    auto hits = PATINA_AWAIT search.search_beliefs("caches", 5);
    EXPECT_TRUE(hits.empty());
    auto count = PATINA_AWAIT embeddings.embedded_count();
    EXPECT_EQ(count, 0);
  });
}

TEST(domain, search_many_equals_searches_one_by_one) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    counting_engine engine;
    embeddings_t embeddings(db, engine);
    PATINA_AWAIT embeddings.ensure_model();
    store_t store(db, &embeddings);
    for (int i = 0; i < 30; ++i) {
      PATINA_AWAIT store.add_belief("belief number " + std::to_string(i) + " about topic " + std::to_string(i % 7));
    }
    search_t search(db, engine);
    std::vector<std::string> queries;
    for (int i = 0; i < 12; ++i) queries.push_back("topic " + std::to_string(i % 7) + " belief");
    auto many = PATINA_AWAIT search.search_many(queries, 5);
    PATINA_ASSERT_EQ(many.size(), queries.size())
    for (std::size_t i = 0; i < queries.size(); ++i) {
      auto one = PATINA_AWAIT search.search_knowledge(queries[i], 5);
      PATINA_ASSERT_EQ(one.size(), many[i].size())
      for (std::size_t j = 0; j < one.size(); ++j) EXPECT_EQ(one[j].id, many[i][j].id) << i << "," << j;
    }
  });
}

TEST(domain, search_without_vectors_returns_nothing) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    counting_engine engine;
    search_t search(db, engine);
    auto hits = PATINA_AWAIT search.search_knowledge("anything", 5);
    EXPECT_TRUE(hits.empty());
  });
}


// An engine whose embedding fails, as a database or model failure would.
class failing_engine final : public embed::embedding_engine {
 public:
  std::string model_id() const override { return inner_.model_id(); }
  std::size_t dimension() const override { return inner_.dimension(); }
  std::vector<float> embed(std::string_view) const override {
    throw exception(errc::io_error, "embedding failed on purpose");
  }

 private:
  embed::hashing_engine inner_ = embed::hashing_engine::create(64).value();
};

// Vectors of another model stay: adding an item with an engine of another
// dimension stores it without a vector (no dimension_mismatch after the row is
// written, which made an MCP client retry and record it twice), and reading
// the space changes nothing. Only ensure_model() switches.
TEST(domain, an_engine_of_another_model_neither_drops_nor_mixes_vectors) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    counting_engine stored(96);
    embeddings_t made(db, stored);
    PATINA_AWAIT made.ensure_model();
    store_t first(db, &made);
    PATINA_AWAIT first.add_belief("vectors of the 96-dimensional model");

    counting_engine other(48);
    embeddings_t embeddings(db, other);
    auto space = PATINA_AWAIT embeddings.adopt_model();
    EXPECT_FALSE(space.matches);
    EXPECT_EQ(space.model, "hashing-v1-96");
    EXPECT_EQ(space.dimension, 96u);
    store_t store(db, &embeddings);
    auto b = PATINA_AWAIT store.add_belief("added by an engine of another dimension");
    EXPECT_EQ(other.calls.load(), 0);
    auto beliefs = PATINA_AWAIT store.count(domain::item_type::belief);
    EXPECT_EQ(beliefs, 2);
    auto dim = PATINA_AWAIT db.vector_dimension();
    EXPECT_EQ(dim, 96u);
    auto kept = PATINA_AWAIT made.embedded_count();
    EXPECT_EQ(kept, 1);

    auto state = PATINA_AWAIT embeddings.ensure_model();
    EXPECT_TRUE(state.changed);
    auto n = PATINA_AWAIT embeddings.generate_missing();
    EXPECT_EQ(n, 2u);
    auto got = PATINA_AWAIT store.get_belief(b.id);
    EXPECT_EQ(got.statement, "added by an engine of another dimension");
  });
}

// An add whose embedding fails stores nothing: the error the caller sees is
// the whole truth, and retrying does not record the item twice.
TEST(domain, an_add_whose_embedding_fails_stores_nothing) {
  harness h;
  h.run([](harness& t) -> task<void> {
    auto db = PATINA_AWAIT t.open(t.db_path());
    failing_engine engine;
    embeddings_t embeddings(db, engine);
    PATINA_AWAIT embeddings.ensure_model();
    store_t store(db, &embeddings);
    bool threw = false;
    try {
      PATINA_AWAIT store.add_belief("never half stored");
    } catch (const exception& e) {
      threw = e.code() == errc::io_error;
    }
    EXPECT_TRUE(threw);
    threw = false;
    try {
      PATINA_AWAIT store.add_observation("never half stored either", domain::observation_type::note);
    } catch (const exception& e) {
      threw = e.code() == errc::io_error;
    }
    EXPECT_TRUE(threw);
    auto beliefs = PATINA_AWAIT store.count(domain::item_type::belief);
    auto observations = PATINA_AWAIT store.count(domain::item_type::observation);
    EXPECT_EQ(beliefs, 0);
    EXPECT_EQ(observations, 0);
  });
}

}  // namespace
