// patina init [--force] [--remote URL [--mode remote|embedded]]: creates
// .patina/config.toml and the database with its schema and vector tables for the
// configured embedding model. With --remote the database is on a Turso server
// (remote) or a replica of it (embedded, the default; bootstrapped and synced here).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "context.hpp"
#include "patina/domain/embeddings_database.hpp"

namespace patina::cli {

namespace {

struct init_options {
  bool force = false;
  std::string remote;  // --remote URL
  std::string mode = "embedded";
};

void write_file_atomically(const std::filesystem::path& path, const std::string& text) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    out.flush();
    if (!out) throw exception(errc::io_error, fmt::format("cannot write {}; check permissions and free space", tmp.string()));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw exception(errc::io_error, fmt::format("cannot create {}", path.string()), ec.message());
}

void remove_database_files(const std::filesystem::path& db) {
  // An embedded replica's files too (its metadata, staged pull, saved changes, lock).
  for (const char* suffix : {"", "-wal", "-shm", "-journal", ".sync", ".pull", ".pending", ".lock", ".bootstrap"}) {
    auto p = db;
    p += suffix;
    std::error_code ec;
    std::filesystem::remove(p, ec);
    if (ec) throw exception(errc::io_error, fmt::format("cannot remove {}", p.string()), ec.message());
  }
}

task<int> run_init(context& ctx, init_options opts) {
  const auto root = std::filesystem::current_path();
  const auto config_file = config_file_path(root);
  std::error_code ec;
  if (std::filesystem::exists(config_file, ec) && !opts.force) {
    throw exception(errc::already_exists,
                    fmt::format("a Patina project already exists here ({}); pass --force to recreate it "
                                "(this replaces its database)",
                                config_file.string()));
  }
  config wanted;
  if (!opts.remote.empty()) {
#if !defined(PATINA_BACKEND_TURSO)
    throw exception(errc::unsupported,
                    "`patina init --remote` needs the Turso build of Patina; this is the SQLite build, which keeps a "
                    "local database only (build with -DPATINA_BACKEND=turso)");
#endif
    wanted.turso.url = opts.remote;
    wanted.turso.mode = parse_turso_mode(opts.mode).value();
  }
  std::filesystem::create_directories(config_file.parent_path(), ec);
  if (ec) throw exception(errc::io_error, fmt::format("cannot create {}", config_file.parent_path().string()), ec.message());
  write_file_atomically(config_file, opts.remote.empty() ? default_config_text() : config_text(wanted));

  const auto db_path = ctx.database_path();
  if (opts.force) remove_database_files(db_path);
  std::filesystem::create_directories(db_path.parent_path(), ec);

  auto db = PATINA_AWAIT ctx.create_database(db_path);
  auto& engine = ctx.engine();
  domain::EmbeddingsDatabase<database> embeddings(db, *engine.engine);
  auto state = PATINA_AWAIT embeddings.ensure_model();
  (void)state;
#if defined(PATINA_BACKEND_TURSO)
  // The replica's first rows (the model it embeds with) reach the server now.
  std::string revision;
  if (db.mode() == db::database_mode::embedded) {
    auto synced = co_await db.sync();
    revision = synced.revision;
  }
#endif

  std::cout << fmt::format("Initialised a Patina project in {}\n", root.string());
  std::cout << fmt::format("  config:    {}\n", config_file.string());
#if defined(PATINA_BACKEND_TURSO)
  if (db.mode() == db::database_mode::remote) {
    std::cout << fmt::format("  database:  on the Turso server {} (remote mode)\n", db.server_url());
  } else if (db.mode() == db::database_mode::embedded) {
    std::cout << fmt::format("  database:  {} (embedded replica of {}, revision {})\n", db_path.string(),
                             db.server_url(), revision);
  } else {
    std::cout << fmt::format("  database:  {} (backend: {})\n", db_path.string(), backend_name);
  }
#else
  std::cout << fmt::format("  database:  {} (backend: {})\n", db_path.string(), backend_name);
#endif
  std::cout << fmt::format("  embedding: {} ({} dimensions)\n", engine.engine->model_id(), engine.engine->dimension());
  if (!engine.warning.empty()) std::cerr << "patina: warning: " << engine.warning << '\n';
  PATINA_RETURN exit_ok;
}

}  // namespace

void add_init_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<init_options>();
  auto* cmd = app.add_subcommand("init", "Create a Patina project here: .patina/config.toml and the database");
  cmd->add_flag("--force", opts->force, "Recreate an existing project (replaces its database)");
  auto* remote = cmd->add_option("--remote", opts->remote,
                                 "Keep the database on this Turso server (http://, https://, libsql://); the token "
                                 "comes from PATINA_TURSO_TOKEN")
                     ->type_name("URL");
  cmd->add_option("--mode", opts->mode,
                  "With --remote: embedded (a local replica synced by `patina sync`, the default) or remote (every "
                  "command talks to the server)")
      ->check(CLI::IsMember({"embedded", "remote"}))
      ->needs(remote);
  cmd->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_init(ctx, *opts); }); });
}

}  // namespace patina::cli
