// patina init [--force] [--remote URL [--mode remote|embedded]]: creates
// .patina/config.toml and the database with its schema and vector tables for the
// configured embedding model. With --remote the database is on a Turso server
// (remote) or a replica of it (embedded, the default; bootstrapped and synced here).
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

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

// The files of a database: the main file and an embedded replica's own files
// (its metadata, staged pull, saved changes, lock).
constexpr const char* database_file_suffixes[] = {"",       "-wal",     "-shm",  "-journal",  ".sync",
                                                  ".pull",  ".pending", ".lock", ".bootstrap"};

std::filesystem::path with_suffix(const std::filesystem::path& p, std::string_view suffix) {
  auto out = p;
  out += std::string(suffix);
  return out;
}

// `init --force` replaces a project, but only once the new one exists: the old
// config and database files are set aside first and put back when creating the new
// database fails (an unreachable server, a bad token), so a failed re-init loses
// nothing.
class replaced_project {
 public:
  replaced_project(std::filesystem::path config_file, std::filesystem::path db)
      : config_file_(std::move(config_file)), db_(std::move(db)) {}

  // Moves the old config and database files aside (*.replaced).
  void set_aside() {
    for (const char* suffix : database_file_suffixes) move_aside(with_suffix(db_, suffix));
    move_aside(config_file_);
  }
  // The new project is in place: the old files go.
  void commit() {
    for (const auto& [original, aside] : moved_) {
      std::error_code ec;
      std::filesystem::remove(aside, ec);
    }
    moved_.clear();
  }
  // Creating the new project failed: its files go and the old ones come back.
  void roll_back() noexcept {
    std::error_code ec;
    for (const char* suffix : database_file_suffixes) std::filesystem::remove(with_suffix(db_, suffix), ec);
    std::filesystem::remove(config_file_, ec);
    for (const auto& [original, aside] : moved_) std::filesystem::rename(aside, original, ec);
    moved_.clear();
  }

 private:
  void move_aside(const std::filesystem::path& p) {
    std::error_code ec;
    if (!std::filesystem::exists(p, ec)) return;
    const auto aside = with_suffix(p, ".replaced");
    std::filesystem::rename(p, aside, ec);
    if (ec) {
      roll_back();
      throw exception(errc::io_error, fmt::format("cannot move {} aside to replace it; check permissions", p.string()),
                      ec.message());
    }
    moved_.emplace_back(p, aside);
  }

  std::filesystem::path config_file_;
  std::filesystem::path db_;
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> moved_;
};

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
  // The old database is where the old config says (read before it is replaced; a
  // config too broken to read leaves the default place).
  std::filesystem::path old_db = config_file.parent_path() / "patina.db";
  if (opts.force && std::filesystem::exists(config_file, ec)) {
    try {
      old_db = ctx.database_path();
    } catch (const exception&) {
    }
    ctx.reload_config();
  }
  replaced_project replaced(config_file, old_db);
  if (opts.force) replaced.set_aside();
  if (!ctx.options.db.empty()) {
    // `init --db PATH` records PATH, so later commands need no --db: relative to
    // the project root when it is inside it (the project can move), else absolute.
    const auto chosen = std::filesystem::absolute(ctx.options.db).lexically_normal();
    const auto inside = chosen.lexically_relative(root);
    const bool below = !inside.empty() && *inside.begin() != "..";
    wanted.database.path = below ? inside : chosen;
  }
  write_file_atomically(config_file, config_text(wanted));
  ctx.reload_config();

  const auto db_path = ctx.database_path();
  std::filesystem::create_directories(db_path.parent_path(), ec);

  std::string revision;
  std::string where;
  auto& engine = ctx.engine();
  try {
    auto db = PATINA_AWAIT ctx.create_database(db_path);
    domain::EmbeddingsDatabase<database> embeddings(db, *engine.engine);
    auto state = PATINA_AWAIT embeddings.ensure_model();
    (void)state;
    where = fmt::format("{} (backend: {})", db_path.string(), backend_name);
#if defined(PATINA_BACKEND_TURSO)
    // The replica's first rows (the model it embeds with) reach the server now.
    if (db.mode() == db::database_mode::embedded) {
      auto synced = co_await db.sync();
      revision = synced.revision;
      where = fmt::format("{} (embedded replica of {}, revision {})", db_path.string(), db.server_url(), revision);
    } else if (db.mode() == db::database_mode::remote) {
      where = fmt::format("on the Turso server {} (remote mode)", db.server_url());
    }
#endif
  } catch (...) {
    replaced.roll_back();
    throw;
  }
  replaced.commit();

  std::cout << fmt::format("Initialised a Patina project in {}\n", root.string());
  std::cout << fmt::format("  config:    {}\n", config_file.string());
  std::cout << fmt::format("  database:  {}\n", where);
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
