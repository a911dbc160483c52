// patina migrate --from PATH [--json]: imports a database written by the SQLite
// build into this project's database (Turso build only; docs/migration.md).
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "context.hpp"
#include "output.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include "local_index.hpp"
#include "patina/db/turso_migrate.hpp"
#endif

namespace patina::cli {

namespace {

struct migrate_options {
  std::string from;
  bool json = false;
};

#if defined(PATINA_BACKEND_TURSO)

nlohmann::json to_json(const db::migrate_report& report, const std::filesystem::path& database_path) {
  nlohmann::json tables = nlohmann::json::object();
  for (const auto& t : report.tables) {
    tables[t.name] = {{"source", t.source_rows},          {"imported", t.imported},
                      {"already_present", t.already_present}, {"kept_target", t.kept_target},
                      {"target", t.target_rows},          {"vectors", t.vectors}};
  }
  return {{"source", report.source.string()},
          {"database", database_path.string()},
          {"changed", report.changed()},
          {"imported", report.imported()},
          {"model", {{"id", report.model}, {"dimension", report.dimension}}},
          {"adopted_model", report.adopted_model},
          {"tables", tables},
          {"skipped_tables", report.skipped_tables},
          {"verified", {{"rows", report.rows_verified}, {"vectors", report.vectors_compared}}}};
}

void print_text(const db::migrate_report& report, const std::filesystem::path& database_path) {
  std::int64_t total = 0;
  for (const auto& t : report.tables) total += t.source_rows;
  if (!report.changed()) {
    std::cout << fmt::format("Nothing to import: all {} rows of {} are already in {}.\n", total,
                             report.source.string(), database_path.string());
  } else {
    std::cout << fmt::format("Imported {} of {} rows from {} into {}", report.imported(), total,
                             report.source.string(), database_path.string());
    if (report.dimension > 0) {
      std::cout << fmt::format(" (vectors: model {}, {} dimensions{})",
                               report.model.empty() ? "unrecorded" : report.model, report.dimension,
                               report.adopted_model ? ", adopted by this database" : "");
    }
    std::cout << ".\n";
  }
  for (const auto& t : report.tables) {
    if (t.source_rows == 0) continue;
    std::string line = fmt::format("  {:<22} {:>8} imported", t.name, t.imported);
    if (t.already_present > 0) line += fmt::format(", {} already present", t.already_present);
    if (t.kept_target > 0) line += fmt::format(", {} kept this database's different version", t.kept_target);
    std::cout << line << '\n';
  }
  std::cout << fmt::format("Verified: every source row is present, {} rows compared value for value, {} vectors "
                           "byte for byte.\n",
                           report.rows_verified, report.vectors_compared);
  for (const auto& name : report.skipped_tables) {
    std::cerr << fmt::format("patina: warning: table {} of {} is not part of Patina's schema and was not imported\n",
                             name, report.source.string());
  }
}

task<int> run_migrate(context& ctx, migrate_options opts) {
  if (const auto mode = ctx.project_config().turso.mode; mode != turso_mode::local) {
    // Refused before connecting: the import writes one local transaction.
    throw exception(errc::unsupported,
                    fmt::format("`patina migrate` imports into a local database, but this project's turso.mode is "
                                "\"{}\"; migrate into a local project (turso.mode = \"local\")",
                                to_string(mode)));
  }
  auto db = co_await ctx.open_database();
  db::migrate_options options;
  options.sqlite_vec = ctx.project_config().resolve(ctx.project_config().assets.sqlite_vec);
  const auto source = std::filesystem::absolute(opts.from);
  const auto report = co_await db::migrate_from_sqlite(db, source, options);
  // The lexical index follows the imported rows now rather than at the next search.
  if (report.changed()) co_await refresh_local_indexes(ctx, db);
  const auto database_path = ctx.database_path();
  if (opts.json) {
    print_json(to_json(report, database_path));
  } else {
    print_text(report, database_path);
  }
  co_return exit_ok;
}

#else

int run_migrate(context&, const migrate_options&) {
  throw exception(errc::unsupported,
                  "`patina migrate` exists only in the Turso build of Patina: it imports a database written by this "
                  "(SQLite) build into a Turso-build project. Run it with a patina built with "
                  "-DPATINA_BACKEND=turso (see docs/migration.md)");
}

#endif

}  // namespace

void add_migrate_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<migrate_options>();
  auto* cmd = app.add_subcommand(
      "migrate", "Import a database written by the SQLite build into this project's database (Turso build)");
  cmd->add_option("--from", opts->from, "The SQLite-build database to import (its .patina/patina.db)")
      ->type_name("PATH")
      ->required();
  cmd->add_flag("--json", opts->json, "Print one JSON object");
  cmd->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_migrate(ctx, *opts); }); });
}

}  // namespace patina::cli
