// patina belief add TEXT [--confidence X] | list [--json] | remove ID
#include <cmath>
#include <cstdlib>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "knowledge.hpp"
#include "output.hpp"

namespace patina::cli {

namespace {

struct belief_options {
  std::string text;
  double confidence = 1.0;
  bool json = false;
  std::string id;
};

task<int> run_add(context& ctx, belief_options opts) {
  auto db = PATINA_AWAIT ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  PATINA_AWAIT prepare_embeddings(ctx, embeddings);
  knowledge_store store(db, &embeddings);
  auto b = PATINA_AWAIT store.add_belief(opts.text, opts.confidence);
  std::cout << b.id << '\n';
  PATINA_RETURN exit_ok;
}

task<int> run_list(context& ctx, belief_options opts) {
  auto db = PATINA_AWAIT ctx.open_database();
  knowledge_store store(db);
  auto beliefs = PATINA_AWAIT store.list_beliefs();
  if (opts.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& b : beliefs) items.push_back(to_json(b));
    print_json(nlohmann::json{{"items", std::move(items)}});
    PATINA_RETURN exit_ok;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& b : beliefs) {
    rows.push_back({std::to_string(b.id), fmt::format("{:.2f}", b.confidence), format_time(b.created_at), b.statement});
  }
  print_table(std::cout, {"id", "confidence", "created (UTC)", "statement"}, rows);
  PATINA_RETURN exit_ok;
}

task<int> run_remove(context& ctx, belief_options opts) {
  const auto id = parse_id(opts.id, "belief");
  auto db = PATINA_AWAIT ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  knowledge_store store(db, &embeddings);
  PATINA_AWAIT store.remove_belief(id);
  std::cout << fmt::format("removed belief {}\n", id);
  PATINA_RETURN exit_ok;
}

}  // namespace

void add_belief_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<belief_options>();
  auto* cmd = app.add_subcommand("belief", "Record, list and remove beliefs: what the team holds to be true");
  cmd->require_subcommand(1);

  auto* add = cmd->add_subcommand("add", "Record a belief; prints its id");
  add->add_option("text", opts->text, "The belief, in a sentence")->required();
  add->add_option("--confidence", opts->confidence, "How sure the team is, from 0 to 1 (default 1)")
      ->check(CLI::Range(0.0, 1.0))
      // CLI::Range lets NaN through (every comparison with it is false).
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return std::isnan(std::strtod(text.c_str(), nullptr)) ? "Value " + text + " is not a number" : "";
          },
          "", "not NaN"));
  add->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_add(ctx, *opts); }); });

  auto* list = cmd->add_subcommand("list", "List beliefs, oldest first");
  list->add_flag("--json", opts->json, R"(Print {"items": [...]})");
  list->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_list(ctx, *opts); }); });

  auto* remove = cmd->add_subcommand("remove", "Remove a belief by id");
  remove->add_option("id", opts->id, "The belief's id (see `patina belief list`)")->required();
  remove->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_remove(ctx, *opts); }); });
}

}  // namespace patina::cli
