// patina sync [--json] [--rebootstrap]: pushes an embedded replica's local changes
// to its Turso server and pulls the server's (Turso build only).
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "context.hpp"
#include "output.hpp"

namespace patina::cli {

namespace {

struct sync_options {
  bool json = false;
  bool rebootstrap = false;
};

#if defined(PATINA_BACKEND_TURSO)

task<database> open_replica(context& ctx, const sync_options& opts) {
  const auto& cfg = ctx.project_config();
  if (cfg.turso.mode != turso_mode::embedded) {
    throw exception(errc::invalid_argument,
                    fmt::format("`patina sync` needs an embedded replica, but this project's turso.mode is \"{}\"; "
                                "run `patina init --remote URL` (embedded is the default mode) to make one",
                                to_string(cfg.turso.mode)));
  }
  if (!opts.rebootstrap) {
    auto db = co_await ctx.open_database();
    co_return db;
  }
  db::open_options file;
  file.mode = db::open_mode::read_write;
  db::turso_database_options options(file);
  options.rebootstrap = true;
  auto db = co_await database::open_embedded(ctx.executor(), ctx.database_path(), cfg.turso.url, cfg.turso_token,
                                             options);
  co_return db;
}

task<int> run_sync(context& ctx, sync_options opts) {
  auto db = co_await open_replica(ctx, opts);
  const auto summary = co_await db.sync();
  const auto ms = static_cast<std::int64_t>(summary.duration.count());
  if (opts.json) {
    const nlohmann::json doc{{"pushed", summary.pushed_rows},   {"pulled_pages", summary.pulled_pages},
                             {"duration_ms", ms},               {"revision", summary.revision},
                             {"replayed", summary.replayed},    {"skipped", summary.skipped}};
    print_json(doc);
    co_return exit_ok;
  }
  std::cout << fmt::format("Synced with {}: pushed {} row{}, pulled {} page{} in {} ms (revision {})\n",
                           db.server_url(), summary.pushed_rows, summary.pushed_rows == 1 ? "" : "s",
                           summary.pulled_pages, summary.pulled_pages == 1 ? "" : "s", ms, summary.revision);
  if (summary.skipped > 0) {
    std::cerr << fmt::format(
        "patina: warning: {} local change{} could not be replayed because the server no longer has their table\n",
        summary.skipped, summary.skipped == 1 ? "" : "s");
  }
  co_return exit_ok;
}

#else

int run_sync(context&, sync_options) {
  throw exception(errc::unsupported,
                  "`patina sync` needs the Turso build of Patina; this is the SQLite build, which keeps a local "
                  "database only (build with -DPATINA_BACKEND=turso)");
}

#endif

}  // namespace

void add_sync_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<sync_options>();
  auto* cmd = app.add_subcommand("sync", "Push this replica's changes to the Turso server and pull the server's");
  cmd->add_flag("--json", opts->json, "Print one JSON object");
  cmd->add_flag("--rebootstrap", opts->rebootstrap,
                "Push what can be pushed, then replace the replica with a fresh copy from the server");
  cmd->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_sync(ctx, *opts); }); });
}

}  // namespace patina::cli
