// The tools of `patina mcp`, run against this build's database: one function per
// tool (see tool_definitions.cpp for their schemas). Written once for both
// builds with the CLI's task<T> / PATINA_AWAIT (maybe_async.hpp).
//
// Failures: an expected failure (bad input the schema cannot express, a symbol
// that is not in the code index) is a tool result with isError, so
// the model can read it and correct itself. Anything else — errc::internal, a
// std::exception that is not a patina::exception — propagates, and the server
// answers -32603.
//
// Thread safety: one I/O thread. In the Turso build several calls may be in
// flight at once on that thread; each reads its arguments by value, the
// database it shares is safe for concurrent operations, and code searches take
// turns on the one lexical index (code_searcher).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "../code_queries.hpp"
#include "../knowledge.hpp"
#include "mcp/session.hpp"
#include "mcp/tool_registry.hpp"

namespace patina::cli {

class mcp_tools {
 public:
  // REQUIRES: ctx and db outlive this object, and prepare_embeddings has run.
  // The vectors may belong to another model (then, or later: another process
  // may switch them): each call checks, searches by words only and adds items
  // without a vector, and says so in its result.
  mcp_tools(context& ctx, database& db);

  // The definitions of the tools run here (tool_definitions.hpp), with the
  // languages and kinds of the code index as the search filters' values.
  static mcp::tool_registry definitions();

  // Runs one tool call that the session has checked against its input schema
  // (defaults filled in).
  task<mcp::tool_result> call(mcp::tool_call call);

 private:
  task<mcp::tool_result> run(const std::string& tool, nlohmann::json args);

  task<mcp::tool_result> search(nlohmann::json args);
  task<mcp::tool_result> add_belief(nlohmann::json args);
  task<mcp::tool_result> add_observation(nlohmann::json args);
  task<mcp::tool_result> status(nlohmann::json args);
  // Empty when new items get a vector; else why not and what to do.
  task<std::string> embedding_note();
  task<mcp::tool_result> symbol(nlohmann::json args);

  context& ctx_;
  database& db_;
  embeddings_db embeddings_;
  knowledge_store store_;
  semantic_search search_;
  code_searcher code_;
};

}  // namespace patina::cli
