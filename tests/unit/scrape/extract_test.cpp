// Extraction beyond the fixtures: languages, hashing, content checks, syntax errors
// (partial extraction), deep nesting, doc-comment rules, caps and overload identity.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "patina/scrape/extractor.hpp"
#include "patina/scrape/skipped_file.hpp"
#include "scrape_test_util.hpp"

namespace patina::scrape {
namespace {

using k = symbol_kind;
using test::sb;

file_facts extract(const std::string& path, const std::string& content, extract_options options = {}) {
  const auto lang = detect_language(path);
  EXPECT_TRUE(lang.has_value()) << path;
  extractor ex(options);
  return ex.extract(path, lang.value_or(language::c), content);
}

TEST(ScrapeLanguage, DetectsLanguageByExtension) {
  const std::vector<std::pair<std::string, language>> cases = {
      {"a.c", language::c},           {"inc/a.h", language::c},        {"a.cc", language::cpp},
      {"a.cpp", language::cpp},       {"a.cxx", language::cpp},        {"a.c++", language::cpp},
      {"a.hpp", language::cpp},       {"a.hh", language::cpp},         {"a.hxx", language::cpp},
      {"a.h++", language::cpp},       {"a.ipp", language::cpp},        {"a.tpp", language::cpp},
      {"src/lib.rs", language::rust}, {"a.py", language::python},      {"a.pyi", language::python},
      {"a.go", language::go},         {"a.js", language::javascript},  {"a.mjs", language::javascript},
      {"a.cjs", language::javascript}, {"a.jsx", language::javascript}, {"a.ts", language::typescript},
      {"a.mts", language::typescript}, {"a.cts", language::typescript}, {"a.tsx", language::tsx},
      {"A.java", language::java},     {"UPPER.CPP", language::cpp},    {"x.y/Main.JAVA", language::java},
  };
  for (const auto& [path, lang] : cases) {
    const auto got = detect_language(path);
    ASSERT_TRUE(got.has_value()) << path;
    EXPECT_EQ(*got, lang) << path;
  }
  for (const std::string path : {"README.md", "Makefile", ".c", "dir.c/file", "a.", "a.cppx", "a.json", "a.d.tsx2"}) {
    EXPECT_FALSE(detect_language(path).has_value()) << path;
  }
}

TEST(ScrapeLanguage, HeadersWithCppContentAreCpp) {
  const std::vector<std::pair<std::string, language>> cases = {
      {"int f(void);\n", language::c},
      {"/* the class of all widgets */\nstruct w { int class_id; };\n", language::c},
      {"int new = 1; /* C may use C++ keywords as names */\n", language::c},
      {"namespace geo {\n}\n", language::cpp},
      {"  template <typename T> T f(T);\n", language::cpp},
      {"class Widget {\n};\n", language::cpp},
      {"class Widget : public Base {};\n", language::cpp},
      {"class Widget;\n", language::cpp},
      {"struct S {\npublic:\n  int x;\n};\n", language::cpp},
      {"void f(std::string s);\n", language::cpp},
      {"using namespace std;\n", language::cpp},
      {"int public_count;\nint x = a ? b : c;\n", language::c},
  };
  for (const auto& [content, lang] : cases) {
    EXPECT_EQ(refine_language(language::c, "inc/x.h", content), lang) << content;
  }
  // Only .h is ambiguous.
  EXPECT_EQ(refine_language(language::c, "x.c", "namespace a {}\n"), language::c);
  EXPECT_EQ(refine_language(language::python, "x.py", "class A:\n"), language::python);
}

TEST(ScrapeLanguage, NamesRoundTrip) {
  std::set<std::string_view> names;
  for (language lang : all_languages) {
    names.insert(to_string(lang));
    EXPECT_EQ(language_from_string(to_string(lang)), lang);
  }
  EXPECT_EQ(names.size(), all_languages.size());
  EXPECT_FALSE(language_from_string("cobol").has_value());
  EXPECT_EQ(qualifier_separator(language::cpp), "::");
  EXPECT_EQ(qualifier_separator(language::rust), "::");
  EXPECT_EQ(qualifier_separator(language::python), ".");
  EXPECT_EQ(to_string(k::class_), "class");
  EXPECT_EQ(to_string(k::namespace_), "namespace");
  EXPECT_EQ(symbol_kind_from_string("enum_member"), k::enum_member);
  EXPECT_FALSE(symbol_kind_from_string("klass").has_value());
}

TEST(ScrapeContent, HashIsXxh3AsHex) {
  // XXH3-64 of the empty input (reference value of the xxHash test suite).
  EXPECT_EQ(content_hash(""), "2d06800538d394c2");
  const std::string h = content_hash("int main() {}\n");
  ASSERT_EQ(h.size(), 16u);
  EXPECT_EQ(h.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_NE(h, content_hash("int main() {}"));
  EXPECT_EQ(h, content_hash(std::string("int main() {}\n")));
}

TEST(ScrapeContent, CountsLines) {
  EXPECT_EQ(count_lines(""), 0u);
  EXPECT_EQ(count_lines("a"), 1u);
  EXPECT_EQ(count_lines("a\n"), 1u);
  EXPECT_EQ(count_lines("a\nb"), 2u);
  EXPECT_EQ(count_lines("\n\n"), 2u);
}

TEST(ScrapeContent, ChecksBinaryAndUtf8) {
  std::string why;
  EXPECT_FALSE(check_content("plain text", &why).has_value());
  EXPECT_FALSE(check_content("caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e", &why).has_value());  // é € 𝄞
  EXPECT_FALSE(check_content("\xef\xbb\xbfint x;", &why).has_value());                            // BOM

  EXPECT_EQ(check_content(std::string("ab\0cd", 5), &why), skip_reason::binary);
  EXPECT_EQ(why, "NUL byte at offset 2");
  // Only the first 8 KiB are searched for NUL; a later NUL is valid UTF-8.
  std::string late(binary_probe_bytes + 10, 'x');
  late[binary_probe_bytes + 5] = '\0';
  EXPECT_FALSE(check_content(late, &why).has_value());

  for (const std::string bad : {"\xff", "a\xc0\xaf", "\xed\xa0\x80", "ok\xe2\x82", "\xf4\x90\x80\x80", "\x80"}) {
    EXPECT_EQ(check_content(bad, &why), skip_reason::invalid_utf8) << quote(bad);
  }
  EXPECT_EQ(check_content("abc\xe2\x82", &why), skip_reason::invalid_utf8);
  EXPECT_EQ(why, "invalid UTF-8 at offset 3");
  EXPECT_EQ(to_string(skip_reason::too_large), "too_large");
}

TEST(ScrapeExtract, EmptyFile) {
  const file_facts f = extract("empty.py", "");
  EXPECT_EQ(f.size, 0u);
  EXPECT_EQ(f.line_count, 0u);
  EXPECT_EQ(f.content_hash, content_hash(""));
  EXPECT_TRUE(f.symbols.empty());
  EXPECT_TRUE(f.problems.empty());
  EXPECT_FALSE(f.partial());
}

TEST(ScrapeExtract, SyntaxErrorGivesPartialFactsAndAReason) {
  const std::string c =
      "int good_before(void) { return 1; }\n"
      "\n"
      "int broken(int a {\n"
      "  return a +;\n"
      "}\n";
  const file_facts f = extract("broken.c", c);
  EXPECT_TRUE(f.partial());
  ASSERT_FALSE(f.symbols.empty());
  EXPECT_EQ(f.symbols[0].qualified_name, "good_before");
  EXPECT_EQ(f.symbols[0].end_line, 1u);
  ASSERT_FALSE(f.problems.empty());
  EXPECT_EQ(f.problems[0].kind, problem_kind::syntax_error);
  EXPECT_EQ(f.problems[0].line, 3u);
  EXPECT_NE(f.problems[0].message.find("Syntax error"), std::string::npos);
  EXPECT_EQ(f.problems[0].detail.rfind("int broken(int a {", 0), 0u) << f.problems[0].detail;

  const std::string py =
      "def good():\n"
      "    return 1\n"
      "\n"
      "def broken(:\n"
      "    pass\n"
      "\n"
      "class Fine:\n"
      "    def m(self):\n"
      "        return 2\n";
  const file_facts p = extract("broken.py", py);
  EXPECT_TRUE(p.partial());
  std::vector<std::string> names;
  for (const symbol& s : p.symbols) names.push_back(s.qualified_name);
  EXPECT_EQ(names, (std::vector<std::string>{"broken.good", "broken.broken", "broken.Fine", "broken.Fine.m"}));
  ASSERT_EQ(p.problems.size(), 1u) << test::describe(p.problems);
  EXPECT_EQ(p.problems[0].kind, problem_kind::missing_token);
  EXPECT_EQ(p.problems[0].line, 4u);
}

TEST(ScrapeExtract, ProblemsAreCapped) {
  // Thirty declarations, each missing its semicolon.
  std::string c;
  for (int i = 0; i < 30; ++i) c += "int v" + std::to_string(i) + " = " + std::to_string(i) + "\n";
  extract_options options;
  options.max_problems = 5;
  const file_facts f = extract("bad.c", c, options);
  ASSERT_EQ(f.problems.size(), 6u) << test::describe(f.problems);
  EXPECT_EQ(f.problems.back().kind, problem_kind::too_many_errors);
  EXPECT_EQ(f.problems.back().message, "25 more syntax problems are not listed.");
  EXPECT_EQ(f.problems[0].kind, problem_kind::missing_token);
  EXPECT_EQ(f.problems[0].line, 1u);
  EXPECT_EQ(f.symbols.size(), 30u);
}

std::string repeat(const std::string& s, int n) {
  std::string out;
  out.reserve(s.size() * static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) out += s;
  return out;
}

// 5,000 levels of nesting in expressions and blocks: no crash (the walk is iterative),
// and the facts around the nesting are still exact.
TEST(ScrapeExtract, DeepNestingInSeveralLanguages) {
  constexpr int depth = 5000;
  struct nested_case {
    std::string path;
    std::string code;
    std::vector<std::string> symbols;  // qualified names, in order
    std::string callee;
    std::uint32_t call_line;
  };
  const std::vector<nested_case> cases = {
      {"deep.c", "int deep(void) {\n" + repeat("{", depth) + "call_me();" + repeat("}", depth) + "\n}\nint after(void) { return 1; }\n",
       {"deep", "after"}, "call_me", 2},
      {"deep.cpp", "int deep() {\n return " + repeat("(", depth) + "call_me()" + repeat(")", depth) + ";\n}\nint after() { return 1; }\n",
       {"deep", "after"}, "call_me", 2},
      {"deep.py", "def deep():\n    x = " + repeat("[", depth) + "call_me()" + repeat("]", depth) + "\n\ndef after():\n    pass\n",
       {"deep.deep", "deep.after"}, "call_me", 2},
      {"deep.js", "function deep() {\n  const x = " + repeat("(", depth) + "call_me()" + repeat(")", depth) + ";\n}\nfunction after() {}\n",
       {"deep", "after"}, "call_me", 2},
      {"deep.ts", "function deep() {\n  const x = " + repeat("[", depth) + "callMe()" + repeat("]", depth) + ";\n}\nfunction after() {}\n",
       {"deep", "after"}, "callMe", 2},
      {"deep.rs", "fn deep() {\n" + repeat("{", depth) + "call_me();" + repeat("}", depth) + "\n}\nfn after() {}\n",
       {"crate::deep", "crate::after"}, "call_me", 2},
      {"Deep.java", "class Deep {\n void deep() {\n int x = " + repeat("(", depth) + "callMe()" + repeat(")", depth) + ";\n }\n void after() {}\n}\n",
       {"Deep", "Deep.deep", "Deep.after"}, "callMe", 3},
      {"deep.go", "package p\nfunc deep() {\n" + repeat("{", depth) + "callMe()\n" + repeat("}", depth) + "\n}\nfunc after() {}\n",
       {"p.deep", "p.after"}, "callMe", 3},
  };
  for (const nested_case& c : cases) {
    SCOPED_TRACE(c.path);
    const file_facts f = extract(c.path, c.code);
    std::vector<std::string> names;
    for (const symbol& s : f.symbols) names.push_back(s.qualified_name);
    EXPECT_EQ(names, c.symbols);
    ASSERT_EQ(f.calls.size(), 1u) << test::describe(f.calls);
    EXPECT_EQ(f.calls[0].callee, c.callee);
    EXPECT_EQ(f.calls[0].line, c.call_line);
    ASSERT_NE(f.calls[0].caller, no_symbol);
    EXPECT_EQ(f.symbols[f.calls[0].caller].name, "deep");
    EXPECT_TRUE(f.problems.empty()) << test::describe(f.problems);
  }
}

// Scopes nested beyond max_scope_depth are not recorded, and a problem says so; qualified
// names stay bounded.
TEST(ScrapeExtract, DeepScopesAreCutAtTheLimit) {
  constexpr int depth = 5000;
  std::string cpp;
  for (int i = 0; i < depth; ++i) cpp += "namespace n" + std::to_string(i) + " {\n";
  cpp += "void inner() { f(); }\n";
  cpp += repeat("}\n", depth);
  cpp += "void after() {}\n";
  const file_facts f = extract("deep.cpp", cpp);
  ASSERT_EQ(f.symbols.size(), 129u);
  EXPECT_EQ(f.symbols[127].name, "n127");
  EXPECT_EQ(f.symbols[127].parent, 126u);
  EXPECT_EQ(f.symbols[128].qualified_name, "after");
  ASSERT_EQ(f.problems.size(), 1u);
  EXPECT_EQ(f.problems[0].kind, problem_kind::nesting_too_deep);
  ASSERT_EQ(f.calls.size(), 1u);
  EXPECT_EQ(f.calls[0].caller, 127u);  // the innermost recorded scope

  extract_options small;
  small.max_scope_depth = 2;
  const file_facts py = extract("m.py",
                                "class A:\n"
                                " class B:\n"
                                "  class C:\n"
                                "   def f(self):\n"
                                "    pass\n"
                                "def g():\n"
                                " pass\n",
                                small);
  std::vector<std::string> names;
  for (const symbol& s : py.symbols) names.push_back(s.qualified_name);
  EXPECT_EQ(names, (std::vector<std::string>{"m.A", "m.A.B", "m.g"}));
  ASSERT_EQ(py.problems.size(), 1u);
  EXPECT_EQ(py.problems[0].kind, problem_kind::nesting_too_deep);
}

TEST(ScrapeExtract, DocCommentRules) {
  const std::string cpp =
      "int a = 1;  // trailing note about a\n"
      "int b = 2;\n"
      "\n"
      "// Detached by a blank line.\n"
      "\n"
      "int c = 3;\n"
      "\n"
      "/**\n"
      " * Multi-line doc.\n"
      " *   Indented line.\n"
      " */\n"
      "int d(int /* unused */ x,  // the x\n"
      "      int y);\n";
  const file_facts f = extract("docs.cpp", cpp);
  const std::vector<symbol> expected = {
      sb(k::variable, "a", "a", 1, 1, "int a = 1").pub(),
      sb(k::variable, "b", "b", 2, 2, "int b = 2").pub(),
      sb(k::variable, "c", "c", 6, 6, "int c = 3").pub(),
      sb(k::function, "d", "d", 12, 13, "int d(int x, int y)")
          .doc("Multi-line doc.\n  Indented line.")
          .params({{"x", "int"}, {"y", "int"}})
          .ret("int")
          .pub()
          .decl(),
  };
  test::expect_symbols(f.symbols, expected);

  // Rust: only outer doc comments document; attributes between doc and item are skipped,
  // and the item's range starts at its first attribute.
  const std::string rs =
      "// plain comment\n"
      "/// Real doc.\n"
      "#[inline]\n"
      "#[must_use]\n"
      "pub fn f() {}\n"
      "\n"
      "// only plain\n"
      "fn g() {}\n";
  const file_facts r = extract("src/lib.rs", rs);
  test::expect_symbols(r.symbols, {
                                      sb(k::function, "crate::f", "f", 3, 5, "pub fn f()").doc("Real doc.").pub(),
                                      sb(k::function, "crate::g", "g", 8, 8, "fn g()"),
                                  });

  // Python: a comment that the grammar puts at the end of the previous block still
  // documents the next aligned definition; a docstring wins over comments.
  const std::string py =
      "class A:\n"
      "    def f(self):\n"
      "        pass\n"
      "\n"
      "    # Comment for g.\n"
      "    def g(self):\n"
      "        pass\n"
      "\n"
      "    def h(self):\n"
      "        x = 1\n"
      "        # inner trailing comment\n"
      "    # Comment for i.\n"
      "    def i(self):\n"
      "        '''Docstring of i.'''\n";
  const file_facts p = extract("pkg/docs.py", py);
  test::expect_symbols(
      p.symbols,
      {
          sb(k::class_, "pkg.docs.A", "A", 1, 14, "class A").pub(),
          sb(k::method, "pkg.docs.A.f", "f", 2, 3, "def f(self)").parent(0).params({{"self", ""}}).pub(),
          sb(k::method, "pkg.docs.A.g", "g", 6, 7, "def g(self)").parent(0).doc("Comment for g.").params({{"self", ""}}).pub(),
          sb(k::method, "pkg.docs.A.h", "h", 9, 11, "def h(self)").parent(0).params({{"self", ""}}).pub(),
          sb(k::method, "pkg.docs.A.i", "i", 13, 14, "def i(self)").parent(0).doc("Docstring of i.").params({{"self", ""}}).pub(),
      });
}

TEST(ScrapeExtract, SignatureAndDocAreCapped) {
  std::string params;
  for (int i = 0; i < 100; ++i) params += (i ? ", int p" : "int p") + std::to_string(i);
  const std::string doc = "/// " + std::string(300, 'd') + "\n";
  extract_options options;
  options.max_signature_bytes = 50;
  options.max_doc_bytes = 20;
  const file_facts f = extract("long.cpp", doc + "void f(" + params + ");\n", options);
  ASSERT_EQ(f.symbols.size(), 1u);
  EXPECT_EQ(f.symbols[0].signature, "void f(int p0, int p1, int p2, int p3, int p4, int...");
  EXPECT_EQ(f.symbols[0].doc, std::string(20, 'd') + "...");
  EXPECT_EQ(f.symbols[0].parameters.size(), 100u);
}

// A function's body words: identifiers, comment and string words, whole
// numbers of two digits or more, each once in order of first use, keywords
// left out; a type's words are its members' names; declarations have none.
TEST(ScrapeExtract, BodyTermsListWhatABodyUsesAndWhatATypeHolds) {
  const file_facts c = extract("zero.c",
                               "int fill(int n);\n"
                               "/* Writes zeros. */\n"
                               "int fill(int n) {\n"
                               "  /* pad the circular window */\n"
                               "  for (int i = 0; i < n; i++) window_put(0x1f, 303, 7);\n"
                               "  return window_put(n, 303, \"done twice\");\n"
                               "}\n");
  ASSERT_EQ(c.symbols.size(), 2u);
  ASSERT_EQ(c.body_terms.size(), 2u);
  EXPECT_TRUE(c.symbols[0].flags.is_declaration);
  EXPECT_EQ(c.body_terms[0], "");
  EXPECT_EQ(c.body_terms[1], "fill n pad the circular window i window_put 303 done twice");

  const file_facts py = extract("req.py",
                                "class Prepared:\n"
                                "    method = None\n"
                                "    def prepare_url(self, url):\n"
                                "        return requote(url)\n");
  ASSERT_EQ(py.symbols.size(), 3u);
  EXPECT_EQ(py.symbols[0].name, "Prepared");
  EXPECT_EQ(py.body_terms[0], "method prepare_url");
  EXPECT_EQ(py.body_terms[2], "prepare_url url requote");
  EXPECT_EQ(py.body_terms[1], "") << "a field has no body";

  extract_options options;
  options.max_body_terms_bytes = 12;
  const file_facts capped = extract("cap.go", "package p\nfunc f() { alpha(); beta(); gamma(); delta() }\n", options);
  ASSERT_EQ(capped.symbols.size(), 1u);
  EXPECT_EQ(capped.body_terms[0], "f alpha beta") << "words past the cap are left out, never cut";
}

// Overloads and same-named members of different scopes stay distinct symbols.
TEST(ScrapeExtract, OverloadsAreDistinct) {
  const std::vector<std::pair<std::string, std::string>> fixtures = {
      {"sample.cpp", "sample.cpp"}, {"sample.rs", "src/sample.rs"}, {"sample.ts", "sample.ts"},
      {"Sample.java", "Sample.java"}, {"sample.c", "sample.c"},
  };
  for (const auto& [file, rel] : fixtures) {
    SCOPED_TRACE(file);
    const file_facts f = extract(rel, test::read_fixture(file));
    std::set<std::tuple<std::string, std::string, bool>> keys;
    std::size_t same_name = 0;
    std::set<std::string> names;
    for (const symbol& s : f.symbols) {
      EXPECT_TRUE(keys.emplace(s.qualified_name, s.signature, s.flags.is_declaration).second)
          << "duplicate symbol " << test::describe(s);
      if (!names.insert(s.name).second) ++same_name;
    }
    EXPECT_GT(same_name, 0u) << "the fixture should contain same-named symbols";
  }
  const file_facts cpp = extract("sample.cpp", test::read_fixture("sample.cpp"));
  std::vector<std::string> resize;
  for (const symbol& s : cpp.symbols) {
    if (s.qualified_name == "geo::Widget::resize") resize.push_back(s.signature);
  }
  EXPECT_EQ(resize, (std::vector<std::string>{"void resize(int w, int h)", "void resize(double factor)",
                                              "void Widget::resize(int w, int h)", "void Widget::resize(double factor)"}));
  const file_facts rs = extract("src/sample.rs", test::read_fixture("sample.rs"));
  std::set<std::string> fmts;
  for (const symbol& s : rs.symbols) {
    if (s.name == "fmt") fmts.insert(s.qualified_name);
  }
  EXPECT_EQ(fmts, (std::set<std::string>{"<crate::sample::Event as Display>::fmt",
                                         "<crate::sample::Event as fmt::Debug>::fmt"}));
}

TEST(ScrapeExtract, ModulePathsComeFromTheFilePath) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"src/lib.rs", "fn f() {}", "crate::f"},
      {"src/main.rs", "fn f() {}", "crate::f"},
      {"src/a/b.rs", "fn f() {}", "crate::a::b::f"},
      {"src/a/mod.rs", "fn f() {}", "crate::a::f"},
      {"crates/x/src/net/tcp.rs", "fn f() {}", "crate::net::tcp::f"},
      {"src/bin/tool.rs", "fn f() {}", "crate::f"},
      {"tests/it.rs", "fn f() {}", "crate::f"},
      {"pkg/mod.py", "def f(): pass", "pkg.mod.f"},
      {"pkg/__init__.py", "def f(): pass", "pkg.f"},
      {"src/pkg/util.py", "def f(): pass", "pkg.util.f"},
      {"setup.py", "def f(): pass", "setup.f"},
      {"__init__.py", "def f(): pass", "f"},
  };
  for (const auto& [path, code, qualified] : cases) {
    const file_facts f = extract(path, code);
    ASSERT_EQ(f.symbols.size(), 1u) << path;
    EXPECT_EQ(f.symbols[0].qualified_name, qualified) << path;
  }
}

