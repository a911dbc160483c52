// db::SqliteDatabase: opening, SQL, transactions and sqlite-vec vector search.
#include "patina/db/sqlite_database.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "db_test_support.hpp"

namespace patina::db {
namespace {

using test::random_vector;
using test::read_bytes;
using test::scoped_env;
using test::scratch_dir;

// Exact cosine distance in double precision, the reference for vec0.
double cosine_distance(std::span<const float> a, std::span<const float> b) {
  double dot = 0;
  double na = 0;
  double nb = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    dot += double{a[i]} * double{b[i]};
    na += double{a[i]} * double{a[i]};
    nb += double{b[i]} * double{b[i]};
  }
  return 1.0 - dot / (std::sqrt(na) * std::sqrt(nb));
}

struct reference_hit {
  std::int64_t id;
  double distance;
};

// Brute-force KNN over `items` that pass `keep`, nearest first, ties by id.
template <class Keep>
std::vector<reference_hit> brute_force(const std::vector<vector_item>& items,
                                       std::span<const float> query, std::size_t k, Keep keep) {
  std::vector<reference_hit> all;
  for (const auto& item : items) {
    if (keep(item)) all.push_back({item.id, cosine_distance(item.embedding, query)});
  }
  std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) {
    return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
  });
  if (all.size() > k) all.resize(k);
  return all;
}

// vec0 computes in float32, so two items whose exact distances differ by less
// than its rounding (about 1e-7) may come in either order: a different id at a
// rank is accepted only when its exact distance ties the expected one's.
void expect_same_hits(const std::vector<vector_match>& got, const std::vector<reference_hit>& want,
                      const std::string& context) {
  ASSERT_EQ(got.size(), want.size()) << context;
  std::map<std::int64_t, double> exact;
  for (const auto& hit : want) exact.emplace(hit.id, hit.distance);
  std::set<std::int64_t> seen;
  for (std::size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(seen.insert(got[i].id).second) << context << " rank " << i << " repeats an id";
    if (got[i].id != want[i].id) {
      const auto it = exact.find(got[i].id);
      const double got_exact = it != exact.end() ? it->second : got[i].distance;
      EXPECT_NEAR(got_exact, want[i].distance, 1e-6)
          << context << " rank " << i << ": id " << got[i].id << " instead of " << want[i].id;
    }
    EXPECT_NEAR(got[i].distance, want[i].distance, 1e-5) << context << " rank " << i;
    EXPECT_DOUBLE_EQ(got[i].similarity, 1.0 - got[i].distance) << context;
  }
}

SqliteDatabase memory_db() { return SqliteDatabase::open(":memory:"); }

std::vector<vector_item> one_item(std::int64_t id, std::vector<float> v, vector_metadata m = {}) {
  return {vector_item{id, std::move(v), std::move(m)}};
}

std::int64_t count_rows(SqliteDatabase& db, const std::string& table) {
  return std::get<std::int64_t>(db.query("SELECT count(*) FROM " + table).rows.at(0).at(0));
}

TEST(SqliteDatabase, OpensInMemoryWithTheSchemaAndSqliteVec) {
  auto db = memory_db();
  EXPECT_GE(db.schema_version(), 1);
  EXPECT_EQ(db.path(), std::filesystem::path(":memory:"));
  EXPECT_EQ(db.vector_dimension(), 0U);
  auto version = db.query("SELECT vec_version()");
  EXPECT_EQ(version.rows.at(0).at(0), value{std::string("v0.1.9")});
  EXPECT_TRUE(std::filesystem::exists(db.sqlite_vec_path()));
}

TEST(SqliteDatabase, SqlRoundTripAndThrowingForms) {
  auto db = memory_db();
  const auto done = db.execute(
      "INSERT INTO beliefs (id, statement, confidence, created_at, updated_at) "
      "VALUES (?1, ?2, ?3, ?4, ?4)",
      {std::int64_t{7}, std::string("tests catch bugs"), 0.9, std::int64_t{1700000000000}});
  EXPECT_EQ(done.changes, 1);
  const auto rows = db.query("SELECT statement, confidence FROM beliefs WHERE id = ?1",
                             {std::int64_t{7}});
  ASSERT_EQ(rows.rows.size(), 1U);
  EXPECT_EQ(rows.rows[0][0], value{std::string("tests catch bugs")});
  EXPECT_EQ(rows.rows[0][1], value{0.9});

  auto bad = db.try_query("SELECT * FROM no_such_table");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.err().code, errc::sql_error);
  try {
    (void)db.query("SELECT * FROM no_such_table");
    FAIL() << "query() must throw";
  } catch (const exception& e) {
    EXPECT_EQ(e.code(), errc::sql_error);
    EXPECT_NE(e.get().detail.find("no such table"), std::string::npos);
  }
}

