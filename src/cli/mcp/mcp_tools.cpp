#include "mcp_tools.hpp"

#include <algorithm>
#include <cmath>
#include <optional>

#include <fmt/format.h>

#include "patina/backend.hpp"
#include "patina/domain/detail/sql.hpp"

namespace patina::cli {

namespace {

using json = nlohmann::json;

std::string id_text(std::int64_t id) { return std::to_string(id); }

json hit_json(const domain::search_hit& h) {
  json j{{"type", std::string(domain::to_string(h.type))},
         {"id", id_text(h.id)},
         {"score", std::isfinite(h.score) ? h.score : 0.0},
         {"text", h.text},
         {"why", h.why}};
  if (h.obs_type) j["observation_type"] = std::string(domain::to_string(*h.obs_type));
  return j;
}

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

// One search hit for people and models:
//   1. belief 1234 (score 0.812)
//      Uploads are retried three times.
//   2. symbol function net::upload at src/net/upload.cpp:42 (score 0.700)
std::string render_hit(const json& h) {
  std::string head = fmt::format("{}. {}", h.at("rank").get<std::int64_t>(), h.at("type").get<std::string>());
  if (h.contains("observation_type")) head += fmt::format(" ({})", h["observation_type"].get<std::string>());
  if (h.contains("kind")) head += " " + h["kind"].get<std::string>();
  if (h.contains("qualified_name")) {
    head += " " + h["qualified_name"].get<std::string>();
  } else if (h.contains("name")) {
    head += " " + h["name"].get<std::string>();
  } else {
    head += " " + h.at("id").get<std::string>();
  }
  if (h.contains("path")) {
    head += " at " + h["path"].get<std::string>();
    if (h.contains("line")) head += fmt::format(":{}", h["line"].get<std::int64_t>());
  }
  head += fmt::format(" (score {:.3f})", h.at("score").get<double>());
  std::string body = h.contains("signature") ? h["signature"].get<std::string>() : h.at("text").get<std::string>();
  return head + "\n   " + body;
}

std::string render_search(const json& out) {
  const auto& results = out.at("results");
  std::string text;
  if (results.empty()) {
    text = fmt::format("No results for \"{}\".", out.at("query").get<std::string>());
  } else {
    text = fmt::format("{} result{} for \"{}\", best first:", results.size(), results.size() == 1 ? "" : "s",
                       out.at("query").get<std::string>());
    for (const auto& h : results) text += "\n" + render_hit(h);
  }
  for (const auto& note : out.at("notes")) text += "\nNote: " + note.get<std::string>();
  return text;
}

// count(*) of a table, or 0 when it does not exist yet (code tables appear with
// the first scrape). The same counts as `patina status`.
task<std::int64_t> count_rows(database& db, const std::string& table) {
  const std::vector<db::value> params{db::value{table}};
  auto exists = PATINA_AWAIT db.query("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1", params);
  if (domain::detail::count_from(exists) == 0) PATINA_RETURN 0;
  auto n = PATINA_AWAIT db.query("SELECT count(*) FROM " + table, {});
  PATINA_RETURN domain::detail::count_from(n);
}

}  // namespace

mcp_tools::mcp_tools(context& ctx, database& db)
    : ctx_(ctx),
      db_(db),
      embeddings_(db, *ctx.engine().engine),
      store_(db, &embeddings_),
      search_(db, *ctx.engine().engine) {}

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
  const auto scope = args.at("scope").get<std::string>();
  const auto limit = args.at("limit").get<std::size_t>();
  std::optional<domain::observation_type> type;
  if (args.contains("observation_type")) {
    type = domain::parse_observation_type(args["observation_type"].get<std::string>()).value();
    if (scope != "observations" && scope != "all") {
      PATINA_RETURN mcp::tool_result::error(
          fmt::format("observation_type filters observations, but scope is {}; use scope observations or all", scope));
    }
  }
  if (scope == "code" && !mcp_code_index_available) PATINA_RETURN mcp::tool_result::error(mcp_code_index_unavailable);

  json notes = json::array();
  std::vector<domain::search_hit> hits;
  if (type) {
    // A type filter names observations only: beliefs and code have no type.
    auto r = PATINA_AWAIT search_.search_observations(query, type, limit);
    hits = std::move(r);
  } else if (scope == "beliefs") {
    auto r = PATINA_AWAIT search_.search_beliefs(query, limit);
    hits = std::move(r);
  } else if (scope == "observations") {
    auto r = PATINA_AWAIT search_.search_observations(query, std::nullopt, limit);
    hits = std::move(r);
  } else if (scope == "all") {
    auto r = PATINA_AWAIT search_.search_knowledge(query, limit);
    hits = std::move(r);
  }

