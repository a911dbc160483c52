// The code index over this build's backend: scrape, incremental rescans,
// deletions and renames, skipped files, symbol and call lookups. The same test
// bodies run in both builds.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <string>

#include "backend_harness.hpp"
#include "patina/scrape/extractor.hpp"
#include "patina/scrape/database.hpp"
#include "patina/scrape/detail/storage.hpp"

namespace {

using namespace patina;
using patina::cli::task;
using patina::test::database;
using patina::test::harness;
namespace fs = std::filesystem;

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

const char* const geometry_cpp = R"(// Geometry helpers.
namespace geo {

// Area of a rectangle.
int area(int w, int h) { return w * h; }

class Shape {
 public:
  int size() const { return area(2, 3); }
};

}  // namespace geo
)";

const char* const tool_py = R"(import os

def load_settings(path):
    """Reads the settings file."""
    return os.path.exists(path)

def main():
    load_settings("x")
)";

struct tree {
  test::scratch_dir dir;
  fs::path root() const { return dir.path() / "src"; }
  tree() {
    write(root() / "geometry.cpp", geometry_cpp);
    write(root() / "tools" / "tool.py", tool_py);
  }
};

scrape::scrape_options quiet_options() {
  scrape::scrape_options o;
  o.scan.threads = 2;
  return o;
}

TEST(scrape_database, scrape_stores_symbols_and_calls) {
  harness h;
  tree t;
  h.run([&](harness& th) -> task<void> {
    auto db = PATINA_AWAIT th.open(th.db_path());
    scrape::Database<database> code(db);
    const auto opts = quiet_options();
    auto report = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(report.files, 2u);
    EXPECT_EQ(report.parsed, 2u);
    EXPECT_EQ(report.unchanged, 0u);
    EXPECT_GE(report.symbols, 5u);

    auto area = PATINA_AWAIT code.find_symbols("geo::area");
    PATINA_ASSERT_EQ(area.size(), 1u);
    EXPECT_EQ(area[0].name, "area");
    EXPECT_EQ(area[0].kind, "function");
    EXPECT_EQ(area[0].path, "geometry.cpp");
    EXPECT_EQ(area[0].start_line, 5u);
    EXPECT_NE(area[0].doc.find("Area of a rectangle"), std::string::npos);

    // The tail of a qualified name, from a scope boundary on.
    auto size = PATINA_AWAIT code.find_symbols("Shape::size");
    PATINA_ASSERT_EQ(size.size(), 1u);
    EXPECT_EQ(size[0].qualified_name, "geo::Shape::size");
    auto partial = PATINA_AWAIT code.find_symbols("ape::size");
    EXPECT_TRUE(partial.empty());
    auto dotted = PATINA_AWAIT code.find_symbols("tool.load_settings");
    PATINA_ASSERT_EQ(dotted.size(), 1u);
    EXPECT_EQ(dotted[0].qualified_name, "tools.tool.load_settings");

    auto callers = PATINA_AWAIT code.callers(area[0].id);
    PATINA_ASSERT_EQ(callers.size(), 1u);
    EXPECT_EQ(callers[0].qualified_name, "geo::Shape::size");
    EXPECT_EQ(callers[0].line, 9u);

    auto load = PATINA_AWAIT code.find_symbols("load_settings");
    PATINA_ASSERT_EQ(load.size(), 1u);
    EXPECT_EQ(load[0].path, "tools/tool.py");
    auto main_fn = PATINA_AWAIT code.find_symbols("main");
    PATINA_ASSERT_EQ(main_fn.size(), 1u);
    auto callees = PATINA_AWAIT code.callees(main_fn[0].id);
    PATINA_ASSERT_EQ(callees.size(), 1u);
    EXPECT_EQ(callees[0].symbol_id, load[0].id);
  });
}

