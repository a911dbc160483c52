// The USE-lite tokenizer's rules and quirks, on small hand-made vocabularies
// (no model needed). Every expected id list here was also produced by the
// package's JavaScript tokenizer (@energetic-ai/embeddings 0.2.0) on the same
// vocabulary. Parity with the real vocabulary is in use_lite_engine_test.
#include "use_tokenizer.hpp"

#include "temp_folder.hpp"

#include <gtest/gtest.h>

#include <fstream>

namespace patina::embed::detail {
namespace {

using ids = std::vector<std::int32_t>;

class use_tokenizer_test : public ::testing::Test {
 protected:
  // Writes vocab.json: the six reserved entries, then `pieces` from id 6 on.
  use_tokenizer make(const std::string& pieces) {
    const auto path = folder_.path() / "vocab.json";
    std::ofstream(path) << R"([["�",0],["<s>",0],["</s>",0],["e1",0],["e2",0],["e3",0])"
                        << (pieces.empty() ? "" : ",") << pieces << "]";
    auto t = use_tokenizer::load(path);
    if (!t) throw exception(t.err());
    return std::move(t).value();
  }

  testing::temp_folder folder_;
};

TEST_F(use_tokenizer_test, prefixes_a_separator_and_replaces_spaces) {
  const auto t = make(R"(["▁a",-1],["▁b",-1],["▁",-5],["a",-5],["b",-5])");
  EXPECT_EQ(t.encode("a b"), (ids{6, 7}));
  EXPECT_EQ(t.encode(""), ids{});
}

TEST_F(use_tokenizer_test, normalises_nfkc_without_lower_casing) {
  const auto t = make(R"(["▁fi",-1],["▁Fi",-1],["▁",-5],["f",-5],["i",-5],["F",-5])");
  EXPECT_EQ(t.encode("\xEF\xAC\x81"), ids{6});  // U+FB01 LATIN SMALL LIGATURE FI
  EXPECT_EQ(t.encode("Fi"), ids{7});
  EXPECT_EQ(t.encode("\xEF\xBC\xA6i"), ids{7});  // fullwidth F
  EXPECT_EQ(t.encode("fI"), (ids{8, 9, 0}));
}

TEST_F(use_tokenizer_test, ties_go_to_the_later_start) {
  // "▁x" + "y" and "▁" + "xy" both score -2; the later start (y at 2) wins.
  const auto t = make(R"(["▁x",-1],["y",-1],["▁",-1],["xy",-1])");
  EXPECT_EQ(t.encode("xy"), (ids{6, 7}));
}

TEST_F(use_tokenizer_test, a_total_of_zero_counts_as_unset) {
  // Position 1 ("▁" alone) is reachable by no piece, so its best stays 0 and
  // "ab" from there (-2.5) beats the real optimum "▁a" + "b" (-3); the gap is
  // backtracked as id 0.
  const auto t = make(R"(["▁a",-1],["b",-2],["▁ab",-4],["ab",-2.5])");
  EXPECT_EQ(t.encode("ab"), (ids{0, 9}));
}

TEST_F(use_tokenizer_test, null_scores_count_as_zero) {
  const auto t = make(R"(["▁",-1],["b",-2],[":",null])");
  EXPECT_EQ(t.encode("b:"), (ids{6, 7, 8}));
}

TEST_F(use_tokenizer_test, repeated_piece_keeps_the_later_entry) {
  const auto t = make(R"(["▁",-1],["c",-1],["c",-3])");
  EXPECT_EQ(t.encode("c"), (ids{6, 8}));
}

TEST_F(use_tokenizer_test, runs_of_unknown_characters_collapse) {
  const auto t = make(R"(["▁",-1],["a",-1])");
  EXPECT_EQ(t.encode("€€a€"), (ids{6, 0, 7, 0}));
}

TEST_F(use_tokenizer_test, backtracking_steps_in_utf16_units) {
  // "😀" is one code point but two UTF-16 units: stepping back from it skips "a",
  // exactly as the JavaScript tokenizer does.
  const auto t = make(R"(["▁",-1],["a",-1],["😀",-1])");
  EXPECT_EQ(t.encode("a😀"), (ids{6, 8}));
}

TEST_F(use_tokenizer_test, invalid_utf8_reads_as_replacement_characters) {
  const auto t = make(R"(["▁",-1],["a",-1])");
  EXPECT_EQ(t.encode("a\xff\xfe"), (ids{6, 7, 0}));
}

TEST_F(use_tokenizer_test, malformed_vocabularies_are_parse_errors) {
  const auto path = folder_.path() / "vocab.json";
  for (const char* text : {"not json", R"({"a":1})", R"([["a",0],["b",0],["c",0],["d",0],["e",0],["f",0],[1,2]])",
                           R"([["a",0],["b",0],["c",0],["d",0],["e",0],["f",0],["g","high"]])"}) {
    std::ofstream(path) << text;
    const auto t = use_tokenizer::load(path);
    ASSERT_FALSE(t) << text;
    EXPECT_EQ(t.err().code, errc::parse_error) << text;
    EXPECT_NE(t.err().message.find("vocab.json"), std::string::npos);
    EXPECT_NE(t.err().message.find("scripts/setup"), std::string::npos);
  }
  std::filesystem::remove(path);
  const auto missing = use_tokenizer::load(path);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.err().code, errc::missing_asset);
}

}  // namespace
}  // namespace patina::embed::detail
