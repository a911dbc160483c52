// Embedded replicas against a real tursodb: bootstrap, push, pull with replay,
// convergence of two replicas, last-writer-wins, a server that dies or answers
// garbage mid-sync, a replica killed mid-pull, a tampered base. Every replica talks
// to the server through a fault-injecting proxy so that faults land exactly where
// a test wants them.
#include <gtest/gtest.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
#include <map>
#include <random>
#include <sstream>

#include "db/common/schema.hpp"
#include "db/turso/database_access.hpp"
#include "db/turso/sync/replica_files.hpp"
#include "fake_server.hpp"
#include "io_runner.hpp"
#include "patina/db/turso_database.hpp"
#include "sync_fixtures.hpp"

namespace patina::db {
namespace {

namespace fs = std::filesystem;
using test::fault_proxy;
using test::run_io;
template <class T>
using aw = boost::asio::awaitable<T>;
using table_rows = std::vector<std::vector<value>>;
using contents = std::map<std::string, table_rows>;

constexpr const char* token = "tok-SECRET-42";

std::int64_t integer(const query_result& r) { return std::get<std::int64_t>(r.rows.at(0).at(0)); }

statement belief(std::int64_t id, const std::string& text) {
  return statement{"INSERT INTO beliefs (id, statement, confidence, active, created_at, updated_at) VALUES "
                   "(?1, ?2, 0.5, 1, 1, 1) ON CONFLICT (id) DO UPDATE SET statement = excluded.statement",
                   {value{id}, value{text}}};
}

// Every synced table's rows, ordered; local bookkeeping left out.
aw<contents> read_contents(TursoDatabase& db) {
  contents out;
  auto tables = co_await db.query(
      "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' AND name NOT LIKE '\\_patina%' "
      "ESCAPE '\\' AND name NOT LIKE 'turso%' AND name <> 'patina_vector_generation' ORDER BY name");
  for (const auto& t : tables.rows) {
    const auto& name = std::get<std::string>(t.at(0));
    auto rows = co_await db.query("SELECT * FROM \"" + name + "\" ORDER BY 1");
    out[name] = std::move(rows.rows);
  }
  co_return out;
}

std::string text_of(const contents& c) {
  std::ostringstream out;
  for (const auto& [name, rows] : c) out << name << ": " << rows.size() << " rows; ";
  return out.str();
}

class Replica : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why_not;
    auto started = test::sync_server::start(why_not);
    if (!started) GTEST_SKIP() << "SKIPPED LOUDLY: " << why_not;
    server_.emplace(std::move(*started));
    proxy_ = std::make_unique<fault_proxy>([this] { return target_->port(); });
    target_ = &*server_;
    dir_ = fs::temp_directory_path() /
           ("patina-replica-" + std::to_string(::getpid()) + "-" + std::to_string(std::random_device{}()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    proxy_.reset();
    std::error_code ignored;
    if (!dir_.empty()) fs::remove_all(dir_, ignored);
  }

  std::string url() const { return proxy_->url(); }
  fs::path replica_path(const std::string& name) {
    fs::create_directories(dir_ / name);
    return dir_ / name / "patina.db";
  }

  aw<TursoDatabase> open(const fs::path& path, turso_database_options options = {}) {
    auto executor = co_await boost::asio::this_coro::executor;
    auto db = co_await TursoDatabase::open_embedded(executor, path, url(), token, options);
    co_return db;
  }
  aw<TursoDatabase> remote() {
    auto executor = co_await boost::asio::this_coro::executor;
    auto db = co_await TursoDatabase::open_remote(executor, url(), token);
    co_return db;
  }
  contents server_contents() {
    contents out;
    run_io([&]() -> aw<void> {
      auto db = co_await remote();
      out = co_await read_contents(db);
    });
    return out;
  }
  void remote_batch(const std::vector<statement>& batch) {
    run_io([&]() -> aw<void> {
      auto db = co_await remote();
      co_await db.execute_batch(batch);
    });
  }
  std::int64_t server_count(const std::string& sql) {
    std::int64_t n = 0;
    run_io([&]() -> aw<void> {
      auto db = co_await remote();
      auto r = co_await db.query(sql);
      n = integer(r);
    });
    return n;
  }

  std::optional<test::sync_server> server_;
  test::sync_server* target_ = nullptr;
  std::unique_ptr<fault_proxy> proxy_;
  fs::path dir_;
};

TEST_F(Replica, BootstrapsFromAServerThatAlreadyHoldsData) {
  std::vector<statement> seed;
  for (std::int64_t id = 1; id <= 300; ++id) seed.push_back(belief(id, "belief " + std::string(200, 'x') + std::to_string(id)));
  remote_batch(seed);
  const auto expected = server_contents();
  const auto path = replica_path("a");
  run_io([&]() -> aw<void> {
    auto db = co_await open(path);
    EXPECT_EQ(db.mode(), database_mode::embedded);
    auto check = co_await db.query("PRAGMA integrity_check");
    EXPECT_EQ(std::get<std::string>(check.rows.at(0).at(0)), "ok");
    auto local = co_await read_contents(db);
    EXPECT_EQ(local, expected) << text_of(local) << " vs " << text_of(expected);
    const auto status = db.replica();
    EXPECT_TRUE(status);
    if (!(status)) co_return;
    EXPECT_EQ(status->client_id.rfind("patina-", 0), 0u);
    EXPECT_EQ(status->url, url());
    EXPECT_FALSE(status->revision.empty());
  });
  // Later opens need no server.
  server_->kill();
  run_io([&]() -> aw<void> {
    auto db = co_await open(path);
    auto n = co_await db.query("SELECT count(*) FROM beliefs");
    EXPECT_EQ(integer(n), 300);
    {
      const std::vector<statement> batch{belief(1000, "written offline")};
      co_await db.execute_batch(batch);
    }
    auto failed = co_await db.try_sync();
    EXPECT_FALSE(failed);
    if (!(!(failed))) co_return;
    // The proxy is up, the server behind it is not: it hangs up without answering.
    EXPECT_TRUE(failed.err().code == errc::network_error || failed.err().code == errc::protocol_error)
        << failed.err().describe();
    auto unsynced = co_await db.try_unsynced_changes();
    EXPECT_EQ(*unsynced, 1);
  });
}

TEST_F(Replica, AnEmptyServerGetsTheSchemaThenBootstraps) {
  run_io([&]() -> aw<void> {
    auto db = co_await open(replica_path("a"));
    EXPECT_EQ(db.schema_version(), detail::latest_schema_version());
    auto local = co_await db.query("SELECT max(version) FROM patina_schema");
    EXPECT_EQ(integer(local), detail::latest_schema_version());
  });
  EXPECT_EQ(server_count("SELECT max(version) FROM patina_schema"), detail::latest_schema_version());
}

TEST_F(Replica, TwoReplicasTakingTurnsConverge) {
  const auto a_path = replica_path("a");
  const auto b_path = replica_path("b");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    std::vector<statement> rows;
    for (std::int64_t id = 1; id <= 50; ++id) rows.push_back(belief(id, "from a " + std::to_string(id)));
    co_await a.execute_batch(rows);
    auto first = co_await a.sync();
    EXPECT_EQ(first.pushed_rows, 50u);

    auto b = co_await open(b_path);
    auto seen = co_await b.query("SELECT count(*) FROM beliefs");
    EXPECT_EQ(integer(seen), 50);
    rows.clear();
    for (std::int64_t id = 101; id <= 150; ++id) rows.push_back(belief(id, "from b " + std::to_string(id)));
    for (std::int64_t id = 1; id <= 5; ++id) rows.push_back(belief(id, "changed by b"));
    for (std::int64_t id = 6; id <= 10; ++id) rows.push_back(statement{"DELETE FROM beliefs WHERE id = ?1", {value{id}}});
    co_await b.execute_batch(rows);
    auto second = co_await b.sync();
    EXPECT_EQ(second.pushed_rows, 60u);
    auto third = co_await a.sync();
    EXPECT_EQ(third.pushed_rows, 0u);
    EXPECT_GT(third.pulled_pages, 0u);
    for (auto* db : {&a, &b}) {
      co_await db->sync();
      co_await db->sync();
    }
    auto in_a = co_await read_contents(a);
    auto in_b = co_await read_contents(b);
    EXPECT_EQ(in_a, in_b);
    auto count = co_await a.query("SELECT count(*) FROM beliefs");
    EXPECT_EQ(integer(count), 95);
    auto changed = co_await a.query("SELECT count(*) FROM beliefs WHERE statement = 'changed by b'");
    EXPECT_EQ(integer(changed), 5);
    auto unsynced = co_await a.try_unsynced_changes();
    EXPECT_EQ(*unsynced, 0);
  });
  EXPECT_EQ(server_count("SELECT count(*) FROM beliefs"), 95);
}

