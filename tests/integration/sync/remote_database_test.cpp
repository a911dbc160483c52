// TursoDatabase in remote mode against a real tursodb: the schema created on a fresh
// server by the first client, statements and batches, and vector storage and search
// run by the server itself.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "db/common/schema.hpp"
#include "io_runner.hpp"
#include "patina/db/turso_database.hpp"
#include "sync_fixtures.hpp"

namespace patina::db {
namespace {

using test::run_io;
template <class T>
using aw = boost::asio::awaitable<T>;

class RemoteDatabase : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why_not;
    auto started = test::sync_server::start(why_not);
    if (!started) GTEST_SKIP() << "SKIPPED LOUDLY: " << why_not;
    server_.emplace(std::move(*started));
  }

  // Opens a remote database and runs `body` with it.
  void with_remote(const std::function<aw<void>(TursoDatabase&)>& body) {
    run_io([&]() -> aw<void> {
      auto executor = co_await boost::asio::this_coro::executor;
      auto db = co_await TursoDatabase::open_remote(executor, server_->url(), "remote-test-token");
      co_await body(db);
    });
  }

  std::optional<test::sync_server> server_;
};

std::int64_t integer(const query_result& r) { return std::get<std::int64_t>(r.rows.at(0).at(0)); }

TEST_F(RemoteDatabase, TheFirstClientCreatesTheSchemaAndLaterOnesFindIt) {
  with_remote([&](TursoDatabase& db) -> aw<void> {
    EXPECT_EQ(db.mode(), database_mode::remote);
    EXPECT_EQ(db.schema_version(), detail::latest_schema_version());
    auto version = co_await db.query("SELECT max(version) FROM patina_schema");
    EXPECT_EQ(integer(version), detail::latest_schema_version());
    const std::vector<value> row{std::int64_t{1}, std::string("kept"), 0.5, std::int64_t{1}, std::int64_t{2},
                                 std::int64_t{3}};
    co_await db.execute(
        "INSERT INTO beliefs (id, statement, confidence, active, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        row);
  });
  // A second client, and two more at once: nobody migrates twice or loses data.
  test::run_io_concurrently(2, [&](int) -> aw<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    auto db = co_await TursoDatabase::open_remote(executor, server_->url(), "");
    auto beliefs = co_await db.query("SELECT statement FROM beliefs");
    EXPECT_EQ(beliefs.rows.size(), 1u);
    auto versions = co_await db.query("SELECT count(*) FROM patina_schema");
    EXPECT_EQ(integer(versions), detail::latest_schema_version());
  });
}

TEST_F(RemoteDatabase, StatementsAndAllOrNothingBatches) {
  with_remote([&](TursoDatabase& db) -> aw<void> {
    const std::vector<value> meta{std::string("k"), std::string("v")};
    auto done = co_await db.execute("INSERT INTO patina_meta (key, value) VALUES (?1, ?2)", meta);
    EXPECT_EQ(done.changes, 1);
    std::vector<statement> batch;
    batch.push_back(statement{"INSERT INTO patina_meta (key, value) VALUES ('a', '1')", {}});
    batch.push_back(statement{"INSERT INTO patina_meta (key, value) VALUES ('k', 'duplicate')", {}});
    auto failed = co_await db.try_execute_batch(batch);
    EXPECT_FALSE(failed);
    auto count = co_await db.query("SELECT count(*) FROM patina_meta WHERE key IN ('a', 'k')");
    EXPECT_EQ(integer(count), 1) << "the failed batch left nothing behind";
    // Read-only queries refuse writes and never keep anything.
    auto refused = co_await db.try_query_readonly("DELETE FROM patina_meta");
    EXPECT_FALSE(refused);
    if (!(!(refused))) co_return;
    EXPECT_EQ(refused.err().code, errc::read_only);
    auto read = co_await db.query_readonly("SELECT value FROM patina_meta WHERE key = 'k'");
    EXPECT_EQ(std::get<std::string>(read.rows.at(0).at(0)), "v");
  });
}

