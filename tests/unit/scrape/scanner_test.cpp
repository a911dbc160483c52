// The parallel scan pipeline: ordering, batching, the consumer thread, incremental skips
// via already_known, bounded memory, bad files, and stopping on sink failures.
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "patina/scrape/scanner.hpp"
#include "scrape_test_util.hpp"

namespace patina::scrape {
namespace {

// A tree of `n` small files across languages: f000.c, f001.py, f002.go, ...
std::vector<std::string> make_tree(const test::temp_tree& t, int n) {
  const std::vector<std::pair<std::string, std::string>> kinds = {
      {".c", "int f(int x) { return g(x); }\n"},
      {".py", "def f(x):\n    return g(x)\n"},
      {".go", "package p\nfunc F(x int) int { return g(x) }\n"},
      {".rs", "pub fn f(x: u32) -> u32 { g(x) }\n"},
      {".ts", "export function f(x: number): number { return g(x); }\n"},
      {".java", "class C { int f(int x) { return g(x); } }\n"},
  };
  std::vector<std::string> paths;
  for (int i = 0; i < n; ++i) {
    const auto& [ext, code] = kinds[static_cast<std::size_t>(i) % kinds.size()];
    char name[32];
    std::snprintf(name, sizeof name, "d%d/f%03d", i % 3, i);
    paths.push_back(std::string(name) + ext);
    t.write(paths.back(), code);
  }
  std::sort(paths.begin(), paths.end());
  return paths;
}

TEST(ScrapeScan, DeliversEveryFileInOrderOnTheCallingThread) {
  test::temp_tree t;
  const std::vector<std::string> expected = make_tree(t, 60);
  scan_options o;
  o.threads = 4;
  o.batch_size = 7;
  o.max_in_flight = 5;
  std::vector<std::string> seen;
  std::vector<std::size_t> batch_sizes;
  const std::thread::id caller = std::this_thread::get_id();
  const result<scan_summary> r = scan(t.root(), o, [&](scan_batch& b) -> result<void> {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    batch_sizes.push_back(b.size());
    for (const file_facts& f : b.parsed) {
      seen.push_back(f.path);
      EXPECT_EQ(f.symbols.size(), f.lang == language::java ? 2u : 1u) << f.path;
      EXPECT_EQ(f.calls.size(), 1u) << f.path;
      if (!f.calls.empty()) {
        EXPECT_EQ(f.calls[0].callee, "g");
      }
      EXPECT_NE(f.mtime_ns, 0);
    }
    EXPECT_TRUE(b.unchanged.empty());
    EXPECT_TRUE(b.skipped.empty());
    return {};
  });
  ASSERT_TRUE(r.has_value()) << r.err().describe();
  EXPECT_EQ(seen, expected);
  EXPECT_EQ(batch_sizes, (std::vector<std::size_t>{7, 7, 7, 7, 7, 7, 7, 7, 4}));
  EXPECT_EQ(r->files, 60u);
  EXPECT_EQ(r->parsed, 60u);
  EXPECT_EQ(r->unchanged, 0u);
  EXPECT_EQ(r->skipped, 0u);
  EXPECT_EQ(r->partial, 0u);
  std::uint64_t bytes = 0;
  for (const std::string& p : expected) bytes += std::filesystem::file_size(t.root() / p);
  EXPECT_EQ(r->bytes_parsed, bytes);
}

TEST(ScrapeScan, ReportsTheWalkTotalsOnceBeforeTheFirstBatch) {
  test::temp_tree t;
  const std::vector<std::string> paths = make_tree(t, 12);
  t.write("blob.c", std::string("int x;\0\0binary", 15));  // skipped by the workers: NUL bytes
  std::uint64_t bytes = 0;
  for (const auto& p : paths) bytes += std::filesystem::file_size(t.root() / p);
  bytes += 15;
  scan_options o;
  o.threads = 2;
  std::size_t calls = 0;
  std::size_t batches_before = 0;
  std::size_t batches = 0;
  std::size_t files_total = 0;
  std::uint64_t bytes_total = 0;
  const std::thread::id caller = std::this_thread::get_id();
  o.walked = [&](std::size_t files, std::uint64_t b) {
    EXPECT_EQ(std::this_thread::get_id(), caller);
    ++calls;
    batches_before = batches;
    files_total = files;
    bytes_total = b;
  };
  const result<scan_summary> r = scan(t.root(), o, [&](scan_batch&) -> result<void> {
    ++batches;
    return {};
  });
  ASSERT_TRUE(r);
  EXPECT_EQ(calls, 1u);
  EXPECT_EQ(batches_before, 0u);
  EXPECT_GT(batches, 0u);
  EXPECT_EQ(files_total, paths.size() + 1);
  EXPECT_EQ(bytes_total, bytes);
}

TEST(ScrapeScan, AlreadyKnownFilesAreHashedButNotParsed) {
  test::temp_tree t;
  const std::vector<std::string> files = make_tree(t, 12);
  // "Store" every other file with its real hash, and one with a stale hash.
  std::map<std::string, std::string> stored;
  for (std::size_t i = 0; i < files.size(); i += 2) {
    stored[files[i]] = content_hash(test::read_file(t.root() / files[i]));
  }
  stored[files[1]] = "0000000000000000";
  std::mutex m;
  std::set<std::string> asked;
  scan_options o;
  o.threads = 3;
  o.already_known = [&](std::string_view path, std::string_view hash) {
    const std::lock_guard<std::mutex> lock(m);
    asked.emplace(path);
    EXPECT_EQ(hash, content_hash(test::read_file(t.root() / std::string(path))));
    const auto it = stored.find(std::string(path));
    return it != stored.end() && it->second == hash;
  };
  std::vector<std::string> parsed;
  std::vector<unchanged_file> unchanged;
  const result<scan_summary> r = scan(t.root(), o, [&](scan_batch& b) -> result<void> {
    for (const file_facts& f : b.parsed) parsed.push_back(f.path);
    for (unchanged_file& u : b.unchanged) unchanged.push_back(std::move(u));
    return {};
  });
  ASSERT_TRUE(r.has_value()) << r.err().describe();
  EXPECT_EQ(asked.size(), files.size());
  EXPECT_EQ(r->unchanged, 6u);
  EXPECT_EQ(r->parsed, 6u);
  ASSERT_EQ(unchanged.size(), 6u);
  for (std::size_t i = 0; i < unchanged.size(); ++i) {
    const std::string& path = files[2 * i];
    EXPECT_EQ(unchanged[i].path, path);
    EXPECT_EQ(unchanged[i].content_hash, stored[path]);
    EXPECT_EQ(unchanged[i].size, std::filesystem::file_size(t.root() / path));
    EXPECT_EQ(unchanged[i].lang, *detect_language(path));
  }
  EXPECT_EQ(parsed, (std::vector<std::string>{files[1], files[3], files[5], files[7], files[9], files[11]}));
}

// How far ahead of the consumer the workers run: note() is called from a worker as it
// reads file `path` (via scan_options::already_known), the sink adds to `consumed`.
struct lead_tracker {
  explicit lead_tracker(const std::vector<std::string>& files) {
    for (std::size_t i = 0; i < files.size(); ++i) index[files[i]] = i;
  }
  std::size_t note(std::string_view path) {
    const std::size_t i = index.at(std::string(path));
    const std::size_t done = consumed.load();
    const std::size_t ahead = i >= done ? i - done : 0;
    std::size_t prev = max_ahead.load();
    while (ahead > prev && !max_ahead.compare_exchange_weak(prev, ahead)) {
    }
    return ahead;
  }
  std::map<std::string, std::size_t> index;
  std::atomic<std::size_t> consumed{0};
  std::atomic<std::size_t> max_ahead{0};
};

// Workers never run further ahead of the consumer than max_in_flight files (plus the batch
// being filled), however slow the sink is.
TEST(ScrapeScan, MemoryStaysBoundedBehindASlowSink) {
  test::temp_tree t;
  const std::vector<std::string> files = make_tree(t, 80);
  lead_tracker lead(files);
  std::atomic<std::size_t> violations{0};
  scan_options o;
  o.threads = 4;
  o.batch_size = 3;
  o.max_in_flight = 4;
  o.already_known = [&](std::string_view path, std::string_view) {
    if (lead.note(path) >= o.max_in_flight + o.batch_size) ++violations;
    return false;
  };
  const result<scan_summary> r = scan(t.root(), o, [&](scan_batch& b) -> result<void> {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    lead.consumed += b.size();
    return {};
  });
  ASSERT_TRUE(r.has_value()) << r.err().describe();
  EXPECT_EQ(lead.consumed.load(), files.size());
  EXPECT_EQ(violations.load(), 0u) << "a worker ran " << lead.max_ahead.load() << " files ahead";
}

// The same bound in bytes: with room for one file's bytes, a worker claims a file only
// when nothing else is in flight or it is the next one to deliver; the files are all
// delivered, in order, and the lead stays within the batch being filled.
TEST(ScrapeScan, BytesInFlightAreBoundedToo) {
  test::temp_tree t;
  const std::vector<std::string> files = make_tree(t, 60);
  auto lead_with = [&](std::uint64_t max_bytes) {
    lead_tracker lead(files);
    std::vector<std::string> order;
    scan_options o;
    o.threads = 4;
    o.batch_size = 1;
    o.max_in_flight = 1000;
    o.max_in_flight_bytes = max_bytes;
    o.already_known = [&](std::string_view path, std::string_view) {
      lead.note(path);
      return false;
    };
    const result<scan_summary> r = scan(t.root(), o, [&](scan_batch& b) -> result<void> {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      for (const auto& f : b.parsed) order.push_back(f.path);
      lead.consumed += b.size();
      return {};
    });
    EXPECT_TRUE(r.has_value()) << r.err().describe();
    EXPECT_EQ(order, files);
    return lead.max_ahead.load();
  };
  // One byte: one file in flight, plus the one the consumer took and has not yet
  // handed to the sink.
  EXPECT_LE(lead_with(1), 2u);
  // No byte limit to speak of: the workers run far ahead of the slow sink.
  EXPECT_GT(lead_with(std::uint64_t{1} << 30), 4u);
}

TEST(ScrapeScan, BadFilesAreDeliveredAsSkipped) {
  test::temp_tree t;
  t.write("a.c", "int a;\n");
  t.write("b.c", std::string("int\0b;", 6));
  t.write("c.py", "s = '\xff'\n");
  t.write("d.js", std::string(4096, 'x'));
  t.write("e.rs", "fn broken( {\n");
  std::filesystem::create_symlink("a.c", t.root() / "f.c");
  scan_options o;
  o.walk.max_file_size = 1000;
  o.batch_size = 2;
  std::vector<std::string> skipped;
  std::vector<std::string> parsed;
  std::vector<std::size_t> sizes;
  const result<scan_summary> r = scan(t.root(), o, [&](scan_batch& b) -> result<void> {
    sizes.push_back(b.size());
    for (const skipped_file& s : b.skipped) skipped.push_back(s.path + ":" + std::string(to_string(s.reason)));
    for (const file_facts& f : b.parsed) parsed.push_back(f.path + (f.partial() ? ":partial" : ""));
    return {};
  });
  ASSERT_TRUE(r.has_value()) << r.err().describe();
  // Walk-time skips (size, links) first, in their own batch; then files in path order.
  EXPECT_EQ(skipped, (std::vector<std::string>{"d.js:too_large", "f.c:symlink", "b.c:binary", "c.py:invalid_utf8"}));
  EXPECT_EQ(parsed, (std::vector<std::string>{"a.c", "e.rs:partial"}));
  EXPECT_EQ(sizes, (std::vector<std::size_t>{2, 2, 2}));
  EXPECT_EQ(r->files, 4u);
  EXPECT_EQ(r->skipped, 4u);
  EXPECT_EQ(r->partial, 1u);
}

TEST(ScrapeScan, ASinkErrorStopsTheScan) {
  test::temp_tree t;
  make_tree(t, 40);
  scan_options o;
  o.threads = 2;
  o.batch_size = 5;
  int calls = 0;
  const result<scan_summary> r = scan(t.root(), o, [&](scan_batch&) -> result<void> {
    if (++calls == 2) return fail(errc::io_error, "disk full: free space and scrape again");
    return {};
  });
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.err().code, errc::io_error);
  EXPECT_EQ(r.err().message, "disk full: free space and scrape again");
  EXPECT_EQ(calls, 2);
}

TEST(ScrapeScan, ASinkExceptionPropagatesAfterWorkersStop) {
  test::temp_tree t;
  make_tree(t, 30);
  scan_options o;
  o.threads = 3;
  o.batch_size = 4;
  EXPECT_THROW((void)scan(t.root(), o, [](scan_batch&) -> result<void> { throw std::runtime_error("sink broke"); }),
               std::runtime_error);
}

TEST(ScrapeScan, AnExceptionInAWorkerPropagates) {
  test::temp_tree t;
  make_tree(t, 30);
  scan_options o;
  o.threads = 3;
  o.already_known = [](std::string_view path, std::string_view) -> bool {
    if (path.find("f017") != std::string_view::npos) throw std::runtime_error("store unavailable");
    return false;
  };
  EXPECT_THROW((void)scan(t.root(), o, [](scan_batch&) -> result<void> { return {}; }), std::runtime_error);
}

TEST(ScrapeScan, EmptyTreeAndBadRoot) {
  test::temp_tree t;
  int calls = 0;
  const result<scan_summary> r = scan(t.root(), {}, [&](scan_batch&) -> result<void> {
    ++calls;
    return {};
  });
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->files, 0u);
  EXPECT_EQ(calls, 0);
  const result<scan_summary> bad = scan(t.root() / "missing", {}, [&](scan_batch&) -> result<void> { return {}; });
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.err().code, errc::not_found);
}

}  // namespace
}  // namespace patina::scrape
