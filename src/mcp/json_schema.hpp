// mcp/json_schema.hpp — checks a JSON value against a JSON Schema, for the
// subset of JSON Schema (2020-12 / draft-07 alike) that Patina's tool schemas use.
//
// Keywords checked: type (a name or a list of names), enum, const, properties,
// required, additionalProperties (boolean), items (one schema), minItems,
// maxItems, minimum, maximum, minLength, maxLength (counted in Unicode code
// points). Annotations (title, description, default, examples, $schema) are
// ignored, and so is every other keyword: schemas here are written by Patina,
// not taken from outside, and its unit tests check that each keyword a tool
// schema uses is one of the above.
//
// Thread safety: free functions over values; safe from any thread.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace patina::mcp {

// Nothing when `instance` conforms to `schema`; otherwise a message naming the
// first violation and where it is, e.g. "limit: must be at most 100 (got 500)".
// `where` names the instance in messages ("" for the top level).
std::optional<std::string> validate(const nlohmann::json& schema, const nlohmann::json& instance,
                                    const std::string& where = {});

// The keywords validate() understands (checked and annotation-only), so tests
// can prove a schema uses nothing it would silently ignore.
bool is_known_schema_keyword(const std::string& keyword);

// A copy of `object` with every absent top-level property that has a "default"
// in `schema` filled in. REQUIRES: object is a JSON object.
nlohmann::json with_defaults(const nlohmann::json& schema, nlohmann::json object);

}  // namespace patina::mcp
