#include "context.hpp"

#include <cstdlib>
#include <exception>
#include <utility>

#include <fmt/format.h>

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#endif

namespace patina::cli {

#if defined(PATINA_BACKEND_TURSO)
struct context::impl {
  boost::asio::io_context io;
};
#else
struct context::impl {};
#endif

context::context() : impl_(std::make_unique<impl>()) {}
context::~context() = default;

int context::run() {
#if defined(PATINA_BACKEND_TURSO)
  std::exception_ptr failure;
  int rc = exit_internal_error;
  boost::asio::co_spawn(impl_->io, action_(), [&](std::exception_ptr e, int value) {
    failure = e;
    rc = value;
  });
  impl_->io.run();
  if (failure) std::rethrow_exception(failure);
  return rc;
#else
  return action_();
#endif
}

#if defined(PATINA_BACKEND_TURSO)
boost::asio::any_io_executor context::executor() { return impl_->io.get_executor(); }
#endif

namespace {

// turso.mode remote or embedded: the database lives on (or follows) a Turso server.
bool uses_server(const config& cfg) { return cfg.turso.mode != turso_mode::local; }

#if defined(PATINA_BACKEND_TURSO)
task<database> open_on_server(boost::asio::any_io_executor executor, const config& cfg,
                              const std::filesystem::path& path, db::open_options opts) {
  if (cfg.turso.url.empty()) {
    throw exception(errc::config_error,
                    fmt::format("turso.mode is \"{}\" but turso.url is not set; set it in .patina/config.toml (or "
                                "PATINA_TURSO_URL), or run `patina init --remote URL --force`",
                                to_string(cfg.turso.mode)));
  }
  const db::turso_database_options options(opts);
  if (cfg.turso.mode == turso_mode::remote) {
    auto remote = co_await database::open_remote(executor, cfg.turso.url, cfg.turso_token, options);
    co_return remote;
  }
  auto replica = co_await database::open_embedded(executor, path, cfg.turso.url, cfg.turso_token, options);
  co_return replica;
}
#else
[[noreturn]] void refuse_server_mode(const config& cfg) {
  throw exception(errc::unsupported,
                  fmt::format("this project uses a Turso server (turso.mode = \"{}\"), which needs the Turso build "
                              "of Patina; this is the SQLite build (build with -DPATINA_BACKEND=turso)",
                              to_string(cfg.turso.mode)));
}
#endif

}  // namespace

const config& context::project_config() {
  if (config_) return *config_;
  const char* env_db = std::getenv("PATINA_DB");
  const bool explicit_db = !options.db.empty() || (env_db != nullptr && *env_db != '\0');
  auto loaded = load_project_config(std::filesystem::current_path());
  if (loaded) {
    config_ = std::move(*loaded);
  } else if (explicit_db && loaded.err().code == errc::not_found) {
    config c;
    apply_env_overrides(c);
    config_ = std::move(c);
  } else if (loaded.err().code == errc::not_found) {
    throw exception(errc::not_found,
                    "no Patina project here or in any parent directory; run `patina init` to create one, "
                    "or pass --db PATH");
  } else {
    throw exception(std::move(loaded).err());
  }
  return *config_;
}

std::filesystem::path context::database_path() {
  if (!options.db.empty()) return std::filesystem::absolute(options.db);
  return project_config().database_path();
}

task<database> context::open_database(db::open_mode mode) {
  const auto path = database_path();
  if (uses_server(project_config())) {
#if defined(PATINA_BACKEND_TURSO)
    db::open_options server_opts;
    server_opts.mode = mode;
    auto opened = co_await open_on_server(executor(), project_config(), path, server_opts);
    co_return opened;
#else
    refuse_server_mode(project_config());
#endif
  }
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    throw exception(errc::not_found,
                    fmt::format("the database {} does not exist; run `patina init` to create a project, "
                                "or point --db at an existing database",
                                path.string()));
  }
  db::open_options opts;
  opts.mode = mode;
  opts.cache_kib = page_cache_kib;
  opts.mmap_bytes = mmap_bytes;
  opts.sqlite_vec = project_config().resolve(project_config().assets.sqlite_vec);
#if defined(PATINA_BACKEND_TURSO)
  auto opened = co_await database::open(executor(), path, opts);
  co_return opened;
#else
  return database::open(path, opts);
#endif
}

task<database> context::create_database(const std::filesystem::path& path) {
  db::open_options opts;
  opts.mode = db::open_mode::create;
  if (uses_server(project_config())) {
#if defined(PATINA_BACKEND_TURSO)
    auto opened = co_await open_on_server(executor(), project_config(), path, opts);
    co_return opened;
#else
    refuse_server_mode(project_config());
#endif
  }
#if defined(PATINA_BACKEND_TURSO)
  auto opened = co_await database::open(executor(), path, opts);
  co_return opened;
#else
  return database::open(path, opts);
#endif
}

domain::selected_engine& context::engine() {
  if (!engine_) engine_ = domain::select_engine(project_config()).value();
  return *engine_;
}

}  // namespace patina::cli
