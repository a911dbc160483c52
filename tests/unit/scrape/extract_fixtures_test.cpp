// Extraction from one fixture per language: every symbol, import and call edge is
// compared exactly (complete expected lists, every field).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "patina/scrape/extractor.hpp"
#include "scrape_test_util.hpp"

namespace patina::scrape {
namespace {

using k = symbol_kind;
using test::sb;

file_facts extract_fixture(const std::string& file, const std::string& rel_path) {
  const std::string content = test::read_fixture(file);
  const auto lang = detect_language(rel_path);
  EXPECT_TRUE(lang.has_value()) << rel_path;
  extractor ex;
  return ex.extract(rel_path, lang.value_or(language::c), content);
}

// File-level facts: path as given, language, size, hash and line count of the bytes.
void expect_file(const file_facts& f, const std::string& file, const std::string& rel_path, language lang) {
  const std::string content = test::read_fixture(file);
  EXPECT_EQ(f.path, rel_path);
  EXPECT_EQ(f.lang, lang);
  EXPECT_EQ(f.size, content.size());
  EXPECT_EQ(f.content_hash, content_hash(content));
  EXPECT_EQ(f.line_count, count_lines(content));
  EXPECT_EQ(f.mtime_ns, 0);
  EXPECT_TRUE(f.problems.empty()) << test::describe(f.problems);
}


TEST(ScrapeExtract, CFixture) {
  const file_facts f = extract_fixture("sample.c", "sample.c");
  expect_file(f, "sample.c", "sample.c", language::c);
  const std::vector<symbol> symbols = {
      sb(k::macro, "MAX_WIDGETS", "MAX_WIDGETS", 5, 5, "#define MAX_WIDGETS 16").pub(),  // 0
      sb(k::macro, "SQUARE", "SQUARE", 6, 6, "#define SQUARE(x) ((x) * (x))").params({{"x", ""}}).pub(),  // 1
      sb(k::struct_, "point", "point", 9, 12, "typedef struct point").doc("A point in the plane.").pub(),  // 2
      sb(k::field, "point::x", "x", 10, 10, "int x").parent(2).pub(),  // 3
      sb(k::field, "point::y", "y", 11, 11, "int y").parent(2).pub(),  // 4
      sb(k::struct_, "node", "node", 17, 20, "struct node").doc("A linked node.").pub(),  // 5
      sb(k::field, "node::next", "next", 18, 18, "struct node *next").parent(5).pub(),  // 6
      sb(k::field, "node::name", "name", 19, 19, "const char *name").parent(5).pub(),  // 7
      sb(k::type_alias, "node_t", "node_t", 22, 22, "typedef struct node node_t").pub(),  // 8
      sb(k::enum_, "color", "color", 24, 24, "enum color").pub(),  // 9
      sb(k::enum_member, "RED", "RED", 24, 24, "RED").parent(9).pub().cnst(),  // 10
      sb(k::enum_member, "GREEN", "GREEN", 24, 24, "GREEN = 2").parent(9).pub().cnst(),  // 11
      sb(k::enum_member, "BLUE", "BLUE", 24, 24, "BLUE").parent(9).pub().cnst(),  // 12
      sb(k::union_, "value", "value", 26, 29, "union value").pub(),  // 13
      sb(k::field, "value::i", "i", 27, 27, "int i").parent(13).pub(),  // 14
      sb(k::field, "value::d", "d", 28, 28, "double d").parent(13).pub(),  // 15
      sb(k::constant, "limit", "limit", 31, 31, "static const int limit = 10").stat().cnst(),  // 16
      sb(k::variable, "counter", "counter", 32, 32, "int counter").pub(),  // 17
      sb(k::variable, "shared_count", "shared_count", 33, 33, "extern int shared_count").pub().decl(),  // 18
      sb(k::function, "add", "add", 36, 36, "int add(int a, int b)").doc("Adds two numbers.").params({{"a", "int"}, {"b", "int"}}).ret("int").pub().decl(),  // 19
      sb(k::function, "area", "area", 40, 42, "static double area(const point *p, double scale)").doc("Computes the area.\nUses the width and height.").params({{"p", "const point *"}, {"scale", "double"}}).ret("double").stat(),  // 20
      sb(k::function, "add", "add", 44, 48, "int add(int a, int b)").params({{"a", "int"}, {"b", "int"}}).ret("int").pub(),  // 21
      sb(k::function, "name_of", "name_of", 50, 53, "char *name_of(struct node *n, ...)").params({{"n", "struct node *"}, {"...", ""}}).ret("char *").pub(),  // 22
      sb(k::function, "get_handler", "get_handler", 55, 55, "void (*get_handler(int sig))(int)").params({{"sig", "int"}}).ret("void (*)(int)").pub().decl(),  // 23
      sb(k::function, "main", "main", 58, 62, "int main(void)").ret("int").pub(),  // 24
  };
  const std::vector<import_fact> imports = {
      {"stdio.h", {}, 2},
      {"util/widget.h", {}, 3},
  };
  const std::vector<call_edge> calls = {
      {21, "SQUARE", call_kind::call, 45},
      {21, "printf", call_kind::call, 46},
      {22, "log_call", call_kind::call, 51},
      {24, "area", call_kind::call, 60},
      {24, "add", call_kind::call, 61},
  };

  test::expect_symbols(f.symbols, symbols);
  test::expect_imports(f.imports, imports);
  test::expect_calls(f.calls, calls);
}

TEST(ScrapeExtract, CppFixture) {
  const file_facts f = extract_fixture("sample.cpp", "sample.cpp");
  expect_file(f, "sample.cpp", "sample.cpp", language::cpp);
  const std::vector<symbol> symbols = {
      sb(k::namespace_, "geo", "geo", 6, 63, "namespace geo").pub(),  // 0
      sb(k::namespace_, "geo::detail", "detail", 7, 9, "namespace detail").parent(0).pub(),  // 1
      sb(k::function, "geo::detail::helper", "helper", 8, 8, "int helper(int x)").parent(1).params({{"x", "int"}}).ret("int").pub(),  // 2
      sb(k::enum_, "geo::Color", "Color", 12, 12, "enum class Color").parent(0).doc("The colour of a widget.").pub(),  // 3
      sb(k::enum_member, "geo::Color::red", "red", 12, 12, "red").parent(3).pub().cnst(),  // 4
      sb(k::enum_member, "geo::Color::green", "green", 12, 12, "green = 5").parent(3).pub().cnst(),  // 5
      sb(k::type_alias, "geo::Id", "Id", 14, 14, "using Id = unsigned long").parent(0).pub(),  // 6
      sb(k::class_, "geo::Widget", "Widget", 17, 39, "class Widget : public Base").parent(0).doc("A drawable widget.").pub(),  // 7
      sb(k::constructor, "geo::Widget::Widget", "Widget", 20, 20, "explicit Widget(int size)").parent(7).doc("Makes a widget.").params({{"size", "int"}}).pub().decl(),  // 8
      sb(k::destructor, "geo::Widget::~Widget", "~Widget", 21, 21, "~Widget() override").parent(7).pub().virt().decl(),  // 9
      sb(k::method, "geo::Widget::draw", "draw", 23, 23, "virtual void draw() const = 0").parent(7).ret("void").pub().cnst().virt().abst().decl(),  // 10
      sb(k::method, "geo::Widget::resize", "resize", 24, 24, "void resize(int w, int h)").parent(7).params({{"w", "int"}, {"h", "int"}}).ret("void").pub().decl(),  // 11
      sb(k::method, "geo::Widget::resize", "resize", 25, 25, "void resize(double factor)").parent(7).params({{"factor", "double"}}).ret("void").pub().decl(),  // 12
      sb(k::method, "geo::Widget::create", "create", 26, 26, "static std::unique_ptr<Widget> create(const std::string &name)").parent(7).params({{"name", "const std::string &"}}).ret("std::unique_ptr<Widget>").stat().pub().decl(),  // 13
      sb(k::method, "geo::Widget::convert", "convert", 27, 28, "template <typename T, typename U> T convert(U value) const").parent(7).params({{"value", "U"}}).ret("T").pub().cnst().generic(2),  // 14
      sb(k::method, "geo::Widget::operator==", "operator==", 29, 29, "bool operator==(const Widget &other) const").parent(7).params({{"other", "const Widget &"}}).ret("bool").pub().cnst().decl(),  // 15
      sb(k::field, "geo::Widget::size_", "size_", 32, 32, "int size_ = 0").parent(7),  // 16
      sb(k::constant, "geo::Widget::kMax", "kMax", 35, 35, "static constexpr int kMax = 8").parent(7).stat().cnst(),  // 17
      sb(k::struct_, "geo::Widget::Cache", "Cache", 36, 38, "struct Cache").parent(7),  // 18
      sb(k::field, "geo::Widget::Cache::hits", "hits", 37, 37, "int hits").parent(18).pub(),  // 19
      sb(k::struct_, "geo::Point", "Point", 41, 44, "struct Point").parent(0).pub(),  // 20
      sb(k::field, "geo::Point::x", "x", 42, 42, "double x").parent(20).pub(),  // 21
      sb(k::field, "geo::Point::y", "y", 42, 42, "double y").parent(20).pub(),  // 22
      sb(k::method, "geo::Point::norm", "norm", 43, 43, "double norm() const").parent(20).ret("double").pub().cnst().decl(),  // 23
      sb(k::constructor, "geo::Widget::Widget", "Widget", 46, 46, "Widget::Widget(int size)").parent(7).params({{"size", "int"}}).pub(),  // 24
      sb(k::destructor, "geo::Widget::~Widget", "~Widget", 48, 48, "Widget::~Widget()").parent(7).pub().virt(),  // 25
      sb(k::method, "geo::Widget::resize", "resize", 50, 53, "void Widget::resize(int w, int h)").parent(7).params({{"w", "int"}, {"h", "int"}}).ret("void").pub(),  // 26
      sb(k::method, "geo::Widget::resize", "resize", 55, 55, "void Widget::resize(double factor)").parent(7).params({{"factor", "double"}}).ret("void").pub(),  // 27
      sb(k::function, "geo::make_point", "make_point", 57, 61, "auto make_point(double x) -> Point").parent(0).params({{"x", "double"}}).ret("Point").pub(),  // 28
      sb(k::function, "hidden", "hidden", 66, 66, "void hidden()").ret("void"),  // 29
      sb(k::function, "max_of", "max_of", 69, 73, "template <class T> T max_of(T a, T b)").params({{"a", "T"}, {"b", "T"}}).ret("T").pub().generic(1),  // 30
  };
  const std::vector<import_fact> imports = {
      {"memory", {}, 2},
      {"string", {}, 3},
      {"shapes/base.hpp", {}, 4},
  };
  const std::vector<call_edge> calls = {
      {24, "detail::helper", call_kind::call, 46},
      {26, "this->draw", call_kind::call, 52},
      {27, "resize", call_kind::call, 55},
      {28, "std::make_shared", call_kind::call, 58},
      {28, "Point", call_kind::construct, 59},
      {29, "geo::make_point", call_kind::call, 66},
      {30, "std::max", call_kind::call, 71},
      {30, "pick", call_kind::call, 72},
  };

  test::expect_symbols(f.symbols, symbols);
  test::expect_imports(f.imports, imports);
  test::expect_calls(f.calls, calls);
}

TEST(ScrapeExtract, RustFixture) {
  const file_facts f = extract_fixture("sample.rs", "src/sample.rs");
  expect_file(f, "sample.rs", "src/sample.rs", language::rust);
  const std::vector<symbol> symbols = {
      sb(k::constant, "crate::sample::MAX_BATCH", "MAX_BATCH", 7, 7, "pub const MAX_BATCH: usize = 64").doc("Largest batch we send.").pub().cnst(),  // 0
      sb(k::variable, "crate::sample::GREETING", "GREETING", 8, 8, "static GREETING: &str = \"hi\"").stat(),  // 1
      sb(k::struct_, "crate::sample::Cache", "Cache", 11, 16, "pub struct Cache<K, V>").doc("A key-value cache.").pub().generic(2),  // 2
      sb(k::field, "crate::sample::Cache::entries", "entries", 14, 14, "pub entries: HashMap<K, V>").parent(2).doc("The entries.").pub(),  // 3
      sb(k::field, "crate::sample::Cache::hits", "hits", 15, 15, "hits: u64").parent(2),  // 4
      sb(k::enum_, "crate::sample::Event", "Event", 18, 21, "pub enum Event").pub(),  // 5
      sb(k::enum_member, "crate::sample::Event::Started", "Started", 19, 19, "Started").parent(5).pub().cnst(),  // 6
      sb(k::enum_member, "crate::sample::Event::Stopped", "Stopped", 20, 20, "Stopped { code: i32 }").parent(5).pub().cnst(),  // 7
      sb(k::field, "crate::sample::Event::Stopped::code", "code", 20, 20, "code: i32").parent(7).pub(),  // 8
      sb(k::type_alias, "crate::sample::Result", "Result", 23, 23, "pub type Result<T> = std::result::Result<T, Error>").pub().generic(1),  // 9
      sb(k::trait, "crate::sample::Storable", "Storable", 26, 32, "pub trait Storable").doc("Things that can be stored.").pub(),  // 10
      sb(k::method, "crate::sample::Storable::store", "store", 28, 28, "fn store(&self, into: &mut Backend) -> Result<()>").parent(10).doc("Stores self.").params({{"self", "&self"}, {"into", "&mut Backend"}}).ret("Result<()>").pub().abst().decl(),  // 11
      sb(k::method, "crate::sample::Storable::id", "id", 29, 31, "fn id(&self) -> u64").parent(10).params({{"self", "&self"}}).ret("u64").pub(),  // 12
      sb(k::method, "crate::sample::Cache::new", "new", 36, 38, "pub fn new() -> Self").parent(2).doc("Makes an empty cache.").ret("Self").stat().pub(),  // 13
      sb(k::method, "crate::sample::Cache::fetch", "fetch", 40, 43, "pub async fn fetch<'a>(&'a mut self, key: &K) -> Option<&'a V>").parent(2).params({{"self", "&'a mut self"}, {"key", "&K"}}).ret("Option<&'a V>").async_().pub().generic(1),  // 14
      sb(k::method, "crate::sample::Cache::raw", "raw", 45, 47, "pub(crate) unsafe fn raw(&self) -> *const u8").parent(2).params({{"self", "&self"}}).ret("*const u8").unsafe_(),  // 15
      sb(k::method, "<crate::sample::Event as Display>::fmt", "fmt", 51, 53, "fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result").parent(5).params({{"self", "&self"}, {"f", "&mut fmt::Formatter<'_>"}}).ret("fmt::Result").pub(),  // 16
      sb(k::method, "<crate::sample::Event as fmt::Debug>::fmt", "fmt", 57, 59, "fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result").parent(5).params({{"self", "&self"}, {"f", "&mut fmt::Formatter<'_>"}}).ret("fmt::Result").pub(),  // 17
      sb(k::module, "crate::sample::inner", "inner", 62, 66, "mod inner"),  // 18
      sb(k::function, "crate::sample::inner::twice", "twice", 63, 65, "pub const fn twice(x: u32) -> u32").parent(18).params({{"x", "u32"}}).ret("u32").pub().cnst(),  // 19
      sb(k::macro, "crate::sample::square", "square", 68, 72, "macro_rules! square"),  // 20
      sb(k::function, "crate::sample::main", "main", 74, 79, "fn main()"),  // 21
  };
  const std::vector<import_fact> imports = {
      {"std::collections::HashMap", {}, 2},
      {"std::fmt::{self, Display}", {}, 3},
      {"crate::store::Store as Backend", {}, 4},
  };
  const std::vector<call_edge> calls = {
      {13, "HashMap::new", call_kind::call, 37},
      {14, "self.entries.get", call_kind::call, 42},
      {15, "std::ptr::null", call_kind::call, 46},
      {16, "write!", call_kind::macro, 52},
      {17, "f.write_str", call_kind::call, 58},
      {21, "Cache::new", call_kind::call, 75},
      {21, "inner::twice", call_kind::call, 76},
      {21, "println!", call_kind::macro, 77},
      {21, "c.entries.len", call_kind::call, 78},
  };

  test::expect_symbols(f.symbols, symbols);
  test::expect_imports(f.imports, imports);
  test::expect_calls(f.calls, calls);
}

TEST(ScrapeExtract, PythonFixture) {
  const file_facts f = extract_fixture("sample.py", "pkg/sample.py");
  expect_file(f, "sample.py", "pkg/sample.py", language::python);
  const std::vector<symbol> symbols = {
      sb(k::constant, "pkg.sample.MAX_SIZE", "MAX_SIZE", 8, 8, "MAX_SIZE = 100").pub(),  // 0
      sb(k::variable, "pkg.sample._cache", "_cache", 9, 9, "_cache = {}"),  // 1
      sb(k::class_, "pkg.sample.Shape", "Shape", 12, 41, "class Shape(Base, metaclass=Meta)").doc("A shape.\n\nHas an area.").pub(),  // 2
      sb(k::field, "pkg.sample.Shape.sides", "sides", 18, 18, "sides: int = 0").parent(2).pub(),  // 3
      sb(k::constructor, "pkg.sample.Shape.__init__", "__init__", 20, 22, "def __init__(self, name: str, *args, **kwargs) -> None").parent(2).params({{"self", ""}, {"name", "str"}, {"*args", ""}, {"**kwargs", ""}}).ret("None").pub(),  // 4
      sb(k::field, "pkg.sample.Shape.name", "name", 22, 22, "self.name = name").parent(2).pub(),  // 5
      sb(k::method, "pkg.sample.Shape.unit", "unit", 24, 26, "def unit() -> \"Shape\"").parent(2).ret("\"Shape\"").stat().pub(),  // 6
      sb(k::method, "pkg.sample.Shape.label", "label", 28, 31, "def label(self)").parent(2).params({{"self", ""}}).pub(),  // 7
      sb(k::method, "pkg.sample.Shape.load", "load", 33, 35, "async def load(self, path, retries: int = 3, *, timeout=None)").parent(2).params({{"self", ""}, {"path", ""}, {"retries", "int"}, {"timeout", ""}}).async_().pub(),  // 8
      sb(k::method, "pkg.sample.Shape._private", "_private", 37, 38, "def _private(self, x=1, /, y=2)").parent(2).params({{"self", ""}, {"x", ""}, {"y", ""}}),  // 9
      sb(k::class_, "pkg.sample.Shape.Meta", "Meta", 40, 41, "class Meta").parent(2).pub(),  // 10
      sb(k::field, "pkg.sample.Shape.Meta.ordering", "ordering", 41, 41, "ordering = [\"name\"]").parent(10).pub(),  // 11
      sb(k::function, "pkg.sample.total", "total", 45, 48, "def total(items: list[int]) -> int").doc("Computes a total.").params({{"items", "list[int]"}}).ret("int").pub(),  // 12
      sb(k::function, "pkg.sample.total.add", "add", 46, 47, "def add(a, b)").parent(12).params({{"a", ""}, {"b", ""}}),  // 13
      sb(k::function, "pkg.sample.decorated", "decorated", 51, 54, "def decorated()").doc("Decorated function.").pub(),  // 14
  };
  const std::vector<import_fact> imports = {
      {"os", {}, 2},
      {"os.path", {}, 3},
      {"collections", {"OrderedDict", "defaultdict"}, 4},
      {".", {"sibling"}, 5},
      {"..pkg.mod", {"*"}, 6},
  };
  const std::vector<call_edge> calls = {
      {4, "super().__init__", call_kind::call, 21},
      {4, "super", call_kind::call, 21},
      {6, "Shape", call_kind::call, 26},
      {7, "self.name.upper", call_kind::call, 31},
      {8, "fetch", call_kind::call, 34},
      {8, "osp.join", call_kind::call, 35},
      {12, "functools.reduce", call_kind::call, 48},
      {no_symbol, "decorator", call_kind::call, 51},
      {14, "print", call_kind::call, 54},
  };

  test::expect_symbols(f.symbols, symbols);
  test::expect_imports(f.imports, imports);
  test::expect_calls(f.calls, calls);
}

TEST(ScrapeExtract, GoFixture) {
  const file_facts f = extract_fixture("sample.go", "store/sample.go");
  expect_file(f, "sample.go", "store/sample.go", language::go);
  const std::vector<symbol> symbols = {
      sb(k::constant, "store.MaxItems", "MaxItems", 12, 12, "const MaxItems = 10").doc("MaxItems is the largest batch.").pub().cnst(),  // 0
      sb(k::constant, "store.modeA", "modeA", 15, 15, "const modeA = iota").cnst(),  // 1
      sb(k::constant, "store.modeB", "modeB", 16, 16, "const modeB").cnst(),  // 2
      sb(k::variable, "store.registry", "registry", 19, 19, "var registry = map[string]int{}"),  // 3
      sb(k::struct_, "store.Widget", "Widget", 22, 25, "type Widget struct").doc("Widget is a thing.").pub(),  // 4
      sb(k::field, "store.Widget.Name", "Name", 23, 23, "Name string").parent(4).pub(),  // 5
      sb(k::field, "store.Widget.count", "count", 24, 24, "count int").parent(4),  // 6
      sb(k::interface, "store.Drawer", "Drawer", 28, 30, "type Drawer interface").doc("Drawer draws.").pub(),  // 7
      sb(k::method, "store.Drawer.Draw", "Draw", 29, 29, "Draw(scale float64) error").parent(7).params({{"scale", "float64"}}).ret("error").pub().abst().decl(),  // 8
      sb(k::type_alias, "store.ID", "ID", 32, 32, "type ID = int64").pub(),  // 9
      sb(k::function, "store.NewWidget", "NewWidget", 35, 38, "func NewWidget(name string, sizes ...int) *Widget").doc("NewWidget makes a widget.").params({{"name", "string"}, {"sizes", "...int"}}).ret("*Widget").pub(),  // 10
      sb(k::method, "store.Widget.Draw", "Draw", 41, 44, "func (w *Widget) Draw(scale float64) error").parent(4).doc("Draw draws the widget.").params({{"scale", "float64"}}).ret("error").pub(),  // 11
      sb(k::method, "store.Widget.size", "size", 46, 50, "func (w Widget) size() (int, error)").parent(4).ret("(int, error)"),  // 12
      sb(k::function, "store.Map", "Map", 52, 54, "func Map[T any, U comparable](xs []T, f func(T) U) []U").params({{"xs", "[]T"}, {"f", "func(T) U"}}).ret("[]U").pub().generic(2),  // 13
  };
  const std::vector<import_fact> imports = {
      {"fmt", {}, 5},
      {"strings", {}, 6},
      {"os", {}, 9},
  };
  const std::vector<call_edge> calls = {
      {10, "fmt.Println", call_kind::call, 36},
      {10, "str.ToUpper", call_kind::call, 36},
      {12, "cleanup", call_kind::call, 47},
      {12, "notify", call_kind::call, 48},
      {12, "len", call_kind::call, 49},
  };

  test::expect_symbols(f.symbols, symbols);
  test::expect_imports(f.imports, imports);
  test::expect_calls(f.calls, calls);
}

TEST(ScrapeExtract, JavaScriptFixture) {
  const file_facts f = extract_fixture("sample.js", "web/sample.js");
  expect_file(f, "sample.js", "web/sample.js", language::javascript);
  const std::vector<symbol> symbols = {
      sb(k::constant, "VERSION", "VERSION", 6, 6, "export const VERSION = \"1.0\"").pub().cnst(),  // 0
      sb(k::variable, "counter", "counter", 7, 7, "let counter = 0"),  // 1
      sb(k::function, "render", "render", 13, 17, "export function render(name, { size = 1 } = {}, ...rest)").doc("Renders a widget.\n@param {string} name").params({{"name", ""}, {"{ size = 1 }", ""}, {"...rest", ""}}).pub(),  // 2
      sb(k::class_, "Box", "Box", 20, 41, "export default class Box extends Base").doc("A box.").pub(),  // 3
      sb(k::field, "Box.#secret", "#secret", 21, 21, "#secret = 1").parent(3),  // 4
      sb(k::field, "Box.count", "count", 22, 22, "static count = 0").parent(3).stat().pub(),  // 5
      sb(k::constructor, "Box.constructor", "constructor", 24, 27, "constructor(width)").parent(3).params({{"width", ""}}).pub(),  // 6
      sb(k::method, "Box.area", "area", 30, 32, "get area()").parent(3).doc("The area.").pub(),  // 7
      sb(k::method, "Box.items", "items", 34, 36, "async *items()").parent(3).async_().pub(),  // 8
      sb(k::method, "Box.from", "from", 38, 40, "static from(obj)").parent(3).params({{"obj", ""}}).stat().pub(),  // 9
      sb(k::function, "helper", "helper", 43, 45, "const helper = async (a, b = 2) =>").params({{"a", ""}, {"b", ""}}).async_().pub(),  // 10
      sb(k::function, "ids", "ids", 47, 49, "function* ids()"),  // 11
  };
  const std::vector<import_fact> imports = {
      {"react", {"default", "useState", "useEffect"}, 2},
      {"node:path", {"*"}, 3},
      {"fs", {}, 4},
  };
  const std::vector<call_edge> calls = {
      {2, "document.createElement", call_kind::call, 14},
      {2, "el.append", call_kind::call, 15},
      {2, "format", call_kind::call, 15},
      {6, "super", call_kind::call, 25},
      {8, "this.#walk", call_kind::call, 35},
      {9, "Box", call_kind::construct, 39},
      {10, "Promise.all", call_kind::call, 44},
  };

  test::expect_symbols(f.symbols, symbols);
  test::expect_imports(f.imports, imports);
  test::expect_calls(f.calls, calls);
}

TEST(ScrapeExtract, TypeScriptFixture) {
  const file_facts f = extract_fixture("sample.ts", "sample.ts");
  expect_file(f, "sample.ts", "sample.ts", language::typescript);
  const std::vector<symbol> symbols = {
      sb(k::interface, "Shape", "Shape", 7, 10, "export interface Shape<T = number>").doc("A shape with an area.").pub().generic(1),  // 0
      sb(k::field, "Shape.name", "name", 8, 8, "readonly name: string").parent(0).pub().cnst(),  // 1
      sb(k::method, "Shape.area", "area", 9, 9, "area(scale?: number): T").parent(0).params({{"scale", "number"}}).ret("T").pub().abst().decl(),  // 2
      sb(k::type_alias, "Pair", "Pair", 12, 12, "export type Pair<A, B> = [A, B]").pub().generic(2),  // 3
      sb(k::enum_, "Direction", "Direction", 14, 17, "export enum Direction").pub(),  // 4
      sb(k::enum_member, "Direction.Up", "Up", 15, 15, "Up = 1").parent(4).pub().cnst(),  // 5
      sb(k::enum_member, "Direction.Down", "Down", 16, 16, "Down").parent(4).pub().cnst(),  // 6
      sb(k::namespace_, "Geometry", "Geometry", 19, 21, "namespace Geometry"),  // 7
      sb(k::constant, "Geometry.PI", "PI", 20, 20, "export const PI = 3.14").parent(7).pub().cnst(),  // 8
      sb(k::function, "pick", "pick", 23, 23, "export function pick(key: string): string").params({{"key", "string"}}).ret("string").pub().decl(),  // 9
      sb(k::function, "pick", "pick", 24, 24, "export function pick(key: number): number").params({{"key", "number"}}).ret("number").pub().decl(),  // 10
      sb(k::function, "pick", "pick", 25, 27, "export function pick(key: any): any").params({{"key", "any"}}).ret("any").pub(),  // 11
      sb(k::class_, "Store", "Store", 29, 44, "export abstract class Store<K, V> implements Shape").pub().abst().generic(2),  // 12
      sb(k::field, "Store.items", "items", 31, 31, "private items: Map<K, V> = new Map()").parent(12),  // 13
      sb(k::field, "Store.instances", "instances", 32, 32, "protected static instances = 0").parent(12).stat(),  // 14
      sb(k::constructor, "Store.constructor", "constructor", 34, 36, "constructor(private readonly config: Config)").parent(12).params({{"config", "Config"}}).pub(),  // 15
      sb(k::method, "Store.get", "get", 39, 41, "public async get(key: K, fallback?: V): Promise<V | undefined>").parent(12).doc("Gets a value.").params({{"key", "K"}, {"fallback", "V"}}).ret("Promise<V | undefined>").async_().pub(),  // 16
      sb(k::method, "Store.area", "area", 43, 43, "abstract area(scale?: number): number").parent(12).params({{"scale", "number"}}).ret("number").pub().abst().decl(),  // 17
      sb(k::function, "makeStore", "makeStore", 46, 46, "export const makeStore = <T,>(x: T): Store<T, T> =>").params({{"x", "T"}}).ret("Store<T, T>").pub().generic(1),  // 18
  };
  const std::vector<import_fact> imports = {
      {"@angular/core", {"Injectable"}, 2},
      {"./config", {"Config"}, 3},
      {"./parser", {"parse"}, 4},
  };
  const std::vector<call_edge> calls = {
      {11, "lookup", call_kind::call, 26},
      {13, "Map", call_kind::construct, 31},
      {15, "super", call_kind::call, 35},
      {16, "this.items.get", call_kind::call, 40},
      {18, "create", call_kind::call, 46},
  };

  test::expect_symbols(f.symbols, symbols);
  test::expect_imports(f.imports, imports);
  test::expect_calls(f.calls, calls);
}

TEST(ScrapeExtract, TsxFixture) {
  const file_facts f = extract_fixture("sample.tsx", "sample.tsx");
  expect_file(f, "sample.tsx", "sample.tsx", language::tsx);
  const std::vector<symbol> symbols = {
      sb(k::interface, "Props", "Props", 3, 5, "interface Props"),  // 0
      sb(k::field, "Props.title", "title", 4, 4, "title: string").parent(0).pub(),  // 1
      sb(k::function, "Title", "Title", 8, 11, "export function Title({ title }: Props): JSX.Element").doc("Shows a title.").params({{"{ title }", "Props"}}).ret("JSX.Element").pub(),  // 2
      sb(k::function, "Badge", "Badge", 13, 13, "export const Badge = (props: Props) =>").params({{"props", "Props"}}).pub(),  // 3
  };
  const std::vector<import_fact> imports = {
      {"react", {"useState"}, 1},
  };
  const std::vector<call_edge> calls = {
      {2, "useState", call_kind::call, 9},
      {2, "setOpen", call_kind::call, 10},
      {2, "format", call_kind::call, 10},
  };

  test::expect_symbols(f.symbols, symbols);
  test::expect_imports(f.imports, imports);
  test::expect_calls(f.calls, calls);
}

TEST(ScrapeExtract, JavaFixture) {
  const file_facts f = extract_fixture("Sample.java", "com/example/shapes/Sample.java");
  expect_file(f, "Sample.java", "com/example/shapes/Sample.java", language::java);
  const std::vector<symbol> symbols = {
      sb(k::class_, "com.example.shapes.Shape", "Shape", 11, 54, "public abstract class Shape<T extends Number> implements Comparable<Shape<T>>").doc("A drawable shape.").pub().abst().generic(1),  // 0
      sb(k::constant, "com.example.shapes.Shape.MAX_SIDES", "MAX_SIDES", 13, 13, "public static final int MAX_SIDES = 12").parent(0).stat().pub().cnst(),  // 1
      sb(k::field, "com.example.shapes.Shape.name", "name", 14, 14, "private final String name").parent(0).cnst(),  // 2
      sb(k::field, "com.example.shapes.Shape.sides", "sides", 15, 15, "protected int sides").parent(0),  // 3
      sb(k::field, "com.example.shapes.Shape.corners", "corners", 15, 15, "protected int corners").parent(0),  // 4
      sb(k::constructor, "com.example.shapes.Shape.Shape", "Shape", 18, 20, "public Shape(String name)").parent(0).doc("Makes a shape.").params({{"name", "String"}}).pub(),  // 5
      sb(k::constructor, "com.example.shapes.Shape.Shape", "Shape", 22, 24, "public Shape()").parent(0).pub(),  // 6
      sb(k::method, "com.example.shapes.Shape.compareTo", "compareTo", 26, 29, "public int compareTo(Shape<T> other)").parent(0).params({{"other", "Shape<T>"}}).ret("int").pub(),  // 7
      sb(k::method, "com.example.shapes.Shape.area", "area", 31, 31, "public abstract double area()").parent(0).ret("double").pub().abst().decl(),  // 8
      sb(k::method, "com.example.shapes.Shape.collect", "collect", 33, 37, "static <U> List<U> collect(U first, String... rest)").parent(0).params({{"first", "U"}, {"rest", "String..."}}).ret("List<U>").stat().generic(1),  // 9
      sb(k::method, "com.example.shapes.Shape.resize", "resize", 39, 39, "void resize(int factor)").parent(0).params({{"factor", "int"}}).ret("void"),  // 10
      sb(k::method, "com.example.shapes.Shape.resize", "resize", 41, 41, "void resize(double factor)").parent(0).params({{"factor", "double"}}).ret("void"),  // 11
      sb(k::enum_, "com.example.shapes.Shape.Kind", "Kind", 43, 47, "public enum Kind").parent(0).pub(),  // 12
      sb(k::enum_member, "com.example.shapes.Shape.Kind.ROUND", "ROUND", 44, 44, "ROUND").parent(12).stat().pub().cnst(),  // 13
      sb(k::enum_member, "com.example.shapes.Shape.Kind.SQUARE", "SQUARE", 44, 44, "SQUARE").parent(12).stat().pub().cnst(),  // 14
      sb(k::method, "com.example.shapes.Shape.Kind.isRound", "isRound", 46, 46, "boolean isRound()").parent(12).ret("boolean"),  // 15
      sb(k::interface, "com.example.shapes.Shape.Visitor", "Visitor", 49, 51, "interface Visitor").parent(0),  // 16
      sb(k::method, "com.example.shapes.Shape.Visitor.visit", "visit", 50, 50, "void visit(Shape<?> s)").parent(16).params({{"s", "Shape<?>"}}).ret("void").pub().abst().decl(),  // 17
      sb(k::class_, "com.example.shapes.Shape.Point", "Point", 53, 53, "record Point(int x, int y)").parent(0),  // 18
  };
  const std::vector<import_fact> imports = {
      {"java.util.List", {}, 4},
      {"java.util.*", {}, 5},
      {"java.lang.Math.max", {}, 6},
  };
  const std::vector<call_edge> calls = {
      {6, "this", call_kind::call, 23},
      {7, "Integer.compare", call_kind::call, 28},
      {9, "ArrayList", call_kind::construct, 34},
      {9, "out.add", call_kind::call, 35},
      {11, "resize", call_kind::call, 41},
  };

  test::expect_symbols(f.symbols, symbols);
  test::expect_imports(f.imports, imports);
  test::expect_calls(f.calls, calls);
}

}  // namespace
}  // namespace patina::scrape