TEST(SqliteDatabase, ReadOnlyQueriesRefuseWrites) {
  auto db = memory_db();
  auto write = db.try_query_readonly("DELETE FROM beliefs");
  ASSERT_FALSE(write);
  EXPECT_EQ(write.err().code, errc::read_only);
  EXPECT_NE(write.err().message.find("--write"), std::string::npos);
  auto read = db.try_query_readonly("SELECT count(*) FROM beliefs");
  ASSERT_TRUE(read);
  EXPECT_EQ(read->columns, std::vector<std::string>{"count(*)"});
}

TEST(SqliteDatabase, ExecuteBatchIsAtomic) {
  auto db = memory_db();
  const std::string insert =
      "INSERT INTO beliefs (id, statement, confidence, created_at, updated_at) "
      "VALUES (?1, 'x', ?2, 0, 0)";
  const std::vector<statement> bad{{insert, {std::int64_t{1}, 0.5}}, {insert, {std::int64_t{2}, 7.0}}};
  EXPECT_THROW(db.execute_batch(bad), exception);
  EXPECT_EQ(count_rows(db, "beliefs"), 0);
  db.execute_batch({{insert, {std::int64_t{1}, 0.5}}, {insert, {std::int64_t{2}, 0.25}}});
  EXPECT_EQ(count_rows(db, "beliefs"), 2);
}

TEST(SqliteDatabase, TransactionsRollBackOnExceptionAndRefuseDoubleCommit) {
  auto db = memory_db();
  db.set_vector_dimension(3);
  auto work = [&] {
    auto tx = db.begin_transaction();
    db.execute("INSERT INTO patina_meta (key, value) VALUES ('k', 'v')");
    db.vector_upsert(vector_table::beliefs, one_item(1, {1, 0, 0}));
    throw std::runtime_error("interrupted");
  };
  EXPECT_THROW(work(), std::runtime_error);
  EXPECT_EQ(count_rows(db, "patina_meta WHERE key = 'k'"), 0);
  EXPECT_TRUE(db.vector_search(vector_table::beliefs, std::vector<float>{1, 0, 0}, {}, 5).empty());

  auto tx = db.begin_transaction();
  db.vector_upsert(vector_table::beliefs, one_item(1, {1, 0, 0}));
  tx.commit();
  auto again = tx.try_commit();
  ASSERT_FALSE(again);
  EXPECT_EQ(again.err().code, errc::transaction_state);
  EXPECT_THROW(tx.commit(), exception);
  EXPECT_EQ(db.vector_search(vector_table::beliefs, std::vector<float>{1, 0, 0}, {}, 5).size(), 1U);
}

TEST(SqliteDatabase, DatabaseCanMoveWhileATransactionIsOpen) {
  auto db = memory_db();
  auto tx = db.begin_transaction();
  db.execute("INSERT INTO patina_meta (key, value) VALUES ('moved', 'yes')");
  SqliteDatabase moved = std::move(db);
  tx.commit();
  EXPECT_EQ(count_rows(moved, "patina_meta WHERE key = 'moved'"), 1);
}

TEST(SqliteDatabase, VectorOperationsNeedADimensionFirst) {
  auto db = memory_db();
  const std::vector<float> q{1, 2, 3};
  auto search = db.try_vector_search(vector_table::beliefs, q, {}, 3);
  ASSERT_FALSE(search);
  EXPECT_EQ(search.err().code, errc::invalid_argument);
  EXPECT_NE(search.err().message.find("no vector dimension is set"), std::string::npos);
  const auto items = one_item(1, q);
  EXPECT_EQ(db.try_vector_upsert(vector_table::beliefs, items).err().code, errc::invalid_argument);
  const std::vector<std::int64_t> ids{1};
  EXPECT_EQ(db.try_vector_delete(vector_table::beliefs, ids).err().code, errc::invalid_argument);
  EXPECT_EQ(db.try_set_vector_dimension(0).err().code, errc::invalid_argument);
  EXPECT_EQ(db.try_set_vector_dimension(100000).err().code, errc::invalid_argument);
}

