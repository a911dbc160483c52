#include "tool_definitions.hpp"

#include <utility>

#include <nlohmann/json.hpp>

#include "patina/backend.hpp"

namespace patina::cli {

namespace {

using json = nlohmann::json;

// Schemas are written as JSON text: it reads like the documentation (docs/mcp.md)
// and like what tools/list sends. The unit tests parse and check every one.

// Ids are 63-bit integers; JavaScript numbers hold 53 bits exactly, so ids travel
// as decimal strings.
constexpr const char* search_input = R"json({
  "type": "object",
  "properties": {
    "query": {"type": "string", "minLength": 1,
              "description": "What to look for, in your own words: a question, a description or a name"},
    "scope": {"type": "string", "enum": ["all", "code", "beliefs", "observations"], "default": "all",
              "description": "Where to search: code symbols, beliefs, observations, or all of them"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10,
              "description": "Largest number of results"},
    "observation_type": {"type": "string", "enum": ["pattern", "decision", "challenge", "technology", "note"],
                         "description": "Only observations of this type (scope observations or all)"},
    "language": {"type": "string", "description": "Only code in this language, e.g. cpp or python (scope code or all)"},
    "kind": {"type": "string", "description": "Only symbols of this kind, e.g. function, method or class (scope code or all)"},
    "path": {"type": "string", "minLength": 1,
             "description": "Only code whose path, relative to the project root, matches this glob; * also matches /, e.g. src/net/* (scope code or all)"}
  },
  "required": ["query"],
  "additionalProperties": false
})json";

constexpr const char* search_output = R"json({
  "type": "object",
  "properties": {
    "query": {"type": "string"},
    "scope": {"type": "string", "enum": ["all", "code", "beliefs", "observations"]},
    "results": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "rank": {"type": "integer", "minimum": 1},
          "type": {"type": "string", "enum": ["symbol", "belief", "observation"]},
          "id": {"type": "string", "description": "Decimal id"},
          "score": {"type": "number", "description": "Higher is better: cosine similarity for scopes beliefs and observations, the fused rank score of meaning and words for code and all"},
          "text": {"type": "string"},
          "why": {"type": "string", "description": "Why it matched"},
          "observation_type": {"type": "string", "enum": ["pattern", "decision", "challenge", "technology", "note"]},
          "source": {"type": "string"},
          "path": {"type": "string", "description": "Code: file, relative to the project root"},
          "line": {"type": "integer", "description": "Code: 1-based first line"},
          "end_line": {"type": "integer"},
          "name": {"type": "string"},
          "qualified_name": {"type": "string"},
          "kind": {"type": "string"},
          "language": {"type": "string"},
          "signature": {"type": "string"},
          "declaration": {"type": "boolean", "description": "Code: a declaration (prototype) rather than a definition"},
          "signals": {"type": "object", "description": "Scopes code and all: each signal's rank and score, null when it did not find the result",
                      "properties": {"vector": {"type": ["object", "null"]}, "lexical": {"type": ["object", "null"]}}}
        },
        "required": ["rank", "type", "id", "score", "text", "why"]
      }
    },
    "notes": {"type": "array", "items": {"type": "string"},
              "description": "What was not searched, and why"}
  },
  "required": ["query", "scope", "results", "notes"]
})json";

constexpr const char* add_belief_input = R"json({
  "type": "object",
  "properties": {
    "statement": {"type": "string", "minLength": 1,
                  "description": "What the team holds to be true, in one sentence"},
    "confidence": {"type": "number", "minimum": 0, "maximum": 1, "default": 1,
                   "description": "How sure the team is, from 0 to 1"}
  },
  "required": ["statement"],
  "additionalProperties": false
})json";