TEST(ScrapeExtract, DefaultExportsAreNamedDefault) {
  const file_facts f = extract("def.ts",
                               "export default class { m() { b(); } }\n"
                               "const f = function named() { c(); };\n"
                               "export default async (x: number) => d(x);\n");
  test::expect_symbols(f.symbols, {
                                      sb(k::class_, "default", "default", 1, 1, "export default class").pub(),
                                      sb(k::method, "default.m", "m", 1, 1, "m()").parent(0).pub(),
                                      sb(k::function, "f", "f", 2, 2, "const f = function named()"),
                                      sb(k::function, "default", "default", 3, 3, "export default async (x: number) =>")
                                          .params({{"x", "number"}})
                                          .async_()
                                          .pub(),
                                  });
  test::expect_calls(f.calls, {{1, "b", call_kind::call, 1}, {2, "c", call_kind::call, 2}, {3, "d", call_kind::call, 3}});
}

TEST(ScrapeExtract, PythonInstanceFieldsComeFromTheConstructor) {
  const file_facts f = extract("inst.py",
                               "class P:\n"
                               "    x: int = 0\n"
                               "\n"
                               "    def __init__(this, a, b):\n"
                               "        this.a = a\n"
                               "        this._b = this.c = b\n"
                               "        if a:\n"
                               "            this.a = 2\n"
                               "            this.x = 3\n"
                               "        other.z = 1\n"
                               "        def inner(self):\n"
                               "            self.q = 1\n"
                               "\n"
                               "    def m(self):\n"
                               "        self.later = 1\n");
  test::expect_symbols(
      f.symbols,
      {
          sb(k::class_, "inst.P", "P", 1, 15, "class P").pub(),
          sb(k::field, "inst.P.x", "x", 2, 2, "x: int = 0").parent(0).pub(),
          sb(k::constructor, "inst.P.__init__", "__init__", 4, 12, "def __init__(this, a, b)")
              .parent(0)
              .params({{"this", ""}, {"a", ""}, {"b", ""}})
              .pub(),
          sb(k::field, "inst.P.a", "a", 5, 5, "this.a = a").parent(0).pub(),
          sb(k::field, "inst.P._b", "_b", 6, 6, "this._b = this.c = b").parent(0),
          sb(k::field, "inst.P.c", "c", 6, 6, "this._b = this.c = b").parent(0).pub(),
          sb(k::function, "inst.P.__init__.inner", "inner", 11, 12, "def inner(self)").parent(2).params({{"self", ""}}),
          sb(k::method, "inst.P.m", "m", 14, 15, "def m(self)").parent(0).params({{"self", ""}}).pub(),
      });
}