TEST_F(RemoteDatabase, VectorsAreStoredAndSearchedOnTheServer) {
  constexpr std::size_t dim = 8;
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  std::vector<vector_item> items;
  for (std::int64_t id = 1; id <= 40; ++id) {
    vector_item item;
    item.id = id;
    for (std::size_t i = 0; i < dim; ++i) item.embedding.push_back(normal(rng));
    item.metadata.language = id % 2 == 0 ? "cpp" : "rust";
    item.metadata.kind = id % 3 == 0 ? "function" : "class";
    items.push_back(item);
  }
  std::vector<float> query;
  for (std::size_t i = 0; i < dim; ++i) query.push_back(normal(rng));
  // The expected order, computed here.
  const auto cosine_distance = [&](const std::vector<float>& v) {
    double dot = 0, a = 0, b = 0;
    for (std::size_t i = 0; i < dim; ++i) {
      dot += double{v[i]} * query[i];
      a += double{v[i]} * v[i];
      b += double{query[i]} * query[i];
    }
    return 1.0 - dot / std::sqrt(a * b);
  };
  std::vector<std::pair<double, std::int64_t>> expected;
  for (const auto& item : items) {
    if (item.metadata.language == "cpp") expected.emplace_back(cosine_distance(item.embedding), item.id);
  }
  std::sort(expected.begin(), expected.end());

  with_remote([&](TursoDatabase& db) -> aw<void> {
    auto before = co_await db.vector_dimension();
    EXPECT_EQ(before, 0u);
    co_await db.set_vector_dimension(dim);
    auto after = co_await db.vector_dimension();
    EXPECT_EQ(after, dim);
    co_await db.vector_upsert(vector_table::symbols, items);
    vector_filter cpp;
    cpp.language = "cpp";
    auto hits = co_await db.vector_search(vector_table::symbols, query, cpp, 5);
    EXPECT_EQ(hits.size(), 5u);
    if (!(hits.size() == 5u)) co_return;
    for (std::size_t i = 0; i < hits.size(); ++i) {
      EXPECT_EQ(hits[i].id, expected[i].second) << "rank " << i;
      EXPECT_NEAR(hits[i].distance, expected[i].first, 1e-5);
    }
    const std::vector<std::int64_t> gone{expected[0].second};
    co_await db.vector_delete(vector_table::symbols, gone);
    auto again = co_await db.vector_search(vector_table::symbols, query, cpp, 1);
    EXPECT_EQ(again.size(), 1u);
    if (!(again.size() == 1u)) co_return;
    EXPECT_EQ(again[0].id, expected[1].second);
    // Checked like the local backend: wrong dimension, a filter the table lacks.
    const std::vector<float> short_query{1, 2};
    auto mismatch = co_await db.try_vector_search(vector_table::symbols, short_query, cpp, 3);
    EXPECT_FALSE(mismatch);
    if (!(!(mismatch))) co_return;
    EXPECT_EQ(mismatch.err().code, errc::dimension_mismatch);
    vector_filter obs;
    obs.obs_type = "pattern";
    auto bad_filter = co_await db.try_vector_search(vector_table::symbols, query, obs, 3);
    EXPECT_FALSE(bad_filter);
    if (!(!(bad_filter))) co_return;
    EXPECT_EQ(bad_filter.err().code, errc::invalid_argument);
    // The server holds plain vector32 blobs and no local change counters.
    auto blob = co_await db.query("SELECT length(embedding) FROM symbol_vectors WHERE id = 2");
    EXPECT_EQ(integer(blob), static_cast<std::int64_t>(dim * 4));
    auto counters = co_await db.query("SELECT count(*) FROM sqlite_schema WHERE name LIKE 'patina_vector_generation%'");
    EXPECT_EQ(integer(counters), 0);
  });
}

TEST_F(RemoteDatabase, ChangingTheDimensionRebuildsTheVectorTables) {
  with_remote([&](TursoDatabase& db) -> aw<void> {
    co_await db.set_vector_dimension(4);
    std::vector<vector_item> items(1);
    items[0].id = 7;
    items[0].embedding = {1, 2, 3, 4};
    co_await db.vector_upsert(vector_table::beliefs, items);
    co_await db.set_vector_dimension(3);
    auto rows = co_await db.query("SELECT count(*) FROM belief_vectors");
    EXPECT_EQ(integer(rows), 0);
    auto wrong = co_await db.try_vector_upsert(vector_table::beliefs, items);
    EXPECT_FALSE(wrong);
    if (!(!(wrong))) co_return;
    EXPECT_EQ(wrong.err().code, errc::dimension_mismatch);
  });
}

TEST_F(RemoteDatabase, AServerHoldingSomeoneElsesTablesIsRefused) {
  run_io([&]() -> aw<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    // Seed through remote mode's own executor-level path: a plain table first.
    auto first = co_await TursoDatabase::try_open_remote(executor, server_->url(), "");
    EXPECT_TRUE(first) << first.err().describe();
    if (!first) co_return;
    co_await first->execute("CREATE TABLE foreign_stuff (x)");
    co_await first->execute("DROP TABLE patina_schema");
    auto refused = co_await TursoDatabase::try_open_remote(executor, server_->url(), "");
    EXPECT_FALSE(refused);
    if (!(!(refused))) co_return;
    EXPECT_EQ(refused.err().code, errc::not_a_database) << refused.err().describe();
  });
}

TEST_F(RemoteDatabase, AnUnreachableServerIsAClearError) {
  const std::string url = server_->url();
  server_->kill();
  run_io([&]() -> aw<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    auto refused = co_await TursoDatabase::try_open_remote(executor, url, "secret-token-123");
    EXPECT_FALSE(refused);
    if (!(!(refused))) co_return;
    EXPECT_EQ(refused.err().code, errc::network_error);
    EXPECT_EQ(refused.err().describe().find("secret-token-123"), std::string::npos);
  });
}

}  // namespace
}  // namespace patina::db
