// Printing helpers of the CLI: aligned tables for people, JSON for programs.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "patina/db/types.hpp"

namespace patina::cli {

// JSON form of one SQL value (DESIGN §10): numbers, strings, null; blobs as
// {"base64": "..."} (standard alphabet, padded).
nlohmann::json to_json(const db::value& v);

// Text form of one SQL value for tables: NULL prints as "NULL", blobs as
// x'…' hex (long blobs are cut, with their length).
std::string to_text(const db::value& v);

// Prints rows under their column names, each column as wide as its widest cell.
void print_table(std::ostream& out, const std::vector<std::string>& columns,
                 const std::vector<std::vector<std::string>>& rows);

std::string base64_encode(const std::vector<std::uint8_t>& bytes);

}  // namespace patina::cli