// A call in an initializer is made by the name it initializes; a call in a local
// initializer by the enclosing function.
TEST(ScrapeExtract, InitializerCallsBelongToTheInitializedName) {
  const std::vector<std::tuple<std::string, std::string, std::vector<std::string>>> cases = {
      {"a.cpp", "int g = compute();\nstruct S { int a = init_a(); };\nvoid f() { int local = h(); }\n",
       {"g <- compute", "S::a <- init_a", "f <- h"}},
      {"src/lib.rs", "static G: Lazy<u8> = Lazy::new(make);\nconst C: u8 = f();\nfn g() { let x = h(); }\n",
       {"crate::G <- Lazy::new", "crate::C <- f", "crate::g <- h"}},
      {"m.py", "X = compute()\nclass A:\n    y = make()\n", {"m.X <- compute", "m.A.y <- make"}},
      {"p/p.go", "package p\nvar v = compute()\nfunc f() { x := h(); _ = x }\n", {"p.v <- compute", "p.f <- h"}},
      {"A.java", "class A { static final int N = compute(); int m() { int x = h(); return x; } }\n",
       {"A.N <- compute", "A.m <- h"}},
      {"a.js", "export const v = compute();\nclass B { f = make(); }\n", {"v <- compute", "B.f <- make"}},
  };
  for (const auto& [path, code, expected] : cases) {
    const file_facts f = extract(path, code);
    std::vector<std::string> got;
    for (const call_edge& c : f.calls) {
      got.push_back((c.caller == no_symbol ? std::string("<file>") : f.symbols[c.caller].qualified_name) + " <- " +
                    c.callee);
    }
    EXPECT_EQ(got, expected) << path;
  }
}

