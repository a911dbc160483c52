#include "db/turso/sync/hrana.hpp"

#include <nlohmann/json.hpp>

#include <charconv>
#include <cmath>
#include <limits>

#include "db/turso/sync/base64.hpp"

namespace patina::db::turso::sync::hrana {

using json = nlohmann::json;

condition cond_ok(std::size_t step) { return {condition::kind::ok, step, {}}; }
condition cond_error(std::size_t step) { return {condition::kind::error, step, {}}; }
condition cond_not(condition c) {
  condition n{condition::kind::negation, 0, {}};
  n.conds.push_back(std::move(c));
  return n;
}
condition cond_and(std::vector<condition> conds) { return {condition::kind::conjunction, 0, std::move(conds)}; }
condition cond_or(std::vector<condition> conds) { return {condition::kind::disjunction, 0, std::move(conds)}; }
condition cond_is_autocommit() { return {condition::kind::is_autocommit, 0, {}}; }

namespace {

// ---- encoding -------------------------------------------------------------------

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xe0) == 0xc0) {
      extra = 1;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      extra = 2;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      extra = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (extra > s.size() - i - 1) return false;
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3f);
    }
    constexpr std::uint32_t min_for[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for[extra] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += extra + 1;
  }
  return true;
}

result<json> encode_value(const db::value& v, std::size_t index) {
  const auto where = [&] { return "parameter ?" + std::to_string(index + 1); };
  switch (v.index()) {
    case 0:
      return json{{"type", "null"}};
    case 1:
      return json{{"type", "integer"}, {"value", std::to_string(std::get<std::int64_t>(v))}};
    case 2: {
      const double d = std::get<double>(v);
      if (!std::isfinite(d)) {
        return fail(errc::invalid_argument, where() +
                                                " is a non-finite REAL (infinity or NaN), which the Turso server "
                                                "cannot receive; store NULL or a finite number instead");
      }
      return json{{"type", "float"}, {"value", d}};
    }
    case 3: {
      const auto& text = std::get<std::string>(v);
      if (!valid_utf8(text)) {
        return fail(errc::invalid_argument,
                    where() + " is TEXT that is not valid UTF-8; the Turso server only takes UTF-8 text, so "
                              "send the bytes as a BLOB");
      }
      return json{{"type", "text"}, {"value", text}};
    }
    default:
      return json{{"type", "blob"}, {"base64", base64_encode(std::get<db::blob>(v))}};
  }
}

json encode_condition(const condition& c) {
  switch (c.type) {
    case condition::kind::ok:
      return json{{"type", "ok"}, {"step", c.step}};
    case condition::kind::error:
      return json{{"type", "error"}, {"step", c.step}};
    case condition::kind::negation:
      return json{{"type", "not"}, {"cond", c.conds.empty() ? json(nullptr) : encode_condition(c.conds.front())}};
    case condition::kind::conjunction:
    case condition::kind::disjunction: {
      json list = json::array();
      for (const auto& sub : c.conds) list.push_back(encode_condition(sub));
      return json{{"type", c.type == condition::kind::conjunction ? "and" : "or"}, {"conds", std::move(list)}};
    }
    case condition::kind::is_autocommit:
      break;
  }
  return json{{"type", "is_autocommit"}};
}

result<json> encode_stmt(const stmt& s) {
  if (!valid_utf8(s.sql)) {
    return fail(errc::invalid_argument, "the statement text is not valid UTF-8; fix its encoding");
  }
  json args = json::array();
  for (std::size_t i = 0; i < s.args.size(); ++i) {
    auto v = encode_value(s.args[i], i);
    if (!v) return fail(v.err());
    args.push_back(std::move(*v));
  }
  json out{{"sql", s.sql}, {"want_rows", s.want_rows}};
  if (!args.empty()) out["args"] = std::move(args);
  return out;
}

// ---- decoding -------------------------------------------------------------------

failure malformed(std::string what) {
  return fail(errc::protocol_error,
              "the Turso server sent a pipeline response Patina does not understand; check that the URL "
              "points at a Turso server of a supported version",
              std::move(what));
}

