// The tools `patina mcp` offers — names, descriptions and JSON Schemas of their
// input and output. Backend-neutral; mcp_tools.hpp runs them.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "mcp/session.hpp"
#include "mcp/tool_registry.hpp"

namespace patina::cli {

// Values of the search tool's "scope".
inline constexpr std::array<std::string_view, 4> mcp_search_scopes{"all", "code", "beliefs", "observations"};
// Largest "limit" of the search tool: results go into the model's context.
inline constexpr int mcp_max_search_limit = 100;

// The values the search tool's code filters accept, which come from the code
// index's languages and symbol kinds (code_queries.hpp). A list left empty
// leaves its filter a free string; the search then simply matches nothing.
struct mcp_code_filter_values {
  std::vector<std::string> languages;
  std::vector<std::string> kinds;
};

// search, add_belief, add_observation, status, symbol — in that order.
mcp::tool_registry mcp_tool_definitions(const mcp_code_filter_values& filters = {});

// Name, version and the instructions sent to the model at initialize.
mcp::server_info mcp_server_info();

}  // namespace patina::cli