// Members defined before their type still get it as parent.
TEST(ScrapeExtract, MembersBeforeTheirTypeAreLinked) {
  const file_facts rs = extract("src/lib.rs",
                                "impl Point {\n"
                                "    pub const ORIGIN: u8 = 0;\n"
                                "    pub fn x(&self) -> i32 { self.x }\n"
                                "}\n"
                                "pub struct Point { x: i32 }\n");
  test::expect_symbols(rs.symbols,
                       {
                           sb(k::constant, "crate::Point::ORIGIN", "ORIGIN", 2, 2, "pub const ORIGIN: u8 = 0").parent(2).pub().cnst(),
                           sb(k::method, "crate::Point::x", "x", 3, 3, "pub fn x(&self) -> i32")
                               .parent(2)
                               .params({{"self", "&self"}})
                               .ret("i32")
                               .pub(),
                           sb(k::struct_, "crate::Point", "Point", 5, 5, "pub struct Point").pub(),
                           sb(k::field, "crate::Point::x", "x", 5, 5, "x: i32").parent(2),
                       });
  const file_facts go = extract("p/p.go",
                                "package p\n"
                                "func (p *Point) X() int { return p.x }\n"
                                "type Point struct { x int }\n");
  test::expect_symbols(go.symbols, {
                                       sb(k::method, "p.Point.X", "X", 2, 2, "func (p *Point) X() int").parent(1).ret("int").pub(),
                                       sb(k::struct_, "p.Point", "Point", 3, 3, "type Point struct").pub(),
                                       sb(k::field, "p.Point.x", "x", 3, 3, "x int").parent(1),
                                   });
}