const json* member(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

const std::string* string_member(const json& object, std::string_view key) {
  const json* m = member(object, key);
  return m && m->is_string() ? m->get_ptr<const std::string*>() : nullptr;
}

std::optional<std::int64_t> parse_i64(std::string_view text) {
  std::int64_t out = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty()) return std::nullopt;
  return out;
}

result<db::value> decode_value(const json& v) {
  const std::string* type = string_member(v, "type");
  if (!type) return malformed("a value has no \"type\"");
  if (*type == "null") return db::value{};
  if (*type == "integer") {
    const json* value = member(v, "value");
    if (value && value->is_string()) {
      if (auto n = parse_i64(value->get_ref<const std::string&>())) return db::value{*n};
    } else if (value && value->is_number_integer()) {
      if (value->is_number_unsigned()) {
        const auto u = value->get<std::uint64_t>();
        if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          return db::value{static_cast<std::int64_t>(u)};
        }
      } else {
        return db::value{value->get<std::int64_t>()};
      }
    }
    return malformed("an integer value is not a decimal 64-bit integer");
  }
  if (*type == "float") {
    const json* value = member(v, "value");
    if (value && value->is_number()) return db::value{value->get<double>()};
    if (value && value->is_null()) return db::value{std::numeric_limits<double>::quiet_NaN()};
    return malformed("a float value is not a number");
  }
  if (*type == "text") {
    const std::string* value = string_member(v, "value");
    if (!value) return malformed("a text value is not a string");
    return db::value{*value};
  }
  if (*type == "blob") {
    const std::string* b64 = string_member(v, "base64");
    if (!b64) return malformed("a blob value has no \"base64\" string");
    auto bytes = base64_decode(*b64);
    if (!bytes) return malformed("a blob value is not valid base64");
    return db::value{std::move(*bytes)};
  }
  return malformed("a value has the unknown type \"" + type->substr(0, 32) + "\"");
}

result<stmt_result> decode_stmt_result(const json& r) {
  if (!r.is_object()) return malformed("a statement result is not an object");
  const json* cols = member(r, "cols");
  const json* rows = member(r, "rows");
  if (!cols || !cols->is_array()) return malformed("a statement result has no \"cols\" array");
  if (!rows || !rows->is_array()) return malformed("a statement result has no \"rows\" array");
  stmt_result out;
  out.cols.reserve(cols->size());
  for (const auto& c : *cols) {
    if (!c.is_object()) return malformed("a column is not an object");
    column col;
    if (const std::string* name = string_member(c, "name")) col.name = *name;
    if (const std::string* decl = string_member(c, "decltype")) col.decl_type = *decl;
    out.cols.push_back(std::move(col));
  }
  out.rows.reserve(rows->size());
  for (const auto& row : *rows) {
    if (!row.is_array() || row.size() != out.cols.size()) {
      return malformed("a row does not have one value per column");
    }
    std::vector<db::value> values;
    values.reserve(row.size());
    for (const auto& cell : row) {
      auto v = decode_value(cell);
      if (!v) return fail(v.err());
      values.push_back(std::move(*v));
    }
    out.rows.push_back(std::move(values));
  }
  if (const json* n = member(r, "affected_row_count"); n && n->is_number_unsigned()) {
    out.affected_row_count = n->get<std::uint64_t>();
  }
  if (const json* id = member(r, "last_insert_rowid")) {
    if (id->is_string()) {
      out.last_insert_rowid = parse_i64(id->get_ref<const std::string&>());
      if (!out.last_insert_rowid) return malformed("last_insert_rowid is not a decimal integer");
    } else if (id->is_number_integer()) {
      out.last_insert_rowid = id->get<std::int64_t>();
    }
  }
  return out;
}

result<server_error> decode_error(const json& e) {
  const std::string* message = string_member(e, "message");
  if (!message) return malformed("an error has no \"message\"");
  server_error out;
  out.message = *message;
  if (const std::string* code = string_member(e, "code")) out.code = *code;
  return out;
}

