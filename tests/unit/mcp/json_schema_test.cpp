// The JSON Schema subset used to check tool arguments.
#include "mcp/json_schema.hpp"

#include <gtest/gtest.h>

using nlohmann::json;
using patina::mcp::validate;
using patina::mcp::with_defaults;

namespace {

const json search_like = json::parse(R"({
  "type": "object",
  "properties": {
    "query": {"type": "string", "minLength": 1, "maxLength": 5},
    "scope": {"type": "string", "enum": ["all", "code"], "default": "all"},
    "limit": {"type": "integer", "minimum": 1, "maximum": 100, "default": 10},
    "ratio": {"type": "number", "minimum": 0, "maximum": 1},
    "flag": {"type": "boolean"},
    "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 2},
    "either": {"type": ["string", "null"]},
    "fixed": {"const": "x"}
  },
  "required": ["query"],
  "additionalProperties": false
})");

std::string failure(const json& instance) {
  auto f = validate(search_like, instance);
  return f ? *f : std::string();
}

}  // namespace

TEST(mcp_json_schema, accepts_conforming_values) {
  EXPECT_EQ(failure(json{{"query", "abc"}}), "");
  EXPECT_EQ(failure(json{{"query", "abc"}, {"scope", "code"}, {"limit", 100}, {"ratio", 0.5}, {"flag", true},
                         {"tags", {"a", "b"}}, {"either", nullptr}, {"fixed", "x"}}),
            "");
}

TEST(mcp_json_schema, integer_accepts_whole_floats_only) {
  EXPECT_EQ(failure(json{{"query", "a"}, {"limit", 5.0}}), "");
  EXPECT_EQ(failure(json{{"query", "a"}, {"limit", 5.5}}), "limit: expected integer, got number");
}

TEST(mcp_json_schema, names_each_violation) {
  EXPECT_EQ(failure(json::object()), "the arguments: required property \"query\" is missing");
  EXPECT_EQ(failure(json{{"query", 5}}), "query: expected string, got integer");
  EXPECT_EQ(failure(json{{"query", ""}}), "query: must not be empty");
  EXPECT_EQ(failure(json{{"query", "ééééé"}}), "");  // code points, not bytes
  EXPECT_EQ(failure(json{{"query", "123456"}}), "query: must be at most 5 characters long (got 6)");
  EXPECT_EQ(failure(json{{"query", "a"}, {"scope", "x"}}), "scope: must be one of \"all\", \"code\" (got \"x\")");
  EXPECT_EQ(failure(json{{"query", "a"}, {"limit", 0}}), "limit: must be at least 1 (got 0)");
  EXPECT_EQ(failure(json{{"query", "a"}, {"limit", 101}}), "limit: must be at most 100 (got 101)");
  EXPECT_EQ(failure(json{{"query", "a"}, {"ratio", "1"}}), "ratio: expected number, got string");
  EXPECT_EQ(failure(json{{"query", "a"}, {"flag", 1}}), "flag: expected boolean, got integer");
  EXPECT_EQ(failure(json{{"query", "a"}, {"tags", json::array()}}), "tags: must have at least 1 items");
  EXPECT_EQ(failure(json{{"query", "a"}, {"tags", {"a", "b", "c"}}}), "tags: must have at most 2 items");
  EXPECT_EQ(failure(json{{"query", "a"}, {"tags", {"a", 1}}}), "tags[1]: expected string, got integer");
  EXPECT_EQ(failure(json{{"query", "a"}, {"either", 1}}), "either: expected string or null, got integer");
  EXPECT_EQ(failure(json{{"query", "a"}, {"fixed", "y"}}), "fixed: must be \"x\" (got \"y\")");
  const auto extra = failure(json{{"query", "a"}, {"qeury", "typo"}});
  EXPECT_NE(extra.find("unknown property \"qeury\""), std::string::npos) << extra;
  EXPECT_EQ(failure(json::array()), "the arguments: expected object, got array");
}

TEST(mcp_json_schema, additional_properties_allowed_unless_forbidden) {
  const json open = json::parse(R"({"type": "object", "properties": {"a": {"type": "string"}}})");
  EXPECT_FALSE(validate(open, json{{"b", 1}}).has_value());
  const json typed = json::parse(R"({"type": "object", "additionalProperties": {"type": "integer"}})");
  EXPECT_FALSE(validate(typed, json{{"b", 1}}).has_value());
  EXPECT_EQ(*validate(typed, json{{"b", "x"}}), "b: expected integer, got string");
}

TEST(mcp_json_schema, boolean_schemas) {
  EXPECT_FALSE(validate(json(true), json{{"x", 1}}).has_value());
  EXPECT_TRUE(validate(json(false), json(1)).has_value());
}

TEST(mcp_json_schema, nested_paths_in_messages) {
  const json schema = json::parse(R"({"type": "object", "properties": {
    "model": {"type": "object", "properties": {"dimension": {"type": "integer"}}, "required": ["id"]}}})");
  EXPECT_EQ(*validate(schema, json{{"model", {{"dimension", 1}}}}), "model: required property \"id\" is missing");
  EXPECT_EQ(*validate(schema, json{{"model", {{"id", "x"}, {"dimension", "big"}}}}),
            "model.dimension: expected integer, got string");
}

TEST(mcp_json_schema, defaults_fill_absent_top_level_properties_only) {
  const auto filled = with_defaults(search_like, json{{"query", "a"}, {"limit", 3}});
  EXPECT_EQ(filled, (json{{"query", "a"}, {"limit", 3}, {"scope", "all"}}));
}

TEST(mcp_json_schema, known_keywords) {
  for (const char* k : {"type", "properties", "required", "additionalProperties", "enum", "minimum", "maxLength",
                        "description", "default"}) {
    EXPECT_TRUE(patina::mcp::is_known_schema_keyword(k)) << k;
  }
  for (const char* k : {"$ref", "oneOf", "pattern", "format", "exclusiveMinimum"}) {
    EXPECT_FALSE(patina::mcp::is_known_schema_keyword(k)) << k;
  }
}
