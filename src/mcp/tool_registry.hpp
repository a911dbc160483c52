// mcp/tool_registry.hpp — the tools a server offers: their names, descriptions
// and JSON Schemas, how tools/list presents them, and how a tool's result is
// written for each protocol version.
//
// Protocol versions differ here: 2025-06-18 has tool titles, annotations, output
// schemas and `structuredContent`; 2024-11-05 has none of them, so for it the
// listing carries name, description and inputSchema only, and a result carries
// its text content only.
//
// Thread safety: values; a registry is filled once, then only read (reads from
// several threads are safe).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace patina::mcp {

// Hints for clients (MCP 2025-06-18 "ToolAnnotations"); never a security boundary.
struct tool_hints {
  bool read_only = false;    // does not modify its environment
  bool destructive = false;  // may delete or overwrite (meaningful when !read_only)
  bool idempotent = false;   // calling again with the same arguments has no further effect
  bool open_world = false;   // reaches outside the server (network, other systems)
};

struct tool_definition {
  std::string name;         // unique, [a-z_]+
  std::string title;        // for people, e.g. "Search Patina"
  std::string description;  // for the model: what it does, when to use it
  nlohmann::json input_schema;   // a JSON Schema of "type": "object"
  nlohmann::json output_schema;  // a JSON Schema of "type": "object", or null for none
  tool_hints hints;
};

// What a tool call produced. `text` is always sent (a readable rendering for the
// model); `structured` is sent as structuredContent when the protocol version has
// it and the result is not an error. REQUIRES: a tool with an output schema
// returns, on success, a `structured` object that conforms to it.
struct tool_result {
  std::string text;
  nlohmann::json structured;  // an object, or null
  bool is_error = false;

  static tool_result error(std::string text) { return tool_result{std::move(text), nullptr, true}; }
};

class tool_registry {
 public:
  // REQUIRES: no tool of the same name was added before.
  void add(tool_definition tool);

  // The tool of that name, or nullptr.
  const tool_definition* find(std::string_view name) const noexcept;
  const std::vector<tool_definition>& tools() const noexcept { return tools_; }

  // The result of tools/list for the given protocol version ({"tools": [...]};
  // everything fits in one page, so there is never a nextCursor).
  nlohmann::json list(std::string_view protocol_version) const;

 private:
  std::vector<tool_definition> tools_;
};

// The result of tools/call for the given protocol version.
nlohmann::json to_json(const tool_result& result, std::string_view protocol_version);

// True when the version has titles, annotations, output schemas and structured content.
bool has_structured_tools(std::string_view protocol_version) noexcept;

}  // namespace patina::mcp