constexpr const char* belief_output = R"json({
  "type": "object",
  "properties": {
    "id": {"type": "string", "description": "Decimal id"},
    "statement": {"type": "string"},
    "confidence": {"type": "number"},
    "active": {"type": "boolean"},
    "created_at": {"type": "integer", "description": "Unix milliseconds"},
    "updated_at": {"type": "integer", "description": "Unix milliseconds"},
    "embedded": {"type": "boolean", "description": "false: stored without a vector (see note)"},
    "note": {"type": "string", "description": "Why it has no vector and what fixes it"}
  },
  "required": ["id", "statement", "confidence", "active", "created_at", "updated_at"]
})json";

constexpr const char* add_observation_input = R"json({
  "type": "object",
  "properties": {
    "content": {"type": "string", "minLength": 1, "description": "What was observed"},
    "type": {"type": "string", "enum": ["pattern", "decision", "challenge", "technology", "note"],
             "description": "pattern (how the code does things), decision (a choice and its reason), challenge (a difficulty met), technology (a tool or library in use), note (anything else)"},
    "source": {"type": "string", "description": "Where it came from: a file, a session, a person"}
  },
  "required": ["content", "type"],
  "additionalProperties": false
})json";

constexpr const char* observation_output = R"json({
  "type": "object",
  "properties": {
    "id": {"type": "string", "description": "Decimal id"},
    "content": {"type": "string"},
    "type": {"type": "string", "enum": ["pattern", "decision", "challenge", "technology", "note"]},
    "source": {"type": "string"},
    "created_at": {"type": "integer", "description": "Unix milliseconds"},
    "updated_at": {"type": "integer", "description": "Unix milliseconds"},
    "embedded": {"type": "boolean", "description": "false: stored without a vector (see note)"},
    "note": {"type": "string", "description": "Why it has no vector and what fixes it"}
  },
  "required": ["id", "content", "type", "source", "created_at", "updated_at"]
})json";

constexpr const char* status_input = R"json({
  "type": "object",
  "properties": {},
  "additionalProperties": false
})json";

// The same keys as `patina status --json`.
constexpr const char* status_output = R"json({
  "type": "object",
  "properties": {
    "backend": {"type": "string", "enum": ["turso", "sqlite"]},
    "database": {"type": "string"},
    "schema_version": {"type": "integer"},
    "beliefs": {"type": "integer"},
    "observations": {"type": "integer"},
    "symbols": {"type": "integer"},
    "files": {"type": "integer"},
    "embedded": {"type": "integer"},
    "vector_dimension": {"type": "integer"},
    "model": {"type": "object",
              "properties": {"id": {"type": "string"}, "dimension": {"type": "integer"}},
              "required": ["id", "dimension"]},
    "warnings": {"type": "array", "items": {"type": "string"}}
  },
  "required": ["backend", "database", "schema_version", "beliefs", "observations", "symbols", "files",
               "embedded", "vector_dimension", "model", "warnings"]
})json";

constexpr const char* symbol_input = R"json({
  "type": "object",
  "properties": {
    "name": {"type": "string", "minLength": 1,
             "description": "A symbol's name or qualified name, e.g. upload or net::Uploader::upload"},
    "callers": {"type": "boolean", "default": false, "description": "Also list the places that call it"},
    "callees": {"type": "boolean", "default": false, "description": "Also list what it calls"}
  },
  "required": ["name"],
  "additionalProperties": false
})json";

