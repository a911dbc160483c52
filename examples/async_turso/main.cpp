// async_turso — Patina's Turso build used as a library: the same operations as the
// SQLite build, each returning boost::asio::awaitable<T> and co_awaited.
//
// A local database file (no server needed): record beliefs and observations, close
// and reopen, then run two searches concurrently with Asio's awaitable operators and
// check the answers. Exits 0 when every check holds, 1 otherwise.
//
// g++ 12 miscompiles co_await inside ?: and inside brace-initialisers, so every
// co_await below stands alone: `auto x = co_await f();`, then x is used.
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/this_coro.hpp>

#include "patina/backend.hpp"
#include "patina/core/assets.hpp"
#include "patina/db/turso_database.hpp"
#include "patina/domain/embeddings_database.hpp"
#include "patina/domain/knowledge_store.hpp"
#include "patina/domain/semantic_search.hpp"
#include "patina/embed/hashing_engine.hpp"
#include "patina/embed/use_lite_engine.hpp"

static_assert(patina::backend_is_async, "this example needs Patina's Turso build");

namespace {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
using Database = patina::db::TursoDatabase;
namespace domain = patina::domain;

// Only this installation's asset folder: the example must work from the install alone.
const patina::asset_locations installed{.deps_dir = {}, .install_datadir = EXAMPLE_PATINA_DATA_DIR};

// USE-lite from the install when its model is there, else the hashing engine. The
// example's questions share words with their answers, so both engines rank them first.
std::unique_ptr<patina::embed::embedding_engine> make_engine() {
  auto dir = patina::find_asset(patina::asset::model_dir, nullptr, installed);
  if (dir) {
    auto engine = patina::embed::use_lite_engine::load(*dir);
    if (engine) return std::move(*engine);
    std::cerr << "note: " << engine.err().describe() << "\n";
  } else {
    std::cerr << "note: " << dir.err().message << "\n";
  }
  std::cerr << "note: using the hashing engine\n";
  return std::make_unique<patina::embed::hashing_engine>();
}

int failures = 0;
void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok   " : "FAIL ") << what << "\n";
  if (!ok) ++failures;
}

void print(const std::vector<domain::search_hit>& hits) {
  for (const auto& h : hits) std::cout << "     " << h.score << "  " << h.text << "\n";
}

struct ids {
  std::int64_t uploads = 0;
  std::int64_t storage = 0;
};

asio::awaitable<ids> record(std::filesystem::path file, patina::embed::embedding_engine& engine) {
  auto ex = co_await asio::this_coro::executor;
  auto db = co_await Database::open(ex, file);
  domain::EmbeddingsDatabase<Database> embeddings(db, engine);
  co_await embeddings.ensure_model();  // the vector tables take the engine's dimension
  domain::KnowledgeStore<Database> store(db, &embeddings);

  ids out;
  auto uploads = co_await store.add_belief("Failed uploads are retried three times with exponential backoff", 0.9);
  out.uploads = uploads.id;
  co_await store.add_belief("The configuration file is parsed once, at startup");
  co_await store.add_belief("Schema migrations run inside a single transaction", 0.8);
  auto storage = co_await store.add_observation("We chose SQLite for local storage because it needs no server",
                                                domain::observation_type::decision, "design review");
  out.storage = storage.id;
  co_await store.add_observation("Every module logs through one structured logger", domain::observation_type::pattern);

  const auto beliefs = co_await store.count(domain::item_type::belief);
  check(beliefs == 3, "three beliefs stored");
  const auto observations = co_await store.count(domain::item_type::observation);
  check(observations == 2, "two observations stored");
  co_return out;
}  // the database closes when `db` goes out of scope

asio::awaitable<int> run(std::filesystem::path file) {
  auto engine = make_engine();
  const auto recorded = co_await record(file, *engine);

  auto ex = co_await asio::this_coro::executor;
  auto db = co_await Database::open(ex, file);
  domain::SemanticSearch<Database> search(db, *engine);

  // Two searches at once; `&&` returns when both are done (scoped concurrency:
  // nothing outlives this statement). Operations are named before co_await.
  std::string upload_question = "where do we retry failed uploads?";
  std::string storage_question = "which storage needs no server";
  auto first = search.search_beliefs(upload_question, 3);
  auto second = search.search_observations(storage_question, domain::observation_type::decision, 5);
  auto both = co_await (std::move(first) && std::move(second));
  const auto& uploads = std::get<0>(both);
  const auto& decisions = std::get<1>(both);

  print(uploads);
  check(uploads.size() == 3 && uploads.front().id == recorded.uploads, "the retry belief answers the upload question");
  print(decisions);
  check(decisions.size() == 1 && decisions.front().id == recorded.storage,
        "the type filter keeps the one decision, which answers the storage question");

  // search_many: the library's own scoped fan-out, results in query order.
  std::vector<std::string> questions{"where do we retry failed uploads?", "structured logging"};
  const auto many = co_await search.search_many(questions, 10);
  check(many.size() == 2 && many[0].size() == 5 && many[0].front().id == recorded.uploads,
        "search_many answers each question over beliefs and observations");
  co_return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace

int main() {
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() / ("patina-example-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  int rc = EXIT_FAILURE;
  std::cout << "Patina " << patina::version_string << ", " << patina::backend_name << " backend\n";

  asio::io_context io;
  asio::co_spawn(io, run(dir / "knowledge.db"), [&](std::exception_ptr e, int result) {
    if (!e) {
      rc = result;
      return;
    }
    try {
      std::rethrow_exception(e);
    } catch (const patina::exception& x) {
      std::cerr << "error: " << x.get().describe() << "\n";
    } catch (const std::exception& x) {
      std::cerr << "error: " << x.what() << "\n";
    }
  });
  io.run();

  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::cout << (rc == EXIT_SUCCESS ? "async_turso: all checks passed\n" : "async_turso: FAILED\n");
  return rc;
}
