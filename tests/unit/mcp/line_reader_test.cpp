// Framing of newline-delimited messages: lines split across reads, CRLF, blank
// lines, the last unterminated line, and oversized lines dropped without being
// stored.
#include "mcp/line_reader.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using patina::mcp::frame;
using patina::mcp::line_reader;

namespace {

std::vector<frame> drain(line_reader& r) {
  std::vector<frame> out;
  for (auto f = r.next(); f; f = r.next()) out.push_back(std::move(*f));
  return out;
}

std::vector<std::string> texts(const std::vector<frame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(f.type == frame::kind::oversized ? "<oversized>" : f.text);
  return out;
}

}  // namespace

TEST(mcp_line_reader, splits_lines_in_one_chunk) {
  line_reader r;
  r.feed("{\"a\":1}\n{\"b\":2}\n");
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"{\"a\":1}", "{\"b\":2}"}));
}

TEST(mcp_line_reader, joins_a_line_split_across_chunks_byte_by_byte) {
  line_reader r;
  const std::string input = "{\"method\":\"ping\"}\n{\"x\":\"é\"}\n";
  std::vector<std::string> seen;
  for (char c : input) {
    r.feed(std::string_view(&c, 1));
    for (const auto& t : texts(drain(r))) seen.push_back(t);
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"{\"method\":\"ping\"}", "{\"x\":\"é\"}"}));
}

TEST(mcp_line_reader, nothing_before_the_newline) {
  line_reader r;
  r.feed("{\"a\":");
  EXPECT_FALSE(r.next().has_value());
  EXPECT_EQ(r.buffered_bytes(), 5u);
  r.feed("1}\n");
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"{\"a\":1}"}));
  EXPECT_EQ(r.buffered_bytes(), 0u);
}

TEST(mcp_line_reader, strips_carriage_return_and_skips_blank_lines) {
  line_reader r;
  r.feed("one\r\n\n   \r\n\t\ntwo\n");
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"one", "two"}));
}

TEST(mcp_line_reader, finish_delivers_the_unterminated_last_line) {
  line_reader r;
  r.feed("first\nlast");
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"first"}));
  r.finish();
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"last"}));
}

TEST(mcp_line_reader, finish_with_nothing_pending_adds_nothing) {
  line_reader r;
  r.feed("a\n");
  drain(r);
  r.finish();
  EXPECT_FALSE(r.next().has_value());
}

TEST(mcp_line_reader, a_line_of_exactly_the_limit_is_accepted) {
  line_reader r(8);
  r.feed("12345678\n");
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"12345678"}));
}

TEST(mcp_line_reader, a_line_over_the_limit_is_reported_once_and_dropped) {
  line_reader r(8);
  r.feed("before\n123456789");
  // Reported as soon as it passes the limit, before its newline arrives.
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"before", "<oversized>"}));
  EXPECT_EQ(r.buffered_bytes(), 0u);
  r.feed("more bytes of the same line");
  EXPECT_EQ(r.buffered_bytes(), 0u);
  EXPECT_FALSE(r.next().has_value());
  r.feed(" still\nafter\n");
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"after"}));
}

TEST(mcp_line_reader, oversized_line_ending_at_end_of_input_is_not_delivered) {
  line_reader r(4);
  r.feed("too long");
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"<oversized>"}));
  r.finish();
  EXPECT_FALSE(r.next().has_value());
}

TEST(mcp_line_reader, default_limit_is_four_mebibytes_and_memory_stays_bounded) {
  line_reader r;
  EXPECT_EQ(r.max_line_bytes(), 4u * 1024 * 1024);
  const std::string chunk(64 * 1024, 'x');
  std::size_t most_buffered = 0;
  for (int i = 0; i < 80; ++i) {  // 5 MiB in 64 KiB reads, no newline
    r.feed(chunk);
    most_buffered = std::max(most_buffered, r.buffered_bytes());
  }
  EXPECT_LE(most_buffered, r.max_line_bytes());
  r.feed("\n{\"ok\":true}\n");
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"<oversized>", "{\"ok\":true}"}));
}

TEST(mcp_line_reader, two_oversized_lines_in_a_row_are_two_frames) {
  line_reader r(3);
  r.feed("aaaa\nbbbb\nok\n");
  EXPECT_EQ(texts(drain(r)), (std::vector<std::string>{"<oversized>", "<oversized>", "ok"}));
}