TEST_F(Replica, TwoReplicasWritingAtTheSameTimeConverge) {
  const std::vector<fs::path> paths{replica_path("a"), replica_path("b")};
  // Both bootstrapped first.
  run_io([&]() -> aw<void> {
    for (const auto& p : paths) co_await open(p);
  });
  test::run_io_concurrently(
      2,
      [&](int who) -> aw<void> {
        auto db = co_await open(paths[static_cast<std::size_t>(who)]);
        const std::int64_t base = (who + 1) * 100000;
        for (int round = 0; round < 3; ++round) {
          std::vector<statement> rows;
          for (std::int64_t i = 0; i < 40; ++i) {
            rows.push_back(belief(base + round * 1000 + i, "replica " + std::to_string(who) + " round " + std::to_string(round)));
          }
          co_await db.execute_batch(rows);
          auto synced = co_await db.try_sync();
          EXPECT_TRUE(synced) << synced.err().describe();
        }
      },
      2);
  run_io([&]() -> aw<void> {
    auto a = co_await open(paths[0]);
    auto b = co_await open(paths[1]);
    for (int i = 0; i < 2; ++i) {
      co_await a.sync();
      co_await b.sync();
    }
    auto in_a = co_await read_contents(a);
    auto in_b = co_await read_contents(b);
    EXPECT_EQ(in_a, in_b);
    auto count = co_await a.query("SELECT count(*) FROM beliefs");
    EXPECT_EQ(integer(count), 240) << "nothing lost, nothing duplicated";
  });
  EXPECT_EQ(server_count("SELECT count(*) FROM beliefs"), 240);
}

