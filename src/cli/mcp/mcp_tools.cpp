#include "mcp_tools.hpp"

#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "../status_report.hpp"
#include "tool_definitions.hpp"

namespace patina::cli {

namespace {

using json = nlohmann::json;

std::string id_text(std::int64_t id) { return std::to_string(id); }

json to_mcp_json(const domain::belief& b) {
  return json{{"id", id_text(b.id)},           {"statement", b.statement},   {"confidence", b.confidence},
              {"active", b.active},            {"created_at", b.created_at}, {"updated_at", b.updated_at}};
}

json to_mcp_json(const domain::observation& o) {
  return json{{"id", id_text(o.id)},
              {"content", o.content},
              {"type", std::string(domain::to_string(o.type))},
              {"source", o.source},
              {"created_at", o.created_at},
              {"updated_at", o.updated_at}};
}

// The text the model reads: a header, each result (render_hit), the notes.
std::string render_search(const std::string& query, const std::vector<std::string>& hits,
                          const std::vector<std::string>& notes) {
  std::string text = hits.empty() ? fmt::format("No results for \"{}\".\n", query)
                                  : fmt::format("{} result{} for \"{}\", best first:\n", hits.size(),
                                                hits.size() == 1 ? "" : "s", query);
  for (const auto& h : hits) text += h;
  for (const auto& note : notes) text += "Note: " + note + '\n';
  text.pop_back();
  return text;
}

// The code filters of a search call, "" when absent.
std::string optional_string(const json& args, const char* key) {
  return args.contains(key) ? args[key].get<std::string>() : std::string();
}

}  // namespace

mcp_tools::mcp_tools(context& ctx, database& db)
    : ctx_(ctx),
      db_(db),
      embeddings_(db, *ctx.engine().engine),
      store_(db, &embeddings_),
      search_(db, *ctx.engine().engine),
      code_(ctx, db) {}

mcp::tool_registry mcp_tools::definitions() {
  return mcp_tool_definitions(mcp_code_filter_values{code_language_names(), code_kind_names()});
}

task<mcp::tool_result> mcp_tools::call(mcp::tool_call call) {
  // Expected failures become tool errors the model can act on; see the header.
  std::optional<mcp::tool_result> failed;
  try {
    auto result = PATINA_AWAIT run(call.name, std::move(call.arguments));
    PATINA_RETURN result;
  } catch (const exception& e) {
    if (e.code() == errc::internal) throw;
    failed = mcp::tool_result::error(e.get().describe());
  }
  PATINA_RETURN std::move(*failed);
}

task<mcp::tool_result> mcp_tools::run(const std::string& tool, json args) {
  if (tool == "search") {
    auto r = PATINA_AWAIT search(std::move(args));
    PATINA_RETURN r;
  }
  if (tool == "add_belief") {
    auto r = PATINA_AWAIT add_belief(std::move(args));
    PATINA_RETURN r;
  }
  if (tool == "add_observation") {
    auto r = PATINA_AWAIT add_observation(std::move(args));
    PATINA_RETURN r;
  }
  if (tool == "status") {
    auto r = PATINA_AWAIT status(std::move(args));
    PATINA_RETURN r;
  }
  if (tool == "symbol") {
    auto r = PATINA_AWAIT symbol(std::move(args));
    PATINA_RETURN r;
  }
  throw exception(errc::internal, fmt::format("the tool {} is registered but has no implementation", tool));
}

task<mcp::tool_result> mcp_tools::search(json args) {
  const auto query = args.at("query").get<std::string>();
  if (query.find_first_not_of(" \t\r\n") == std::string::npos) {
    PATINA_RETURN mcp::tool_result::error("the query is empty; give the words or the question to search for");
  }
  const auto scope = args.at("scope").get<std::string>();
  const auto limit = args.at("limit").get<std::size_t>();
  const bool knowledge_only = scope == "beliefs" || scope == "observations";
  code_search_options code;
  code.query = query;
  code.scope = scope == "code" ? domain::search_scope::code : domain::search_scope::all;
  code.limit = limit;
  code.language = optional_string(args, "language");
  code.kind = optional_string(args, "kind");
  code.path_glob = optional_string(args, "path");
  const bool code_filter = !code.language.empty() || !code.kind.empty() || !code.path_glob.empty();
  std::optional<domain::observation_type> type;
  if (args.contains("observation_type")) {
    type = domain::parse_observation_type(args["observation_type"].get<std::string>()).value();
    if (scope != "observations" && scope != "all") {
      PATINA_RETURN mcp::tool_result::error(
          fmt::format("observation_type filters observations, but scope is {}; use scope observations or all", scope));
    }
    if (code_filter) {
      PATINA_RETURN mcp::tool_result::error(
          "observation_type keeps observations only, and language, kind and path filter code; leave out one or "
          "the other");
    }
  }
  if (code_filter && knowledge_only) {
    PATINA_RETURN mcp::tool_result::error(fmt::format(
        "language, kind and path filter code, but scope is {}; use scope code or all, or leave the filters out",
        scope));
  }

  json results = json::array();
  std::vector<std::string> rendered;
  std::vector<std::string> notes;
  const hit_rendering how{true, false};
  // Checked on every call: another process (`patina embeddings generate` after a
  // configuration change) may have replaced the vectors since the server started.
  const auto space = PATINA_AWAIT embeddings_.stored_space();
  if (!space.matches) notes.push_back(vectors_elsewhere_note(space, embeddings_.engine()));
  if ((type || knowledge_only) && !space.matches) {
    const auto item = scope == "beliefs" ? domain::item_type::belief : domain::item_type::observation;
    auto hits = PATINA_AWAIT lexical_knowledge_search(code_, query, item, type, limit);
    for (std::size_t i = 0; i < hits.size(); ++i) {
      results.push_back(hit_json(hits[i], i + 1, id_format::text));
      rendered.push_back(render_hit(hits[i], i + 1, how));
    }
  } else if (type || knowledge_only) {
    // Beliefs or observations alone: similarity of meaning (a type filter
    // names observations only: beliefs and code have no type).
    std::vector<domain::search_hit> hits;
    if (scope == "beliefs") {
      auto r = PATINA_AWAIT search_.search_beliefs(query, limit);
      hits = std::move(r);
    } else {
      auto r = PATINA_AWAIT search_.search_observations(query, type, limit);
      hits = std::move(r);
    }
    for (std::size_t i = 0; i < hits.size(); ++i) {
      results.push_back(hit_json(hits[i], i + 1, id_format::text));
      rendered.push_back(render_hit(hits[i], i + 1, how));
    }
  } else {
    // Code, or code and knowledge together: the hybrid search of `patina search`.
    auto request = make_search_request(code);
    if (!space.matches) request.signals = domain::search_signals::lexical;
    auto found = PATINA_AWAIT code_.search(request);
    for (std::size_t i = 0; i < found.hits.size(); ++i) {
      results.push_back(hit_json(found.hits[i], i + 1, id_format::text));
      rendered.push_back(render_hit(found.hits[i], i + 1, how));
    }
    // With another model's vectors every symbol lacks one of the engine's; the
    // note above already says why and what to do.
    if (!space.matches) found.symbols_without_vectors = 0;
    for (auto& note : code_search_notes(found)) notes.push_back(std::move(note));
  }

  auto text = render_search(query, rendered, notes);
  json out{{"query", query}, {"scope", scope}, {"results", std::move(results)}, {"notes", notes}};
  PATINA_RETURN mcp::tool_result{std::move(text), std::move(out), false};
}

task<std::string> mcp_tools::embedding_note() {
  const auto space = PATINA_AWAIT embeddings_.stored_space();
  if (space.matches) PATINA_RETURN std::string();
  PATINA_RETURN fmt::format(
      "It was stored without a vector, so search finds it by its words only: the database's vectors were made by "
      "{} ({} dimensions) but this server embeds with {} ({} dimensions). If the embedding configuration changed "
      "since the server started, restart the MCP server; then run `patina embeddings generate` to embed it. Do "
      "not record it again.",
      space.model.empty() ? "an unknown model" : space.model, space.dimension, embeddings_.engine().model_id(),
      embeddings_.engine().dimension());
}

task<mcp::tool_result> mcp_tools::add_belief(json args) {
  // Read before the add: index() skips the vector on exactly this condition.
  auto note = PATINA_AWAIT embedding_note();
  auto b = PATINA_AWAIT store_.add_belief(args.at("statement").get<std::string>(), args.at("confidence").get<double>());
  auto text = fmt::format("Recorded belief {} (confidence {:.2f}): {}", b.id, b.confidence, b.statement);
  auto out = to_mcp_json(b);
  out["embedded"] = note.empty();
  if (!note.empty()) {
    text += "\n" + note;
    out["note"] = note;
  }
  PATINA_RETURN mcp::tool_result{std::move(text), std::move(out), false};
}

task<mcp::tool_result> mcp_tools::add_observation(json args) {
  const auto type = domain::parse_observation_type(args.at("type").get<std::string>()).value();
  std::string source = args.contains("source") ? args["source"].get<std::string>() : std::string();
  auto note = PATINA_AWAIT embedding_note();
  auto o = PATINA_AWAIT store_.add_observation(args.at("content").get<std::string>(), type, std::move(source));
  auto text = fmt::format("Recorded observation {} ({}){}: {}", o.id, domain::to_string(o.type),
                          o.source.empty() ? std::string() : " from " + o.source, o.content);
  auto out = to_mcp_json(o);
  out["embedded"] = note.empty();
  if (!note.empty()) {
    text += "\n" + note;
    out["note"] = note;
  }
  PATINA_RETURN mcp::tool_result{std::move(text), std::move(out), false};
}

task<mcp::tool_result> mcp_tools::status(json) {
  const auto s = PATINA_AWAIT read_status(ctx_, db_, embeddings_);
  auto text = fmt::format(
      "Patina database {} (backend {}, schema v{})\n"
      "beliefs: {}, observations: {}, files: {}, symbols: {}, embedded: {}\n"
      "embedding model: {} ({} dimensions)",
      s.database, s.backend, s.schema_version, s.beliefs, s.observations, s.files, s.symbols, s.embedded, s.model_id,
      s.model_dimension);
  for (const auto& w : s.warnings) text += "\nwarning: " + w;
  PATINA_RETURN mcp::tool_result{std::move(text), to_json(s), false};
}

task<mcp::tool_result> mcp_tools::symbol(json args) {
  const auto name = args.at("name").get<std::string>();
  const bool callers = args.at("callers").get<bool>();
  const bool callees = args.at("callees").get<bool>();
  auto found = PATINA_AWAIT look_up_symbols(db_, name, callers, callees);
  if (found.empty()) throw exception(symbol_not_found(name));
  json results = json::array();
  auto text = fmt::format("{} symbol{} named {}:", found.size(), found.size() == 1 ? "" : "s", name);
  for (const auto& e : found) {
    results.push_back(symbol_json(e, id_format::text));
    text += '\n' + render_symbol(e);
  }
  text.pop_back();
  json out{{"name", name}, {"results", std::move(results)}};
  PATINA_RETURN mcp::tool_result{std::move(text), std::move(out), false};
}

}  // namespace patina::cli
