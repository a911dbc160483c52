// Python extraction.
#include <algorithm>
#include <cctype>
#include <unordered_set>

#include "extract_common.hpp"
#include "ts_languages.hpp"

namespace patina::scrape::detail {
namespace {

enum : std::uint16_t {
  r_function = role_first_language,
  r_class,
  r_decorated,
  r_import,
  r_import_from,
  r_future_import,
  r_expression_statement,
  r_type_alias,
  r_call,
  r_skip,
};

const node_table& table() {
  static const node_table t(ts_language_for(language::python),
                            {
                                {"comment", role_comment},
                                {"function_definition", r_function},
                                {"class_definition", r_class},
                                {"decorated_definition", r_decorated},
                                {"import_statement", r_import},
                                {"import_from_statement", r_import_from},
                                {"future_import_statement", r_future_import},
                                {"expression_statement", r_expression_statement},
                                {"type_alias_statement", r_type_alias},
                                {"call", r_call},
                            });
  return t;
}

// Decorators that change what a definition is (frame::wrapper_flags).
enum : std::uint32_t {
  d_staticmethod = 1,
  d_abstractmethod = 2,
  d_overload = 4,
};

// Public by convention: no leading underscore, except dunder names.
bool public_name(std::string_view name) {
  if (!starts_with(name, "_")) return true;
  return name.size() > 4 && starts_with(name, "__") && ends_with(name, "__");
}

bool constant_name(std::string_view name) {
  bool letter = false;
  for (char c : name) {
    if (c >= 'A' && c <= 'Z') {
      letter = true;
    } else if (!((c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return letter;
}

class python_walker final : public walker_base {
 public:
  explicit python_walker(const walk_input& in) : walker_base(in, table()) {}

 private:
  std::unordered_set<std::string> instance_fields_;  // qualified names already declared

  // The docstring of a function or class body, cleaned like inspect.cleandoc.
  std::string docstring(TSNode body) const {
    if (ts_node_is_null(body)) return {};
    TSNode first{};
    for_each_child(body, [&](TSNode c, const char*) {
      if (ts_node_is_null(first) && ts_node_is_named(c) && !is(c, "comment")) first = c;
    });
    if (ts_node_is_null(first) || !is(first, "expression_statement")) return {};
    const std::vector<TSNode> kids = named_children(first);
    if (kids.size() != 1 || !is(kids[0], "string")) return {};
    const TSNode str = kids[0];
    std::uint32_t start = ts_node_start_byte(str);
    std::uint32_t end = ts_node_end_byte(str);
    for_each_child(str, [&](TSNode c, const char*) {
      if (is(c, "string_start")) start = ts_node_end_byte(c);
      if (is(c, "string_end")) end = ts_node_start_byte(c);
    });
    return clean_doc(slice(start, end));
  }

  std::string clean_doc(std::string_view raw) const {
    std::vector<std::string_view> lines;
    std::size_t pos = 0;
    while (pos <= raw.size()) {
      std::size_t eol = raw.find('\n', pos);
      if (eol == std::string_view::npos) eol = raw.size();
      std::string_view l = raw.substr(pos, eol - pos);
      if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
      lines.push_back(l);
      pos = eol + 1;
    }
    // Common indentation of the lines after the first.
    std::size_t indent = std::string_view::npos;
    for (std::size_t i = 1; i < lines.size(); ++i) {
      const std::string_view l = lines[i];
      const std::size_t first = l.find_first_not_of(" \t");
      if (first == std::string_view::npos) continue;
      indent = std::min(indent, first);
    }
    std::vector<std::string> out;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      std::string_view l = lines[i];
      if (i == 0) {
        l = trim(l);
      } else if (indent != std::string_view::npos) {
        l = l.size() > indent ? l.substr(indent) : std::string_view();
      }
      while (!l.empty() && (l.back() == ' ' || l.back() == '\t')) l.remove_suffix(1);
      out.emplace_back(l);
    }
    std::size_t first = 0;
    while (first < out.size() && out[first].empty()) ++first;
    std::size_t last = out.size();
    while (last > first && out[last - 1].empty()) --last;
    std::string doc;
    for (std::size_t i = first; i < last; ++i) {
      if (i > first) doc += '\n';
      doc += out[i];
    }
    cap_doc(doc);
    return doc;
  }

  std::vector<parameter> parse_params(TSNode list) const {
    std::vector<parameter> out;
    for_each_child(list, [&](TSNode c, const char*) {
      if (!ts_node_is_named(c)) return;
      const char* t = ts_node_type(c);
      if (std::strcmp(t, "identifier") == 0 || std::strcmp(t, "list_splat_pattern") == 0 ||
          std::strcmp(t, "dictionary_splat_pattern") == 0 || std::strcmp(t, "tuple_pattern") == 0) {
        out.push_back({collapse(text(c)), ""});
      } else if (std::strcmp(t, "typed_parameter") == 0) {
        std::string name;
        for_each_child(c, [&](TSNode k, const char* f) {
          if (name.empty() && ts_node_is_named(k) && f == nullptr) name = collapse(text(k));
        });
        out.push_back({std::move(name), collapse(text(field(c, "type")))});
      } else if (std::strcmp(t, "default_parameter") == 0) {
        out.push_back({collapse(text(field(c, "name"))), ""});
      } else if (std::strcmp(t, "typed_default_parameter") == 0) {
        out.push_back({collapse(text(field(c, "name"))), collapse(text(field(c, "type")))});
      }
      // keyword_separator (*) and positional_separator (/) are not parameters.
    });
    return out;
  }

  std::uint16_t generic_count(TSNode n) const {
    std::uint16_t count = 0;
    for_each_child(field(n, "type_parameters"), [&](TSNode c, const char*) {
      if (ts_node_is_named(c) && !is(c, "comment")) ++count;
    });
    return count;
  }

  symbol make(TSNode n, const decl_head& h, std::string name, symbol_kind kind) {
    symbol s;
    s.qualified_name = qualify(name);
    s.name = std::move(name);
    s.kind = kind;
    s.start_line = h.start_row + 1;
    s.end_line = end_row(n) + 1;
    return s;
  }

  void on_decorated(TSNode n) {
    std::uint32_t flags = 0;
    for_each_child(n, [&](TSNode c, const char*) {
      if (!is(c, "decorator")) return;
      std::string_view d = trim(text(c));
      if (starts_with(d, "@")) d.remove_prefix(1);
      d = trim(d.substr(0, d.find('(')));
      if (d == "staticmethod") flags |= d_staticmethod;
      if (d == "abstractmethod" || d == "abc.abstractmethod") flags |= d_abstractmethod;
      if (d == "overload" || d == "typing.overload") flags |= d_overload;
    });
    const TSNode def = field(n, "definition");
    frame& w = push_wrapper(n, ts_node_is_null(def) ? ts_node_start_byte(n) : ts_node_start_byte(def));
    w.wrapper_flags = flags;
  }

  void on_function(TSNode n) {
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || !can_record()) {
      push_scope(no_symbol, scope_type::function);
      return;
    }
    const decl_head h = head(n);
    const std::uint32_t wflags = h.wrapper != nullptr ? h.wrapper->wrapper_flags : 0;
    const bool in_class = top().container == scope_type::type;
    const std::string n_text(text(name));
    const symbol_kind kind = !in_class               ? symbol_kind::function
                             : n_text == "__init__" ? symbol_kind::constructor
                             : n_text == "__del__"  ? symbol_kind::destructor
                                                    : symbol_kind::method;
    symbol s = make(n, h, n_text, kind);
    s.parameters = parse_params(field(n, "parameters"));
    const TSNode ret = field(n, "return_type");
    if (!ts_node_is_null(ret)) s.return_type = collapse(text(ret));
    s.flags.is_async = has_child(n, "async");
    s.flags.is_static = (wflags & d_staticmethod) != 0;
    s.flags.is_abstract = (wflags & d_abstractmethod) != 0;
    s.flags.is_declaration = (wflags & d_overload) != 0;
    s.flags.is_public = !top().in_function && public_name(s.name);
    s.generic_count = generic_count(n);
    const TSNode body = field(n, "body");
    s.doc = docstring(body);
    if (s.doc.empty()) s.doc = h.doc;
    const std::uint32_t start = h.wrapper != nullptr ? h.wrapper->sig_start : ts_node_start_byte(n);
    s.signature = signature(start, ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    const std::uint32_t idx = add_symbol(std::move(s));
    push_scope(idx, scope_type::function, std::move(q), {});
  }

  void on_class(TSNode n) {
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || !can_record()) {
      push_frame().record = false;
      return;
    }
    const decl_head h = head(n);
    symbol s = make(n, h, std::string(text(name)), symbol_kind::class_);
    s.flags.is_public = !top().in_function && public_name(s.name);
    s.generic_count = generic_count(n);
    const TSNode body = field(n, "body");
    s.doc = docstring(body);
    if (s.doc.empty()) s.doc = h.doc;
    const std::uint32_t start = h.wrapper != nullptr ? h.wrapper->sig_start : ts_node_start_byte(n);
    s.signature = signature(start, ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    std::string simple = s.name;
    const std::uint32_t idx = add_symbol(std::move(s));
    push_scope(idx, scope_type::type, std::move(q), std::move(simple));
  }

  // `NAME = value`, `a = b = value`, `a, b = ...`, `name: type = value` at module or
  // class level.
  // `self.x = ...` in a constructor declares the instance field `Class.x` (once per name).
  void on_instance_assignment(TSNode n, TSNode assignment) {
    const std::uint32_t fn = top().enclosing;
    if (fn == no_symbol || sym(fn).kind != symbol_kind::constructor || sym(fn).parent == no_symbol ||
        sym(fn).parameters.empty() || !can_record()) {
      return;
    }
    const std::uint32_t cls = sym(fn).parent;
    const std::string self = sym(fn).parameters.front().name;
    for (TSNode a = assignment; !ts_node_is_null(a) && is(a, "assignment"); a = field(a, "right")) {
      const TSNode left = field(a, "left");
      if (ts_node_is_null(left) || !is(left, "attribute")) continue;
      const TSNode object = field(left, "object");
      if (ts_node_is_null(object) || !is(object, "identifier") || text(object) != self) continue;
      const std::string name(text(field(left, "attribute")));
      std::string qualified = sym(cls).qualified_name + "." + name;
      if (!instance_fields_.insert(qualified).second) continue;
      symbol s;
      s.name = name;
      s.qualified_name = std::move(qualified);
      s.kind = symbol_kind::field;
      s.start_line = line(n);
      s.end_line = end_row(n) + 1;
      s.parent = cls;
      s.flags.is_public = public_name(name);
      s.signature = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
      add_symbol(std::move(s));
    }
  }

  void on_expression_statement(TSNode n) {
    const std::vector<TSNode> kids = named_children(n);
    if (kids.size() != 1 || !is(kids[0], "assignment")) return;
    if (top().in_function) {
      on_instance_assignment(n, kids[0]);
      return;
    }
    if (!can_record()) return;
    const decl_head h = head(n);
    const bool in_class = top().container == scope_type::type;
    std::vector<TSNode> targets;
    for (TSNode a = kids[0]; !ts_node_is_null(a) && is(a, "assignment"); a = field(a, "right")) {
      const TSNode left = field(a, "left");
      if (ts_node_is_null(left)) break;
      if (is(left, "identifier")) {
        targets.push_back(left);
      } else if (is(left, "pattern_list") || is(left, "tuple_pattern")) {
        for (TSNode c : named_children(left)) {
          if (is(c, "identifier")) targets.push_back(c);
        }
      }
    }
    if (targets.empty()) return;
    const std::string sig = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    std::uint32_t first = no_symbol;
    for (TSNode t : targets) {
      const std::string name(text(t));
      const symbol_kind kind = in_class             ? symbol_kind::field
                               : constant_name(name) ? symbol_kind::constant
                                                     : symbol_kind::variable;
      symbol s = make(n, h, name, kind);
      s.doc = h.doc;
      s.flags.is_public = public_name(name);
      s.signature = sig;
      if (in_class) instance_fields_.insert(s.qualified_name);
      const std::uint32_t idx = add_symbol(std::move(s));
      if (first == no_symbol) first = idx;
    }
    // Calls in the value are made by the (first) assigned name.
    if (first != no_symbol) push_scope(first, scope_type::function, sym(first).qualified_name, {});
  }

  void on_type_alias(TSNode n) {
    if (top().in_function || !can_record()) return;
    const TSNode left = field(n, "left");
    if (ts_node_is_null(left)) return;
    const decl_head h = head(n);
    symbol s = make(n, h, collapse(text(left)), symbol_kind::type_alias);
    s.doc = h.doc;
    s.flags.is_public = public_name(s.name);
    s.signature = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    add_symbol(std::move(s));
  }

  void on_import(TSNode n) {
    for (TSNode c : fields(n, "name")) {
      const TSNode path = is(c, "aliased_import") ? field(c, "name") : c;
      add_import(collapse(text(path)), {}, n);
    }
  }

  void on_import_from(TSNode n, bool future) {
    std::string module = future ? "__future__" : collapse(text(field(n, "module_name")));
    std::vector<std::string> names;
    for_each_child(n, [&](TSNode c, const char* f) {
      if (is(c, "wildcard_import")) names.emplace_back("*");
      if (f == nullptr || std::strcmp(f, "name") != 0) return;
      const TSNode name = is(c, "aliased_import") ? field(c, "name") : c;
      names.push_back(collapse(text(name)));
    });
    add_import(std::move(module), std::move(names), n);
  }

  std::string render_callee(TSNode f, int budget) const {
    if (ts_node_is_null(f)) return {};
    if (budget > 0) {
      if (is(f, "identifier")) return std::string(text(f));
      if (is(f, "attribute")) {
        return render_callee(field(f, "object"), budget - 1) + "." + std::string(text(field(f, "attribute")));
      }
      if (is(f, "call")) return render_callee(field(f, "function"), budget - 1) + "()";
      if (is(f, "lambda")) return {};
      if (is(f, "parenthesized_expression")) {
        const std::vector<TSNode> kids = named_children(f);
        if (kids.size() == 1 && is(kids[0], "lambda")) return {};
      }
    }
    return collapsed_text(f, 120);
  }

  bool visit(TSNode n, std::uint16_t role) override {
    switch (role) {
      case r_function: on_function(n); return true;
      case r_class: on_class(n); return true;
      case r_decorated: on_decorated(n); return true;
      case r_import: on_import(n); return false;
      case r_import_from: on_import_from(n, false); return false;
      case r_future_import: on_import_from(n, true); return false;
      case r_expression_statement: on_expression_statement(n); return true;
      case r_type_alias: on_type_alias(n); return false;
      case r_call: add_call(render_callee(field(n, "function"), 16), call_kind::call, n); return true;
      case r_skip: return false;
      default: return true;
    }
  }
};

// The part of `path` that can name a module: what follows the last folder whose name is
// not a Python identifier (`python-stdlib/python3.11/asyncio/tasks.py` is `asyncio/tasks.py`):
// such a folder cannot be a package, and a dot in it would read as a separator.
std::string_view importable_path(std::string_view path) {
  const auto is_identifier = [](std::string_view part) {
    if (part.empty() || std::isdigit(static_cast<unsigned char>(part.front())) != 0) return false;
    return std::all_of(part.begin(), part.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || static_cast<unsigned char>(c) >= 0x80;
    });
  };
  std::size_t keep = 0;
  std::size_t from = 0;
  for (std::size_t slash = path.find('/'); slash != std::string_view::npos; slash = path.find('/', from)) {
    if (!is_identifier(path.substr(from, slash - from))) keep = slash + 1;
    from = slash + 1;
  }
  return path.substr(keep);
}

}  // namespace

void extract_python(const walk_input& in, TSNode root) {
  python_walker w(in);
  w.run(root, module_prefix(in.lang, importable_path(in.path)));
}

}  // namespace patina::scrape::detail