TEST_F(Replica, TheLastWriterWinsPerRow) {
  const auto a_path = replica_path("a");
  const auto b_path = replica_path("b");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    {
      const std::vector<statement> batch{belief(1, "original"), belief(2, "original")};
      co_await a.execute_batch(batch);
    }
    co_await a.sync();
    auto b = co_await open(b_path);

    // Both change row 1; A syncs first, B last: B's value wins everywhere.
    {
      const std::vector<statement> batch{belief(1, "from a")};
      co_await a.execute_batch(batch);
    }
    {
      const std::vector<statement> batch{belief(1, "from b")};
      co_await b.execute_batch(batch);
    }
    co_await a.sync();
    co_await b.sync();
    co_await a.sync();
    for (auto* db : {&a, &b}) {
      auto v = co_await db->query("SELECT statement FROM beliefs WHERE id = 1");
      EXPECT_EQ(std::get<std::string>(v.rows.at(0).at(0)), "from b");
    }
    // A deletes row 2 while B updates it; B syncs last: the row comes back with B's value.
    {
      const std::string sql = "DELETE FROM beliefs WHERE id = 2";
      co_await a.execute(sql);
    }
    {
      const std::vector<statement> batch{belief(2, "kept by b")};
      co_await b.execute_batch(batch);
    }
    co_await a.sync();
    co_await b.sync();
    co_await a.sync();
    for (auto* db : {&a, &b}) {
      auto v = co_await db->query("SELECT statement FROM beliefs WHERE id = 2");
      EXPECT_EQ(v.rows.size(), 1u);
      if (!(v.rows.size() == 1u)) co_return;
      EXPECT_EQ(std::get<std::string>(v.rows.at(0).at(0)), "kept by b");
    }
  });
}