TEST(SqliteDatabase, SearchMatchesBruteForceCosine) {
  constexpr std::size_t dimension = 48;
  constexpr std::size_t count = 1000;
  constexpr std::size_t k = 10;
  const std::vector<std::string> obs_types{"pattern", "decision", "challenge", "note"};
  const std::vector<std::string> languages{"rust", "cpp", "go"};
  const std::vector<std::string> kinds{"function", "struct"};

  auto db = memory_db();
  db.set_vector_dimension(dimension);
  std::mt19937 rng(20240601);
  std::vector<vector_item> observations;
  std::vector<vector_item> symbols;
  std::vector<vector_item> beliefs;
  for (std::size_t i = 0; i < count; ++i) {
    const auto id = static_cast<std::int64_t>(1'000'000'000'000 + i * 7919);
    observations.push_back({id, random_vector(rng, dimension), {obs_types[i % obs_types.size()], {}, {}}});
    symbols.push_back({id, random_vector(rng, dimension),
                       {{}, languages[i % languages.size()], kinds[(i / 3) % kinds.size()]}});
    beliefs.push_back({id, random_vector(rng, dimension), {}});
  }
  db.vector_upsert(vector_table::observations, observations);
  db.vector_upsert(vector_table::symbols, symbols);
  db.vector_upsert(vector_table::beliefs, beliefs);

  for (int q = 0; q < 50; ++q) {
    const auto query = random_vector(rng, dimension);
    const std::string ctx = "query " + std::to_string(q);
    auto all = [](const vector_item&) { return true; };
    expect_same_hits(db.vector_search(vector_table::beliefs, query, {}, k),
                     brute_force(beliefs, query, k, all), ctx + " beliefs");
    expect_same_hits(db.vector_search(vector_table::observations, query, {}, k),
                     brute_force(observations, query, k, all), ctx + " observations");

    vector_filter by_type;
    by_type.obs_type = obs_types[static_cast<std::size_t>(q) % obs_types.size()];
    expect_same_hits(db.vector_search(vector_table::observations, query, by_type, k),
                     brute_force(observations, query, k,
                                 [&](const vector_item& it) { return it.metadata.obs_type == *by_type.obs_type; }),
                     ctx + " observations by type");

    vector_filter by_lang_kind;
    by_lang_kind.language = languages[static_cast<std::size_t>(q) % languages.size()];
    by_lang_kind.kind = kinds[static_cast<std::size_t>(q) % kinds.size()];
    expect_same_hits(db.vector_search(vector_table::symbols, query, by_lang_kind, k),
                     brute_force(symbols, query, k,
                                 [&](const vector_item& it) {
                                   return it.metadata.language == *by_lang_kind.language &&
                                          it.metadata.kind == *by_lang_kind.kind;
                                 }),
                     ctx + " symbols by language and kind");
  }
}

TEST(SqliteDatabase, SearchBeyondVec0KLimitScansExactly) {
  constexpr std::size_t dimension = 8;
  auto db = memory_db();
  db.set_vector_dimension(dimension);
  std::mt19937 rng(3);
  std::vector<vector_item> items;
  for (std::int64_t id = 1; id <= 5000; ++id) {
    items.push_back({id, random_vector(rng, dimension), {id % 2 == 0 ? "note" : "decision", {}, {}}});
  }
  db.vector_upsert(vector_table::observations, items);
  const auto query = random_vector(rng, dimension);
  auto all = [](const vector_item&) { return true; };
  expect_same_hits(db.vector_search(vector_table::observations, query, {}, 6000),
                   brute_force(items, query, 6000, all), "k=6000");
  vector_filter notes;
  notes.obs_type = "note";
  expect_same_hits(db.vector_search(vector_table::observations, query, notes, 4097),
                   brute_force(items, query, 4097,
                               [](const vector_item& it) { return it.metadata.obs_type == "note"; }),
                   "k=4097 notes");
  expect_same_hits(db.vector_search(vector_table::observations, query, notes, 4096),
                   brute_force(items, query, 4096,
                               [](const vector_item& it) { return it.metadata.obs_type == "note"; }),
                   "k=4096 notes");
  EXPECT_TRUE(db.vector_search(vector_table::observations, query, {}, 0).empty());
}

TEST(SqliteDatabase, UpsertReplacesVectorAndMetadata) {
  auto db = memory_db();
  db.set_vector_dimension(3);
  db.vector_upsert(vector_table::observations, one_item(5, {1, 0, 0}, {"note", {}, {}}));
  db.vector_upsert(vector_table::observations, one_item(6, {0.9F, 0.1F, 0}, {"note", {}, {}}));
  db.vector_upsert(vector_table::observations, one_item(5, {0, 0, 1}, {"decision", {}, {}}));
  EXPECT_EQ(count_rows(db, "observation_vectors"), 2);

  const std::vector<float> x{1, 0, 0};
  auto hits = db.vector_search(vector_table::observations, x, {}, 2);
  ASSERT_EQ(hits.size(), 2U);
  EXPECT_EQ(hits[0].id, 6);
  EXPECT_EQ(hits[1].id, 5);
  EXPECT_NEAR(hits[1].distance, 1.0, 1e-6);  // now orthogonal to x

  vector_filter decisions;
  decisions.obs_type = "decision";
  hits = db.vector_search(vector_table::observations, x, decisions, 10);
  ASSERT_EQ(hits.size(), 1U);
  EXPECT_EQ(hits[0].id, 5);
  vector_filter notes;
  notes.obs_type = "note";
  hits = db.vector_search(vector_table::observations, x, notes, 10);
  ASSERT_EQ(hits.size(), 1U);
  EXPECT_EQ(hits[0].id, 6);
}