constexpr const char* symbol_output = R"json({
  "type": "object",
  "properties": {
    "name": {"type": "string"},
    "results": {
      "type": "array",
      "items": {
        "type": "object",
        "properties": {
          "id": {"type": "string", "description": "Decimal id"},
          "name": {"type": "string"},
          "qualified_name": {"type": "string"},
          "kind": {"type": "string"},
          "language": {"type": "string"},
          "path": {"type": "string", "description": "Relative to the project root"},
          "line": {"type": "integer", "description": "1-based first line"},
          "end_line": {"type": "integer"},
          "signature": {"type": "string"},
          "doc": {"type": "string"},
          "callers": {"type": "array", "items": {
                       "type": "object",
                       "properties": {
                         "id": {"type": ["string", "null"], "description": "The caller's decimal id"},
                         "name": {"type": "string", "description": "The caller's qualified name"},
                         "qualified_name": {"type": "string"},
                         "path": {"type": "string"},
                         "line": {"type": "integer", "description": "The line of the call"}
                       },
                       "required": ["name"]}},
          "callees": {"type": "array", "items": {
                       "type": "object",
                       "properties": {
                         "id": {"type": ["string", "null"], "description": "The callee's decimal id, null when the name did not resolve to one symbol"},
                         "name": {"type": "string", "description": "The callee as written at the call"},
                         "qualified_name": {"type": "string", "description": "When resolved"},
                         "path": {"type": "string", "description": "Where the callee is defined"},
                         "line": {"type": "integer", "description": "The first line of the callee's definition"}
                       },
                       "required": ["name"]}}
        },
        "required": ["id", "name", "qualified_name", "kind", "language", "path", "line", "end_line"]
      }
    }
  },
  "required": ["name", "results"]
})json";

mcp::tool_definition make(const char* name, const char* title, const char* description, const char* input,
                          const char* output, mcp::tool_hints hints) {
  return mcp::tool_definition{name, title, description, json::parse(input), json::parse(output), hints};
}

}  // namespace

mcp::tool_registry mcp_tool_definitions(const mcp_code_filter_values& filters) {
  mcp::tool_registry tools;
  auto search = make("search", "Search Patina",
                     "Finds the project's code symbols (functions, classes, methods...) and its recorded knowledge "
                     "(beliefs and observations) by meaning and by words. Use it before answering questions about "
                     "how this project works, where something is done or why it is built the way it is, and before "
                     "recording something, to avoid duplicates. Results are best first, with ids, scores, a reason "
                     "and, for code, path:line, kind, qualified name and signature.",
                     search_input, search_output, mcp::tool_hints{true, false, true, false});
  auto& properties = search.input_schema["properties"];
  if (!filters.languages.empty()) properties["language"]["enum"] = filters.languages;
  if (!filters.kinds.empty()) properties["kind"]["enum"] = filters.kinds;
  tools.add(std::move(search));
  tools.add(make("add_belief", "Record a belief",
                 "Records a belief: something the team holds to be true about this project (a rule, an invariant, "
                 "a convention), with a confidence from 0 to 1. Returns the new belief and its id.",
                 add_belief_input, belief_output, mcp::tool_hints{false, false, false, false}));
  tools.add(make("add_observation", "Record an observation",
                 "Records an observation made while working: a pattern in the code, a decision and its reason, a "
                 "challenge met, a technology in use, or a note. Returns the new observation and its id.",
                 add_observation_input, observation_output, mcp::tool_hints{false, false, false, false}));
  tools.add(make("status", "Patina status",
                 "Reports the Patina database this server uses: backend, path, counts of beliefs, observations, "
                 "files, symbols and embedded items, and the embedding model.",
                 status_input, status_output, mcp::tool_hints{true, false, true, false}));
  tools.add(make("symbol", "Look up a code symbol",
                 "Looks up a code symbol (function, class, method...) by its name, qualified name or a tail of it "
                 "(`Class.method`, `Type::f`): where it "
                 "is defined (path:line), its signature and documentation, and optionally its callers and callees. "
                 "Use search first when you do not know the name.",
                 symbol_input, symbol_output, mcp::tool_hints{true, false, true, false}));
  return tools;
}

mcp::server_info mcp_server_info() {
  return mcp::server_info{
      "patina", version_string, "Patina",
      "Patina holds this project's development knowledge: beliefs (what the team holds true), observations "
      "(patterns, decisions, challenges, technologies, notes) and the code symbols of the project (after "
      "`patina scrape`). Search it before answering questions about the project, look symbols up to see "
      "their definition, callers and callees, and record new beliefs and observations when you learn "
      "something worth keeping."};
}

}  // namespace patina::cli
