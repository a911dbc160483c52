// patina symbol NAME [--callers] [--callees] [--json]: looks a symbol up by its
// name or qualified name in the code index.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "code_queries.hpp"
#include "commands.hpp"
#include "context.hpp"
#include "output.hpp"

namespace patina::cli {

namespace {

struct symbol_options {
  std::string name;
  bool callers = false;
  bool callees = false;
  bool json = false;
};

task<int> run_symbol(context& ctx, symbol_options opts) {
  auto db = PATINA_AWAIT ctx.open_database();
  // --json always carries both lists (DESIGN §10).
  auto found = PATINA_AWAIT look_up_symbols(db, opts.name, opts.callers || opts.json, opts.callees || opts.json);
  if (found.empty()) throw exception(symbol_not_found(opts.name));
  if (opts.json) {
    nlohmann::json results = nlohmann::json::array();
    for (const auto& e : found) results.push_back(symbol_json(e, id_format::number));
    print_json(nlohmann::json{{"results", std::move(results)}});
    PATINA_RETURN exit_ok;
  }
  for (const auto& e : found) std::cout << render_symbol(e);
  PATINA_RETURN exit_ok;
}

}  // namespace

void add_symbol_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<symbol_options>();
  auto* cmd = app.add_subcommand("symbol", "Look up a symbol by name or qualified name in the code index");
  cmd->add_option("name", opts->name, "Exact name (`draw`) or qualified name (`ns::Widget::draw`)")->required();
  cmd->add_flag("--callers", opts->callers, "Also list who calls it");
  cmd->add_flag("--callees", opts->callees, "Also list what it calls");
  cmd->add_flag("--json", opts->json, R"(Print {"results": [...]} with callers and callees)");
  cmd->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_symbol(ctx, *opts); }); });
}

}  // namespace patina::cli