TEST(SqliteDatabase, SearchOrdersNearestFirstWithSimilarity) {
  auto db = memory_db();
  db.set_vector_dimension(2);
  std::vector<vector_item> items{{1, {1, 0}, {}}, {2, {0, 1}, {}}, {3, {-1, 0}, {}}, {4, {1, 1}, {}}};
  db.vector_upsert(vector_table::beliefs, items);
  const std::vector<float> q{1, 0};
  auto hits = db.vector_search(vector_table::beliefs, q, {}, 10);
  ASSERT_EQ(hits.size(), 4U);
  EXPECT_EQ(hits[0].id, 1);
  EXPECT_NEAR(hits[0].similarity, 1.0, 1e-6);
  EXPECT_EQ(hits[1].id, 4);
  EXPECT_NEAR(hits[1].similarity, std::sqrt(0.5), 1e-6);
  EXPECT_EQ(hits[2].id, 2);
  EXPECT_NEAR(hits[2].distance, 1.0, 1e-6);
  EXPECT_EQ(hits[3].id, 3);
  EXPECT_NEAR(hits[3].distance, 2.0, 1e-6);
  EXPECT_NEAR(hits[3].similarity, -1.0, 1e-6);
}

TEST(SqliteDatabase, DeleteRemovesAndIgnoresAbsentIds) {
  auto db = memory_db();
  db.set_vector_dimension(2);
  db.vector_upsert(vector_table::symbols,
                   std::vector<vector_item>{{1, {1, 0}, {{}, "go", "function"}},
                                            {2, {0, 1}, {{}, "go", "function"}}});
  const std::vector<std::int64_t> ids{1, 999};
  db.vector_delete(vector_table::symbols, ids);
  const std::vector<float> q{1, 0};
  auto hits = db.vector_search(vector_table::symbols, q, {}, 10);
  ASSERT_EQ(hits.size(), 1U);
  EXPECT_EQ(hits[0].id, 2);
  db.vector_delete(vector_table::symbols, std::vector<std::int64_t>{});
}

TEST(SqliteDatabase, DimensionMismatchIsAnErrorNotACrash) {
  auto db = memory_db();
  db.set_vector_dimension(4);
  db.vector_upsert(vector_table::beliefs, one_item(1, {1, 0, 0, 0}));
  // One bad item in a batch: nothing of the batch is written.
  const std::vector<vector_item> mixed{{2, {0, 1, 0, 0}, {}}, {3, {0, 1, 0}, {}}};
  auto insert = db.try_vector_upsert(vector_table::beliefs, mixed);
  ASSERT_FALSE(insert);
  EXPECT_EQ(insert.err().code, errc::dimension_mismatch);
  EXPECT_NE(insert.err().message.find("item 3"), std::string::npos);
  EXPECT_NE(insert.err().message.find("dimension 3"), std::string::npos);
  EXPECT_NE(insert.err().message.find("dimension 4"), std::string::npos);
  EXPECT_EQ(count_rows(db, "belief_vectors"), 1);

  const std::vector<float> short_query{1, 0};
  auto search = db.try_vector_search(vector_table::beliefs, short_query, {}, 5);
  ASSERT_FALSE(search);
  EXPECT_EQ(search.err().code, errc::dimension_mismatch);
  EXPECT_NE(search.err().message.find("dimension 2"), std::string::npos);
  EXPECT_NE(search.err().message.find("dimension 4"), std::string::npos);
  try {
    (void)db.vector_search(vector_table::beliefs, short_query, {}, 5);
    FAIL() << "vector_search() must throw";
  } catch (const exception& e) {
    EXPECT_EQ(e.code(), errc::dimension_mismatch);
  }
}

