// patina status [--json]: backend, database, counts, embedding model.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "knowledge.hpp"
#include "output.hpp"

namespace patina::cli {

namespace {

struct status_options {
  bool json = false;
};

// count(*) of a table, or 0 when the table does not exist yet (code tables
// appear with the first scrape).
task<std::int64_t> count_rows(database& db, const std::string& table) {
  const std::vector<db::value> params{db::value{table}};
  auto exists =
      PATINA_AWAIT db.query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", params);
  if (domain::detail::count_from(exists) == 0) PATINA_RETURN 0;
  auto n = PATINA_AWAIT db.query("SELECT count(*) FROM " + table, {});
  PATINA_RETURN domain::detail::count_from(n);
}

task<int> run_status(context& ctx, status_options opts) {
  auto db = PATINA_AWAIT ctx.open_database();
  auto& selected = ctx.engine();
  embeddings_db embeddings(db, *selected.engine);

  auto schema = PATINA_AWAIT db.query("SELECT max(version) FROM patina_schema", {});
  const auto beliefs = PATINA_AWAIT count_rows(db, "beliefs");
  const auto observations = PATINA_AWAIT count_rows(db, "observations");
  const auto symbols = PATINA_AWAIT count_rows(db, "symbols");
  const auto files = PATINA_AWAIT count_rows(db, "files");
  const auto embedded = PATINA_AWAIT embeddings.embedded_count();
  const auto dimension = PATINA_AWAIT db.vector_dimension();
  auto stored_model = PATINA_AWAIT db.query("SELECT value FROM patina_meta WHERE key = 'embedding_model'", {});
  const auto vectors_model = domain::detail::text_from(stored_model).value_or("");

  std::vector<std::string> warnings;
  if (!selected.warning.empty()) warnings.push_back(selected.warning);
  if (!vectors_model.empty() && vectors_model != selected.engine->model_id()) {
    warnings.push_back(fmt::format("the stored vectors were made by {}, the configured engine is {}; the next "
                                   "command that writes or searches re-embeds knowledge items",
                                   vectors_model, selected.engine->model_id()));
  } else if (embedded < beliefs + observations + symbols) {
    warnings.push_back(fmt::format("{} item(s) have no vector; run `patina embeddings generate`",
                                   beliefs + observations + symbols - embedded));
  }

  const auto path = ctx.database_path().string();
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
    nlohmann::json doc{{"backend", backend_name},
                       {"database", path},
                       {"schema_version", domain::detail::count_from(schema)},
                       {"beliefs", beliefs},
                       {"observations", observations},
                       {"symbols", symbols},
                       {"files", files},
                       {"embedded", embedded},
                       {"vector_dimension", dimension},
                       {"model", {{"id", selected.engine->model_id()}, {"dimension", selected.engine->dimension()}}},
                       {"warnings", warnings}};
    if (!sync_state.is_null()) doc["sync"] = sync_state;
    std::cout << doc.dump() << '\n';
    PATINA_RETURN exit_ok;
  }
  std::cout << fmt::format("backend:       {}\n", backend_name);
  std::cout << fmt::format("database:      {} (schema v{})\n", path, domain::detail::count_from(schema));
  std::cout << fmt::format("beliefs:       {}\n", beliefs);
  std::cout << fmt::format("observations:  {}\n", observations);
  std::cout << fmt::format("files:         {}\n", files);
  std::cout << fmt::format("symbols:       {}\n", symbols);
  std::cout << fmt::format("embedded:      {}\n", embedded);
  std::cout << fmt::format("model:         {} ({} dimensions)\n", selected.engine->model_id(),
                           selected.engine->dimension());
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
  for (const auto& w : warnings) std::cout << "warning:       " << w << '\n';
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
