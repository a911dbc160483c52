// The file walker on real directory trees: .gitignore precedence, default and extra
// excludes, and files it must record instead of reading (binary, invalid UTF-8, too large,
// unreadable, symbolic links).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "patina/scrape/file_walker.hpp"
#include "scrape_test_util.hpp"

namespace patina::scrape {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> paths(const walk_result& r) {
  std::vector<std::string> out;
  for (const walked_file& f : r.files) out.push_back(f.path);
  return out;
}

std::vector<std::string> skipped(const walk_result& r) {
  std::vector<std::string> out;
  for (const skipped_file& s : r.skipped) out.push_back(s.path + ":" + std::string(to_string(s.reason)));
  return out;
}

walk_result walk_ok(const fs::path& root, const walk_options& options = {}) {
  result<walk_result> r = walk(root, options);
  EXPECT_TRUE(r.has_value()) << (r ? "" : r.err().describe());
  return r ? std::move(r).value() : walk_result{};
}

TEST(ScrapeWalker, FindsSourceFilesSortedWithRelativePaths) {
  test::temp_tree t;
  t.write("src/b.cpp", "int b;\n");
  t.write("src/a.c", "int a;\n");
  t.write("src/a/x.py", "x = 1\n");
  t.write("a.c", "int x;\n");
  t.write("README.md", "# not code\n");
  t.write("Makefile", "all:\n");
  t.write("web/app.tsx", "export {};\n");
  const walk_result r = walk_ok(t.root());
  EXPECT_EQ(paths(r), (std::vector<std::string>{"a.c", "src/a.c", "src/a/x.py", "src/b.cpp", "web/app.tsx"}));
  EXPECT_TRUE(r.skipped.empty()) << test::describe(r.skipped);
  ASSERT_EQ(r.files.size(), 5u);
  EXPECT_EQ(r.files[0].lang, language::c);
  EXPECT_EQ(r.files[0].size, 7u);
  struct stat st {};
  ASSERT_EQ(::stat((t.root() / "a.c").c_str(), &st), 0);
  EXPECT_EQ(r.files[0].mtime_ns, static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec);
  EXPECT_EQ(r.files[4].lang, language::tsx);

  // A trailing slash or "./" in the root changes nothing.
  EXPECT_EQ(paths(walk_ok(t.root().string() + "/")), paths(r));
}

TEST(ScrapeWalker, SkipsDefaultExcludedDirectories) {
  test::temp_tree t;
  for (const std::string dir : {".git", "node_modules", "target", "build", "deps", "dist", "vendor", "__pycache__",
                                ".patina", ".venv", "src/node_modules", "a/b/target"}) {
    t.write(dir + "/x.js", "x;\n");
  }
  t.write("src/keep.js", "x;\n");
  t.write("builds/keep.js", "x;\n");  // only exact names are excluded
  t.write("target.js", "x;\n");       // and only directories
  EXPECT_EQ(paths(walk_ok(t.root())), (std::vector<std::string>{"builds/keep.js", "src/keep.js", "target.js"}));

  walk_options none;
  none.default_excludes.clear();
  EXPECT_EQ(walk_ok(t.root(), none).files.size(), 15u);
}

TEST(ScrapeWalker, RespectsRootAndNestedGitignores) {
  test::temp_tree t;
  t.write(".gitignore",
          "# generated code\n"
          "*.gen.c\n"
          "/out/\n"
          "logs\n"
          "!important.gen.c\n");
  t.write("a.c", "");
  t.write("a.gen.c", "");
  t.write("important.gen.c", "");
  t.write("out/x.c", "");
  t.write("sub/out/y.c", "");  // `/out/` is anchored to the root
  t.write("sub/logs/z.c", "");
  t.write("sub/.gitignore", "!keep.gen.c\n/local.py\n");
  t.write("sub/keep.gen.c", "");
  t.write("sub/other.gen.c", "");
  t.write("sub/local.py", "");
  t.write("sub/deeper/local.py", "");  // anchored to sub/, not below it
  // An excluded directory cannot have files re-included.
  t.write("sub/logs/.gitignore", "!*.c\n");
  EXPECT_EQ(paths(walk_ok(t.root())), (std::vector<std::string>{"a.c", "important.gen.c", "sub/deeper/local.py",
                                                                "sub/keep.gen.c", "sub/out/y.c"}));

  walk_options raw;
  raw.respect_gitignore = false;
  EXPECT_EQ(walk_ok(t.root(), raw).files.size(), 10u);
}

TEST(ScrapeWalker, ReadsGitInfoExcludeBelowTheGitignore) {
  test::temp_tree t;
  t.write(".git/info/exclude", "*.py\nlocal/\n");
  t.write(".gitignore", "!keep.py\n");
  t.write("a.py", "");
  t.write("keep.py", "");
  t.write("local/b.c", "");
  t.write("c.c", "");
  EXPECT_EQ(paths(walk_ok(t.root())), (std::vector<std::string>{"c.c", "keep.py"}));
}

TEST(ScrapeWalker, ExtraExcludesWinOverGitignore) {
  test::temp_tree t;
  t.write(".gitignore", "!*.c\n");
  t.write("a.c", "");
  t.write("third_party/b.c", "");
  t.write("gen/c.go", "");
  t.write("d.go", "");
  walk_options o;
  o.extra_excludes = {"third_party/", "*.go", "!d.go"};
  EXPECT_EQ(paths(walk_ok(t.root(), o)), (std::vector<std::string>{"a.c", "d.go"}));
}

TEST(ScrapeWalker, RecordsBinaryInvalidUtf8AndTooLargeFiles) {
  test::temp_tree t;
  t.write("ok.c", "int ok;\n");
  t.write("binary.c", std::string("int x;\0\1\2", 9));
  t.write("latin1.py", "name = 'caf\xe9'\n");
  t.write("big.js", std::string(3u << 20, 'x'));  // 3 MiB: over the 2 MiB default
  t.write("edge.ts", std::string(100, 'y'));
  const walk_result r = walk_ok(t.root());
  EXPECT_EQ(paths(r), (std::vector<std::string>{"edge.ts", "ok.c"}));
  EXPECT_EQ(skipped(r), (std::vector<std::string>{"big.js:too_large", "binary.c:binary", "latin1.py:invalid_utf8"}));
  ASSERT_EQ(r.skipped.size(), 3u);
  EXPECT_EQ(r.skipped[0].detail, "3145728 bytes, limit 2097152");
  EXPECT_EQ(r.skipped[1].detail, "NUL byte at offset 6");
  EXPECT_EQ(r.skipped[2].detail, "invalid UTF-8 at offset 11");

  walk_options small;
  small.max_file_size = 99;  // edge.ts has 100 bytes
  EXPECT_EQ(skipped(walk_ok(t.root(), small)),
            (std::vector<std::string>{"big.js:too_large", "binary.c:binary", "edge.ts:too_large", "latin1.py:invalid_utf8"}));

  walk_options no_read;
  no_read.check_content = false;  // only the size is checked without reading
  EXPECT_EQ(skipped(walk_ok(t.root(), no_read)), (std::vector<std::string>{"big.js:too_large"}));
}

TEST(ScrapeWalker, DoesNotFollowSymlinksAndSurvivesLoops) {
  test::temp_tree t;
  t.write("real/a.c", "int a;\n");
  fs::create_directory_symlink("..", t.root() / "real" / "loop");    // a cycle
  fs::create_directory_symlink("real", t.root() / "alias");          // a second path to real/
  fs::create_symlink("real/a.c", t.root() / "link.c");               // a file link
  fs::create_symlink("missing.c", t.root() / "dangling.c");          // a broken link
  fs::create_symlink("real/a.c", t.root() / "link.txt");             // not a source name: ignored
  const walk_result r = walk_ok(t.root());
  EXPECT_EQ(paths(r), (std::vector<std::string>{"real/a.c"}));
  EXPECT_EQ(skipped(r), (std::vector<std::string>{"dangling.c:symlink", "link.c:symlink"}));
}

TEST(ScrapeWalker, RecordsNamesThatAreNotUtf8) {
  test::temp_tree t;
  t.write("ok.c", "int ok;\n");
  t.write("caf\xe9.c", "int x;\n");
  t.write("dir\xff/inner.c", "int y;\n");
  t.write("notes\xe9.txt", "not code\n");  // no language: ignored silently
  const walk_result r = walk_ok(t.root());
  EXPECT_EQ(paths(r), (std::vector<std::string>{"ok.c"}));
  EXPECT_EQ(skipped(r), (std::vector<std::string>{"caf?.c:invalid_utf8", "dir?/:invalid_utf8"}));
  ASSERT_EQ(r.skipped.size(), 2u);
  EXPECT_EQ(r.skipped[0].detail, "the file name is not valid UTF-8");
}

TEST(ScrapeWalker, IgnoresFifosAndOtherSpecialFiles) {
  test::temp_tree t;
  t.write("a.c", "int a;\n");
  ASSERT_EQ(::mkfifo((t.root() / "pipe.c").c_str(), 0644), 0);
  // Reading a FIFO would block forever; the walker must not even open it.
  EXPECT_EQ(paths(walk_ok(t.root())), (std::vector<std::string>{"a.c"}));
}

bool can_read_despite_mode_000(const fs::path& p) {
  const int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

TEST(ScrapeWalker, RecordsUnreadableFiles) {
  test::temp_tree t;
  t.write("ok.c", "int ok;\n");
  const fs::path secret = t.write("secret.c", "int s;\n");
  ASSERT_EQ(::chmod(secret.c_str(), 0), 0);
  if (can_read_despite_mode_000(secret)) {
    GTEST_SKIP() << "SKIPPED: running with CAP_DAC_OVERRIDE (e.g. as root), where chmod 000 does not stop reads; "
                    "the unreadable-file case cannot be produced here.";
  }
  const walk_result r = walk_ok(t.root());
  EXPECT_EQ(paths(r), (std::vector<std::string>{"ok.c"}));
  EXPECT_EQ(skipped(r), (std::vector<std::string>{"secret.c:unreadable"}));
}

TEST(ScrapeWalker, RecordsUnreadableDirectories) {
  test::temp_tree t;
  t.write("ok.c", "int ok;\n");
  t.write("closed/x.c", "int x;\n");
  ASSERT_EQ(::chmod((t.root() / "closed").c_str(), 0), 0);
  if (can_read_despite_mode_000(t.root() / "closed")) {
    GTEST_SKIP() << "SKIPPED: running with CAP_DAC_OVERRIDE (e.g. as root), where chmod 000 does not stop reads; "
                    "the unreadable-directory case cannot be produced here.";
  }
  const walk_result r = walk_ok(t.root());
  EXPECT_EQ(paths(r), (std::vector<std::string>{"ok.c"}));
  EXPECT_EQ(skipped(r), (std::vector<std::string>{"closed/:unreadable"}));
}

// A directory the walker cannot open is recorded, not fatal. Paths longer than PATH_MAX
// cannot be opened by anyone, root included, so this runs everywhere.
TEST(ScrapeWalker, RecordsDirectoriesItCannotOpen) {
  test::temp_tree t;
  t.write("ok.c", "int ok;\n");
  const std::string name(200, 'd');
  int fd = ::open(t.root().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  std::string rel;
  for (int i = 0; i < 25; ++i) {  // 25 * 201 bytes > PATH_MAX (4096)
    ASSERT_EQ(::mkdirat(fd, name.c_str(), 0755), 0);
    const int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY);
    ::close(fd);
    ASSERT_GE(next, 0);
    fd = next;
    rel += (rel.empty() ? "" : "/") + name;
  }
  ::close(fd);
  const walk_result r = walk_ok(t.root());
  EXPECT_EQ(paths(r), (std::vector<std::string>{"ok.c"}));
  ASSERT_EQ(r.skipped.size(), 1u);
  EXPECT_EQ(r.skipped[0].reason, skip_reason::unreadable);
  EXPECT_EQ(r.skipped[0].path.back(), '/');
  EXPECT_EQ(rel.rfind(r.skipped[0].path.substr(0, r.skipped[0].path.size() - 1), 0), 0u);
  EXPECT_EQ(r.skipped[0].detail, "File name too long");
}

TEST(ScrapeWalker, FailsOnlyForABadRoot) {
  test::temp_tree t;
  const result<walk_result> missing = walk(t.root() / "nope");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.err().code, errc::not_found);
  EXPECT_NE(missing.err().message.find("does not exist"), std::string::npos);

  const fs::path file = t.write("file.c", "int x;\n");
  const result<walk_result> not_dir = walk(file);
  ASSERT_FALSE(not_dir.has_value());
  EXPECT_EQ(not_dir.err().code, errc::invalid_argument);
  EXPECT_THROW((void)walk(t.root() / "nope").value(), patina::exception);
}

}  // namespace
}  // namespace patina::scrape