TEST(SqliteDatabase, BadVectorsAndFiltersAreInvalid) {
  auto db = memory_db();
  db.set_vector_dimension(2);
  const std::vector<float> zero{0, 0};
  EXPECT_EQ(db.try_vector_search(vector_table::beliefs, zero, {}, 3).err().code,
            errc::invalid_argument);
  EXPECT_EQ(db.try_vector_upsert(vector_table::beliefs, one_item(1, {0, 0})).err().code,
            errc::invalid_argument);
  EXPECT_EQ(db.try_vector_upsert(vector_table::beliefs, one_item(1, {NAN, 1})).err().code,
            errc::invalid_argument);
  vector_filter wrong;
  wrong.obs_type = "note";
  const std::vector<float> q{1, 0};
  auto r = db.try_vector_search(vector_table::symbols, q, wrong, 3);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::invalid_argument);
  EXPECT_NE(r.err().message.find("obs_type"), std::string::npos);
}

TEST(SqliteDatabase, ChangingTheDimensionRebuildsTheVectorTables) {
  auto db = memory_db();
  db.set_vector_dimension(3);
  db.vector_upsert(vector_table::beliefs, one_item(1, {1, 0, 0}));
  db.execute(
      "INSERT INTO embeddings (item_id, item_type, model, dimension, content_hash, embedded_at) "
      "VALUES (1, 'belief', 'm3', 3, 'h', 0)");

  db.set_vector_dimension(3);  // same dimension: nothing changes
  EXPECT_EQ(count_rows(db, "belief_vectors"), 1);
  EXPECT_EQ(count_rows(db, "embeddings"), 1);

  db.set_vector_dimension(5);
  EXPECT_EQ(db.vector_dimension(), 5U);
  EXPECT_NE(db.query("SELECT sql FROM sqlite_schema WHERE name = 'symbol_vectors'")
                .rows.at(0)
                .at(0),
            value{});
  for (const char* t : {"belief_vectors", "observation_vectors", "symbol_vectors", "embeddings"}) {
    EXPECT_EQ(count_rows(db, t), 0) << t;
  }
  const std::vector<float> old_query{1, 0, 0};
  EXPECT_EQ(db.try_vector_search(vector_table::beliefs, old_query, {}, 3).err().code,
            errc::dimension_mismatch);
  db.vector_upsert(vector_table::observations, one_item(9, {0, 0, 0, 0, 1}, {"note", {}, {}}));
  const std::vector<float> q{0, 0, 0, 0, 2};
  auto hits = db.vector_search(vector_table::observations, q, {}, 3);
  ASSERT_EQ(hits.size(), 1U);
  EXPECT_EQ(hits[0].id, 9);
}

TEST(SqliteDatabase, MissingVectorTablesAreRecreatedForTheSameDimension) {
  auto db = memory_db();
  db.set_vector_dimension(4);
  db.execute("DROP TABLE symbol_vectors");
  db.set_vector_dimension(4);
  const std::vector<float> q{1, 0, 0, 0};
  EXPECT_TRUE(db.vector_search(vector_table::symbols, q, {}, 3).empty());
}

std::string table_sql(SqliteDatabase& db, const char* name) {
  return std::get<std::string>(
      db.query("SELECT sql FROM sqlite_schema WHERE name = ?1", {std::string(name)}).rows.at(0).at(0));
}

TEST(SqliteDatabase, VectorTablesRankUnitVectorsByL2AndHaveMetadataColumns) {
  auto db = memory_db();
  db.set_vector_dimension(7);
  EXPECT_NE(table_sql(db, "belief_vectors").find("float[7] distance_metric=l2"), std::string::npos);
  EXPECT_NE(table_sql(db, "observation_vectors").find("obs_type text"), std::string::npos);
  EXPECT_NE(table_sql(db, "symbol_vectors").find("language text, kind text"), std::string::npos);
  // Stored at unit length, whatever length was given.
  db.vector_upsert(vector_table::beliefs, one_item(1, {3, 4, 0, 0, 0, 0, 0}));
  const auto stored = std::get<blob>(
      db.query("SELECT embedding FROM belief_vectors WHERE id = 1").rows.at(0).at(0));
  ASSERT_EQ(stored.size(), 7 * sizeof(float));
  std::vector<float> v(7);
  std::memcpy(v.data(), stored.data(), stored.size());
  EXPECT_NEAR(v[0], 0.6F, 1e-7);
  EXPECT_NEAR(v[1], 0.8F, 1e-7);
}

blob raw_floats(const std::vector<float>& v) {
  blob out(v.size() * sizeof(float));
  std::memcpy(out.data(), v.data(), out.size());
  return out;
}