TEST_F(Replica, LocalChangesMadeBeforeAPullAreReplayedOnTop) {
  const auto a_path = replica_path("a");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    {
      const std::vector<statement> batch{belief(1, "local, not pushed")};
      co_await a.execute_batch(batch);
    }
    auto r = co_await remote();
    {
      const std::vector<statement> batch{belief(2, "from the server")};
      co_await r.execute_batch(batch);
    }
    auto pulled = co_await turso::database_access::pull_only(a);
    EXPECT_TRUE(pulled) << pulled.err().describe();
    if (!pulled) co_return;
    EXPECT_GT(pulled->pulled_pages, 0u);
    EXPECT_EQ(pulled->replayed, 1u);
    auto rows = co_await a.query("SELECT id, statement FROM beliefs ORDER BY id");
    EXPECT_EQ(rows.rows.size(), 2u);
    if (!(rows.rows.size() == 2u)) co_return;
    EXPECT_EQ(std::get<std::string>(rows.rows[0][1]), "local, not pushed");
    auto unsynced = co_await a.try_unsynced_changes();
    EXPECT_EQ(*unsynced, 1) << "the replayed change is still to push";
    auto synced = co_await a.sync();
    EXPECT_EQ(synced.pushed_rows, 1u);
  });
  EXPECT_EQ(server_count("SELECT count(*) FROM beliefs"), 2);
}

// Only the push batch opens a transaction with BEGIN IMMEDIATE.
constexpr const char* push_marker = "BEGIN IMMEDIATE";

TEST_F(Replica, ServerKilledAfterCommittingAPushLosesAndDuplicatesNothing) {
  const auto a_path = replica_path("a");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    std::vector<statement> rows;
    for (std::int64_t id = 1; id <= 20; ++id) rows.push_back(belief(id, "row " + std::to_string(id)));
    co_await a.execute_batch(rows);
    // The push reaches the server and commits; the server dies before answering.
    proxy_->arm("/v2/pipeline", fault_proxy::fault::kill_after_answer, [&] { server_->kill(); }, 0, {}, push_marker);
    auto failed = co_await a.try_sync();
    EXPECT_FALSE(failed);
    if (!(!(failed))) co_return;
    EXPECT_TRUE(failed.err().code == errc::network_error || failed.err().code == errc::protocol_error)
        << failed.err().describe();
    EXPECT_EQ(failed.err().describe().find(token), std::string::npos);
    server_->restart();
    // The server's high-water row says the rows landed: nothing is sent twice.
    auto again = co_await a.sync();
    EXPECT_EQ(again.pushed_rows, 0u);
    EXPECT_GT(again.pulled_pages, 0u);
    auto local = co_await read_contents(a);
    auto count = co_await a.query("SELECT count(*) FROM beliefs");
    EXPECT_EQ(integer(count), 20);
    auto r = co_await remote();
    auto there = co_await read_contents(r);
    EXPECT_EQ(local, there);
  });
  EXPECT_EQ(server_count("SELECT count(*) FROM beliefs"), 20);
}

TEST_F(Replica, ServerKilledBeforeAPushCommitsLosesNothing) {
  const auto a_path = replica_path("a");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    std::vector<statement> rows;
    for (std::int64_t id = 1; id <= 20; ++id) rows.push_back(belief(id, "row " + std::to_string(id)));
    co_await a.execute_batch(rows);
    proxy_->arm("/v2/pipeline", fault_proxy::fault::cut_request, [&] { server_->kill(); }, 0, {}, push_marker);
    auto failed = co_await a.try_sync();
    EXPECT_FALSE(failed);
    if (!(!(failed))) co_return;
    EXPECT_TRUE(failed.err().code == errc::network_error || failed.err().code == errc::protocol_error)
        << failed.err().describe();
    server_->restart();
    auto again = co_await a.sync();
    EXPECT_EQ(again.pushed_rows, 20u);
    auto local = co_await read_contents(a);
    auto r = co_await remote();
    auto there = co_await read_contents(r);
    EXPECT_EQ(local, there);
  });
  EXPECT_EQ(server_count("SELECT count(*) FROM beliefs"), 20);
}