// Call resolution: within the caller's language family (C with C++), narrowed by
// the written qualifier, and preferring the caller's file, then its folder.
TEST(scrape_database, calls_resolve_by_language_qualifier_and_place) {
  harness h;
  test::scratch_dir dir;
  const fs::path root = dir.path() / "src";
  write(root / "rs" / "state.rs",
        "pub struct State;\nimpl State {\n    pub fn new() -> State { State }\n"
        "    pub fn load() -> State {\n        let n = AtomicUsize::new(0);\n        State::new()\n    }\n}\n");
  write(root / "py" / "helpers.py", "def partial():\n    pass\n\ndef other():\n    pass\n");
  write(root / "java" / "Runner.java",
        "class Runner {\n  void run() {\n    Helpers.partial();\n    other();\n  }\n}\n");
  write(root / "go" / "a" / "check.go", "package a\n\nfunc check() {}\n");
  write(root / "go" / "a" / "run.go", "package a\n\nfunc Run() {\n\tcheck()\n}\n");
  write(root / "go" / "b" / "check.go", "package b\n\nfunc check() {}\n");
  write(root / "js" / "lib.js",
        "function replace(s) { return s; }\nfunction deburr(s) { return s; }\n"
        "function clean(s) { return deburr(s).replace('a', 'b'); }\n");
  write(root / "c" / "base.c", "int base_add(int a) { return a; }\n");
  write(root / "cpp" / "use.cpp", "int base_add(int a);\nint use() { return base_add(1); }\n");
  h.run([&](harness& th) -> task<void> {
    auto db = PATINA_AWAIT th.open(th.db_path());
    scrape::Database<database> code(db);
    const auto opts = quiet_options();
    PATINA_AWAIT code.scrape(root, opts);
    // callee as written -> qualified name of its resolved target ("" when unresolved)
    auto callees_of = [&](std::string name) -> task<std::map<std::string, std::string>> {
      auto found = PATINA_AWAIT code.find_symbols(name);
      std::map<std::string, std::string> out;
      if (found.size() != 1) {
        ADD_FAILURE() << name << ": " << found.size() << " symbols";
        PATINA_RETURN out;
      }
      auto callees = PATINA_AWAIT code.callees(found[0].id);
      for (const auto& c : callees) out[c.name] = c.symbol_id == 0 ? std::string() : c.qualified_name;
      PATINA_RETURN out;
    };
    auto load = PATINA_AWAIT callees_of("crate::State::load");
    PATINA_ASSERT_EQ(load.size(), 2u);
    EXPECT_EQ(load["AtomicUsize::new"], "");  // not State::new: another type
    EXPECT_EQ(load["State::new"], "crate::State::new");
    auto run = PATINA_AWAIT callees_of("Runner.run");
    PATINA_ASSERT_EQ(run.size(), 2u);
    EXPECT_EQ(run["Helpers.partial"], "");  // Python's partial is another language
    EXPECT_EQ(run["other"], "");
    auto go_run = PATINA_AWAIT callees_of("a.Run");
    EXPECT_EQ(go_run["check"], "a.check");  // the caller's package (folder), not b.check
    auto clean = PATINA_AWAIT callees_of("clean");
    EXPECT_EQ(clean["deburr"], "deburr");
    PATINA_ASSERT_EQ(clean.count("deburr().replace"), 1u);  // arguments are not kept in the written name
    EXPECT_EQ(clean["deburr().replace"], "");  // a method of a value, not the free function
    auto use = PATINA_AWAIT callees_of("use");
    EXPECT_EQ(use["base_add"], "base_add");  // C++ calling C
  });
}

TEST(scrape_database, rescan_of_unchanged_tree_changes_nothing) {
  harness h;
  tree t;
  h.run([&](harness& th) -> task<void> {
    auto db = PATINA_AWAIT th.open(th.db_path());
    scrape::Database<database> code(db);
    const auto opts = quiet_options();
    PATINA_AWAIT code.scrape(t.root(), opts);
    auto before = PATINA_AWAIT db.query("SELECT id, indexed_at FROM files ORDER BY id", {});
    auto symbols_before = PATINA_AWAIT db.query("SELECT id FROM symbols ORDER BY id", {});
    auto again = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(again.parsed, 0u);
    EXPECT_EQ(again.unchanged, 2u);
    EXPECT_EQ(again.removed, 0u);
    auto after = PATINA_AWAIT db.query("SELECT id, indexed_at FROM files ORDER BY id", {});
    auto symbols_after = PATINA_AWAIT db.query("SELECT id FROM symbols ORDER BY id", {});
    EXPECT_EQ(before.rows, after.rows);
    EXPECT_EQ(symbols_before.rows, symbols_after.rows);
  });
}

