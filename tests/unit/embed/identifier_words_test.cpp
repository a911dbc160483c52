#include "patina/embed/identifier_words.hpp"

#include <gtest/gtest.h>

namespace patina::embed {
namespace {

using words = std::vector<std::string>;

TEST(identifier_words, splits_separators_and_scopes) {
  EXPECT_EQ(split_identifier_words("std::vector<int>::push_back"), (words{"std", "vector", "int", "push", "back"}));
  EXPECT_EQ(split_identifier_words("snake_case-kebab-case"), (words{"snake", "case", "kebab", "case"}));
  EXPECT_EQ(split_identifier_words("src/db/common/connection.cpp"),
            (words{"src", "db", "common", "connection", "cpp"}));
  EXPECT_EQ(split_identifier_words("  parse  command\tline\n"), (words{"parse", "command", "line"}));
}

TEST(identifier_words, splits_camel_and_pascal_case) {
  EXPECT_EQ(split_identifier_words("parseCommandLine"), (words{"parse", "command", "line"}));
  EXPECT_EQ(split_identifier_words("ParseCommandLine"), (words{"parse", "command", "line"}));
  EXPECT_EQ(split_identifier_words("parseHTTPResponse"), (words{"parse", "http", "response"}));
  EXPECT_EQ(split_identifier_words("XMLHttpRequest"), (words{"xml", "http", "request"}));
  EXPECT_EQ(split_identifier_words("IOError"), (words{"io", "error"}));
  EXPECT_EQ(split_identifier_words("ALLCAPS"), (words{"allcaps"}));
}

TEST(identifier_words, splits_at_digit_boundaries) {
  EXPECT_EQ(split_identifier_words("utf8ToUtf16"), (words{"utf", "8", "to", "utf", "16"}));
  EXPECT_EQ(split_identifier_words("int32_t"), (words{"int", "32", "t"}));
  EXPECT_EQ(split_identifier_words("sha256sum"), (words{"sha", "256", "sum"}));
}

TEST(identifier_words, keeps_non_ascii_characters_whole) {
  EXPECT_EQ(split_identifier_words("caféBar"), (words{"café", "bar"}));
  EXPECT_EQ(split_identifier_words("Ångström naïve"), (words{"Ångström", "naïve"}));
  EXPECT_EQ(split_identifier_words("東京 tower"), (words{"東京", "tower"}));
}

TEST(identifier_words, text_without_words_gives_none) {
  EXPECT_TRUE(split_identifier_words("").empty());
  EXPECT_TRUE(split_identifier_words(":: -> ();").empty());
}

}  // namespace
}  // namespace patina::embed
