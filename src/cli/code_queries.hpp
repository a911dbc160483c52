// Code search and symbol lookup as `patina search`, `patina symbol` and the
// `search` and `symbol` tools of `patina mcp` share them: one way to build a
// search request, one search over the project's lexical sidecar and vectors,
// one symbol lookup, one JSON shape (DESIGN §10) and one text rendering.
//
// Thread safety: a code_searcher belongs to one thread (the I/O thread in the
// Turso build), where several searches may be in flight at once: they take
// turns, because the lexical index must not be refreshed by two searches at
// the same time (patina/domain/lexical_index.hpp). Everything else here is a
// value or a function of its arguments.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "context.hpp"
#include "patina/core/error.hpp"
#include "patina/domain/code_search.hpp"
#include "patina/domain/hybrid_hit.hpp"
#include "patina/domain/knowledge.hpp"
#include "patina/domain/lexical_index.hpp"
#include "patina/domain/lexical_store.hpp"
#include "patina/scrape/code_index.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/experimental/channel.hpp>
#endif

namespace patina::cli {

// How ids are written in JSON: numbers (the CLI, DESIGN §10) or decimal
// strings (MCP: ids have 63 bits, JavaScript numbers hold 53 exactly).
enum class id_format { number, text };

// The names the code filters accept: languages (`c`, `cpp`, `python`, …) and
// symbol kinds (`function`, `method`, `class`, …).
std::vector<std::string> code_language_names();
std::vector<std::string> code_kind_names();

// --- search --------------------------------------------------------------------

// A hybrid search of code (scope code) or of code and knowledge (scope all).
// Empty filter strings mean "any".
struct code_search_options {
  std::string query;
  domain::search_scope scope = domain::search_scope::all;
  std::size_t limit = 10;
  std::string language;
  std::string kind;
  std::string path_glob;
};

domain::search_request make_search_request(const code_search_options& options);

// The project's hybrid search: its lexical sidecar (local_index.hpp), kept open
// for the searcher's lifetime, and the vectors of the database.
class code_searcher {
 public:
  // Opens the sidecar of the context's database (a temporary one, with a
  // warning on stderr, when that file cannot be used). REQUIRES: ctx and db
  // outlive this object, and db's vectors belong to the context's engine.
  code_searcher(context& ctx, database& db);
  code_searcher(const code_searcher&) = delete;
  code_searcher& operator=(const code_searcher&) = delete;

  task<domain::hybrid_result> search(domain::search_request request);

 private:
  database& db_;
  domain::lexical_store store_;
  domain::LexicalIndex<database> lexical_;
  domain::CodeSearch<database> search_;
#if defined(PATINA_BACKEND_TURSO)
  // One token: a search holds it from start to end, the others wait in order.
  boost::asio::experimental::channel<void(boost::system::error_code)> turn_;
#endif
};

// What a result could not cover, for people: an empty code index, symbols
// found by their words only because they have no vector yet. Each note says
// what to run.
std::vector<std::string> code_search_notes(const domain::hybrid_result& result);

// One result in the `search --json` shape (DESIGN §10); rank is 1-based. Code
// results carry path, line, end_line, name, qualified_name, kind, language,
// signature and declaration; hybrid results also carry each signal's rank and
// score under "signals".
nlohmann::json hit_json(const domain::hybrid_hit& hit, std::size_t rank, id_format ids);
nlohmann::json hit_json(const domain::search_hit& hit, std::size_t rank, id_format ids);

// One result as text, each line ending in '\n':
//    1. src/net/upload.py:4  function  retry_upload
//       def retry_upload(request, attempts)
//       name matches "retry", "upload"; similar in meaning (0.41)
// `score` adds the score to the first line; `explain` adds a line with each
// signal's rank and score.
struct hit_rendering {
  bool score = false;
  bool explain = false;
};
std::string render_hit(const domain::hybrid_hit& hit, std::size_t rank, hit_rendering how);
std::string render_hit(const domain::search_hit& hit, std::size_t rank, hit_rendering how);

// --- symbol lookup ---------------------------------------------------------------

// One symbol found by name, with its callers and callees when they were asked
// for (nullopt otherwise).
struct symbol_entry {
  scrape::symbol_record symbol;
  std::optional<std::vector<scrape::call_record>> callers;
  std::optional<std::vector<scrape::call_record>> callees;
};

// The symbols whose name or qualified name is exactly `name` (at most 100),
// with callers and/or callees. Empty when there is none.
task<std::vector<symbol_entry>> look_up_symbols(database& db, std::string name, bool with_callers,
                                                bool with_callees);

// errc::not_found for a name that matched nothing, saying what to check.
error symbol_not_found(const std::string& name);

// One result in the `symbol --json` shape (DESIGN §10): id, name,
// qualified_name, kind, language, path, line, end_line, signature, doc,
// return_type, parameters, declaration, and "callers" / "callees" when they
// were looked up, each call {"name", "path", "line", "id"} plus
// "qualified_name" when the other end is known ("id" null when it is not).
nlohmann::json symbol_json(const symbol_entry& entry, id_format ids);

// One result as text, each line ending in '\n':
//   src/net/upload.py:4-8  function retry_upload  (python)
//     def retry_upload(request, attempts)
//     doc: Send the request again after a failure, waiting longer each time.
//     callers:
//       net.upload.send  src/net/upload.py:12
std::string render_symbol(const symbol_entry& entry);

}  // namespace patina::cli
