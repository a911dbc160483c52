// patina search QUERY [--in beliefs|observations|code|all] [--limit N]
//                     [--lang L] [--kind K] [--path GLOB] [--explain] [--json]
//
// code and all: hybrid search (vector similarity + BM25, fused by reciprocal
// rank; patina/domain/code_search.hpp). beliefs and observations: vector
// similarity over that kind of item alone.
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "knowledge.hpp"
#include "local_index.hpp"
#include "output.hpp"
#include "patina/domain/code_search.hpp"
#include "patina/domain/lexical_index.hpp"
#include "patina/domain/lexical_store.hpp"
#include "patina/scrape/language.hpp"
#include "patina/scrape/symbol.hpp"

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

nlohmann::json signal_json(const std::optional<domain::signal_rank>& s) {
  if (!s) return nullptr;
  return {{"rank", s->rank}, {"score", s->score}};
}

nlohmann::json hit_json(const domain::hybrid_hit& h, std::size_t rank) {
  nlohmann::json j{{"rank", rank},
                   {"type", std::string(domain::to_string(h.type))},
                   {"id", h.id},
                   {"score", h.score},
                   {"text", h.text},
                   {"why", h.why}};
  if (h.type == domain::item_type::symbol) {
    j["path"] = h.path;
    j["line"] = h.line;
    j["end_line"] = h.end_line;
    j["name"] = h.name;
    j["qualified_name"] = h.qualified_name;
    j["kind"] = h.kind;
    j["language"] = h.language;
    j["signature"] = h.signature;
    j["declaration"] = h.declaration;
  }
  if (h.obs_type) j["observation_type"] = std::string(domain::to_string(*h.obs_type));
  j["signals"] = {{"vector", signal_json(h.vector)}, {"lexical", signal_json(h.lexical)}};
  return j;
}

std::string first_line(const std::string& text, std::size_t max = 120) {
  auto line = text.substr(0, text.find('\n'));
  if (line.size() > max) line = line.substr(0, max - 3) + "...";
  return line;
}

std::string explain_line(const domain::hybrid_hit& h) {
  auto part = [](const char* name, const std::optional<domain::signal_rank>& s, const char* score_name) {
    if (!s) return fmt::format("{} -", name);
    return fmt::format("{} #{} ({} {:.3f})", name, s->rank, score_name, s->score);
  };
  return fmt::format("{}  {}  fused {:.4f}", part("vector", h.vector, "cosine"), part("lexical", h.lexical, "bm25"),
                     h.score);
}

void print_hybrid(const std::vector<domain::hybrid_hit>& hits, bool explain) {
  for (std::size_t i = 0; i < hits.size(); ++i) {
    const auto& h = hits[i];
    const auto rank = fmt::format("{:>2}.", i + 1);
    if (h.type == domain::item_type::symbol) {
      std::cout << fmt::format("{} {}:{}  {}  {}\n", rank, h.path, h.line, h.kind, h.qualified_name);
      if (!h.signature.empty()) std::cout << "    " << first_line(h.signature) << '\n';
    } else {
      std::string type(domain::to_string(h.type));
      if (h.obs_type) type += fmt::format(" ({})", domain::to_string(*h.obs_type));
      std::cout << fmt::format("{} {} {}  {}\n", rank, type, h.id, first_line(h.text));
    }
    std::cout << "    " << h.why << '\n';
    if (explain) std::cout << "    " << explain_line(h) << '\n';
  }
}

task<int> run_knowledge_search(context& ctx, const search_options& opts, database& db) {
  semantic_search search(db, *ctx.engine().engine);
  std::vector<domain::search_hit> hits;
  if (opts.scope == "beliefs") {
    auto r = PATINA_AWAIT search.search_beliefs(opts.query, opts.limit);
    hits = std::move(r);
  } else {
    auto r = PATINA_AWAIT search.search_observations(opts.query, std::nullopt, opts.limit);
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

task<int> run_search(context& ctx, search_options opts) {
  auto db = PATINA_AWAIT ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  PATINA_AWAIT prepare_embeddings(ctx, embeddings);
  if (opts.scope == "beliefs" || opts.scope == "observations") {
    auto rc = PATINA_AWAIT run_knowledge_search(ctx, opts, db);
    PATINA_RETURN rc;
  }

  auto store = open_local_index(ctx);
  domain::LexicalIndex<database> lexical(db, store);
  domain::CodeSearch<database> search(db, *ctx.engine().engine, lexical);
  domain::search_request request;
  request.query = opts.query;
  request.scope = opts.scope == "code" ? domain::search_scope::code : domain::search_scope::all;
  request.limit = opts.limit;
  if (!opts.language.empty()) request.filter.language = opts.language;
  if (!opts.kind.empty()) request.filter.kind = opts.kind;
  if (!opts.path.empty()) request.filter.path_glob = opts.path;
  auto result = PATINA_AWAIT search.search(request);

  if (result.symbols == 0 && request.scope == domain::search_scope::code) {
    std::cerr << "patina: note: the code index is empty; run `patina scrape` to index the project's code\n";
  } else if (result.symbols_without_vectors > 0) {
    std::cerr << fmt::format("patina: note: {} of {} code symbols have no vector yet, so they are found by their "
                             "words only; run `patina embeddings generate`\n",
                             result.symbols_without_vectors, result.symbols);
  }
  if (opts.json) {
    nlohmann::json results = nlohmann::json::array();
    for (std::size_t i = 0; i < result.hits.size(); ++i) results.push_back(hit_json(result.hits[i], i + 1));
    std::cout << nlohmann::json{{"query", opts.query}, {"results", std::move(results)}}.dump() << '\n';
    PATINA_RETURN exit_ok;
  }
  if (result.hits.empty()) {
    std::cout << "no results\n";
    PATINA_RETURN exit_ok;
  }
  print_hybrid(result.hits, opts.explain);
  PATINA_RETURN exit_ok;
}

std::vector<std::string> language_names() {
  std::vector<std::string> out;
  for (auto l : scrape::all_languages) out.emplace_back(scrape::to_string(l));
  return out;
}

std::vector<std::string> kind_names() {
  std::vector<std::string> out;
  for (int k = 0; k <= static_cast<int>(scrape::symbol_kind::enum_member); ++k)
    out.emplace_back(scrape::to_string(static_cast<scrape::symbol_kind>(k)));
  return out;
}

}  // namespace

void add_search_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<search_options>();
  auto* cmd = app.add_subcommand("search", "Find code, beliefs and observations by meaning and by words");
  cmd->add_option("query", opts->query, "A question or description, in your own words")->required();
  cmd->add_option("--in", opts->scope, "Where to search: beliefs, observations, code or all (default all)")
      ->check(CLI::IsMember({"beliefs", "observations", "code", "all"}));
  cmd->add_option("--limit", opts->limit, "Number of results (default 10)")->check(CLI::Range(1, 1000));
  cmd->add_option("--lang", opts->language, "Only code in this language (c, cpp, python, go, …)")
      ->check(CLI::IsMember(language_names()));
  cmd->add_option("--kind", opts->kind, "Only symbols of this kind (function, method, class, …)")
      ->check(CLI::IsMember(kind_names()));
  cmd->add_option("--path", opts->path, "Only code whose project-relative path matches this glob ('*' spans '/')");
  cmd->add_flag("--explain", opts->explain, "Show each signal's rank and score for every result");
  cmd->add_flag("--json", opts->json, R"(Print {"query": "...", "results": [...]})");
  cmd->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_search(ctx, *opts); }); });
}

}  // namespace patina::cli
