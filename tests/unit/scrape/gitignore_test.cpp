// .gitignore pattern semantics (gitignore(5)), one rule set at a time.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "patina/scrape/gitignore.hpp"

namespace patina::scrape {
namespace {

struct probe {
  std::string path;
  bool is_dir;
  ignore_match expected;
};

void check(const std::string& rules, const std::vector<probe>& probes, const std::string& base = {}) {
  const gitignore g = gitignore::parse(rules, base);
  for (const probe& p : probes) {
    EXPECT_EQ(g.match(p.path, p.is_dir), p.expected)
        << "rules:\n" << rules << "\npath: " << p.path << (p.is_dir ? " (dir)" : "");
  }
}

constexpr ignore_match none = ignore_match::none;
constexpr ignore_match ignored = ignore_match::ignored;
constexpr ignore_match unignored = ignore_match::unignored;

TEST(ScrapeGitignore, UnanchoredPatternsMatchNamesAtAnyDepth) {
  check("*.log\n", {{"a.log", false, ignored},
                    {"dir/sub/b.log", false, ignored},
                    {"a.logx", false, none},
                    {"log", false, none},
                    {"logs.d/x.c", false, none}});
  check("build\n", {{"build", true, ignored}, {"src/build", true, ignored}, {"src/build", false, ignored}});
}

TEST(ScrapeGitignore, SlashAnchorsThePattern) {
  check("/build\n", {{"build", true, ignored}, {"src/build", true, none}});
  check("src/*.c\n", {{"src/a.c", false, ignored}, {"src/sub/a.c", false, none}, {"x/src/a.c", false, none}});
  check("doc/frotz/\n", {{"doc/frotz", true, ignored}, {"a/doc/frotz", true, none}});
}

TEST(ScrapeGitignore, TrailingSlashMatchesDirectoriesOnly) {
  check("doc/\n", {{"doc", true, ignored}, {"doc", false, none}, {"src/doc", true, ignored}});
}

TEST(ScrapeGitignore, DoubleStar) {
  check("**/foo\n", {{"foo", false, ignored}, {"a/foo", true, ignored}, {"a/b/foo", false, ignored}, {"a/foox", false, none}});
  check("a/**/b\n", {{"a/b", false, ignored}, {"a/x/b", false, ignored}, {"a/x/y/b", false, ignored}, {"b", false, none},
                     {"x/a/b", false, none}});
  check("abc/**\n", {{"abc", true, none}, {"abc/x", false, ignored}, {"abc/x/y", true, ignored}});
  check("**/gen/**/*.c\n", {{"gen/a.c", false, ignored}, {"x/gen/y/z/a.c", false, ignored}, {"x/gen/a.h", false, none}});
  // Other consecutive asterisks are ordinary stars (they never cross '/').
  check("a**b.c\n", {{"axxb.c", false, ignored}, {"ax/b.c", false, none}});
}

TEST(ScrapeGitignore, NegationAndOrder) {
  check("*.log\n!keep.log\n", {{"a.log", false, ignored}, {"keep.log", false, unignored}, {"x/keep.log", false, unignored}});
  // The last matching rule decides.
  check("!keep.log\n*.log\n", {{"keep.log", false, ignored}});
}

TEST(ScrapeGitignore, CommentsBlanksEscapesAndSpaces) {
  check("# comment\n\n   \n\\#hash.c\n\\!bang.c\nspace.c   \nlit\\ \n",
        {{"# comment", false, none},
         {"#hash.c", false, ignored},
         {"!bang.c", false, ignored},
         {"space.c", false, ignored},
         {"lit ", false, ignored},
         {"lit", false, none}});
  check("*.c\r\n", {{"a.c", false, ignored}});  // CRLF files
}

TEST(ScrapeGitignore, CharacterClassesAndQuestionMark) {
  check("file?.c\n[abc].py\n[!x]y.go\n",
        {{"file1.c", false, ignored},
         {"file12.c", false, none},
         {"b.py", false, ignored},
         {"d.py", false, none},
         {"zy.go", false, ignored},
         {"xy.go", false, none}});
}

TEST(ScrapeGitignore, RulesApplyBelowTheirDirectory) {
  check("/x.c\n*.tmp\n", {{"sub/x.c", false, ignored}, {"x.c", false, none}, {"sub/deep/a.tmp", false, ignored},
                         {"other/a.tmp", false, none}, {"sub", true, none}},
        "sub");
}

}  // namespace
}  // namespace patina::scrape
