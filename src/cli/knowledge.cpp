#include "knowledge.hpp"

#include <charconv>
#include <ctime>
#include <iostream>

#include <fmt/format.h>

namespace patina::cli {

task<void> prepare_embeddings(context& ctx, embeddings_db& embeddings) {
  auto state = PATINA_AWAIT embeddings.ensure_model();
  if (state.changed && !state.previous_model.empty()) {
    std::cerr << fmt::format("patina: note: the embedding model changed ({} -> {}); re-embedding knowledge items\n",
                             state.previous_model, embeddings.engine().model_id());
    // Only the few knowledge items here; symbols can be many, and
    // `patina embeddings generate` embeds them with a progress display.
    domain::generate_options knowledge_only;
    knowledge_only.symbols = false;
    auto n = PATINA_AWAIT embeddings.generate_missing(knowledge_only);
    std::cerr << fmt::format("patina: note: re-embedded {} item(s); run `patina embeddings generate` to embed "
                             "code symbols again\n",
                             n);
  }
  if (!ctx.engine().warning.empty()) std::cerr << "patina: warning: " << ctx.engine().warning << '\n';
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