TEST(ScrapeExtract, AParseOverTheTimeLimitIsAbandoned) {
  std::string c;
  for (int i = 0; i < 20000; ++i) c += "int f" + std::to_string(i) + "(int a) { return g(a) + " + std::to_string(i) + "; }\n";
  extract_options options;
  options.parse_timeout_ms = 1;  // parsing ~0.8 MB takes far longer than 1 ms
  extractor ex(options);
  const file_facts f = ex.extract("slow.c", language::c, c);
  EXPECT_TRUE(f.symbols.empty());
  EXPECT_EQ(f.size, c.size());
  EXPECT_EQ(f.content_hash, content_hash(c));
  ASSERT_EQ(f.problems.size(), 1u);
  EXPECT_EQ(f.problems[0].kind, problem_kind::parse_failed);
  EXPECT_EQ(f.problems[0].message,
            "Parsing took longer than 1 ms and was abandoned; no code facts were extracted from this file.");
  // The parser is reset: the same extractor parses the next file normally.
  const file_facts next = ex.extract("ok.c", language::c, "int ok(void) { return 0; }\n");
  ASSERT_EQ(next.symbols.size(), 1u);
  EXPECT_TRUE(next.problems.empty());
}

TEST(ScrapeExtract, OneExtractorServesManyFilesAndLanguages) {
  extractor ex;
  for (int round = 0; round < 3; ++round) {
    for (const auto& [file, rel] : std::vector<std::pair<std::string, std::string>>{
             {"sample.c", "sample.c"}, {"sample.py", "pkg/sample.py"}, {"sample.go", "store/sample.go"}}) {
      const std::string content = test::read_fixture(file);
      const file_facts f = ex.extract(rel, *detect_language(rel), content);
      EXPECT_FALSE(f.symbols.empty()) << rel;
      EXPECT_TRUE(f.problems.empty()) << rel;
    }
  }
}

}  // namespace
}  // namespace patina::scrape

