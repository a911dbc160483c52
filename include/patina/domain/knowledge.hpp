/// @file
/// patina/domain/knowledge.hpp — the knowledge a team records: beliefs and
/// observations, and the results of searching them.
///
/// Plain value types that know nothing of the storage backend. Ids come from
/// patina::new_id() (globally unique, time-ordered); timestamps are unix
/// milliseconds.
///
/// Thread safety: value types; distinct objects may be used from different threads.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "patina/core/result.hpp"

namespace patina::domain {

/// Something the team holds to be true, with how sure it is (0..1).
struct belief {
  std::int64_t id = 0;  ///< Globally unique, time-ordered id (patina::new_id()).
  std::string statement;  ///< What is believed, in words.
  double confidence = 1.0;  ///< How sure the team is, 0..1.
  bool active = true;  ///< False once the belief was retired.
  std::int64_t created_at = 0;  ///< When it was recorded, unix milliseconds.
  std::int64_t updated_at = 0;  ///< When it last changed, unix milliseconds.
};

/// What kind of thing an observation records.
enum class observation_type { pattern, decision, challenge, technology, note };

/// Lower-case name, e.g. "decision".
std::string_view to_string(observation_type t) noexcept;
/// Parses a type name; invalid_argument naming the allowed values otherwise.
result<observation_type> parse_observation_type(std::string_view name);

/// Something seen while working: a pattern, a decision, a challenge, a
/// technology, or a plain note; `source` says where it came from (a file, a
/// session, a person), and may be empty.
struct observation {
  std::int64_t id = 0;  ///< Globally unique, time-ordered id (patina::new_id()).
  std::string content;  ///< What was observed, in words.
  observation_type type = observation_type::note;  ///< Its kind.
  std::string source;  ///< Where it came from; may be empty.
  std::int64_t created_at = 0;  ///< When it was recorded, unix milliseconds.
  std::int64_t updated_at = 0;  ///< When it last changed, unix milliseconds.
};

/// What kind of item a search result or an embedding belongs to.
enum class item_type { belief, observation, symbol };
/// Lower-case name: "belief", "observation" or "symbol".
std::string_view to_string(item_type t) noexcept;

/// One search result: which item, its score (higher is better; for vector search
/// the cosine similarity), the matched text, and why it matched.
struct search_hit {
  item_type type = item_type::belief;  ///< Which kind of item matched.
  std::int64_t id = 0;  ///< The matched item's id.
  double score = 0;  ///< Higher is better; for vector search the cosine similarity.
  std::string text;  ///< The matched item's text (statement or content).
  std::string why;  ///< Why it matched, for people.
  std::optional<observation_type> obs_type;  ///< observations only
};

}  // namespace patina::domain