// An index built by another extractor version is parsed again in full once, even
// though no file changed; then rescans are incremental again.
TEST(scrape_database, another_extraction_version_reparses_everything_once) {
  harness h;
  tree t;
  h.run([&](harness& th) -> task<void> {
    auto db = PATINA_AWAIT th.open(th.db_path());
    scrape::Database<database> code(db);
    const auto opts = quiet_options();
    auto first = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(first.parsed, 2u);
    auto recorded = PATINA_AWAIT db.query("SELECT value FROM patina_meta WHERE key = 'scrape_extraction_version'", {});
    PATINA_ASSERT_EQ(recorded.rows.size(), 1u);
    EXPECT_EQ(std::get<std::string>(recorded.rows[0][0]), std::to_string(scrape::extraction_version));

    auto symbol_count = [&]() -> task<std::int64_t> {
      auto rows = PATINA_AWAIT db.query("SELECT count(*) FROM symbols", {});
      PATINA_RETURN std::get<std::int64_t>(rows.rows.at(0).at(0));
    };
    const auto symbols = PATINA_AWAIT symbol_count();

    // Version 1 (row ids not grouped by file, like this stray row): the index is
    // parsed again from empty, so no row of the old scheme survives.
    const std::vector<db::statement> older{
        {"UPDATE patina_meta SET value = '1' WHERE key = 'scrape_extraction_version'", {}},
        {"INSERT INTO symbols (id, file_id, name, qualified_name, kind, language, start_line, end_line) "
         "SELECT 12345, id, 'stray', 'stray', 'function', language, 1, 1 FROM files LIMIT 1",
         {}}};
    PATINA_AWAIT db.execute_batch(older);
    auto upgraded = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(upgraded.parsed, 2u);
    EXPECT_EQ(upgraded.unchanged, 0u);
    auto after_upgrade = PATINA_AWAIT symbol_count();
    EXPECT_EQ(after_upgrade, symbols);
    auto again = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(again.parsed, 0u);
    EXPECT_EQ(again.unchanged, 2u);

    // Version 3 (ids grouped): parsed again file by file, each file's old rows
    // deleted by their id range.
    const std::vector<db::statement> grouped{
        {"UPDATE patina_meta SET value = '3' WHERE key = 'scrape_extraction_version'", {}}};
    PATINA_AWAIT db.execute_batch(grouped);
    auto reparsed = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(reparsed.parsed, 2u);
    auto after_reparse = PATINA_AWAIT symbol_count();
    EXPECT_EQ(after_reparse, symbols);

    // A newer extractor's index is left alone (and keeps its version): parsing
    // it again would put older facts back and start a back-and-forth between
    // replicas of different versions.
    const auto newer = std::to_string(scrape::extraction_version + 1);
    const std::vector<db::statement> from_newer{
        {"UPDATE patina_meta SET value = ?1 WHERE key = 'scrape_extraction_version'", {db::value{newer}}}};
    PATINA_AWAIT db.execute_batch(from_newer);
    auto left = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(left.parsed, 0u);
    EXPECT_EQ(left.unchanged, 2u);
    auto kept = PATINA_AWAIT db.query("SELECT value FROM patina_meta WHERE key = 'scrape_extraction_version'", {});
    PATINA_ASSERT_EQ(kept.rows.size(), 1u);
    EXPECT_EQ(std::get<std::string>(kept.rows[0][0]), newer);
  });
}

TEST(scrape_database, edit_delete_and_rename_are_incremental) {
  harness h;
  tree t;
  h.run([&](harness& th) -> task<void> {
    auto db = PATINA_AWAIT th.open(th.db_path());
    scrape::Database<database> code(db);
    const auto opts = quiet_options();
    PATINA_AWAIT code.scrape(t.root(), opts);

    // Edit: a function is renamed inside the file.
    std::string edited = tool_py;
    edited.replace(edited.find("def main"), 8, "def run_tool");
    write(t.root() / "tools" / "tool.py", edited);
    auto r1 = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(r1.parsed, 1u);
    EXPECT_EQ(r1.unchanged, 1u);
    auto gone = PATINA_AWAIT code.find_symbols("main");
    EXPECT_TRUE(gone.empty());
    auto renamed = PATINA_AWAIT code.find_symbols("run_tool");
    EXPECT_EQ(renamed.size(), 1u);

    // Rename the file: old rows go, new ones come.
    fs::rename(t.root() / "tools" / "tool.py", t.root() / "tools" / "tooling.py");
    auto r2 = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(r2.removed, 1u);
    EXPECT_EQ(r2.parsed, 1u);
    auto moved = PATINA_AWAIT code.find_symbols("load_settings");
    PATINA_ASSERT_EQ(moved.size(), 1u);
    EXPECT_EQ(moved[0].path, "tools/tooling.py");

    // Delete: its symbols, imports and calls disappear.
    fs::remove(t.root() / "tools" / "tooling.py");
    auto r3 = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(r3.removed, 1u);
    auto files = PATINA_AWAIT db.query("SELECT count(*) FROM files", {});
    EXPECT_EQ(std::get<std::int64_t>(files.rows[0][0]), 1);
    auto orphans = PATINA_AWAIT db.query(
        "SELECT (SELECT count(*) FROM symbols WHERE file_id NOT IN (SELECT id FROM files)) + "
        "(SELECT count(*) FROM calls WHERE file_id NOT IN (SELECT id FROM files)) + "
        "(SELECT count(*) FROM imports WHERE file_id NOT IN (SELECT id FROM files))",
        {});
    EXPECT_EQ(std::get<std::int64_t>(orphans.rows[0][0]), 0);
  });
}

