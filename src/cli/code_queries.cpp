#include "code_queries.hpp"

#include <cmath>
#include <utility>

#include <fmt/format.h>

#include "local_index.hpp"
#include "patina/scrape/database.hpp"
#include "patina/scrape/language.hpp"
#include "patina/scrape/symbol.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/use_awaitable.hpp>
#endif

namespace patina::cli {

namespace {

using json = nlohmann::json;

json id_json(std::int64_t id, id_format ids) {
  if (ids == id_format::text) return std::to_string(id);
  return id;
}

// JSON has no NaN or infinity; a score that is not finite means "no evidence".
double finite(double score) { return std::isfinite(score) ? score : 0.0; }

std::string first_line(const std::string& text, std::size_t max = 120) {
  auto line = text.substr(0, text.find('\n'));
  if (line.size() > max) line = line.substr(0, max - 3) + "...";
  return line;
}

json signal_json(const std::optional<domain::signal_rank>& s) {
  if (!s) return nullptr;
  return {{"rank", s->rank}, {"score", finite(s->score)}};
}

std::string explain_line(const domain::hybrid_hit& h) {
  auto part = [](const char* name, const std::optional<domain::signal_rank>& s, const char* score_name) {
    if (!s) return fmt::format("{} -", name);
    return fmt::format("{} #{} ({} {:.3f})", name, s->rank, score_name, s->score);
  };
  return fmt::format("{}  {}  fused {:.4f}", part("vector", h.vector, "cosine"), part("lexical", h.lexical, "bm25"),
                     h.score);
}

std::string knowledge_type(domain::item_type type, const std::optional<domain::observation_type>& obs) {
  std::string out(domain::to_string(type));
  if (obs) out += fmt::format(" ({})", domain::to_string(*obs));
  return out;
}

json calls_json(const std::vector<scrape::call_record>& calls, id_format ids) {
  json out = json::array();
  for (const auto& c : calls) {
    json j{{"name", c.name}, {"path", c.path}, {"line", c.line}};
    if (c.symbol_id != 0) {
      j["id"] = id_json(c.symbol_id, ids);
      j["qualified_name"] = c.qualified_name;
    } else {
      j["id"] = nullptr;
    }
    out.push_back(std::move(j));
  }
  return out;
}

std::string render_calls(const char* title, const std::vector<scrape::call_record>& calls) {
  std::string out = fmt::format("  {}:{}\n", title, calls.empty() ? " none" : "");
  for (const auto& c : calls) {
    if (c.symbol_id != 0) {
      out += fmt::format("    {}  {}:{}\n", c.qualified_name, c.path, c.line);
    } else {
      out += fmt::format("    {}  (unresolved, line {})\n", c.name, c.line);
    }
  }
  return out;
}

}  // namespace

std::vector<std::string> code_language_names() {
  std::vector<std::string> out;
  for (auto l : scrape::all_languages) out.emplace_back(scrape::to_string(l));
  return out;
}

std::vector<std::string> code_kind_names() {
  std::vector<std::string> out;
  for (int k = 0; k <= static_cast<int>(scrape::symbol_kind::enum_member); ++k) {
    out.emplace_back(scrape::to_string(static_cast<scrape::symbol_kind>(k)));
  }
  return out;
}

// --- search --------------------------------------------------------------------

domain::search_request make_search_request(const code_search_options& options) {
  domain::search_request request;
  request.query = options.query;
  request.scope = options.scope;
  request.limit = options.limit;
  if (!options.language.empty()) request.filter.language = options.language;
  if (!options.kind.empty()) request.filter.kind = options.kind;
  if (!options.path_glob.empty()) request.filter.path_glob = options.path_glob;
  return request;
}

code_searcher::code_searcher(context& ctx, database& db)
    : db_(db),
      store_(open_local_index(ctx, search_index_wait)),
      lexical_(db_, store_),
      search_(db_, *ctx.engine().engine, lexical_)
#if defined(PATINA_BACKEND_TURSO)
      ,
      turn_(ctx.executor(), 1)
#endif
{
}

task<domain::hybrid_result> code_searcher::search(domain::search_request request) {
#if defined(PATINA_BACKEND_TURSO)
  // Sending fills the channel's one slot, or waits (in order) until the search
  // holding it takes its token back out.
  const boost::system::error_code no_error;
  co_await turn_.async_send(no_error, boost::asio::use_awaitable);
  struct give_back {
    decltype(turn_)& turn;
    ~give_back() { turn.try_receive([](boost::system::error_code) {}); }
  };
  const give_back done{turn_};
  auto result = co_await search_.search(std::move(request));
  co_return result;
#else
  return search_.search(request);
#endif
}

std::vector<std::string> code_search_notes(const domain::hybrid_result& result) {
  std::vector<std::string> notes;
  if (result.symbols == 0) {
    notes.emplace_back("the code index is empty, so no code was searched; run `patina scrape` to index the "
                       "project's code");
  } else if (result.symbols_without_vectors > 0) {
    notes.push_back(fmt::format("{} of {} code symbols have no vector yet, so they are found by their words only; "
                                "run `patina embeddings generate`",
                                result.symbols_without_vectors, result.symbols));
  }
  if (result.lexical_stale) {
    notes.emplace_back("another patina command is updating the lexical index (a scrape?), so the search used it "
                       "as it was; results may miss the newest changes");
  }
  return notes;
}

namespace {

// The keys every result has, hybrid or knowledge-only.
template <class Hit>
json common_hit_json(const Hit& h, std::size_t rank, id_format ids) {
  json j{{"rank", rank},
         {"type", std::string(domain::to_string(h.type))},
         {"id", id_json(h.id, ids)},
         {"score", finite(h.score)},
         {"text", h.text},
         {"why", h.why}};
  return j;
}

}  // namespace

json hit_json(const domain::hybrid_hit& h, std::size_t rank, id_format ids) {
  json j = common_hit_json(h, rank, ids);
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

json hit_json(const domain::search_hit& h, std::size_t rank, id_format ids) {
  json j = common_hit_json(h, rank, ids);
  if (h.obs_type) j["observation_type"] = std::string(domain::to_string(*h.obs_type));
  return j;
}

std::string render_hit(const domain::hybrid_hit& h, std::size_t rank, hit_rendering how) {
  const auto score = how.score ? fmt::format("  (score {:.3f})", finite(h.score)) : std::string();
  std::string out;
  if (h.type == domain::item_type::symbol) {
    out = fmt::format("{:>2}. {}:{}  {}  {}{}\n", rank, h.path, h.line, h.kind, h.qualified_name, score);
    if (!h.signature.empty()) out += "    " + first_line(h.signature) + '\n';
  } else {
    out = fmt::format("{:>2}. {} {}  {}{}\n", rank, knowledge_type(h.type, h.obs_type), h.id, first_line(h.text),
                      score);
  }
  out += "    " + h.why + '\n';
  if (how.explain) out += "    " + explain_line(h) + '\n';
  return out;
}

std::string render_hit(const domain::search_hit& h, std::size_t rank, hit_rendering how) {
  const auto score = how.score ? fmt::format("  (score {:.3f})", finite(h.score)) : std::string();
  return fmt::format("{:>2}. {} {}  {}{}\n    {}\n", rank, knowledge_type(h.type, h.obs_type), h.id,
                     first_line(h.text), score, h.why);
}

// --- symbol lookup ---------------------------------------------------------------

task<std::vector<symbol_entry>> look_up_symbols(database& db, std::string name, bool with_callers,
                                                bool with_callees) {
  scrape::Database<database> code(db);
  auto found = PATINA_AWAIT code.find_symbols(name);
  std::vector<symbol_entry> entries;
  entries.reserve(found.size());
  for (auto& s : found) {
    symbol_entry e;
    e.symbol = std::move(s);
    if (with_callers) {
      auto c = PATINA_AWAIT code.callers(e.symbol.id);
      e.callers = std::move(c);
    }
    if (with_callees) {
      auto c = PATINA_AWAIT code.callees(e.symbol.id);
      e.callees = std::move(c);
    }
    entries.push_back(std::move(e));
  }
  PATINA_RETURN entries;
}

error symbol_not_found(const std::string& name) {
  return error{errc::not_found,
               fmt::format("no symbol named '{}' in the code index; check the spelling (a name, a qualified "
                           "name or its tail: `draw`, `ns::Widget::draw`, `Widget::draw`) or run `patina scrape` first",
                           name),
               {}};
}

json symbol_json(const symbol_entry& e, id_format ids) {
  const auto& s = e.symbol;
  json parameters = json::array();
  if (!s.parameters.empty()) {
    parameters = json::parse(s.parameters, nullptr, false);
    if (parameters.is_discarded()) parameters = json::array();
  }
  json j{{"id", id_json(s.id, ids)},
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
         {"parameters", std::move(parameters)},
         {"declaration", (s.flags & scrape::flag_declaration) != 0}};
  if (e.callers) j["callers"] = calls_json(*e.callers, ids);
  if (e.callees) j["callees"] = calls_json(*e.callees, ids);
  return j;
}

std::string render_symbol(const symbol_entry& e) {
  const auto& s = e.symbol;
  std::string out =
      fmt::format("{}:{}-{}  {} {}  ({})\n", s.path, s.start_line, s.end_line, s.kind, s.qualified_name, s.language);
  if (!s.signature.empty()) out += "  " + s.signature + '\n';
  if (!s.doc.empty()) out += "  doc: " + s.doc.substr(0, s.doc.find('\n')) + '\n';
  if (e.callers) out += render_calls("callers", *e.callers);
  if (e.callees) out += render_calls("callees", *e.callees);
  return out;
}

}  // namespace patina::cli