namespace patina::scrape {
namespace {

using k = symbol_kind;
using test::sb;

file_facts extract_c(const std::string& path, const std::string& content) {
  extractor ex;
  return ex.extract(path, language::c, content);
}

// zlib's style: K&R prototype wrappers (`OF((...))`) and declaration macros the
// grammar cannot know, documented by the comment below each prototype.
TEST(ScrapeExtract, CPrototypeMacrosAndDocsBelow) {
  const std::string h =
      "ZEXTERN int ZEXPORT setdict OF((z_streamp strm,\n"
      "                                const Bytef *dict));\n"
      "/*\n"
      "     Sets the dictionary.\n"
      "*/\n"
      "\n"
      "ZEXTERN uLong ZEXPORT bound OF((uLong len));\n"
      "/* Upper bound. */\n"
      "int next_to(void);\n";
  const file_facts f = extract_c("z.h", h);
  const std::vector<symbol> symbols = {
      sb(k::function, "setdict", "setdict", 1, 2,
         "int ZEXPORT setdict OF((z_streamp strm, const Bytef *dict))")
          .doc("Sets the dictionary.")
          .params({{"strm", "z_streamp"}, {"dict", "const Bytef *"}})
          .ret("int")
          .pub()
          .decl(),
      // The comment is directly above the next prototype: it documents that one.
      sb(k::function, "bound", "bound", 7, 7, "uLong ZEXPORT bound OF((uLong len))")
          .params({{"len", "uLong"}})
          .ret("uLong")
          .pub()
          .decl(),
      sb(k::function, "next_to", "next_to", 9, 9, "int next_to(void)").doc("Upper bound.").ret("int").pub().decl(),
  };
  test::expect_symbols(f.symbols, symbols);
}

// K&R definitions with declaration macros, and an #if splitting an expression in
// a body: the function after it is still found, at file level.
TEST(ScrapeExtract, CMacroDecoratedDefinitionsAfterConditionalInBody) {
  const std::string c =
      "int ZEXPORT first(strm, flush)\n"
      "z_streamp strm;\n"
      "int flush;\n"
      "{\n"
      "    struct state FAR *s;\n"
      "#ifdef GUNZIP\n"
      "    if (!(flush & 1) ||\n"
      "#else\n"
      "    if (\n"
      "#endif\n"
      "        flush) {\n"
      "        return 1;\n"
      "    }\n"
      "    return 0;\n"
      "}\n"
      "\n"
      "local int second(strm)\n"
      "z_streamp strm;\n"
      "{\n"
      "    return 2;\n"
      "}\n";
  const file_facts f = extract_c("k.c", c);
  std::vector<std::tuple<std::string, std::uint32_t, std::uint32_t>> got;
  for (const symbol& s : f.symbols)
    if (s.kind == k::function) got.emplace_back(s.qualified_name, s.start_line, s.end_line);
  const std::vector<std::tuple<std::string, std::uint32_t, std::uint32_t>> expected = {
      {"first", 1, 15}, {"second", 17, 21}};
  EXPECT_EQ(got, expected);
}

// Protobuf's style: macros that open namespaces on lines of their own, export macros
// between `class` and the name, specifier macros before constructors and declarations,
// attribute macros after a declarator. The class keeps its members.
TEST(ScrapeExtract, CppDeclarationMacrosKeepTheClass) {
  const std::string h =
      "PROTOBUF_NAMESPACE_OPEN\n"
      "class PROTOBUF_EXPORT Any final : public Message {\n"
      " public:\n"
      "  PROTOBUF_CONSTEXPR Any();\n"
      "  explicit PROTOBUF_CONSTEXPR Any(int x);\n"
      "  PROTOBUF_NDEBUG_INLINE const int* get() const PROTOBUF_RETURNS_NONNULL { return p_; }\n"
      "  enum : int {\n"
      "    kValueFieldNumber = 2,\n"
      "  };\n"
      " private:\n"
      "  const int* p_;\n"
      "  template <typename T> PROTOBUF_NODISCARD typename T::type* release();\n"
      "};\n"
      "PROTOBUF_NAMESPACE_CLOSE\n";
  extractor ex;
  const file_facts f = ex.extract("any.pb.h", language::cpp, h);
  test::expect_symbols(f.symbols, {
      sb(k::class_, "Any", "Any", 2, 13, "class PROTOBUF_EXPORT Any final : public Message").pub(),
      sb(k::constructor, "Any::Any", "Any", 4, 4, "PROTOBUF_CONSTEXPR Any()").parent(0).pub().decl(),
      sb(k::constructor, "Any::Any", "Any", 5, 5, "explicit PROTOBUF_CONSTEXPR Any(int x)").parent(0).params({{"x", "int"}}).pub().decl(),
      sb(k::method, "Any::get", "get", 6, 6, "const int* get() const PROTOBUF_RETURNS_NONNULL").parent(0).ret("const int *").pub().cnst(),
      sb(k::enum_member, "Any::kValueFieldNumber", "kValueFieldNumber", 8, 8, "kValueFieldNumber = 2").parent(0).pub().cnst(),
      sb(k::field, "Any::p_", "p_", 11, 11, "const int* p_").parent(0),
      sb(k::method, "Any::release", "release", 12, 12, "template <typename T> PROTOBUF_NODISCARD typename T::type* release()").parent(0).ret("typename T::type *").decl().generic(1),
  });
}

// A specialization is named after its template; a nested class defined outside its
// class is named by its own name and qualified as written; neither keeps an empty name.
TEST(ScrapeExtract, CppSpecializationsAndOutOfClassNestedTypes) {
  const std::string cc =
      "namespace g {\n"
      "template <> struct hash<bool> {\n"
      "  int operator()(bool b) const { return b; }\n"
      "};\n"
      "class Outer::Inner {\n"
      " public:\n"
      "  void f();\n"
      "};\n"
      "}\n";
  extractor ex;
  const file_facts f = ex.extract("t.cc", language::cpp, cc);
  test::expect_symbols(f.symbols, {
      sb(k::namespace_, "g", "g", 1, 9, "namespace g").pub(),
      sb(k::struct_, "g::hash", "hash", 2, 4, "template <> struct hash<bool>").parent(0).pub(),
      sb(k::method, "g::hash::operator()", "operator()", 3, 3, "int operator()(bool b) const").parent(1).params({{"b", "bool"}}).ret("int").pub().cnst(),
      sb(k::class_, "g::Outer::Inner", "Inner", 5, 8, "class Outer::Inner").parent(0).pub(),
      sb(k::method, "g::Outer::Inner::f", "f", 7, 7, "void f()").parent(3).ret("void").pub().decl(),
  });
}

// `extern TYPE MACRO f OF((...))`: the word after `extern` is the type, kept; and a name
// the parser made up while recovering from an error is no symbol.
TEST(ScrapeExtract, CExternTypeBeforeDeclarationMacro) {
  const std::string h =
      "extern ZPOS64_T ZEXPORT unztell64 OF((unzFile file));\n"
      "enum : int {\n"
      "  kA = 1,\n"
      "};\n";
  const file_facts f = extract_c("unzip.h", h);
  std::vector<std::tuple<std::string, std::string, std::uint32_t>> got;
  for (const symbol& s : f.symbols) got.emplace_back(std::string(to_string(s.kind)), s.qualified_name, s.start_line);
  const std::vector<std::tuple<std::string, std::string, std::uint32_t>> expected = {
      {"function", "unztell64", 1}, {"enum_member", "kA", 3}};
  EXPECT_EQ(got, expected);
  for (const symbol& s : f.symbols) EXPECT_FALSE(s.name.empty()) << test::describe(s);
}

// A declaration listing several names over several lines: each name has its own lines.
TEST(ScrapeExtract, EachDeclaratorOfAListHasItsOwnLines) {
  const std::string c =
      "struct s {\n"
      "  int a,\n"
      "      b;\n"
      "};\n"
      "static int x = 1,\n"
      "           y = 2;\n";
  const file_facts f = extract_c("l.c", c);
  std::vector<std::tuple<std::string, std::uint32_t, std::uint32_t>> got;
  for (const symbol& s : f.symbols) got.emplace_back(s.qualified_name, s.start_line, s.end_line);
  const std::vector<std::tuple<std::string, std::uint32_t, std::uint32_t>> expected = {
      {"s", 1, 4}, {"s::a", 2, 2}, {"s::b", 3, 3}, {"x", 5, 5}, {"y", 6, 6}};
  EXPECT_EQ(got, expected);

  extractor ex;
  const std::string js =
      "/** Tags. */\n"
      "var argsTag = '[object Arguments]',\n"
      "    arrayTag = '[object Array]';\n";
  const file_facts j = ex.extract("tags.js", language::javascript, js);
  test::expect_symbols(j.symbols, {
      sb(k::variable, "argsTag", "argsTag", 2, 2, "var argsTag = '[object Arguments]'").doc("Tags."),
      sb(k::variable, "arrayTag", "arrayTag", 3, 3, "var arrayTag = '[object Array]'").doc("Tags."),
  });
}

// Folders that cannot be Python packages (`python3.11`, `my-lib`) are not part of the
// module path: a dot in one would read as a separator.
TEST(ScrapeExtract, PythonModulePathStartsAfterNonIdentifierFolders) {
  extractor ex;
  const std::string py = "class Task:\n    def step(self):\n        pass\n";
  const file_facts f = ex.extract("python-stdlib/python3.11/asyncio/tasks.py", language::python, py);
  ASSERT_EQ(f.symbols.size(), 2u);
  EXPECT_EQ(f.symbols[0].qualified_name, "asyncio.tasks.Task");
  EXPECT_EQ(f.symbols[1].qualified_name, "asyncio.tasks.Task.step");
  const file_facts g = ex.extract("my-lib/src/pkg/__init__.py", language::python, "def f():\n    pass\n");
  ASSERT_EQ(g.symbols.size(), 1u);
  EXPECT_EQ(g.symbols[0].qualified_name, "pkg.f");
}

}  // namespace
}  // namespace patina::scrape
