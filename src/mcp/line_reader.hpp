// mcp/line_reader.hpp — splits a byte stream into newline-delimited messages
// (the MCP stdio framing: one UTF-8 JSON message per line, no embedded newlines).
//
// Sans-io: the caller reads bytes however it likes and feeds them in; complete
// lines come out in order. Memory is bounded: a line longer than the limit is
// reported once, as an `oversized` frame, as soon as it passes the limit, and its
// remaining bytes up to the next newline are dropped without being stored. A
// trailing '\r' is removed; blank lines (only spaces, tabs or '\r') are skipped.
//
// Thread safety: none; one reader per stream, used from one thread at a time.
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>
#include <string_view>

namespace patina::mcp {

// Largest message accepted, in bytes, without its newline.
inline constexpr std::size_t default_max_line_bytes = std::size_t{4} * 1024 * 1024;

struct frame {
  enum class kind { message, oversized };
  kind type = kind::message;
  std::string text;  // the line without its terminator; empty for `oversized`
};

class line_reader {
 public:
  // REQUIRES: max_line_bytes > 0.
  explicit line_reader(std::size_t max_line_bytes = default_max_line_bytes);

  // Consumes `bytes`; every line they complete becomes available from next().
  void feed(std::string_view bytes);
  // End of input: an unterminated last line becomes a frame like any other.
  void finish();
  // The oldest frame not yet taken, or nothing.
  std::optional<frame> next();

  std::size_t max_line_bytes() const noexcept { return max_; }
  // Bytes of the current unterminated line held in memory (never above the limit).
  std::size_t buffered_bytes() const noexcept { return partial_.size(); }

 private:
  void complete_line();

  std::size_t max_;
  std::string partial_;
  bool discarding_ = false;  // inside an oversized line, until its newline
  std::deque<frame> ready_;
};

}  // namespace patina::mcp
