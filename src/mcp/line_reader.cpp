#include "mcp/line_reader.hpp"

#include <cassert>

namespace patina::mcp {

namespace {
bool is_blank(std::string_view s) {
  return s.find_first_not_of(" \t\r") == std::string_view::npos;
}
}  // namespace

line_reader::line_reader(std::size_t max_line_bytes) : max_(max_line_bytes) {
  assert(max_line_bytes > 0 && "line_reader: the line limit must be positive");
}

void line_reader::feed(std::string_view bytes) {
  while (!bytes.empty()) {
    const auto nl = bytes.find('\n');
    const auto piece = bytes.substr(0, nl);
    if (!discarding_) {
      if (partial_.size() + piece.size() > max_) {
        // Report the line now rather than at its end: the rest may never come.
        partial_.clear();
        partial_.shrink_to_fit();
        discarding_ = true;
        ready_.push_back(frame{frame::kind::oversized, {}});
      } else {
        partial_.append(piece);
      }
    }
    if (nl == std::string_view::npos) return;
    if (discarding_) {
      discarding_ = false;
    } else {
      complete_line();
    }
    bytes.remove_prefix(nl + 1);
  }
}

void line_reader::finish() {
  if (!discarding_) complete_line();
  discarding_ = false;
  partial_.clear();
}

std::optional<frame> line_reader::next() {
  if (ready_.empty()) return std::nullopt;
  auto f = std::move(ready_.front());
  ready_.pop_front();
  return f;
}

void line_reader::complete_line() {
  if (!partial_.empty() && partial_.back() == '\r') partial_.pop_back();
  if (!is_blank(partial_)) ready_.push_back(frame{frame::kind::message, std::move(partial_)});
  partial_.clear();
}

}  // namespace patina::mcp
