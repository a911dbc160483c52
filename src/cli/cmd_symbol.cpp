// patina symbol NAME [--callers] [--callees] [--json]: looks a symbol up by its
// name or qualified name in the code index.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "context.hpp"
#include "patina/scrape/database.hpp"

namespace patina::cli {

namespace {

struct symbol_options {
  std::string name;
  bool callers = false;
  bool callees = false;
  bool json = false;
};

nlohmann::json calls_json(const std::vector<scrape::call_record>& calls) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : calls) {
    nlohmann::json j{{"name", c.name}, {"path", c.path}, {"line", c.line}};
    if (c.symbol_id != 0) {
      j["id"] = c.symbol_id;
      j["qualified_name"] = c.qualified_name;
    } else {
      j["id"] = nullptr;
    }
    out.push_back(std::move(j));
  }
  return out;
}

void print_calls(const char* title, const std::vector<scrape::call_record>& calls) {
  std::cout << fmt::format("  {}:{}\n", title, calls.empty() ? " none" : "");
  for (const auto& c : calls) {
    if (c.symbol_id != 0)
      std::cout << fmt::format("    {}  {}:{}\n", c.qualified_name, c.path, c.line);
    else
      std::cout << fmt::format("    {}  (unresolved, line {})\n", c.name, c.line);
  }
}

task<int> run_symbol(context& ctx, symbol_options opts) {
  auto db = PATINA_AWAIT ctx.open_database();
  scrape::Database<database> code(db);
  auto found = PATINA_AWAIT code.find_symbols(opts.name);
  if (found.empty()) {
    throw exception(errc::not_found,
                    fmt::format("no symbol named '{}' in the code index; check the spelling (names are exact, "
                                "e.g. `parse` or `ns::Widget::draw`) or run `patina scrape` first",
                                opts.name));
  }
  nlohmann::json results = nlohmann::json::array();
  for (const auto& s : found) {
    std::vector<scrape::call_record> callers;
    std::vector<scrape::call_record> callees;
    if (opts.callers || opts.json) {
      auto c = PATINA_AWAIT code.callers(s.id);
      callers = std::move(c);
    }
    if (opts.callees || opts.json) {
      auto c = PATINA_AWAIT code.callees(s.id);
      callees = std::move(c);
    }
    if (opts.json) {
      results.push_back({{"id", s.id},
                         {"name", s.name},
                         {"qualified_name", s.qualified_name},
                         {"kind", s.kind},
                         {"language", s.language},
                         {"path", s.path},
                         {"line", s.start_line},
                         {"end_line", s.end_line},
                         {"signature", s.signature},
                         {"doc", s.doc},
                         {"return_type", s.return_type},
                         {"parameters", s.parameters.empty() ? nlohmann::json::array()
                                                              : nlohmann::json::parse(s.parameters, nullptr, false)},
                         {"declaration", (s.flags & scrape::flag_declaration) != 0},
                         {"callers", calls_json(callers)},
                         {"callees", calls_json(callees)}});
      continue;
    }
    std::cout << fmt::format("{}:{}-{}  {} {}  ({})\n", s.path, s.start_line, s.end_line, s.kind, s.qualified_name,
                             s.language);
    if (!s.signature.empty()) std::cout << "  " << s.signature << '\n';
    if (!s.doc.empty()) std::cout << "  doc: " << s.doc.substr(0, s.doc.find('\n')) << '\n';
    if (opts.callers) print_calls("callers", callers);
    if (opts.callees) print_calls("callees", callees);
  }
  if (opts.json) std::cout << nlohmann::json{{"results", std::move(results)}}.dump() << '\n';
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