result<batch_result> decode_batch_result(const json& r, std::size_t steps) {
  const json* results = member(r, "step_results");
  const json* errors = member(r, "step_errors");
  if (!results || !results->is_array() || !errors || !errors->is_array()) {
    return malformed("a batch result lacks \"step_results\" or \"step_errors\"");
  }
  if (results->size() != steps || errors->size() != steps) {
    return malformed("a batch result has " + std::to_string(results->size()) + " results and " +
                     std::to_string(errors->size()) + " errors for " + std::to_string(steps) + " steps");
  }
  batch_result out;
  out.step_results.resize(steps);
  out.step_errors.resize(steps);
  for (std::size_t i = 0; i < steps; ++i) {
    if (!(*results)[i].is_null()) {
      auto s = decode_stmt_result((*results)[i]);
      if (!s) return fail(s.err());
      out.step_results[i] = std::move(*s);
    }
    if (!(*errors)[i].is_null()) {
      auto e = decode_error((*errors)[i]);
      if (!e) return fail(e.err());
      out.step_errors[i] = std::move(*e);
    }
  }
  return out;
}

result<stream_result> decode_stream_result(const json& r, const stream_request& request) {
  const std::string* type = string_member(r, "type");
  if (!type) return malformed("a result has no \"type\"");
  if (*type == "error") {
    const json* e = member(r, "error");
    if (!e) return malformed("an error result has no \"error\"");
    auto err = decode_error(*e);
    if (!err) return fail(err.err());
    return stream_result{std::move(*err)};
  }
  if (*type != "ok") return malformed("a result has the unknown type \"" + type->substr(0, 32) + "\"");
  const json* response = member(r, "response");
  const std::string* kind = response ? string_member(*response, "type") : nullptr;
  const json* body = response ? member(*response, "result") : nullptr;
  if (!kind || !body) return malformed("an ok result has no typed \"response\" with a \"result\"");
  if (std::holds_alternative<execute_request>(request)) {
    if (*kind != "execute") return malformed("an execute request got a \"" + kind->substr(0, 32) + "\" response");
    auto s = decode_stmt_result(*body);
    if (!s) return fail(s.err());
    return stream_result{std::move(*s)};
  }
  if (*kind != "batch") return malformed("a batch request got a \"" + kind->substr(0, 32) + "\" response");
  auto b = decode_batch_result(*body, std::get<batch_request>(request).steps.size());
  if (!b) return fail(b.err());
  return stream_result{std::move(*b)};
}

}  // namespace

result<std::string> encode_pipeline(std::span<const stream_request> requests) {
  json list = json::array();
  for (const auto& request : requests) {
    if (const auto* exec = std::get_if<execute_request>(&request)) {
      auto s = encode_stmt(exec->statement);
      if (!s) return fail(s.err());
      list.push_back(json{{"type", "execute"}, {"stmt", std::move(*s)}});
      continue;
    }
    json steps = json::array();
    for (const auto& step : std::get<batch_request>(request).steps) {
      auto s = encode_stmt(step.statement);
      if (!s) return fail(s.err());
      json j{{"stmt", std::move(*s)}};
      if (step.when) j["condition"] = encode_condition(*step.when);
      steps.push_back(std::move(j));
    }
    list.push_back(json{{"type", "batch"}, {"batch", {{"steps", std::move(steps)}}}});
  }
  const json body{{"baton", nullptr}, {"requests", std::move(list)}};
  try {
    return body.dump();
  } catch (const json::exception& e) {
    // Unreachable after the UTF-8 checks above; kept so a gap there is an error, not a crash.
    return fail(errc::invalid_argument, "a statement could not be encoded as JSON", e.what());
  }
}

result<std::vector<stream_result>> decode_pipeline(std::string_view body, std::span<const stream_request> requests) {
  const json doc = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return malformed("the response body is not valid JSON");
  const json* results = member(doc, "results");
  if (!results || !results->is_array()) return malformed("the response has no \"results\" array");
  if (results->size() != requests.size()) {
    return malformed("the response has " + std::to_string(results->size()) + " results for " +
                     std::to_string(requests.size()) + " requests");
  }
  std::vector<stream_result> out;
  out.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) {
    auto r = decode_stream_result((*results)[i], requests[i]);
    if (!r) return fail(r.err());
    out.push_back(std::move(*r));
  }
  return out;
}

}  // namespace patina::db::turso::sync::hrana
