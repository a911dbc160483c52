// The project's derived, local-only indexes (DESIGN §3): the lexical (BM25)
// index of code and knowledge lives in a sidecar database beside the main one,
// `.patina/local.db` for a project's `.patina/patina.db` (for any other database
// file `<name>.local.db` beside it). It is never synced; deleting it is safe (the
// next search rebuilds it).
#pragma once

#include <filesystem>
#include <memory>
#include <string_view>

#include "context.hpp"
#include "patina/domain/lexical_store.hpp"

namespace patina::cli {

// A file of the project's beside the database at `database_path`, named `name`
// for a project's `.patina/patina.db`, else `<stem>.<name>`.
std::filesystem::path beside_database(const std::filesystem::path& database_path, std::string_view name);

// The sidecar of the database at `database_path`.
std::filesystem::path local_index_path(const std::filesystem::path& database_path);

// Opens the project's lexical index; when its file cannot be opened or created
// (a read-only folder, a damaged file), warns on stderr and returns an
// in-memory one, which the next refresh fills.
domain::lexical_store open_local_index(context& ctx);

// Brings the derived indexes up to date with `db` (the project's database).
// Searches do this on their own; `patina sync` calls it after a pull so that the
// cost is paid there, not by the next search.
task<void> refresh_local_indexes(context& ctx, database& db);

// Keeps the lexical index following a long write to the database (a scrape),
// so that its cost is paid beside the writer instead of after it. After each
// commit the writer calls notify(); a refresh then runs on a thread of its own
// (SQLite build: with its own read connection; Turso build: on the index's
// thread, reading through the shared database), and finish() stops following
// and refreshes what is left. In remote mode (every read a round trip to the
// server) nothing follows, and finish() is one refresh.
//
// A failed follow-up refresh is not an error: finish() refreshes anyway, and its
// failure is the one reported.
class index_follower {
 public:
  // REQUIRES: db (the command's connection) outlives the follower.
  static task<index_follower> start(context& ctx, database& db);
  index_follower(index_follower&&) noexcept;
  index_follower& operator=(index_follower&&) = delete;
  ~index_follower();

  // The writer committed: what it wrote is visible to other connections. Cheap;
  // call it on the writer's thread.
  void notify();
  // Stops following, waits for a refresh under way, and brings the index up to date.
  task<void> finish();
  // Stops following and waits for a refresh under way, without the last one (the
  // writer failed). Await it before the database goes away: the Turso build's
  // follower reads through the command's connection.
  task<void> stop();

  struct state;

 private:
  explicit index_follower(std::shared_ptr<state> s);
  std::shared_ptr<state> state_;
};

}  // namespace patina::cli
