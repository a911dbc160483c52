// db/turso/database_access.hpp — private access to TursoDatabase's internals, for
// the backend's own code and its tests.
//
// Thread safety: as TursoDatabase.
#pragma once

#include <functional>
#include <memory>

#include "patina/db/turso_database.hpp"

namespace patina::db::detail {
class connection;
}  // namespace patina::db::detail

namespace patina::db::turso {

class local_store;

struct database_access {
  // Wraps opened internals in the public type.
  static TursoDatabase make(std::shared_ptr<database_state> state);

  // Runs `body` on a reader thread as an operation does, completing on the awaiting
  // coroutine's executor; an exception from `body` reaches the caller. For tests of
  // the async bridge.
  static awaitable<result<int>> run_on_reader(TursoDatabase& db, std::function<int()> body);
  // Runs `body` on the writer thread with the writer's connection and the local store,
  // as a writing operation does (for work that needs one transaction across many
  // statements, e.g. migrate_from_sqlite). REQUIRES: a local or embedded database.
  static awaitable<result<void>> run_on_writer(
      TursoDatabase& db, std::function<result<void>(detail::connection&, local_store&)> body);

  // An embedded replica's sync without its push: pulls and replays the local changes
  // on top. For tests of the replay of unpushed changes.
  static awaitable<result<sync_summary>> pull_only(TursoDatabase& db);
  // The push half of sync(): how many rows went to the server. For benchmarks.
  static awaitable<result<std::uint64_t>> push_only(TursoDatabase& db);
};

}  // namespace patina::db::turso