// A file whose vector tables were written by an earlier Patina: vec0 with
// distance_metric=cosine, vectors stored as given (not at unit length).
void write_cosine_layout(const std::filesystem::path& file, std::size_t dimension,
                         const std::vector<vector_item>& beliefs,
                         const std::vector<vector_item>& observations,
                         const std::vector<vector_item>& symbols) {
  auto db = SqliteDatabase::open(file);
  db.set_vector_dimension(dimension);
  const std::string d = std::to_string(dimension);
  db.execute("DROP TABLE belief_vectors");
  db.execute("DROP TABLE observation_vectors");
  db.execute("DROP TABLE symbol_vectors");
  db.execute("CREATE VIRTUAL TABLE belief_vectors USING vec0(id INTEGER PRIMARY KEY, embedding float[" +
             d + "] distance_metric=cosine)");
  db.execute("CREATE VIRTUAL TABLE observation_vectors USING vec0(id INTEGER PRIMARY KEY, embedding float[" +
             d + "] distance_metric=cosine, obs_type text)");
  db.execute("CREATE VIRTUAL TABLE symbol_vectors USING vec0(id INTEGER PRIMARY KEY, embedding float[" +
             d + "] distance_metric=cosine, language text, kind text)");
  for (const auto& it : beliefs) {
    db.execute("INSERT INTO belief_vectors (id, embedding) VALUES (?1, ?2)",
               {it.id, raw_floats(it.embedding)});
  }
  for (const auto& it : observations) {
    db.execute("INSERT INTO observation_vectors (id, embedding, obs_type) VALUES (?1, ?2, ?3)",
               {it.id, raw_floats(it.embedding), it.metadata.obs_type});
  }
  for (const auto& it : symbols) {
    db.execute("INSERT INTO symbol_vectors (id, embedding, language, kind) VALUES (?1, ?2, ?3, ?4)",
               {it.id, raw_floats(it.embedding), it.metadata.language, it.metadata.kind});
  }
}

TEST(SqliteDatabaseFile, CosineTablesOfAnEarlierVersionAreSearchedThenUpgraded) {
  constexpr std::size_t dimension = 24;
  constexpr std::size_t k = 15;
  const std::vector<std::string> languages{"c", "go"};
  std::mt19937 rng(77);
  std::vector<vector_item> beliefs;
  std::vector<vector_item> observations;
  std::vector<vector_item> symbols;
  for (std::int64_t i = 1; i <= 300; ++i) {
    beliefs.push_back({i, random_vector(rng, dimension), {}});
    observations.push_back({i, random_vector(rng, dimension), {i % 2 == 0 ? "note" : "pattern", {}, {}}});
    symbols.push_back({i, random_vector(rng, dimension),
                       {{}, languages[static_cast<std::size_t>(i) % 2], i % 3 == 0 ? "struct" : "function"}});
  }
  scratch_dir dir;
  const auto file = dir.file("old.db");
  write_cosine_layout(file, dimension, beliefs, observations, symbols);
  std::vector<std::vector<float>> queries;
  for (int q = 0; q < 10; ++q) queries.push_back(random_vector(rng, dimension));
  auto all = [](const vector_item&) { return true; };
  auto go = [](const vector_item& it) { return it.metadata.language == "go"; };
  vector_filter go_only;
  go_only.language = "go";
  auto check = [&](SqliteDatabase& db, const std::string& ctx) {
    for (const auto& query : queries) {
      expect_same_hits(db.vector_search(vector_table::beliefs, query, {}, k),
                       brute_force(beliefs, query, k, all), ctx + " beliefs");
      expect_same_hits(db.vector_search(vector_table::observations, query, {}, k),
                       brute_force(observations, query, k, all), ctx + " observations");
      expect_same_hits(db.vector_search(vector_table::symbols, query, go_only, k),
                       brute_force(symbols, query, k, go), ctx + " go symbols");
    }
  };
  {
    // Read-only: nothing may be written, so the old tables are searched as they are.
    open_options o;
    o.mode = open_mode::read_only;
    auto db = SqliteDatabase::open(file, o);
    EXPECT_NE(table_sql(db, "symbol_vectors").find("distance_metric=cosine"), std::string::npos);
    check(db, "read-only, old layout:");
  }
  auto db = SqliteDatabase::open(file);
  for (const char* name : {"belief_vectors", "observation_vectors", "symbol_vectors"}) {
    EXPECT_NE(table_sql(db, name).find("distance_metric=l2"), std::string::npos) << name;
    EXPECT_EQ(count_rows(db, name), 300) << name;
  }
  EXPECT_EQ(count_rows(db, "sqlite_temp_schema"), 0);
  check(db, "upgraded:");
  // Writes after the upgrade keep the tables consistent.
  db.vector_upsert(vector_table::symbols, one_item(7, queries[0], {{}, "go", "function"}));
  symbols[6] = vector_item{7, queries[0], {{}, "go", "function"}};
  db.vector_delete(vector_table::symbols, std::vector<std::int64_t>{8, 10});
  std::erase_if(symbols, [](const vector_item& it) { return it.id == 8 || it.id == 10; });
  EXPECT_EQ(count_rows(db, "symbol_vectors"), 298);
  const auto first = db.vector_search(vector_table::symbols, queries[0], go_only, 1);
  ASSERT_EQ(first.size(), 1U);
  EXPECT_EQ(first[0].id, 7);
  EXPECT_NEAR(first[0].distance, 0.0, 1e-6);
  check(db, "after writes:");
}

