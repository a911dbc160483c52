// Helpers shared by the scrape tests: a symbol builder, printers that show every field,
// exact list comparisons, fixture reading and a temporary directory tree.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include "patina/scrape/file_facts.hpp"
#include "patina/scrape/skipped_file.hpp"
#include "patina/scrape/symbol.hpp"

namespace patina::scrape {

// gtest printers (found by ADL) so that failures show fields, not bytes.
inline std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
  }
  return out + "\"";
}

inline void PrintTo(const symbol& s, std::ostream* os) {
  *os << to_string(s.kind) << " " << quote(s.qualified_name) << " name=" << quote(s.name) << " L" << s.start_line
      << "-" << s.end_line << " parent=" << (s.parent == no_symbol ? std::string("none") : std::to_string(s.parent))
      << " sig=" << quote(s.signature) << " doc=" << quote(s.doc) << " params=[";
  for (const parameter& p : s.parameters) *os << "{" << quote(p.name) << "," << quote(p.type) << "}";
  const symbol_flags& f = s.flags;
  *os << "] ret=" << quote(s.return_type) << " flags=" << (f.is_async ? "async " : "") << (f.is_static ? "static " : "")
      << (f.is_public ? "public " : "") << (f.is_const ? "const " : "") << (f.is_virtual ? "virtual " : "")
      << (f.is_abstract ? "abstract " : "") << (f.is_unsafe ? "unsafe " : "") << (f.is_declaration ? "decl " : "")
      << "generic=" << s.generic_count;
}

inline void PrintTo(const import_fact& i, std::ostream* os) {
  *os << quote(i.path) << " L" << i.line << " names=[";
  for (const std::string& n : i.names) *os << quote(n) << " ";
  *os << "]";
}

inline void PrintTo(const call_edge& c, std::ostream* os) {
  *os << (c.caller == no_symbol ? std::string("none") : std::to_string(c.caller)) << " -> " << quote(c.callee) << " "
      << to_string(c.kind) << " L" << c.line;
}

inline void PrintTo(const parse_problem& p, std::ostream* os) {
  *os << to_string(p.kind) << " L" << p.line << " " << quote(p.message) << " detail=" << quote(p.detail);
}

inline void PrintTo(const skipped_file& s, std::ostream* os) {
  *os << quote(s.path) << " " << to_string(s.reason) << " detail=" << quote(s.detail);
}

namespace test {

template <class T>
std::string describe(const T& value) {
  std::ostringstream os;
  PrintTo(value, &os);
  return os.str();
}

template <class T>
std::string describe(const std::vector<T>& values) {
  std::ostringstream os;
  for (std::size_t i = 0; i < values.size(); ++i) {
    os << "\n  [" << i << "] ";
    PrintTo(values[i], &os);
  }
  return os.str();
}

// Exact comparison of two lists, element by element (every field), with readable output.
template <class T>
void expect_list(const std::vector<T>& actual, const std::vector<T>& expected, const char* what) {
  ASSERT_EQ(actual.size(), expected.size()) << what << ": actual list:" << describe(actual);
  bool printed_equal = true;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(describe(actual[i]), describe(expected[i])) << what << " #" << i;
    printed_equal = printed_equal && describe(actual[i]) == describe(expected[i]);
  }
  if (printed_equal) {
    EXPECT_TRUE(actual == expected) << what << ": lists differ in a field the printer does not show";
  }
}

inline void expect_symbols(const std::vector<symbol>& a, const std::vector<symbol>& e) { expect_list(a, e, "symbols"); }
inline void expect_imports(const std::vector<import_fact>& a, const std::vector<import_fact>& e) {
  expect_list(a, e, "imports");
}
inline void expect_calls(const std::vector<call_edge>& a, const std::vector<call_edge>& e) { expect_list(a, e, "calls"); }

// Builds an expected symbol: sb(kind, qualified name, name, first line, last line, signature)
// followed by the facts that differ from the defaults.
struct sb {
  symbol s;
  sb(symbol_kind kind, std::string qualified, std::string name, std::uint32_t start, std::uint32_t end,
     std::string signature) {
    s.kind = kind;
    s.qualified_name = std::move(qualified);
    s.name = std::move(name);
    s.start_line = start;
    s.end_line = end;
    s.signature = std::move(signature);
  }
  sb& parent(std::uint32_t p) { return s.parent = p, *this; }
  sb& doc(std::string d) { return s.doc = std::move(d), *this; }
  sb& params(std::vector<parameter> p) { return s.parameters = std::move(p), *this; }
  sb& ret(std::string r) { return s.return_type = std::move(r), *this; }
  sb& pub() { return s.flags.is_public = true, *this; }
  sb& stat() { return s.flags.is_static = true, *this; }
  sb& cnst() { return s.flags.is_const = true, *this; }
  sb& virt() { return s.flags.is_virtual = true, *this; }
  sb& abst() { return s.flags.is_abstract = true, *this; }
  sb& async_() { return s.flags.is_async = true, *this; }
  sb& unsafe_() { return s.flags.is_unsafe = true, *this; }
  sb& decl() { return s.flags.is_declaration = true, *this; }
  sb& generic(std::uint16_t n) { return s.generic_count = n, *this; }
  operator symbol() const { return s; }  // NOLINT: implicit on purpose, for brace lists
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::string read_fixture(const std::string& name) {
  const std::filesystem::path p = std::filesystem::path(PATINA_TEST_SOURCE_DIR) / "tests/unit/scrape/fixtures" / name;
  EXPECT_TRUE(std::filesystem::exists(p)) << p;
  return read_file(p);
}

// A fresh directory under the build tree, removed at the end of the test.
class temp_tree {
 public:
  temp_tree() {
    static std::atomic<int> counter{0};
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    root_ = std::filesystem::path(PATINA_TEST_BINARY_DIR) / "scrape-test-tmp" /
            (std::string(info->test_suite_name()) + "." + info->name() + "." + std::to_string(::getpid()) + "." +
             std::to_string(counter++));
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  ~temp_tree() {
    std::error_code ec;
    // Restore permissions that a test may have taken away, so removal succeeds.
    for (auto it = std::filesystem::recursive_directory_iterator(
             root_, std::filesystem::directory_options::skip_permission_denied, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_symlink()) ::chmod(it->path().c_str(), 0755);
    }
    std::filesystem::remove_all(root_, ec);
  }
  temp_tree(const temp_tree&) = delete;
  temp_tree& operator=(const temp_tree&) = delete;

  const std::filesystem::path& root() const { return root_; }

  // Writes `content` to root/rel, creating parent folders.
  std::filesystem::path write(const std::string& rel, const std::string& content) const {
    const std::filesystem::path p = root_ / rel;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << content;
    return p;
  }

 private:
  std::filesystem::path root_;
};

}  // namespace test
}  // namespace patina::scrape
