// The tools `patina mcp` offers: the list is final (code search and symbol are
// registered before the code index lands), every schema uses only keywords the
// argument checker understands, and defaults conform to their own schemas.
#include "tool_definitions.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "mcp/json_schema.hpp"

using nlohmann::json;

namespace {

// Every keyword of a schema and of its subschemas (properties, items,
// additionalProperties), with where it was found.
void collect_keywords(const json& schema, const std::string& where, std::vector<std::string>& unknown) {
  if (!schema.is_object()) return;
  for (const auto& [key, value] : schema.items()) {
    if (!patina::mcp::is_known_schema_keyword(key)) unknown.push_back(where + "/" + key);
  }
  if (const auto p = schema.find("properties"); p != schema.end()) {
    for (const auto& [name, sub] : p->items()) collect_keywords(sub, where + "/properties/" + name, unknown);
  }
  if (const auto i = schema.find("items"); i != schema.end()) collect_keywords(*i, where + "/items", unknown);
  if (const auto a = schema.find("additionalProperties"); a != schema.end()) {
    collect_keywords(*a, where + "/additionalProperties", unknown);
  }
}

}  // namespace

TEST(mcp_tool_definitions, the_five_tools_in_order) {
  const auto tools = patina::cli::mcp_tool_definitions();
  std::vector<std::string> names;
  for (const auto& t : tools.tools()) names.push_back(t.name);
  EXPECT_EQ(names, (std::vector<std::string>{"search", "add_belief", "add_observation", "status", "symbol"}));
}

TEST(mcp_tool_definitions, schemas_use_only_understood_keywords) {
  const auto tools = patina::cli::mcp_tool_definitions();
  for (const auto& t : tools.tools()) {
    std::vector<std::string> unknown;
    collect_keywords(t.input_schema, t.name + ":input", unknown);
    collect_keywords(t.output_schema, t.name + ":output", unknown);
    EXPECT_TRUE(unknown.empty()) << ::testing::PrintToString(unknown);
  }
}

TEST(mcp_tool_definitions, input_schemas_are_closed_objects_with_known_required_properties) {
  const auto tools = patina::cli::mcp_tool_definitions();
  for (const auto& t : tools.tools()) {
    SCOPED_TRACE(t.name);
    EXPECT_EQ(t.input_schema["type"], "object");
    EXPECT_EQ(t.input_schema["additionalProperties"], false);
    for (const auto& r : t.input_schema.value("required", json::array())) {
      EXPECT_TRUE(t.input_schema["properties"].contains(r.get<std::string>())) << r;
    }
    for (const auto& [name, sub] : t.input_schema["properties"].items()) {
      EXPECT_TRUE(sub.contains("description")) << name;
      if (sub.contains("default")) {
        EXPECT_FALSE(patina::mcp::validate(sub, sub["default"]).has_value()) << name;
      }
    }
    EXPECT_TRUE(t.output_schema.is_object());
    EXPECT_EQ(t.output_schema["type"], "object");
    EXPECT_FALSE(t.title.empty());
    EXPECT_GT(t.description.size(), 40u);
  }
}

TEST(mcp_tool_definitions, search_schema_matches_the_constants) {
  const auto tools = patina::cli::mcp_tool_definitions();
  const auto& in = tools.find("search")->input_schema["properties"];
  std::vector<std::string> scopes;
  for (const auto& s : in["scope"]["enum"]) scopes.push_back(s.get<std::string>());
  EXPECT_EQ(scopes, std::vector<std::string>(patina::cli::mcp_search_scopes.begin(),
                                             patina::cli::mcp_search_scopes.end()));
  EXPECT_EQ(in["scope"]["default"], "all");
  EXPECT_EQ(in["limit"]["default"], 10);
  EXPECT_EQ(in["limit"]["maximum"], patina::cli::mcp_max_search_limit);
}

TEST(mcp_tool_definitions, arguments_the_tools_accept_and_refuse) {
  const auto tools = patina::cli::mcp_tool_definitions();
  auto ok = [&](const char* tool, const json& args) {
    return !patina::mcp::validate(tools.find(tool)->input_schema, args).has_value();
  };
  EXPECT_TRUE(ok("search", {{"query", "retries"}, {"scope", "code"}, {"limit", 5}, {"observation_type", "decision"}}));
  EXPECT_FALSE(ok("search", {{"query", ""}}));
  EXPECT_FALSE(ok("search", {{"query", "x"}, {"limit", 0}}));
  EXPECT_FALSE(ok("search", {{"query", "x"}, {"observation_type", "rumour"}}));
  EXPECT_TRUE(ok("add_belief", {{"statement", "s"}, {"confidence", 0.5}}));
  EXPECT_FALSE(ok("add_belief", {{"statement", "s"}, {"confidence", 1.5}}));
  EXPECT_TRUE(ok("add_observation", {{"content", "c"}, {"type", "pattern"}, {"source", "a.cpp"}}));
  EXPECT_FALSE(ok("add_observation", {{"content", "c"}}));
  EXPECT_TRUE(ok("status", json::object()));
  EXPECT_FALSE(ok("status", {{"verbose", true}}));
  EXPECT_TRUE(ok("symbol", {{"name", "upload"}, {"callers", true}}));
  EXPECT_FALSE(ok("symbol", {{"name", "upload"}, {"callers", "yes"}}));
}

TEST(mcp_tool_definitions, server_info_names_patina) {
  const auto info = patina::cli::mcp_server_info();
  EXPECT_EQ(info.name, "patina");
  EXPECT_FALSE(info.version.empty());
  EXPECT_FALSE(info.instructions.empty());
}
