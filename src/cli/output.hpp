// Printing helpers of the CLI: aligned tables for people, JSON for programs.
#pragma once

#include <chrono>
#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "patina/db/types.hpp"

namespace patina::cli {

// JSON form of one SQL value (DESIGN §10): numbers, strings, null; blobs as
// {"base64": "..."} (standard alphabet, padded).
nlohmann::json to_json(const db::value& v);

// Prints `doc` on one line of stdout, the one JSON document a `--json` command
// prints. Text that is not valid UTF-8 (a belief stored from a raw byte string,
// a BLOB cast to TEXT in `patina sql`) has each bad byte replaced by U+FFFD
// instead of failing the command.
void print_json(const nlohmann::json& doc);

// Text form of one SQL value for tables: NULL prints as "NULL", blobs as
// x'…' hex (long blobs are cut, with their length).
std::string to_text(const db::value& v);

// Prints rows under their column names, each column as wide as its widest cell.
void print_table(std::ostream& out, const std::vector<std::string>& columns,
                 const std::vector<std::vector<std::string>>& rows);

std::string base64_encode(const std::vector<std::uint8_t>& bytes);

// A one-line progress display on stderr, redrawn in place. It shows only when
// stderr is a terminal and the command is not quiet; commands format the line.
class progress_line {
 public:
  explicit progress_line(bool quiet);
  bool enabled() const noexcept { return enabled_; }
  // Seconds since the display was created.
  double elapsed_seconds() const;
  void show(const std::string& text);
  // Erases the line if anything was shown.
  void clear();

 private:
  bool enabled_;
  bool shown_ = false;
  std::chrono::steady_clock::time_point started_;
};

// "  m:ss left" for `remaining` units at `per_second`; empty when unknown or done.
std::string time_left(double remaining, double per_second);

}  // namespace patina::cli
