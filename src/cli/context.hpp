// The CLI's shared state: global options, the project's configuration, the
// database of this build's backend, and the action the chosen subcommand runs.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "maybe_async.hpp"
#include "patina/core/config.hpp"
#include "patina/db/open_options.hpp"
#include "patina/domain/engine_selection.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/any_io_executor.hpp>

#include "patina/db/turso_database.hpp"
#else
#include "patina/db/sqlite_database.hpp"
#endif

namespace patina::cli {

#if defined(PATINA_BACKEND_TURSO)
using database = db::TursoDatabase;
#else
using database = db::SqliteDatabase;
#endif

struct global_options {
  std::string db;  // --db PATH
};

class context {
 public:
  context();
  ~context();
  context(const context&) = delete;
  context& operator=(const context&) = delete;

  global_options options;
  // SQLite page cache of the databases opened from now on (open_options::cache_kib).
  std::int64_t page_cache_kib = db::open_options{}.cache_kib;
  // Memory-mapped bytes of the database file and of its lexical sidecar
  // (db::open_options::mmap_bytes).
  std::int64_t mmap_bytes = db::open_options{}.mmap_bytes;

  // Set by the chosen subcommand; run by main after parsing.
  void set_action(std::function<task<int>()> action) { action_ = std::move(action); }
  bool has_action() const noexcept { return static_cast<bool>(action_); }
  // Runs the action to completion: directly in the SQLite build, on an
  // io_context in the Turso build. Exceptions propagate to main.
  int run();

  // The configuration: the project's (found by walking up from the working
  // directory, environment applied), or the defaults when --db/PATINA_DB names
  // a database outside any project. Throws not_found when there is neither.
  const config& project_config();

  // Forgets the loaded configuration (and the engine chosen by it): the next
  // project_config() reads the files again. For `init`, which rewrites them.
  void reload_config() {
    config_.reset();
    engine_.reset();
  }

  // --db, else PATINA_DB, else the project's database.
  std::filesystem::path database_path();

  // Opens the database for a command: it must exist (errc::not_found naming it
  // and saying to run `patina init` otherwise).
  task<database> open_database(db::open_mode mode = db::open_mode::read_write);
  // Opens (creating if needed) the database at `path`.
  task<database> create_database(const std::filesystem::path& path);

  // The embedding engine the configuration asks for, loaded once.
  domain::selected_engine& engine();

#if defined(PATINA_BACKEND_TURSO)
  boost::asio::any_io_executor executor();
#endif

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
  std::function<task<int>()> action_;
  std::optional<config> config_;
  std::optional<domain::selected_engine> engine_;
};

}  // namespace patina::cli