TEST_F(Replica, ServerKilledInTheMiddleOfAPullLosesNothing) {
  std::vector<statement> seed;
  for (std::int64_t id = 1000; id < 1200; ++id) seed.push_back(belief(id, std::string(500, 's') + std::to_string(id)));
  const auto a_path = replica_path("a");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    auto r = co_await remote();
    co_await r.execute_batch(seed);
    {
      const std::vector<statement> batch{belief(1, "local")};
      co_await a.execute_batch(batch);
    }
    // The answer stops after some pages and the server dies.
    proxy_->arm("/pull-updates", fault_proxy::fault::truncate_answer, [&] { server_->kill(); }, 20000);
    auto failed = co_await a.try_sync();
    EXPECT_FALSE(failed);
    if (!(!(failed))) co_return;
    EXPECT_TRUE(failed.err().code == errc::network_error || failed.err().code == errc::protocol_error)
        << failed.err().describe();
    EXPECT_FALSE(fs::exists(turso::sync::replica_paths(a_path).stage)) << "a broken pull leaves no stage";
    auto still = co_await a.query("SELECT count(*) FROM beliefs");
    EXPECT_EQ(integer(still), 1) << "the replica is unchanged";
    server_->restart();
    auto again = co_await a.sync();
    EXPECT_EQ(again.pushed_rows, 0u) << "the push had gone through before the pull failed";
    auto local = co_await read_contents(a);
    auto r2 = co_await remote();
    auto there = co_await read_contents(r2);
    EXPECT_EQ(local, there);
    auto count = co_await a.query("SELECT count(*) FROM beliefs");
    EXPECT_EQ(integer(count), 201);
  });
}

TEST_F(Replica, GarbageOrTruncatedAnswersAreClearErrors) {
  const auto a_path = replica_path("a");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    {
      const std::vector<statement> batch{belief(1, "pending")};
      co_await a.execute_batch(batch);
    }

    proxy_->arm("/v2/pipeline", fault_proxy::fault::garbage);
    auto garbage = co_await a.try_sync();
    EXPECT_FALSE(garbage);
    if (!(!(garbage))) co_return;
    EXPECT_EQ(garbage.err().code, errc::protocol_error) << garbage.err().describe();

    proxy_->arm("/pull-updates", fault_proxy::fault::garbage);
    auto garbage_pull = co_await a.try_sync();
    EXPECT_FALSE(garbage_pull);
    if (!(!(garbage_pull))) co_return;
    EXPECT_EQ(garbage_pull.err().code, errc::protocol_error) << garbage_pull.err().describe();

    {
      const std::vector<statement> batch{belief(2, "more")};
      co_await a.execute_batch(batch);
    }
    proxy_->arm("/pull-updates", fault_proxy::fault::truncate_answer, {}, 3);
    auto cut = co_await a.try_sync();
    EXPECT_FALSE(cut);
    if (!(!(cut))) co_return;
    EXPECT_EQ(cut.err().code, errc::protocol_error) << cut.err().describe();

    // A server error that repeats the token: it is not repeated to the user.
    proxy_->arm("/v2/pipeline", fault_proxy::fault::error_status, {}, 0,
                std::string("Internal Server Error: bad token ") + token);
    auto echoed = co_await a.try_sync();
    EXPECT_FALSE(echoed);
    if (!(!(echoed))) co_return;
    EXPECT_EQ(echoed.err().describe().find(token), std::string::npos) << echoed.err().describe();

    // Rows 1 and 2 were pushed by the syncs whose pulls failed; this one has nothing
    // to push and pulls everything.
    auto fine = co_await a.sync();
    EXPECT_EQ(fine.pushed_rows, 0u);
    EXPECT_GT(fine.pulled_pages, 0u);
    auto local = co_await read_contents(a);
    auto r = co_await remote();
    auto there = co_await read_contents(r);
    EXPECT_EQ(local, there);
    auto count = co_await a.query("SELECT count(*) FROM beliefs");
    EXPECT_EQ(integer(count), 2);
  });
  // The token is in no file the replica wrote.
  for (const auto& entry : fs::recursive_directory_iterator(dir_)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(bytes.find(token), std::string::npos) << entry.path();
  }
}

