// patina search QUERY [--in beliefs|observations|code|all] [--limit N]
//                     [--lang L] [--kind K] [--path GLOB] [--explain] [--json]
//
// code and all: hybrid search (vector similarity + BM25, fused by reciprocal
// rank; patina/domain/code_search.hpp). beliefs and observations: vector
// similarity over that kind of item alone. When the stored vectors are another
// model's (prepare_embeddings says so on stderr), every scope ranks by words only.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "code_queries.hpp"
#include "commands.hpp"
#include "knowledge.hpp"
#include "output.hpp"

namespace patina::cli {

namespace {

struct search_options {
  std::string query;
  std::string scope = "all";
  std::size_t limit = 10;
  std::string language;
  std::string kind;
  std::string path;
  bool explain = false;
  bool json = false;
};

task<int> run_knowledge_search(context& ctx, const search_options& opts, database& db, bool vectors) {
  semantic_search search(db, *ctx.engine().engine);
  std::vector<domain::search_hit> hits;
  if (!vectors) {
    // The stored vectors are another model's (prepare_embeddings said so): words only.
    code_searcher searcher(ctx, db);
    const auto type = opts.scope == "beliefs" ? domain::item_type::belief : domain::item_type::observation;
    auto r = PATINA_AWAIT lexical_knowledge_search(searcher, opts.query, type, std::nullopt, opts.limit);
    hits = std::move(r);
  } else if (opts.scope == "beliefs") {
    auto r = PATINA_AWAIT search.search_beliefs(opts.query, opts.limit);
    hits = std::move(r);
  } else {
    auto r = PATINA_AWAIT search.search_observations(opts.query, std::nullopt, opts.limit);
    hits = std::move(r);
  }
  if (opts.json) {
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t i = 0; i < hits.size(); ++i) results.push_back(hit_json(hits[i], i + 1, id_format::number));
    print_json(nlohmann::json{{"query", opts.query}, {"results", std::move(results)}});
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

task<int> run_search(context& ctx, search_options opts) {
  auto db = PATINA_AWAIT ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  const auto space = PATINA_AWAIT prepare_embeddings(ctx, embeddings);
  if (opts.scope == "beliefs" || opts.scope == "observations") {
    auto rc = PATINA_AWAIT run_knowledge_search(ctx, opts, db, space.matches);
    PATINA_RETURN rc;
  }

  code_searcher searcher(ctx, db);
  code_search_options search_opts;
  search_opts.query = opts.query;
  search_opts.scope = opts.scope == "code" ? domain::search_scope::code : domain::search_scope::all;
  search_opts.limit = opts.limit;
  search_opts.language = opts.language;
  search_opts.kind = opts.kind;
  search_opts.path_glob = opts.path;
  auto request = make_search_request(search_opts);
  if (!space.matches) request.signals = domain::search_signals::lexical;
  auto result = PATINA_AWAIT searcher.search(std::move(request));
  // Symbols lack a vector of the engine's model because all vectors are another
  // model's: prepare_embeddings' note already says so and what to run.
  if (!space.matches) result.symbols_without_vectors = 0;
  for (const auto& note : code_search_notes(result)) std::cerr << "patina: note: " << note << '\n';
  if (opts.json) {
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t i = 0; i < result.hits.size(); ++i) {
      results.push_back(hit_json(result.hits[i], i + 1, id_format::number));
    }
    print_json(nlohmann::json{{"query", opts.query}, {"results", std::move(results)}});
    PATINA_RETURN exit_ok;
  }
  if (result.hits.empty()) {
    std::cout << "no results\n";
    PATINA_RETURN exit_ok;
  }
  for (std::size_t i = 0; i < result.hits.size(); ++i) {
    std::cout << render_hit(result.hits[i], i + 1, hit_rendering{false, opts.explain});
  }
  PATINA_RETURN exit_ok;
}

}  // namespace

void add_search_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<search_options>();
  auto* cmd = app.add_subcommand("search", "Find code, beliefs and observations by meaning and by words");
  cmd->add_option("query", opts->query, "A question or description, in your own words")
      ->required()
      ->check(CLI::Validator(
          [](std::string& text) -> std::string {
            return text.find_first_not_of(" \t\r\n") == std::string::npos
                       ? "the query is empty; give the words or the question to search for"
                       : "";
          },
          "", "not empty"));
  cmd->add_option("--in", opts->scope, "Where to search: beliefs, observations, code or all (default all)")
      ->check(CLI::IsMember({"beliefs", "observations", "code", "all"}));
  cmd->add_option("--limit", opts->limit, "Number of results (default 10)")->check(CLI::Range(1, 1000));
  cmd->add_option("--lang", opts->language, "Only code in this language (c, cpp, python, go, …)")
      ->check(CLI::IsMember(code_language_names()));
  cmd->add_option("--kind", opts->kind, "Only symbols of this kind (function, method, class, …)")
      ->check(CLI::IsMember(code_kind_names()));
  cmd->add_option("--path", opts->path, "Only code whose project-relative path matches this glob ('*' spans '/')");
  cmd->add_flag("--explain", opts->explain, "Show each signal's rank and score for every result");
  cmd->add_flag("--json", opts->json, R"(Print {"query": "...", "results": [...]})");
  cmd->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_search(ctx, *opts); }); });
}

}  // namespace patina::cli