TEST(SqliteDatabaseFile, CosineTablesStayUsableWhileAnotherWriterHoldsTheLock) {
  scratch_dir dir;
  const auto file = dir.file("locked.db");
  write_cosine_layout(file, 2, {{1, {1, 0}, {}}, {2, {0, 3}, {}}}, {}, {});
  sqlite3* other = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &other), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), SQLITE_OK);
  {
    open_options o;
    o.busy_timeout = std::chrono::milliseconds(50);
    auto db = SqliteDatabase::open(file, o);  // the upgrade waits for another open
    EXPECT_NE(table_sql(db, "belief_vectors").find("distance_metric=cosine"), std::string::npos);
    const std::vector<float> q{0, 1};
    auto hits = db.vector_search(vector_table::beliefs, q, {}, 2);
    ASSERT_EQ(hits.size(), 2U);
    EXPECT_EQ(hits[0].id, 2);
    EXPECT_NEAR(hits[0].distance, 0.0, 1e-6);
    EXPECT_NEAR(hits[1].distance, 1.0, 1e-6);
  }
  sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(other);
  auto db = SqliteDatabase::open(file);
  EXPECT_NE(table_sql(db, "belief_vectors").find("distance_metric=l2"), std::string::npos);
  EXPECT_EQ(db.vector_search(vector_table::beliefs, std::vector<float>{0, 1}, {}, 1).at(0).id, 2);
}

TEST(SqliteDatabaseFile, DataSurvivesCloseAndReopen) {
  scratch_dir dir;
  const auto file = dir.file("patina.db");
  {
    auto db = SqliteDatabase::open(file);
    db.set_vector_dimension(3);
    db.vector_upsert(vector_table::observations,
                     std::vector<vector_item>{{10, {1, 0, 0}, {"pattern", {}, {}}},
                                              {11, {0, 1, 0}, {"decision", {}, {}}}});
    db.execute(
        "INSERT INTO observations (id, content, obs_type, created_at, updated_at) "
        "VALUES (10, 'retry with backoff', 'pattern', 1, 1)");
    EXPECT_EQ(db.query("PRAGMA journal_mode").rows[0][0], value{std::string("wal")});
  }
  auto db = SqliteDatabase::open(file);
  EXPECT_EQ(db.vector_dimension(), 3U);
  EXPECT_EQ(db.path(), file);
  const std::vector<float> q{0, 1, 0.1F};
  auto hits = db.vector_search(vector_table::observations, q, {}, 1);
  ASSERT_EQ(hits.size(), 1U);
  EXPECT_EQ(hits[0].id, 11);
  EXPECT_EQ(db.query("SELECT content FROM observations WHERE id = 10").rows.at(0).at(0),
            value{std::string("retry with backoff")});
}

TEST(SqliteDatabaseFile, ReadOnlyOpenSearchesButDoesNotWrite) {
  scratch_dir dir;
  const auto file = dir.file("ro.db");
  {
    auto db = SqliteDatabase::open(file);
    db.set_vector_dimension(2);
    db.vector_upsert(vector_table::beliefs, one_item(1, {1, 0}));
  }
  open_options o;
  o.mode = open_mode::read_only;
  auto db = SqliteDatabase::open(file, o);
  const std::vector<float> q{1, 0};
  EXPECT_EQ(db.vector_search(vector_table::beliefs, q, {}, 1).size(), 1U);
  auto write = db.try_vector_upsert(vector_table::beliefs, one_item(2, {0, 1}));
  ASSERT_FALSE(write);
  EXPECT_EQ(write.err().code, errc::read_only);
  EXPECT_TRUE(db.try_set_vector_dimension(2));  // unchanged: no write needed
  EXPECT_EQ(db.try_set_vector_dimension(3).err().code, errc::read_only);
}

TEST(SqliteDatabaseFile, OpenMissingFileWithoutCreate) {
  scratch_dir dir;
  open_options o;
  o.mode = open_mode::read_write;
  auto r = SqliteDatabase::try_open(dir.file("absent.db"), o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::not_found);
}

// Creates a small Patina database with some vectors, for the failure tests.
void make_database(const std::filesystem::path& file) {
  auto db = SqliteDatabase::open(file);
  db.set_vector_dimension(16);
  std::mt19937 rng(1);
  std::vector<vector_item> items;
  for (std::int64_t id = 1; id <= 400; ++id) items.push_back({id, random_vector(rng, 16), {}});
  db.vector_upsert(vector_table::beliefs, items);
}