  json results = json::array();
  for (const auto& h : hits) results.push_back(hit_json(h));
  if ((scope == "code" || scope == "all") && !type) {
    if (mcp_code_index_available) {
      auto code = PATINA_AWAIT search_code(query, limit);
      for (auto& h : code) results.push_back(std::move(h));
    } else {
      notes.push_back("code was not searched: the code index is not available in this build of Patina yet");
    }
  }
  std::stable_sort(results.begin(), results.end(),
                   [](const json& a, const json& b) { return a.at("score").get<double>() > b.at("score").get<double>(); });
  if (results.size() > limit) results.erase(results.begin() + static_cast<std::ptrdiff_t>(limit), results.end());
  for (std::size_t i = 0; i < results.size(); ++i) results[i]["rank"] = i + 1;

  json out{{"query", query}, {"scope", scope}, {"results", std::move(results)}, {"notes", std::move(notes)}};
  auto text = render_search(out);
  PATINA_RETURN mcp::tool_result{std::move(text), std::move(out), false};
}

task<mcp::tool_result> mcp_tools::add_belief(json args) {
  auto b = PATINA_AWAIT store_.add_belief(args.at("statement").get<std::string>(), args.at("confidence").get<double>());
  auto text = fmt::format("Recorded belief {} (confidence {:.2f}): {}", b.id, b.confidence, b.statement);
  PATINA_RETURN mcp::tool_result{std::move(text), to_mcp_json(b), false};
}

task<mcp::tool_result> mcp_tools::add_observation(json args) {
  const auto type = domain::parse_observation_type(args.at("type").get<std::string>()).value();
  std::string source = args.contains("source") ? args["source"].get<std::string>() : std::string();
  auto o = PATINA_AWAIT store_.add_observation(args.at("content").get<std::string>(), type, std::move(source));
  auto text = fmt::format("Recorded observation {} ({}){}: {}", o.id, domain::to_string(o.type),
                          o.source.empty() ? std::string() : " from " + o.source, o.content);
  PATINA_RETURN mcp::tool_result{std::move(text), to_mcp_json(o), false};
}

task<mcp::tool_result> mcp_tools::status(json) {
  auto& selected = ctx_.engine();
  auto schema = PATINA_AWAIT db_.query("SELECT max(version) FROM patina_schema", {});
  const auto beliefs = PATINA_AWAIT count_rows(db_, "beliefs");
  const auto observations = PATINA_AWAIT count_rows(db_, "observations");
  const auto symbols = PATINA_AWAIT count_rows(db_, "symbols");
  const auto files = PATINA_AWAIT count_rows(db_, "files");
  const auto embedded = PATINA_AWAIT embeddings_.embedded_count();
  const auto dimension = PATINA_AWAIT db_.vector_dimension();
  auto stored_model = PATINA_AWAIT db_.query("SELECT value FROM patina_meta WHERE key = 'embedding_model'", {});
  const auto vectors_model = domain::detail::text_from(stored_model).value_or("");

  json warnings = json::array();
  if (!selected.warning.empty()) warnings.push_back(selected.warning);
  if (!vectors_model.empty() && vectors_model != selected.engine->model_id()) {
    warnings.push_back(fmt::format("the stored vectors were made by {}, the configured engine is {}", vectors_model,
                                   selected.engine->model_id()));
  }
  const auto path = ctx_.database_path().string();
  json out{{"backend", backend_name},
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
  auto text = fmt::format(
      "Patina database {} (backend {}, schema v{})\n"
      "beliefs: {}, observations: {}, files: {}, symbols: {}, embedded: {}\n"
      "embedding model: {} ({} dimensions)",
      path, backend_name, domain::detail::count_from(schema), beliefs, observations, files, symbols, embedded,
      selected.engine->model_id(), selected.engine->dimension());
  for (const auto& w : warnings) text += "\nwarning: " + w.get<std::string>();
  PATINA_RETURN mcp::tool_result{std::move(text), std::move(out), false};
}

// --- Code index: not wired yet (see the header) -------------------------------

// To wire: search the code index for `query` and return up to `limit` hits as
// JSON objects with the keys of the search output schema: "type": "symbol",
// "id", "score", "text", "why", "path", "line", "name", "qualified_name",
// "kind", "signature". Then set mcp_code_index_available to true.
task<json> mcp_tools::search_code(std::string query, std::size_t limit) {
  (void)query;
  (void)limit;
  throw exception(errc::unsupported, mcp_code_index_unavailable);
}

// To wire: look `name` up in the code index and return
// {"name": ..., "results": [...]} per the symbol output schema, with callers and
// callees when args["callers"] / args["callees"] are true; render each result
// with its path:line.
task<mcp::tool_result> mcp_tools::symbol(json args) {
  (void)args;
  PATINA_RETURN mcp::tool_result::error(mcp_code_index_unavailable);
}

}  // namespace patina::cli
