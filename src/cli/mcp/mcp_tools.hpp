// The tools of `patina mcp`, run against this build's database: one function per
// tool (see tool_definitions.cpp for their schemas). Written once for both
// builds with the CLI's task<T> / PATINA_AWAIT (maybe_async.hpp).
//
// Failures: an expected failure (bad input the schema cannot express, a missing
// item, the code index not being available) is a tool result with isError, so
// the model can read it and correct itself. Anything else — errc::internal, a
// std::exception that is not a patina::exception — propagates, and the server
// answers -32603.
//
// Thread safety: one I/O thread. In the Turso build several calls may be in
// flight at once on that thread; each reads its arguments by value, and the
// database it shares is safe for concurrent operations.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "../knowledge.hpp"
#include "mcp/session.hpp"
#include "mcp/tool_registry.hpp"

namespace patina::cli {

class mcp_tools {
 public:
  // REQUIRES: ctx and db outlive this object, and the database's vectors belong
  // to the configured engine (prepare_embeddings has run).
  mcp_tools(context& ctx, database& db);

  // Runs one tool call that the session has checked against its input schema
  // (defaults filled in).
  task<mcp::tool_result> call(mcp::tool_call call);

 private:
  task<mcp::tool_result> run(const std::string& tool, nlohmann::json args);

  task<mcp::tool_result> search(nlohmann::json args);
  task<mcp::tool_result> add_belief(nlohmann::json args);
  task<mcp::tool_result> add_observation(nlohmann::json args);
  task<mcp::tool_result> status(nlohmann::json args);

  // --- Code index: not wired yet ----------------------------------------------
  // The code index (`patina scrape`) is being built separately. Until it lands,
  // these two return a tool error; wiring them means replacing their bodies (the
  // schemas and the rendering of code hits, with path:line, are final).
  task<nlohmann::json> search_code(std::string query, std::size_t limit);
  task<mcp::tool_result> symbol(nlohmann::json args);

  context& ctx_;
  database& db_;
  embeddings_db embeddings_;
  knowledge_store store_;
  semantic_search search_;
};

// True when this build has the code index, so search scope "code" and the
// symbol tool work.
inline constexpr bool mcp_code_index_available = false;

// The message of the tool error that scope "code" and `symbol` return.
inline constexpr const char* mcp_code_index_unavailable =
    "the code index is not available in this build of Patina yet (`patina scrape` has not landed); code search "
    "and symbol lookup will work once it does. Search beliefs and observations instead (scope beliefs, "
    "observations or all)";

}  // namespace patina::cli
