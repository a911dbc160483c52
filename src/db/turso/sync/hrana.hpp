// db/turso/sync/hrana.hpp — the Hrana-over-HTTP JSON dialect of a Turso server's
// `POST /v2/pipeline`, as values and a codec with no I/O.
//
// Only the two request kinds the Turso sync server accepts exist here: `execute`
// and `batch` (with ok/error/not/and/or/is_autocommit conditions). There is
// deliberately no `close` request: the server rejects the whole pipeline if it sees
// one. Values travel as the server expects: INTEGER as a decimal string (both ways),
// REAL as a JSON number (the server answers `null` for ±infinity, decoded here as a
// quiet NaN because the sign is lost), TEXT as a string, BLOB as standard base64
// (padded on output; padded or unpadded accepted), NULL as `{"type":"null"}`.
//
// Errors: encoding fails with invalid_argument for a value the wire cannot carry
// (a non-finite REAL, text that is not UTF-8). Decoding fails with protocol_error
// for anything that is not a well-formed answer to the given requests (malformed
// JSON, missing or mistyped fields, a count of results or steps that does not match,
// a bad integer or base64); unknown keys are ignored. Decoding never throws on any
// input.
//
// Thread safety: value types and pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "patina/core/result.hpp"
#include "patina/db/types.hpp"

namespace patina::db::turso::sync::hrana {

struct stmt {
  std::string sql;               // only its first statement runs on the server
  std::vector<db::value> args;   // bound to ?1..?N
  bool want_rows = true;
};

// When a batch step runs. Steps are referred to by their index in the batch.
struct condition {
  enum class kind { ok, error, negation, conjunction, disjunction, is_autocommit };
  kind type = kind::ok;
  std::size_t step = 0;          // ok, error
  std::vector<condition> conds;  // negation (exactly one), conjunction, disjunction
};
condition cond_ok(std::size_t step);     // step ran and succeeded
condition cond_error(std::size_t step);  // step ran and failed
condition cond_not(condition c);
condition cond_and(std::vector<condition> conds);
condition cond_or(std::vector<condition> conds);
condition cond_is_autocommit();          // the server's connection is outside a transaction

struct batch_step {
  std::optional<condition> when;  // none: always runs
  stmt statement;
};

struct execute_request {
  stmt statement;
};
struct batch_request {
  std::vector<batch_step> steps;
};
using stream_request = std::variant<execute_request, batch_request>;

struct column {
  std::string name;
  std::optional<std::string> decl_type;
};

struct stmt_result {
  std::vector<column> cols;
  std::vector<std::vector<db::value>> rows;  // each row has cols.size() values
  std::uint64_t affected_row_count = 0;      // always 0 on tursodb 0.7.0
  std::optional<std::int64_t> last_insert_rowid;  // always absent on tursodb 0.7.0
};

struct server_error {
  std::string message;
  std::string code;  // e.g. PREPARE_ERROR, EXECUTE_ERROR, BATCH_STEP_ERROR
};

// A skipped step (condition false) has neither a result nor an error.
struct batch_result {
  std::vector<std::optional<stmt_result>> step_results;
  std::vector<std::optional<server_error>> step_errors;
};

// One request's outcome, in request order: stmt_result for an execute, batch_result
// for a batch, server_error if the server refused the request as a whole.
using stream_result = std::variant<stmt_result, batch_result, server_error>;

// The request body `{"requests":[…]}`. Errors: invalid_argument.
result<std::string> encode_pipeline(std::span<const stream_request> requests);

// Parses the response to `requests`. Errors: protocol_error.
result<std::vector<stream_result>> decode_pipeline(std::string_view body,
                                                   std::span<const stream_request> requests);

}  // namespace patina::db::turso::sync::hrana
