#include "knowledge.hpp"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <iostream>

#include <fmt/format.h>

namespace patina::cli {

task<domain::vector_space> prepare_embeddings(context& ctx, embeddings_db& embeddings) {
  if (!ctx.engine().warning.empty()) std::cerr << "patina: warning: " << ctx.engine().warning << '\n';
  auto space = PATINA_AWAIT embeddings.adopt_model();
  if (!space.matches) std::cerr << "patina: note: " << vectors_elsewhere_note(space, embeddings.engine()) << '\n';
  PATINA_RETURN space;
}

std::string vectors_elsewhere_note(const domain::vector_space& space, const embed::embedding_engine& engine) {
  return fmt::format("the stored vectors were made by {} ({} dimensions), not by the engine in use, {} ({} "
                     "dimensions); they are kept but not used: search ranks by words only, and new beliefs and "
                     "observations get no vector. Run `patina embeddings generate` to embed everything with {}, "
                     "or restore the embedding configuration that made them (and restart `patina mcp` after "
                     "changing it)",
                     space.model.empty() ? "an unknown model" : space.model, space.dimension, engine.model_id(),
                     engine.dimension(), engine.model_id());
}

task<std::vector<domain::search_hit>> lexical_knowledge_search(code_searcher& searcher, std::string query,
                                                               domain::item_type type,
                                                               std::optional<domain::observation_type> obs_type,
                                                               std::size_t limit) {
  // Beliefs and observations are ranked together; ask for enough results that
  // the items of the wanted type are not crowded out by the other.
  constexpr std::size_t enough = 1000;
  domain::search_request request;
  request.query = std::move(query);
  request.scope = domain::search_scope::knowledge;
  request.limit = std::max(limit, enough);
  request.signals = domain::search_signals::lexical;
  auto found = PATINA_AWAIT searcher.search(std::move(request));
  std::vector<domain::search_hit> hits;
  for (auto& h : found.hits) {
    if (h.type != type || (obs_type && h.obs_type != obs_type)) continue;
    hits.push_back(domain::search_hit{h.type, h.id, h.score, std::move(h.text), std::move(h.why), h.obs_type});
    if (hits.size() == limit) break;
  }
  PATINA_RETURN hits;
}

nlohmann::json to_json(const domain::belief& b) {
  return {{"id", b.id},           {"statement", b.statement},   {"confidence", b.confidence},
          {"active", b.active},   {"created_at", b.created_at}, {"updated_at", b.updated_at}};
}

nlohmann::json to_json(const domain::observation& o) {
  return {{"id", o.id},
          {"content", o.content},
          {"type", std::string(domain::to_string(o.type))},
          {"source", o.source},
          {"created_at", o.created_at},
          {"updated_at", o.updated_at}};
}

std::string format_time(std::int64_t unix_ms) {
  const std::time_t t = static_cast<std::time_t>(unix_ms / 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M", &tm);
  return buf;
}

std::int64_t parse_id(const std::string& text, const char* what) {
  std::int64_t id = 0;
  const auto* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, id);
  if (ec != std::errc{} || ptr != end || id <= 0) {
    throw exception(errc::invalid_argument,
                    fmt::format("'{}' is not a {} id; ids are positive integers, as `patina {} list` shows them", text,
                                what, std::string_view(what) == "belief" ? "belief" : "observe"));
  }
  return id;
}

}  // namespace patina::cli
