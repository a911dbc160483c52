// patina status [--json]: backend, database, counts, embedding model.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "knowledge.hpp"
#include "output.hpp"
#include "status_report.hpp"

namespace patina::cli {

namespace {

struct status_options {
  bool json = false;
};

task<int> run_status(context& ctx, status_options opts) {
  auto db = PATINA_AWAIT ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  const auto report = PATINA_AWAIT read_status(ctx, db, embeddings);

  // Where the database is synced to, when it is (Turso build, remote or embedded).
  nlohmann::json sync_state;
#if defined(PATINA_BACKEND_TURSO)
  if (db.mode() != db::database_mode::local) {
    const bool replica = db.mode() == db::database_mode::embedded;
    sync_state = {{"mode", replica ? "embedded" : "remote"}, {"url", db.server_url()}};
    if (const auto status = db.replica()) {
      auto unsynced = co_await db.try_unsynced_changes();
      sync_state["revision"] = status->revision;
      sync_state["client_id"] = status->client_id;
      sync_state["unsynced_changes"] = unsynced ? *unsynced : 0;
    }
  }
#endif
  if (opts.json) {
    auto doc = to_json(report);
    if (!sync_state.is_null()) doc["sync"] = sync_state;
    print_json(doc);
    PATINA_RETURN exit_ok;
  }
  std::cout << fmt::format("backend:       {}\n", report.backend);
  std::cout << fmt::format("database:      {} (schema v{})\n", report.database, report.schema_version);
  std::cout << fmt::format("beliefs:       {}\n", report.beliefs);
  std::cout << fmt::format("observations:  {}\n", report.observations);
  std::cout << fmt::format("files:         {}\n", report.files);
  std::cout << fmt::format("symbols:       {}\n", report.symbols);
  std::cout << fmt::format("embedded:      {}\n", report.embedded);
  std::cout << fmt::format("model:         {} ({} dimensions)\n", report.model_id, report.model_dimension);
  if (!sync_state.is_null()) {
    std::string line = fmt::format("{} {}",
                                   sync_state["mode"].get<std::string>() == "embedded" ? "embedded replica of"
                                                                                       : "remote, every command runs on",
                                   sync_state["url"].get<std::string>());
    if (sync_state.contains("revision")) {
      line += fmt::format(", last synced revision {}, {} local change(s) not yet synced",
                          sync_state["revision"].get<std::string>(), sync_state["unsynced_changes"].get<std::int64_t>());
    }
    std::cout << "sync:          " << line << '\n';
  }
  for (const auto& w : report.warnings) std::cout << "warning:       " << w << '\n';
  PATINA_RETURN exit_ok;
}

}  // namespace

void add_status_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<status_options>();
  auto* cmd = app.add_subcommand("status", "Show the backend, the database, counts and the embedding model");
  cmd->add_flag("--json", opts->json, "Print one JSON object");
  cmd->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_status(ctx, *opts); }); });
}

}  // namespace patina::cli