TEST(SqliteDatabaseFile, NotADatabaseIsAClearErrorAndTheFileIsUnchanged) {
  scratch_dir dir;
  const auto file = dir.file("README.md");
  test::write_bytes(file, "# not a database\n" + std::string(3000, '-'));
  const auto before = read_bytes(file);
  auto r = SqliteDatabase::try_open(file);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::not_a_database);
  EXPECT_NE(r.err().message.find(file.string() + " is not a Patina database (not a SQLite file)"),
            std::string::npos);
  EXPECT_NE(r.err().message.find("`patina init`"), std::string::npos);
  EXPECT_EQ(read_bytes(file), before);
}

TEST(SqliteDatabaseFile, CorruptDatabaseIsAClearErrorAndTheFileIsUnchanged) {
  scratch_dir dir;
  const auto file = dir.file("patina.db");
  make_database(file);
  ASSERT_FALSE(std::filesystem::exists(dir.file("patina.db-wal")));
  const auto page_size =
      static_cast<std::size_t>((static_cast<unsigned char>(read_bytes(file)[16]) << 8) |
                               static_cast<unsigned char>(read_bytes(file)[17]));
  test::scramble_pages_after_first(file, page_size);
  const auto before = read_bytes(file);
  auto r = SqliteDatabase::try_open(file);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::corrupt_database) << r.err().describe();
  EXPECT_NE(r.err().message.find("damaged"), std::string::npos);
  EXPECT_EQ(read_bytes(file), before);
}

TEST(SqliteDatabaseFile, NewerSchemaIsRefusedAndTheFileIsUnchanged) {
  scratch_dir dir;
  const auto file = dir.file("patina.db");
  make_database(file);
  {
    auto db = SqliteDatabase::open(file);
    db.execute("INSERT INTO patina_schema (version, applied_at) VALUES (?1, 0)",
               {std::int64_t{db.schema_version() + 1}});
  }
  const auto before = read_bytes(file);
  auto r = SqliteDatabase::try_open(file);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::schema_too_new);
  EXPECT_NE(r.err().message.find("written by a newer Patina"), std::string::npos);
  EXPECT_NE(r.err().message.find("upgrade Patina"), std::string::npos);
  EXPECT_EQ(read_bytes(file), before);
}

TEST(SqliteDatabaseFile, MissingExtensionIsAClearErrorAndTheFileIsUnchanged) {
  scratch_dir dir;
  const auto file = dir.file("patina.db");
  make_database(file);
  const auto before = read_bytes(file);
  const auto absent = dir.file("nowhere/vec0.so");
  scoped_env env("PATINA_SQLITE_VEC", absent.string());
  auto r = SqliteDatabase::try_open(file);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::missing_asset);
  EXPECT_NE(r.err().message.find(absent.string()), std::string::npos) << r.err().message;
  EXPECT_NE(r.err().message.find("PATINA_SQLITE_VEC"), std::string::npos);
  EXPECT_EQ(read_bytes(file), before);
  EXPECT_EQ(SqliteDatabase::try_open(":memory:").err().code, errc::missing_asset);
}

TEST(SqliteDatabaseFile, WrongExtensionFileIsAClearError) {
  scratch_dir dir;
  const auto fake = dir.file("vec0.so");
  test::write_bytes(fake, "not a shared object");
  scoped_env env("PATINA_SQLITE_VEC", fake.string());
  auto r = SqliteDatabase::try_open(":memory:");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::missing_asset);
  EXPECT_NE(r.err().message.find(fake.string()), std::string::npos);
  EXPECT_NE(r.err().message.find("scripts/setup"), std::string::npos);
  EXPECT_FALSE(r.err().detail.empty());
}

TEST(SqliteDatabaseFile, ConfiguredExtensionPathIsUsedAndChecked) {
  if (std::getenv("PATINA_SQLITE_VEC") != nullptr) GTEST_SKIP() << "PATINA_SQLITE_VEC wins over config";
  scratch_dir dir;
  open_options o;
  o.sqlite_vec = dir.file("configured/vec0.so");
  auto r = SqliteDatabase::try_open(":memory:", o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::missing_asset);
  EXPECT_NE(r.err().message.find("assets.sqlite_vec"), std::string::npos) << r.err().message;
  o.sqlite_vec = SqliteDatabase::open(":memory:").sqlite_vec_path();
  EXPECT_TRUE(SqliteDatabase::try_open(":memory:", o));
}

}  // namespace
}  // namespace patina::db
