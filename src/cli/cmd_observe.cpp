// patina observe add TEXT --type T [--source S] | list [--type T] [--json] | remove ID
#include <iostream>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "knowledge.hpp"
#include "output.hpp"

namespace patina::cli {

namespace {

struct observe_options {
  std::string text;
  std::string type;
  std::string source;
  bool json = false;
  std::string id;
};

std::optional<domain::observation_type> type_of(const std::string& name) {
  if (name.empty()) return std::nullopt;
  return domain::parse_observation_type(name).value();
}

task<int> run_add(context& ctx, observe_options opts) {
  const auto type = domain::parse_observation_type(opts.type).value();
  auto db = PATINA_AWAIT ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  PATINA_AWAIT prepare_embeddings(ctx, embeddings);
  knowledge_store store(db, &embeddings);
  auto o = PATINA_AWAIT store.add_observation(opts.text, type, opts.source);
  std::cout << o.id << '\n';
  PATINA_RETURN exit_ok;
}

task<int> run_list(context& ctx, observe_options opts) {
  const auto type = type_of(opts.type);
  auto db = PATINA_AWAIT ctx.open_database();
  knowledge_store store(db);
  auto observations = PATINA_AWAIT store.list_observations(type);
  if (opts.json) {
    nlohmann::json items = nlohmann::json::array();
    for (const auto& o : observations) items.push_back(to_json(o));
    print_json(nlohmann::json{{"items", std::move(items)}});
    PATINA_RETURN exit_ok;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& o : observations) {
    rows.push_back({std::to_string(o.id), std::string(domain::to_string(o.type)), format_time(o.created_at), o.source,
                    o.content});
  }
  print_table(std::cout, {"id", "type", "created (UTC)", "source", "content"}, rows);
  PATINA_RETURN exit_ok;
}

task<int> run_remove(context& ctx, observe_options opts) {
  const auto id = parse_id(opts.id, "observation");
  auto db = PATINA_AWAIT ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  knowledge_store store(db, &embeddings);
  PATINA_AWAIT store.remove_observation(id);
  std::cout << fmt::format("removed observation {}\n", id);
  PATINA_RETURN exit_ok;
}

}  // namespace

void add_observe_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<observe_options>();
  auto* cmd = app.add_subcommand(
      "observe", "Record, list and remove observations: patterns, decisions, challenges, technologies, notes");
  cmd->require_subcommand(1);
  const std::string types = "pattern, decision, challenge, technology or note";

  auto* add = cmd->add_subcommand("add", "Record an observation; prints its id");
  add->add_option("text", opts->text, "What was observed")->required();
  const std::vector<std::string> type_names{"pattern", "decision", "challenge", "technology", "note"};
  add->add_option("--type", opts->type, "One of: " + types)->required()->check(CLI::IsMember(type_names));
  add->add_option("--source", opts->source, "Where it came from (a file, a session, a person)");
  add->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_add(ctx, *opts); }); });

  auto* list = cmd->add_subcommand("list", "List observations, oldest first");
  list->add_option("--type", opts->type, "Only this type: " + types)->check(CLI::IsMember(type_names));
  list->add_flag("--json", opts->json, R"(Print {"items": [...]})");
  list->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_list(ctx, *opts); }); });

  auto* remove = cmd->add_subcommand("remove", "Remove an observation by id");
  remove->add_option("id", opts->id, "The observation's id (see `patina observe list`)")->required();
  remove->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_remove(ctx, *opts); }); });
}

}  // namespace patina::cli
