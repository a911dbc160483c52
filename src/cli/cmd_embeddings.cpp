// patina embeddings generate [--force] [--quiet]: embeds every item (beliefs,
// observations, code symbols) that lacks a current vector, in committed batches.
// patina embeddings status [--json]: how many items of each type have a vector.

#include <chrono>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "knowledge.hpp"
#include "output.hpp"

namespace patina::cli {

namespace {

struct generate_cli_options {
  bool force = false;
  bool quiet = false;
};

struct embeddings_status_options {
  bool json = false;
};


task<int> run_generate(context& ctx, generate_cli_options opts) {
  auto db = PATINA_AWAIT ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  if (!ctx.engine().warning.empty()) std::cerr << "patina: warning: " << ctx.engine().warning << '\n';
  // The one command that may replace another model's vectors: it is asked to
  // embed with the configured engine, and vectors of two models never mix.
  auto state = PATINA_AWAIT embeddings.ensure_model();
  if (state.changed && !state.previous_model.empty()) {
    std::cerr << fmt::format("patina: note: the embedding model changed ({} -> {}); the old vectors were dropped and "
                             "every item is embedded again\n",
                             state.previous_model, embeddings.engine().model_id());
  }

  // Items done of total, items/s and the time left.
  progress_line progress(opts.quiet);
  domain::generate_options go;
  go.force = opts.force;
  go.progress = [&progress](const domain::embedding_progress& p) {
    if (!progress.enabled()) return;
    const double secs = progress.elapsed_seconds();
    const double rate = secs > 0 ? static_cast<double>(p.done) / secs : 0;
    const double pct = p.total > 0 ? 100.0 * static_cast<double>(p.done) / static_cast<double>(p.total) : 100.0;
    progress.show(fmt::format("embedding {}s: {}/{} ({:.0f}%)  {:.0f} items/s{}", domain::to_string(p.type), p.done,
                              p.total, pct, rate, time_left(static_cast<double>(p.total - p.done), rate)));
  };
  const auto started = std::chrono::steady_clock::now();
  const auto n = PATINA_AWAIT embeddings.generate_missing(go);
  progress.clear();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  auto counts = PATINA_AWAIT embeddings.counts();
  if (!opts.quiet) {
    std::cout << fmt::format("embedded {} item(s) in {:.1f} s with {}; {} of {} symbols, {} of {} beliefs, {} of {} "
                             "observations have a vector\n",
                             n, secs, embeddings.engine().model_id(), counts.symbols.embedded, counts.symbols.total,
                             counts.beliefs.embedded, counts.beliefs.total, counts.observations.embedded,
                             counts.observations.total);
  }
  PATINA_RETURN exit_ok;
}

task<int> run_status(context& ctx, embeddings_status_options opts) {
  auto db = PATINA_AWAIT ctx.open_database();
  auto& selected = ctx.engine();
  embeddings_db embeddings(db, *selected.engine);
  const auto counts = PATINA_AWAIT embeddings.counts();
  const auto dimension = PATINA_AWAIT db.vector_dimension();
  const std::vector<db::value> no_params;
  auto stored = PATINA_AWAIT db.query("SELECT value FROM patina_meta WHERE key = 'embedding_model'", no_params);
  const auto stored_model = domain::detail::text_from(stored).value_or("");
  const auto embedded = counts.beliefs.embedded + counts.observations.embedded + counts.symbols.embedded;
  const auto total = counts.beliefs.total + counts.observations.total + counts.symbols.total;

  std::vector<std::string> warnings;
  if (!selected.warning.empty()) warnings.push_back(selected.warning);
  if (!stored_model.empty() && stored_model != selected.engine->model_id()) {
    warnings.push_back(fmt::format("the stored vectors were made by {}, the configured engine is {}; run `patina "
                                   "embeddings generate` to embed everything again",
                                   stored_model, selected.engine->model_id()));
  } else if (embedded < total) {
    warnings.push_back(fmt::format("{} item(s) have no vector; run `patina embeddings generate`", total - embedded));
  }

  if (opts.json) {
    nlohmann::json doc{{"backend", backend_name},
                       {"database", ctx.database_path().string()},
                       {"model", {{"id", selected.engine->model_id()}, {"dimension", selected.engine->dimension()}}},
                       {"stored_model", stored_model},
                       {"vector_dimension", dimension},
                       {"beliefs", counts.beliefs.total},
                       {"beliefs_embedded", counts.beliefs.embedded},
                       {"observations", counts.observations.total},
                       {"observations_embedded", counts.observations.embedded},
                       {"symbols", counts.symbols.total},
                       {"symbols_embedded", counts.symbols.embedded},
                       {"total", total},
                       {"embedded", embedded},
                       {"missing", total - embedded},
                       {"warnings", warnings}};
    print_json(doc);
    PATINA_RETURN exit_ok;
  }
  std::cout << fmt::format("backend:       {}\n", backend_name);
  std::cout << fmt::format("database:      {}\n", ctx.database_path().string());
  std::cout << fmt::format("model:         {} ({} dimensions)\n", selected.engine->model_id(),
                           selected.engine->dimension());
  std::cout << fmt::format("beliefs:       {} of {} embedded\n", counts.beliefs.embedded, counts.beliefs.total);
  std::cout << fmt::format("observations:  {} of {} embedded\n", counts.observations.embedded,
                           counts.observations.total);
  std::cout << fmt::format("symbols:       {} of {} embedded\n", counts.symbols.embedded, counts.symbols.total);
  for (const auto& w : warnings) std::cout << "warning:       " << w << '\n';
  PATINA_RETURN exit_ok;
}

}  // namespace

void add_embeddings_command(CLI::App& app, context& ctx) {
  auto* cmd = app.add_subcommand("embeddings", "Embed items for search and show what is embedded");
  cmd->require_subcommand(1);

  auto gen = std::make_shared<generate_cli_options>();
  auto* generate = cmd->add_subcommand(
      "generate", "Embed every belief, observation and code symbol that has no current vector (resumable)");
  generate->add_flag("--force", gen->force, "Embed everything again, even items whose vector is current");
  generate->add_flag("-q,--quiet", gen->quiet, "Print nothing unless there is an error");
  generate->callback([&ctx, gen] { ctx.set_action([&ctx, gen] { return run_generate(ctx, *gen); }); });

  auto st = std::make_shared<embeddings_status_options>();
  auto* status = cmd->add_subcommand("status", "Show how many items of each type have a vector, and the model");
  status->add_flag("--json", st->json, "Print one JSON object");
  status->callback([&ctx, st] { ctx.set_action([&ctx, st] { return run_status(ctx, *st); }); });
}

}  // namespace patina::cli
