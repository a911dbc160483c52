// patina search QUERY [--in beliefs|observations|code|all] [--limit N] [--json]
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "knowledge.hpp"
#include "output.hpp"

namespace patina::cli {

namespace {

struct search_options {
  std::string query;
  std::string scope = "all";
  std::size_t limit = 10;
  bool json = false;
};

nlohmann::json hit_json(const domain::search_hit& h, std::size_t rank) {
  nlohmann::json j{{"rank", rank},
                   {"type", std::string(domain::to_string(h.type))},
                   {"id", h.id},
                   {"score", h.score},
                   {"text", h.text},
                   {"why", h.why}};
  if (h.obs_type) j["observation_type"] = std::string(domain::to_string(*h.obs_type));
  return j;
}

task<int> run_search(context& ctx, search_options opts) {
  if (opts.scope == "code") {
    throw exception(errc::unsupported,
                    "code search needs the code index (`patina scrape`), which this version of Patina does not have "
                    "yet; search knowledge with --in beliefs, observations or all");
  }
  auto db = PATINA_AWAIT ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  PATINA_AWAIT prepare_embeddings(ctx, embeddings);
  semantic_search search(db, *ctx.engine().engine);

  std::vector<domain::search_hit> hits;
  if (opts.scope == "beliefs") {
    auto r = PATINA_AWAIT search.search_beliefs(opts.query, opts.limit);
    hits = std::move(r);
  } else if (opts.scope == "observations") {
    auto r = PATINA_AWAIT search.search_observations(opts.query, std::nullopt, opts.limit);
    hits = std::move(r);
  } else {
    auto r = PATINA_AWAIT search.search_knowledge(opts.query, opts.limit);
    hits = std::move(r);
  }

  if (opts.json) {
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t i = 0; i < hits.size(); ++i) results.push_back(hit_json(hits[i], i + 1));
    std::cout << nlohmann::json{{"query", opts.query}, {"results", std::move(results)}}.dump() << '\n';
    PATINA_RETURN exit_ok;
  }
  if (hits.empty()) {
    std::cout << "no results\n";
    PATINA_RETURN exit_ok;
  }
  std::vector<std::vector<std::string>> rows;
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const auto& h = hits[i];
    std::string type(domain::to_string(h.type));
    if (h.obs_type) type += fmt::format(" ({})", domain::to_string(*h.obs_type));
    rows.push_back({std::to_string(i + 1), fmt::format("{:.3f}", h.score), type, std::to_string(h.id), h.text});
  }
  print_table(std::cout, {"rank", "score", "type", "id", "text"}, rows);
  PATINA_RETURN exit_ok;
}

}  // namespace

void add_search_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<search_options>();
  auto* cmd = app.add_subcommand("search", "Find beliefs and observations by meaning");
  cmd->add_option("query", opts->query, "A question or description, in your own words")->required();
  cmd->add_option("--in", opts->scope, "Where to search: beliefs, observations, code or all (default all)")
      ->check(CLI::IsMember({"beliefs", "observations", "code", "all"}));
  cmd->add_option("--limit", opts->limit, "Number of results (default 10)")->check(CLI::Range(1, 1000));
  cmd->add_flag("--json", opts->json, R"(Print {"query": "...", "results": [...]})");
  cmd->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_search(ctx, *opts); }); });
}

}  // namespace patina::cli
