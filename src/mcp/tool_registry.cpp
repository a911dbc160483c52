#include "mcp/tool_registry.hpp"

#include <algorithm>
#include <cassert>

namespace patina::mcp {

using json = nlohmann::json;

bool has_structured_tools(std::string_view protocol_version) noexcept {
  // Versions are dates, so they compare in order as strings. Output schemas and
  // structuredContent arrived in 2025-06-18 (annotations one revision earlier,
  // but this server speaks no version in between).
  return protocol_version >= "2025-06-18";
}

void tool_registry::add(tool_definition tool) {
  assert(find(tool.name) == nullptr && "tool_registry::add: duplicate tool name");
  tools_.push_back(std::move(tool));
}

const tool_definition* tool_registry::find(std::string_view name) const noexcept {
  const auto it = std::find_if(tools_.begin(), tools_.end(), [&](const auto& t) { return t.name == name; });
  return it == tools_.end() ? nullptr : &*it;
}

json tool_registry::list(std::string_view protocol_version) const {
  const bool structured = has_structured_tools(protocol_version);
  json tools = json::array();
  for (const auto& t : tools_) {
    json entry{{"name", t.name}, {"description", t.description}, {"inputSchema", t.input_schema}};
    if (structured) {
      entry["title"] = t.title;
      if (!t.output_schema.is_null()) entry["outputSchema"] = t.output_schema;
      entry["annotations"] = json{{"title", t.title},
                                  {"readOnlyHint", t.hints.read_only},
                                  {"destructiveHint", t.hints.destructive},
                                  {"idempotentHint", t.hints.idempotent},
                                  {"openWorldHint", t.hints.open_world}};
    }
    tools.push_back(std::move(entry));
  }
  return json{{"tools", std::move(tools)}};
}

json to_json(const tool_result& result, std::string_view protocol_version) {
  json out{{"content", json::array({json{{"type", "text"}, {"text", result.text}}})}, {"isError", result.is_error}};
  if (has_structured_tools(protocol_version) && !result.is_error && !result.structured.is_null()) {
    out["structuredContent"] = result.structured;
  }
  return out;
}

}  // namespace patina::mcp