TEST_F(Replica, ABootstrapFromAServerThatAnswersGarbageFailsCleanly) {
  test::fake_server garbage([](const std::string&) {
    return test::fake_server::http_response(200, "{\"results\": 42}");
  });
  const auto path = replica_path("a");
  run_io([&]() -> aw<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    auto failed = co_await TursoDatabase::try_open_embedded(executor, path, garbage.url(), token);
    EXPECT_FALSE(failed);
    if (!(!(failed))) co_return;
    EXPECT_EQ(failed.err().code, errc::protocol_error) << failed.err().describe();
  });
  EXPECT_FALSE(fs::exists(path));
  // The same path bootstraps from a real server afterwards.
  run_io([&]() -> aw<void> {
    auto db = co_await open(path);
    auto n = co_await db.query("SELECT count(*) FROM patina_schema");
    EXPECT_GT(integer(n), 0);
  });
}

// Kills a replica process stopped at `point` of a pull (PATINA_SYNC_TEST_STOP), then
// reopens the replica here: the sync is finished and nothing is lost.
class ReplicaCrash : public Replica, public ::testing::WithParamInterface<const char*> {};

TEST_P(ReplicaCrash, AKilledPullIsFinishedAtTheNextOpen) {
  const auto a_path = replica_path("a");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    {
      const std::vector<statement> batch{belief(1, "pushed before")};
      co_await a.execute_batch(batch);
    }
    co_await a.sync();
    auto r = co_await remote();
    std::vector<statement> seed;
    for (std::int64_t id = 100; id < 150; ++id) seed.push_back(belief(id, "server " + std::to_string(id)));
    co_await r.execute_batch(seed);
  });
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::setenv("PATINA_SYNC_TEST_STOP", GetParam(), 1);
    try {
      run_io([&]() -> aw<void> {
        auto a = co_await open(a_path);
        {
      const std::vector<statement> batch{belief(2, "local, unpushed")};
      co_await a.execute_batch(batch);
    }
        auto pulled = co_await turso::database_access::pull_only(a);
        (void)pulled;
      });
    } catch (...) {
      ::_exit(4);
    }
    ::_exit(3);  // never stopped: the test fails below
  }
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, WUNTRACED), child);
  ASSERT_TRUE(WIFSTOPPED(status)) << "the replica process did not reach " << GetParam() << " (status " << status << ")";
  ::kill(child, SIGKILL);
  ASSERT_EQ(::waitpid(child, &status, 0), child);

  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    auto check = co_await a.query("PRAGMA integrity_check");
    EXPECT_EQ(std::get<std::string>(check.rows.at(0).at(0)), "ok");
    auto local = co_await a.query("SELECT statement FROM beliefs WHERE id = 2");
    EXPECT_EQ(local.rows.size(), 1u) << "the unpushed local change survived";
    if (!(local.rows.size() == 1u)) co_return;
    // Killed before applying began, the pull is simply gone; killed later, the
    // open finished it.
    auto count = co_await a.query("SELECT count(*) FROM beliefs");
    EXPECT_EQ(integer(count), std::string_view(GetParam()) == "staged" ? 2 : 52);
    EXPECT_FALSE(fs::exists(turso::sync::replica_paths(a_path).pending));
    EXPECT_FALSE(fs::exists(turso::sync::replica_paths(a_path).stage));
    auto synced = co_await a.sync();
    EXPECT_EQ(synced.pushed_rows, 1u);
    auto all = co_await a.query("SELECT count(*) FROM beliefs");
    EXPECT_EQ(integer(all), 52);
    auto mine = co_await read_contents(a);
    auto r = co_await remote();
    auto there = co_await read_contents(r);
    EXPECT_EQ(mine, there);
  });
}

INSTANTIATE_TEST_SUITE_P(StopPoints, ReplicaCrash, ::testing::Values("staged", "applying", "replaying"));

