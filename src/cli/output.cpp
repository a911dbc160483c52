#include "output.hpp"

#include <iostream>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <variant>

#include <fmt/format.h>

namespace patina::cli {

namespace {
// Blobs wider than this are cut in table output; `sql --json` prints them whole.
constexpr std::size_t max_blob_bytes_shown = 16;

// Width in terminal columns, counting UTF-8 code points (good enough for
// aligned tables; wide CJK cells may misalign by a column).
std::size_t display_width(const std::string& s) {
  return static_cast<std::size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}
}  // namespace

std::string base64_encode(const std::vector<std::uint8_t>& bytes) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const std::uint32_t n = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i < bytes.size()) {
    std::uint32_t n = std::uint32_t{bytes[i]} << 16;
    const bool two = i + 1 < bytes.size();
    if (two) n |= std::uint32_t{bytes[i + 1]} << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += two ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

void print_json(const nlohmann::json& doc) {
  std::cout << doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

nlohmann::json to_json(const db::value& v) {
  return std::visit(
      [](const auto& x) -> nlohmann::json {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return nullptr;
        } else if constexpr (std::is_same_v<T, db::blob>) {
          return nlohmann::json{{"base64", base64_encode(x)}};
        } else if constexpr (std::is_same_v<T, double>) {
          // JSON has no NaN or infinity: print them as null, like a Turso server.
          if (!std::isfinite(x)) return nullptr;
          return x;
        } else {
          return x;
        }
      },
      v);
}

std::string to_text(const db::value& v) {
  return std::visit(
      [](const auto& x) -> std::string {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return "NULL";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return fmt::format("{}", x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return x;
        } else {
          std::string hex = "x'";
          const std::size_t shown = std::min(x.size(), max_blob_bytes_shown);
          for (std::size_t i = 0; i < shown; ++i) hex += fmt::format("{:02X}", x[i]);
          hex += '\'';
          if (shown < x.size()) hex += fmt::format("… ({} bytes)", x.size());
          return hex;
        }
      },
      v);
}

void print_table(std::ostream& out, const std::vector<std::string>& columns,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<std::size_t> width(columns.size(), 0);
  for (std::size_t c = 0; c < columns.size(); ++c) width[c] = display_width(columns[c]);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size() && c < width.size(); ++c)
      width[c] = std::max(width[c], display_width(row[c]));

  auto print_row = [&](const std::vector<std::string>& cells) {
    std::string line;
    for (std::size_t c = 0; c < cells.size() && c < width.size(); ++c) {
      if (c > 0) line += "  ";
      line += cells[c];
      if (c + 1 < cells.size()) line.append(width[c] - display_width(cells[c]), ' ');
    }
    out << line << '\n';
  };
  print_row(columns);
  std::vector<std::string> rule;
  rule.reserve(width.size());
  for (std::size_t w : width) rule.emplace_back(w, '-');
  print_row(rule);
  for (const auto& row : rows) print_row(row);
}

progress_line::progress_line(bool quiet)
    : enabled_(!quiet && ::isatty(2) != 0), started_(std::chrono::steady_clock::now()) {}

double progress_line::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
}

void progress_line::show(const std::string& text) {
  if (!enabled_) return;
  std::fprintf(stderr, "\r  %s   ", text.c_str());
  std::fflush(stderr);
  shown_ = true;
}

void progress_line::clear() {
  if (shown_) std::fprintf(stderr, "\r%78s\r", "");
}

std::string time_left(double remaining, double per_second) {
  if (remaining <= 0 || per_second <= 0) return {};
  const auto secs = static_cast<long>(remaining / per_second);
  return fmt::format("  {}:{:02} left", secs / 60, secs % 60);
}

}  // namespace patina::cli
