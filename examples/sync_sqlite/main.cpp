// sync_sqlite — Patina's SQLite build used as a library: every call is a plain,
// synchronous call; no async runtime is involved.
//
// Opens a database file, records beliefs and observations (each embedded as it is
// added), closes and reopens it, then asks questions by meaning and checks the
// answers. Exits 0 when every check holds, 1 otherwise.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "patina/backend.hpp"
#include "patina/core/assets.hpp"
#include "patina/db/sqlite_database.hpp"
#include "patina/domain/embeddings_database.hpp"
#include "patina/domain/knowledge_store.hpp"
#include "patina/domain/semantic_search.hpp"
#include "patina/embed/hashing_engine.hpp"
#include "patina/embed/use_lite_engine.hpp"

static_assert(!patina::backend_is_async, "this example needs Patina's SQLite build");

namespace {

using Database = patina::db::SqliteDatabase;
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

int run(const std::filesystem::path& file) {
  auto engine = make_engine();
  patina::db::open_options options;
  options.sqlite_vec = patina::find_asset(patina::asset::sqlite_vec, nullptr, installed).value();

  std::int64_t uploads_id = 0;
  std::int64_t storage_id = 0;
  {
    auto db = Database::open(file, options);
    domain::EmbeddingsDatabase<Database> embeddings(db, *engine);
    embeddings.ensure_model();  // the vector tables take the engine's dimension
    domain::KnowledgeStore<Database> store(db, &embeddings);

    uploads_id = store.add_belief("Failed uploads are retried three times with exponential backoff", 0.9).id;
    store.add_belief("The configuration file is parsed once, at startup");
    store.add_belief("Schema migrations run inside a single transaction", 0.8);
    storage_id = store
                     .add_observation("We chose SQLite for local storage because it needs no server",
                                      domain::observation_type::decision, "design review")
                     .id;
    store.add_observation("Every module logs through one structured logger", domain::observation_type::pattern);
    check(store.count(domain::item_type::belief) == 3, "three beliefs stored");
    check(store.count(domain::item_type::observation) == 2, "two observations stored");
  }  // the database is closed here; everything above is in the file

  auto db = Database::open(file, options);
  domain::SemanticSearch<Database> search(db, *engine);

  const auto uploads = search.search_beliefs("where do we retry failed uploads?", 3);
  print(uploads);
  check(uploads.size() == 3 && uploads.front().id == uploads_id, "the retry belief answers the upload question");

  const auto decisions =
      search.search_observations("which storage needs no server", domain::observation_type::decision, 5);
  print(decisions);
  check(decisions.size() == 1 && decisions.front().id == storage_id,
        "the type filter keeps the one decision, which answers the storage question");

  const auto all = search.search_knowledge("where do we retry failed uploads?", 10);
  print(all);
  check(all.size() == 5 && all.front().id == uploads_id, "search_knowledge ranks beliefs and observations together");
  return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

}  // namespace

int main() {
  std::random_device rd;
  const auto dir = std::filesystem::temp_directory_path() / ("patina-example-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  int rc = EXIT_FAILURE;
  try {
    std::cout << "Patina " << patina::version_string << ", " << patina::backend_name << " backend\n";
    rc = run(dir / "knowledge.db");
  } catch (const patina::exception& e) {
    std::cerr << "error: " << e.get().describe() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  std::cout << (rc == EXIT_SUCCESS ? "sync_sqlite: all checks passed\n" : "sync_sqlite: FAILED\n");
  return rc;
}