TEST_F(Replica, ATamperedBaseIsRefusedAndRebootstrapRecovers) {
  const auto a_path = replica_path("a");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    {
      const std::vector<statement> batch{belief(1, "synced")};
      co_await a.execute_batch(batch);
    }
    co_await a.sync();
    {
      const std::vector<statement> batch{belief(2, "captured, not pushed")};
      co_await a.execute_batch(batch);
    }
  });
  // Another program opens the file with stock settings: closing checkpoints it.
  sqlite3* raw = nullptr;
  ASSERT_EQ(sqlite3_open(a_path.c_str(), &raw), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(raw, "UPDATE patina_meta SET value = value WHERE 0; PRAGMA wal_checkpoint(TRUNCATE);",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(raw);
  run_io([&]() -> aw<void> {
    auto executor = co_await boost::asio::this_coro::executor;
    auto refused = co_await TursoDatabase::try_open_embedded(executor, a_path, url(), token);
    EXPECT_FALSE(refused);
    if (!(!(refused))) co_return;
    EXPECT_EQ(refused.err().code, errc::corrupt_database);
    EXPECT_NE(refused.err().message.find("--rebootstrap"), std::string::npos) << refused.err().message;
    turso_database_options options;
    options.rebootstrap = true;
    auto fresh = co_await open(a_path, options);
    auto rows = co_await fresh.query("SELECT id FROM beliefs ORDER BY id");
    EXPECT_EQ(rows.rows.size(), 2u) << "the captured change was pushed before the rebootstrap";
    auto mine = co_await read_contents(fresh);
    auto r = co_await remote();
    auto there = co_await read_contents(r);
    EXPECT_EQ(mine, there);
  });
}

TEST_F(Replica, AServerWhoseHistoryWasResetIsRefused) {
  const auto a_path = replica_path("a");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    std::vector<statement> rows;
    for (std::int64_t id = 1; id <= 200; ++id) rows.push_back(belief(id, std::string(300, 'r')));
    co_await a.execute_batch(rows);
    co_await a.sync();
  });
  std::string why_not;
  auto other = test::sync_server::start(why_not);
  ASSERT_TRUE(other);
  target_ = &*other;  // the same URL now reaches a new, younger server
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    auto failed = co_await a.try_sync();
    EXPECT_FALSE(failed);
    if (!(!(failed))) co_return;
    EXPECT_EQ(failed.err().code, errc::protocol_error) << failed.err().describe();
    EXPECT_NE(failed.err().message.find("--rebootstrap"), std::string::npos);
  });
  target_ = &*server_;
}

TEST_F(Replica, VectorsSyncAndSearchSeesPulledRows) {
  const auto a_path = replica_path("a");
  const auto b_path = replica_path("b");
  run_io([&]() -> aw<void> {
    auto a = co_await open(a_path);
    co_await a.set_vector_dimension(3);
    auto dim = co_await a.vector_dimension();
    EXPECT_EQ(dim, 3u);
    auto b = co_await open(b_path);
    int pulls_seen = 0;
    b.add_pull_listener([&] { ++pulls_seen; });
    std::vector<vector_item> items(2);
    items[0].id = 1;
    items[0].embedding = {1, 0, 0};
    items[1].id = 2;
    items[1].embedding = {0, 1, 0};
    co_await b.vector_upsert(vector_table::beliefs, items);
    const std::vector<float> query{0.1F, 1, 0};
    const vector_filter none;
    auto before = co_await b.vector_search(vector_table::beliefs, query, none, 5);
    EXPECT_EQ(before.size(), 2u);
    if (!(before.size() == 2u)) co_return;
    std::vector<vector_item> more(1);
    more[0].id = 3;
    more[0].embedding = {0, 1, 0.01F};
    co_await a.vector_upsert(vector_table::beliefs, more);
    co_await a.sync();
    co_await b.sync();
    EXPECT_EQ(pulls_seen, 1);
    auto after = co_await b.vector_search(vector_table::beliefs, query, none, 5);
    EXPECT_EQ(after.size(), 3u) << "the pulled vector is found: the cache was refreshed";
    if (!(after.size() == 3u)) co_return;
    co_await a.sync();
    auto in_a = co_await a.vector_search(vector_table::beliefs, query, none, 5);
    EXPECT_EQ(in_a.size(), 3u);
    if (!(in_a.size() == 3u)) co_return;
    for (std::size_t i = 0; i < 3; ++i) EXPECT_EQ(in_a[i].id, after[i].id);
  });
}

}  // namespace
}  // namespace patina::db