TEST(scrape_database, bad_files_are_recorded_not_fatal) {
  harness h;
  tree t;
  write(t.root() / "blob.c", std::string("int x;\0\0\0binary", 15));
  write(t.root() / "latin1.py", "s = '\xe9t\xe9'\n");
  h.run([&](harness& th) -> task<void> {
    auto db = PATINA_AWAIT th.open(th.db_path());
    scrape::Database<database> code(db);
    const auto opts = quiet_options();
    auto report = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(report.skipped, 2u);
    EXPECT_EQ(report.parsed, 2u);
    auto skipped = PATINA_AWAIT code.skipped_files();
    PATINA_ASSERT_EQ(skipped.size(), 2u);
    EXPECT_EQ(skipped[0].path, "blob.c");
    EXPECT_EQ(skipped[0].reason, "binary");
    EXPECT_EQ(skipped[1].path, "latin1.py");
    EXPECT_EQ(skipped[1].reason, "invalid_utf8");

    // Fixed files leave the skipped list on the next scrape.
    fs::remove(t.root() / "blob.c");
    write(t.root() / "latin1.py", "s = 'ete'\n");
    auto again = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(again.skipped, 0u);
    auto none = PATINA_AWAIT code.skipped_files();
    EXPECT_TRUE(none.empty());
  });
}

TEST(scrape_database, full_rescan_parses_everything_and_keeps_ids) {
  harness h;
  tree t;
  h.run([&](harness& th) -> task<void> {
    auto db = PATINA_AWAIT th.open(th.db_path());
    scrape::Database<database> code(db);
    auto opts = quiet_options();
    PATINA_AWAIT code.scrape(t.root(), opts);
    auto ids_before = PATINA_AWAIT db.query("SELECT id FROM symbols ORDER BY id", {});
    opts.full = true;
    auto report = PATINA_AWAIT code.scrape(t.root(), opts);
    EXPECT_EQ(report.parsed, 2u);
    auto ids_after = PATINA_AWAIT db.query("SELECT id FROM symbols ORDER BY id", {});
    EXPECT_EQ(ids_before.rows, ids_after.rows);
  });
}

// A tree large enough for the scrape to write it in several transactions.
void write_many_functions(const fs::path& root, int files, int functions_per_file) {
  for (int f = 0; f < files; ++f) {
    std::string text;
    for (int i = 0; i < functions_per_file; ++i) {
      text += "def f" + std::to_string(f) + "_" + std::to_string(i) + "(a, b):\n";
      text += "    \"\"\"Adds two numbers.\"\"\"\n    return g(a) + b\n\n";
    }
    write(root / ("m" + std::to_string(f) + ".py"), text);
  }
}

TEST(scrape_database, committed_is_called_after_each_write_transaction) {
  harness h;
  test::scratch_dir dir;
  const auto root = dir.path() / "big";
  // About 13 bound values per function (its symbol and call rows): 50k
  // functions make four or five transactions of values_per_write values.
  const int files = 100;
  const int per_file = static_cast<int>(scrape::detail::values_per_write / 4 / files);
  write_many_functions(root, files, per_file);
  h.run([&](harness& th) -> task<void> {
    auto db = PATINA_AWAIT th.open(th.db_path());
    scrape::Database<database> code(db);
    auto opts = quiet_options();
    std::vector<std::int64_t> files_seen;  // files another connection saw at each commit
    opts.committed = [&] {
#if defined(PATINA_BACKEND_TURSO)
      files_seen.push_back(-1);  // a second connection to the file is not opened here
#else
      auto other = database::open(th.db_path());
      auto n = other.query("SELECT count(*) FROM files", {});
      files_seen.push_back(std::get<std::int64_t>(n.rows.at(0).at(0)));
#endif
    };
    auto report = PATINA_AWAIT code.scrape(root, opts);
    EXPECT_EQ(report.parsed, static_cast<std::size_t>(files));
    EXPECT_GE(report.symbols, static_cast<std::size_t>(files * per_file));
    // At least two intermediate commits and the last one.
    PATINA_ASSERT_TRUE(files_seen.size() >= 3u);
#if !defined(PATINA_BACKEND_TURSO)
    EXPECT_GT(files_seen.front(), 0);  // the first batch was visible at once
    EXPECT_LT(files_seen.front(), files);
    for (std::size_t i = 1; i < files_seen.size(); ++i) EXPECT_GE(files_seen[i], files_seen[i - 1]);
    EXPECT_EQ(files_seen.back(), files);
#endif
    // An unchanged tree writes one (empty) transaction, and says so.
    files_seen.clear();
    PATINA_AWAIT code.scrape(root, opts);
    EXPECT_EQ(files_seen.size(), 1u);
  });
}

}  // namespace
