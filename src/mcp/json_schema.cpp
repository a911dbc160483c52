#include "mcp/json_schema.hpp"

#include <algorithm>
#include <array>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <string_view>

#include <fmt/format.h>

namespace patina::mcp {

namespace {

using json = nlohmann::json;

constexpr std::array<std::string_view, 13> checked_keywords{
    "type",     "enum",     "const",   "properties", "required", "additionalProperties", "items",
    "minItems", "maxItems", "minimum", "maximum",    "minLength", "maxLength"};
constexpr std::array<std::string_view, 6> annotation_keywords{"title",    "description", "default",
                                                              "examples", "$schema",     "$comment"};

std::string type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null: return "null";
    case json::value_t::boolean: return "boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "integer";
    case json::value_t::number_float: return "number";
    case json::value_t::string: return "string";
    case json::value_t::array: return "array";
    case json::value_t::object: return "object";
    default: return "unknown";
  }
}

// JSON Schema: "integer" matches any number with a zero fractional part (1.0 too).
bool has_type(const json& v, std::string_view type) {
  if (type == "integer") {
    if (v.is_number_integer()) return true;
    return v.is_number_float() && std::isfinite(v.get<double>()) && std::trunc(v.get<double>()) == v.get<double>();
  }
  if (type == "number") return v.is_number();
  if (type == "string") return v.is_string();
  if (type == "boolean") return v.is_boolean();
  if (type == "object") return v.is_object();
  if (type == "array") return v.is_array();
  if (type == "null") return v.is_null();
  return false;
}

std::size_t code_points(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// A non-negative integer keyword value (minLength, maxItems...), whether the
// schema was parsed from text (unsigned) or built in C++ (signed).
std::optional<std::size_t> count_of(const json& schema, const char* keyword) {
  const auto k = schema.find(keyword);
  if (k == schema.end() || !k->is_number_integer() || k->get<std::int64_t>() < 0) return std::nullopt;
  return static_cast<std::size_t>(k->get<std::int64_t>());
}

std::string at(const std::string& where, const std::string& key) {
  return where.empty() ? key : where + "." + key;
}

std::string label(const std::string& where) {
  return where.empty() ? "the arguments" : where;
}

// A short rendering of a value for messages; long strings are cut.
std::string show(const json& v) {
  auto text = v.dump(-1, ' ', false, json::error_handler_t::replace);
  constexpr std::size_t max_shown = 60;
  if (text.size() > max_shown) text = text.substr(0, max_shown) + "…";
  return text;
}

}  // namespace

bool is_known_schema_keyword(const std::string& keyword) {
  return std::find(checked_keywords.begin(), checked_keywords.end(), keyword) != checked_keywords.end() ||
         std::find(annotation_keywords.begin(), annotation_keywords.end(), keyword) != annotation_keywords.end();
}

std::optional<std::string> validate(const json& schema, const json& instance, const std::string& where) {
  if (schema.is_boolean()) {
    if (schema.get<bool>()) return std::nullopt;
    return fmt::format("{}: is not allowed", label(where));
  }
  if (!schema.is_object()) return std::nullopt;

  if (const auto t = schema.find("type"); t != schema.end()) {
    bool ok = false;
    std::string wanted;
    if (t->is_string()) {
      wanted = t->get<std::string>();
      ok = has_type(instance, wanted);
    } else if (t->is_array()) {
      for (const auto& name : *t) {
        if (!name.is_string()) continue;
        if (!wanted.empty()) wanted += " or ";
        wanted += name.get<std::string>();
        ok = ok || has_type(instance, name.get<std::string>());
      }
    }
    if (!ok) return fmt::format("{}: expected {}, got {}", label(where), wanted, type_name(instance));
  }

  if (const auto e = schema.find("enum"); e != schema.end() && e->is_array()) {
    if (std::find(e->begin(), e->end(), instance) == e->end()) {
      std::string allowed;
      for (const auto& v : *e) allowed += (allowed.empty() ? "" : ", ") + show(v);
      return fmt::format("{}: must be one of {} (got {})", label(where), allowed, show(instance));
    }
  }
  if (const auto c = schema.find("const"); c != schema.end() && *c != instance) {
    return fmt::format("{}: must be {} (got {})", label(where), show(*c), show(instance));
  }

  if (instance.is_number()) {
    const double x = instance.get<double>();
    if (const auto m = schema.find("minimum"); m != schema.end() && m->is_number() && x < m->get<double>()) {
      return fmt::format("{}: must be at least {} (got {})", label(where), show(*m), show(instance));
    }
    if (const auto m = schema.find("maximum"); m != schema.end() && m->is_number() && x > m->get<double>()) {
      return fmt::format("{}: must be at most {} (got {})", label(where), show(*m), show(instance));
    }
  }

  if (instance.is_string()) {
    const auto n = code_points(instance.get_ref<const std::string&>());
    if (const auto m = count_of(schema, "minLength"); m && n < *m) {
      return *m == 1 ? fmt::format("{}: must not be empty", label(where))
                     : fmt::format("{}: must be at least {} characters long", label(where), *m);
    }
    if (const auto m = count_of(schema, "maxLength"); m && n > *m) {
      return fmt::format("{}: must be at most {} characters long (got {})", label(where), *m, n);
    }
  }

  if (instance.is_array()) {
    if (const auto m = count_of(schema, "minItems"); m && instance.size() < *m) {
      return fmt::format("{}: must have at least {} items", label(where), *m);
    }
    if (const auto m = count_of(schema, "maxItems"); m && instance.size() > *m) {
      return fmt::format("{}: must have at most {} items", label(where), *m);
    }
    if (const auto items = schema.find("items"); items != schema.end()) {
      for (std::size_t i = 0; i < instance.size(); ++i) {
        auto failure = validate(*items, instance[i], fmt::format("{}[{}]", where.empty() ? "arguments" : where, i));
        if (failure) return failure;
      }
    }
  }

  if (instance.is_object()) {
    const auto props = schema.find("properties");
    if (const auto req = schema.find("required"); req != schema.end() && req->is_array()) {
      for (const auto& name : *req) {
        if (name.is_string() && !instance.contains(name.get<std::string>())) {
          return fmt::format("{}: required property \"{}\" is missing", label(where), name.get<std::string>());
        }
      }
    }
    for (const auto& [key, value] : instance.items()) {
      if (props != schema.end() && props->is_object()) {
        if (const auto sub = props->find(key); sub != props->end()) {
          auto failure = validate(*sub, value, at(where, key));
          if (failure) return failure;
          continue;
        }
      }
      if (const auto extra = schema.find("additionalProperties"); extra != schema.end()) {
        if (extra->is_boolean() && !extra->get<bool>()) {
          std::string known;
          if (props != schema.end() && props->is_object()) {
            for (const auto& [name, unused] : props->items()) known += (known.empty() ? "" : ", ") + name;
          }
          return fmt::format("{}: unknown property \"{}\" (known: {})", label(where), key,
                             known.empty() ? "none" : known);
        }
        if (extra->is_object()) {
          auto failure = validate(*extra, value, at(where, key));
          if (failure) return failure;
        }
      }
    }
  }
  return std::nullopt;
}

json with_defaults(const json& schema, json object) {
  assert(object.is_object() && "with_defaults: REQUIRES an object");
  const auto props = schema.find("properties");
  if (props == schema.end() || !props->is_object()) return object;
  for (const auto& [name, sub] : props->items()) {
    if (object.contains(name) || !sub.is_object()) continue;
    if (const auto d = sub.find("default"); d != sub.end()) object[name] = *d;
  }
  return object;
}

}  // namespace patina::mcp
