// JavaScript, TypeScript and TSX extraction (one walker; TypeScript adds node types).
#include <unordered_set>

#include "extract_common.hpp"
#include "ts_languages.hpp"

namespace patina::scrape::detail {
namespace {

enum : std::uint16_t {
  r_import = role_first_language,
  r_export,
  r_function,            // function_declaration, generator_function_declaration
  r_function_signature,  // TS overload signature
  r_class,               // class_declaration, abstract_class_declaration
  r_class_expression,    // class
  r_function_expression,  // function_expression, generator_function, arrow_function
  r_method,
  r_method_signature,    // method_signature, abstract_method_signature
  r_field,               // field_definition, public_field_definition
  r_property_signature,
  r_interface,
  r_type_alias,
  r_enum,
  r_enum_assignment,
  r_property_identifier,  // a bare enum member
  r_namespace,            // internal_module, module
  r_variable_declaration,
  r_variable_declarator,
  r_call,
  r_new,
  r_object,
};

const node_table& table_for(language lang) {
  static const auto make = [](language l) {
    return node_table(ts_language_for(l), {
                                              {"comment", role_comment},
                                              {"decorator", role_attribute},
                                              {"import_statement", r_import},
                                              {"export_statement", r_export},
                                              {"function_declaration", r_function},
                                              {"generator_function_declaration", r_function},
                                              {"function_signature", r_function_signature},
                                              {"class_declaration", r_class},
                                              {"abstract_class_declaration", r_class},
                                              {"class", r_class_expression},
                                              {"function_expression", r_function_expression},
                                              {"function", r_function_expression},
                                              {"generator_function", r_function_expression},
                                              {"arrow_function", r_function_expression},
                                              {"method_definition", r_method},
                                              {"method_signature", r_method_signature},
                                              {"abstract_method_signature", r_method_signature},
                                              {"field_definition", r_field},
                                              {"public_field_definition", r_field},
                                              {"property_signature", r_property_signature},
                                              {"interface_declaration", r_interface},
                                              {"type_alias_declaration", r_type_alias},
                                              {"enum_declaration", r_enum},
                                              {"enum_assignment", r_enum_assignment},
                                              {"property_identifier", r_property_identifier},
                                              {"internal_module", r_namespace},
                                              {"module", r_namespace},
                                              {"lexical_declaration", r_variable_declaration},
                                              {"variable_declaration", r_variable_declaration},
                                              {"variable_declarator", r_variable_declarator},
                                              {"call_expression", r_call},
                                              {"new_expression", r_new},
                                              {"object", r_object},
                                          });
  };
  static const node_table js = make(language::javascript);
  static const node_table ts = make(language::typescript);
  static const node_table tsx = make(language::tsx);
  return lang == language::javascript ? js : lang == language::typescript ? ts : tsx;
}

// container_kind values.
enum : std::uint16_t { k_class = 1, k_interface, k_enum };

// wrapper_flags.
enum : std::uint32_t {
  w_exported = 1,
  w_default = 2,
  w_declaration = 4,  // a lexical/variable declaration whose declarators become symbols
  w_const = 8,
  w_multi = 16,  // more than one declarator
};

std::string unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'' || s.front() == '`') && s.back() == s.front()) {
    s = s.substr(1, s.size() - 2);
  }
  return std::string(s);
}

class js_walker final : public walker_base {
 public:
  explicit js_walker(const walk_input& in) : walker_base(in, table_for(in.lang)) {}

 private:
  // Where the text of a declaration starts once its leading decorators are left out.
  static std::uint32_t after_decorators(TSNode n) {
    std::uint32_t start = ts_node_start_byte(n);
    bool done = false;
    for_each_child(n, [&](TSNode c, const char*) {
      if (done) return;
      if (is(c, "decorator") || is(c, "comment")) {
        start = ts_node_end_byte(c);
        return;
      }
      start = ts_node_start_byte(c);
      done = true;
    });
    return start;
  }

  std::string annotation(TSNode n) const {
    if (ts_node_is_null(n)) return {};
    std::string_view t = trim(text(n));
    if (starts_with(t, ":")) t.remove_prefix(1);
    return collapse(t);
  }

  std::vector<parameter> parse_params(TSNode list) const {
    std::vector<parameter> out;
    for_each_child(list, [&](TSNode c, const char*) {
      if (!ts_node_is_named(c) || is(c, "comment")) return;
      if (is(c, "required_parameter") || is(c, "optional_parameter")) {
        TSNode pattern = field(c, "pattern");
        out.push_back({collapse(text(pattern)), annotation(field(c, "type"))});
      } else if (is(c, "assignment_pattern")) {
        out.push_back({collapse(text(field(c, "left"))), ""});
      } else {
        out.push_back({collapse(text(c)), ""});
      }
    });
    return out;
  }

  std::uint16_t generic_count(TSNode n) const {
    std::uint16_t count = 0;
    for_each_child(field(n, "type_parameters"), [&](TSNode c, const char*) {
      if (is(c, "type_parameter")) ++count;
    });
    return count;
  }

  // Visibility of a class member: not `private`/`protected`, not a #private name.
  bool member_public(TSNode n, TSNode name) const {
    if (!ts_node_is_null(name) && is(name, "private_property_identifier")) return false;
    bool pub = true;
    for_each_child(n, [&](TSNode c, const char*) {
      if (is(c, "accessibility_modifier") && text(c) != "public") pub = false;
    });
    return pub;
  }

  // Visibility of a declaration at file or namespace level.
  bool exported(const decl_head& h) const {
    return h.wrapper != nullptr && (h.wrapper->wrapper_flags & w_exported) != 0;
  }

  // Whether the node being visited is the value of `export default`.
  bool exports_default() const {
    const frame* w = wrapper();
    return w != nullptr && (w->wrapper_flags & w_default) != 0 && (w->wrapper_flags & w_declaration) == 0;
  }

  bool at_module_level() const {
    const frame& t = top();
    return !t.in_function && (t.container == scope_type::file || t.container == scope_type::namespace_);
  }

  symbol make(TSNode n, const decl_head& h, std::string name, symbol_kind kind) {
    symbol s;
    s.qualified_name = qualify(name);
    s.name = std::move(name);
    s.kind = kind;
    s.start_line = h.start_row + 1;
    s.end_line = end_row(n) + 1;
    s.doc = h.doc;
    return s;
  }

  std::uint32_t sig_start(TSNode n, const decl_head& h) const {
    return h.wrapper != nullptr ? h.wrapper->sig_start : after_decorators(n);
  }

  // Fills the function facts of `s` from a function-like node (declaration, arrow
  // function, function expression, method).
  void function_facts(symbol& s, TSNode fn) const {
    s.parameters = parse_params(field(fn, "parameters"));
    const TSNode single = field(fn, "parameter");  // `x => ...`
    if (!ts_node_is_null(single)) s.parameters.push_back({collapse(text(single)), ""});
    s.return_type = annotation(field(fn, "return_type"));
    s.flags.is_async = has_child(fn, "async");
    s.generic_count = generic_count(fn);
  }

  void on_export(TSNode n) {
    const TSNode source = field(n, "source");
    if (!ts_node_is_null(source)) {
      std::vector<std::string> names;
      for_each_child(n, [&](TSNode c, const char*) {
        if (is(c, "namespace_export") || (!ts_node_is_named(c) && text(c) == "*")) names.emplace_back("*");
        if (!is(c, "export_clause")) return;
        for_each_child(c, [&](TSNode spec, const char*) {
          if (is(spec, "export_specifier")) names.push_back(unquote(text(field(spec, "name"))));
        });
      });
      add_import(unquote(text(source)), std::move(names), n);
      return;
    }
    const TSNode decl = field(n, "declaration");
    const TSNode value = field(n, "value");
    if (ts_node_is_null(decl) && ts_node_is_null(value)) {
      for_each_child(n, [&](TSNode c, const char*) {
        if (!is(c, "export_clause")) return;
        for_each_child(c, [&](TSNode spec, const char*) {
          if (is(spec, "export_specifier")) exported_names_.insert(std::string(text(field(spec, "name"))));
        });
      });
      return;
    }
    if (!ts_node_is_null(value) && is(value, "identifier")) exported_names_.insert(std::string(text(value)));
    frame& w = push_wrapper(n, after_decorators(n));
    w.wrapper_flags = w_exported | (has_child(n, "default") ? w_default : 0u);
  }

  void on_import(TSNode n) {
    const TSNode source = field(n, "source");
    std::vector<std::string> names;
    std::string path;
    for_each_child(n, [&](TSNode c, const char*) {
      if (is(c, "import_require_clause")) path = unquote(text(field(c, "source")));
      if (!is(c, "import_clause")) return;
      for_each_child(c, [&](TSNode k, const char*) {
        if (is(k, "identifier")) names.emplace_back("default");
        if (is(k, "namespace_import")) names.emplace_back("*");
        if (!is(k, "named_imports")) return;
        for_each_child(k, [&](TSNode spec, const char*) {
          if (is(spec, "import_specifier")) names.push_back(unquote(text(field(spec, "name"))));
        });
      });
    });
    if (!ts_node_is_null(source)) path = unquote(text(source));
    add_import(std::move(path), std::move(names), n);
  }

  std::string declared_name(TSNode n, const decl_head& h) const {
    const TSNode name = field(n, "name");
    if (!ts_node_is_null(name)) return unquote(text(name));
    if (h.wrapper != nullptr && (h.wrapper->wrapper_flags & w_default) != 0) return "default";
    return {};
  }

  void on_function(TSNode n, bool signature_only) {
    const decl_head h = head(n);
    const std::string name = declared_name(n, h);
    if (name.empty() || !can_record()) {
      if (!signature_only) push_scope(no_symbol, scope_type::function);
      return;
    }
    symbol s = make(n, h, name, symbol_kind::function);
    function_facts(s, n);
    s.flags.is_public = exported(h) && at_module_level();
    s.flags.is_declaration = signature_only;
    const TSNode body = field(n, "body");
    s.signature = signature(sig_start(n, h), ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    const std::uint32_t idx = add_symbol(std::move(s));
    if (!signature_only) push_scope(idx, scope_type::function, std::move(q), {});
  }

  void open_class(TSNode n, const decl_head& h, std::string name, bool is_public, std::uint32_t start) {
    symbol s = make(n, h, std::move(name), symbol_kind::class_);
    s.flags.is_public = is_public;
    s.flags.is_abstract = is(n, "abstract_class_declaration");
    s.generic_count = generic_count(n);
    const TSNode body = field(n, "body");
    s.signature = signature(start, ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    std::string simple = s.name;
    const std::uint32_t idx = add_symbol(std::move(s));
    frame& f = push_scope(idx, scope_type::type, std::move(q), std::move(simple));
    f.container_kind = k_class;
  }

  void on_class(TSNode n) {
    const decl_head h = head(n);
    const std::string name = declared_name(n, h);
    if (name.empty() || !can_record()) {
      push_scope(no_symbol, scope_type::opaque);
      return;
    }
    open_class(n, h, name, exported(h) && at_module_level(), sig_start(n, h));
  }

  void on_method(TSNode n, bool signature_only) {
    const TSNode name = field(n, "name");
    if (top().container != scope_type::type || ts_node_is_null(name) || !can_record()) {
      if (!signature_only) push_scope(no_symbol, scope_type::function);
      return;
    }
    const decl_head h = head(n);
    std::string nm = unquote(text(name));
    const bool ctor = nm == "constructor" && top().container_kind == k_class;
    symbol s = make(n, h, std::move(nm), ctor ? symbol_kind::constructor : symbol_kind::method);
    function_facts(s, n);
    s.flags.is_static = has_child(n, "static");
    s.flags.is_public = member_public(n, name);
    s.flags.is_declaration = signature_only;
    s.flags.is_abstract = is(n, "abstract_method_signature") || top().container_kind == k_interface;
    const TSNode body = field(n, "body");
    s.signature = signature(after_decorators(n), ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    const std::uint32_t idx = add_symbol(std::move(s));
    if (!signature_only) push_scope(idx, scope_type::function, std::move(q), {});
  }

  void on_field(TSNode n, bool in_interface) {
    TSNode name = field(n, "name");
    if (ts_node_is_null(name)) name = field(n, "property");
    if (top().container != scope_type::type || ts_node_is_null(name) || !can_record()) return;
    const decl_head h = head(n);
    symbol s = make(n, h, unquote(text(name)), symbol_kind::field);
    s.flags.is_static = has_child(n, "static");
    s.flags.is_const = has_child(n, "readonly");
    s.flags.is_public = in_interface || member_public(n, name);
    s.signature = signature(after_decorators(n), ts_node_end_byte(n), n);
    std::string q = s.qualified_name;
    const std::uint32_t idx = add_symbol(std::move(s));
    // Calls in the initializer are made by the field.
    push_scope(idx, scope_type::function, std::move(q), {});
  }

  void on_container(TSNode n, symbol_kind kind, std::uint16_t container_kind) {
    const decl_head h = head(n);
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || !can_record()) {
      push_scope(no_symbol, scope_type::opaque);
      return;
    }
    symbol s = make(n, h, unquote(text(name)), kind);
    s.flags.is_public = exported(h) && at_module_level();
    s.generic_count = generic_count(n);
    const TSNode body = field(n, "body");
    s.signature = signature(sig_start(n, h), ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    std::string simple = s.name;
    const std::uint32_t idx = add_symbol(std::move(s));
    frame& f = push_scope(idx, kind == symbol_kind::namespace_ ? scope_type::namespace_ : scope_type::type,
                          std::move(q), std::move(simple));
    f.container_kind = container_kind;
  }

  void on_type_alias(TSNode n) {
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || !at_module_level() || !can_record()) return;
    const decl_head h = head(n);
    symbol s = make(n, h, std::string(text(name)), symbol_kind::type_alias);
    s.flags.is_public = exported(h);
    s.generic_count = generic_count(n);
    s.signature = signature(sig_start(n, h), ts_node_end_byte(n), n);
    add_symbol(std::move(s));
  }

  void on_enum_member(TSNode n, TSNode name) {
    if (top().container != scope_type::type || top().container_kind != k_enum || !can_record()) return;
    const decl_head h = head(n);
    symbol s = make(n, h, unquote(text(name)), symbol_kind::enum_member);
    s.flags.is_public = top().container_public;
    s.flags.is_const = true;
    s.signature = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    add_symbol(std::move(s));
  }

  void on_variable_declaration(TSNode n) {
    if (!at_module_level()) return;
    const decl_head h = head(n);
    const bool is_const = has_child(n, "const");
    const std::vector<TSNode> declarators = [&] {
      std::vector<TSNode> v;
      for_each_child(n, [&](TSNode c, const char*) {
        if (is(c, "variable_declarator")) v.push_back(c);
      });
      return v;
    }();
    if (declarators.empty()) return;
    const std::uint32_t start = sig_start(n, h);
    const std::uint32_t inherited = h.wrapper != nullptr ? h.wrapper->wrapper_flags & (w_exported | w_default) : 0u;
    std::string keyword = signature(start, ts_node_start_byte(declarators.front()), n);
    frame& w = push_wrapper(n, start);
    w.wrapper_flags = inherited | w_declaration | (is_const ? w_const : 0u) | (declarators.size() > 1 ? w_multi : 0u);
    w.alias_name = std::move(keyword);
  }

  static bool is_function_value(TSNode v) {
    return is(v, "arrow_function") || is(v, "function_expression") || is(v, "function") ||
           is(v, "generator_function");
  }

  void on_variable_declarator(TSNode n) {
    const frame* w = wrapper();
    if (w == nullptr || (w->wrapper_flags & w_declaration) == 0 || !can_record()) return;
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || !is(name, "identifier")) return;  // destructuring: not symbols
    const TSNode value = field(n, "value");
    if (!ts_node_is_null(value) && is(value, "call_expression") && is_require(value)) return;  // an import
    decl_head h = head(n);
    const std::uint32_t flags = w->wrapper_flags;
    const bool multi = (flags & w_multi) != 0;
    // `var a = 1,\n    b = 2;`: each declarator after the first starts on its own line.
    if (multi && !first_declarator(n)) h.start_row = start_row(n);
    const bool is_public = (flags & w_exported) != 0;
    const std::string keyword = w->alias_name;
    const std::uint32_t start = w->sig_start;
    auto sig_for = [&](std::uint32_t end) {
      return multi ? keyword + " " + signature(ts_node_start_byte(n), end, n) : signature(start, end, n);
    };
    if (!ts_node_is_null(value) && (is(value, "class"))) {
      decl_head ch = h;
      open_class(value, ch, std::string(text(name)), is_public, ts_node_start_byte(value));
      sym(top().symbol).start_line = h.start_row + 1;
      sym(top().symbol).signature = sig_for(ts_node_is_null(field(value, "body")) ? ts_node_end_byte(n)
                                                                               : ts_node_start_byte(field(value, "body")));
      return;
    }
    const bool fn = !ts_node_is_null(value) && is_function_value(value);
    symbol s = make(n, h, std::string(text(name)),
                    fn ? symbol_kind::function : (flags & w_const) != 0 ? symbol_kind::constant : symbol_kind::variable);
    s.flags.is_public = is_public;
    if (fn) {
      function_facts(s, value);
      const TSNode body = field(value, "body");
      s.signature = sig_for(ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body));
    } else {
      s.flags.is_const = (flags & w_const) != 0;
      s.signature = sig_for(ts_node_end_byte(n));
    }
    std::string q = s.qualified_name;
    const std::uint32_t idx = add_symbol(std::move(s));
    push_scope(idx, scope_type::function, std::move(q), {});
  }

  static bool first_declarator(TSNode n) {
    for (TSNode p = ts_node_prev_named_sibling(n); !ts_node_is_null(p); p = ts_node_prev_named_sibling(p)) {
      if (is(p, "variable_declarator")) return false;
    }
    return true;
  }

  bool is_require(TSNode call) const {
    const TSNode f = field(call, "function");
    return !ts_node_is_null(f) && is(f, "identifier") && text(f) == "require" && !first_string_arg(call).empty();
  }

  std::string first_string_arg(TSNode call) const {
    std::string out;
    bool first = true;
    for_each_child(field(call, "arguments"), [&](TSNode c, const char*) {
      if (!first || !ts_node_is_named(c)) return;
      first = false;
      if (is(c, "string")) out = unquote(text(c));
    });
    return out;
  }

  std::string render_callee(TSNode f, int budget) const {
    if (ts_node_is_null(f)) return {};
    if (budget > 0) {
      if (is(f, "identifier") || is(f, "this") || is(f, "super") || is(f, "property_identifier") ||
          is(f, "private_property_identifier")) {
        return std::string(text(f));
      }
      if (is(f, "member_expression")) {
        return render_callee(field(f, "object"), budget - 1) + "." + std::string(text(field(f, "property")));
      }
      if (is(f, "call_expression")) return render_callee(field(f, "function"), budget - 1) + "()";
      if (is(f, "non_null_expression")) {
        const std::vector<TSNode> kids = named_children(f);
        if (kids.size() == 1) return render_callee(kids[0], budget - 1);
      }
      if (is_function_value(f)) return {};
      if (is(f, "parenthesized_expression")) {
        const std::vector<TSNode> kids = named_children(f);
        if (kids.size() == 1 && is_function_value(kids[0])) return {};
      }
    }
    return collapsed_text(f, 120);
  }

  void on_call(TSNode n) {
    const TSNode f = field(n, "function");
    if (ts_node_is_null(f)) return;
    if (is(f, "import") || is_require(n)) {
      const std::string path = first_string_arg(n);
      if (!path.empty()) {
        add_import(path, {}, n);
        return;
      }
    }
    add_call(render_callee(f, 16), call_kind::call, n);
  }

  bool visit(TSNode n, std::uint16_t role) override {
    switch (role) {
      case r_import: on_import(n); return false;
      case r_export: on_export(n); return true;
      case r_function: on_function(n, false); return true;
      case r_function_signature: on_function(n, true); return false;
      case r_class: on_class(n); return true;
      case r_function_expression:
        // `export default function () {}` declares a function named "default".
        if (exports_default()) on_function(n, false);
        return true;
      case r_class_expression: {
        if (exports_default()) {
          on_class(n);
          return true;
        }
        // A named class expression opened its scope at the declarator.
        const frame& t = top();
        if (t.symbol == no_symbol || t.depth != depth() - 1 || t.container != scope_type::type) {
          push_scope(no_symbol, scope_type::opaque);
        }
        return true;
      }
      case r_method: on_method(n, false); return true;
      case r_method_signature: on_method(n, true); return false;
      case r_field: on_field(n, false); return true;
      case r_property_signature: on_field(n, true); return false;
      case r_interface: on_container(n, symbol_kind::interface, k_interface); return true;
      case r_type_alias: on_type_alias(n); return false;
      case r_enum: on_container(n, symbol_kind::enum_, k_enum); return true;
      case r_enum_assignment: on_enum_member(n, field(n, "name")); return true;
      case r_property_identifier:
        if (top().container == scope_type::type && top().container_kind == k_enum && top().depth == depth() - 2) {
          on_enum_member(n, n);
        }
        return false;
      case r_namespace: on_container(n, symbol_kind::namespace_, 0); return true;
      case r_variable_declaration: on_variable_declaration(n); return true;
      case r_variable_declarator: on_variable_declarator(n); return true;
      case r_call: on_call(n); return true;
      case r_new: {
        const TSNode c = field(n, "constructor");
        add_call(strip_angle_groups(render_callee(c, 16)), call_kind::construct, n);
        return true;
      }
      case r_object: push_scope(no_symbol, scope_type::opaque); return true;
      default: return true;
    }
  }

  void finish() override {
    if (exported_names_.empty()) return;
    for (symbol& s : out_.symbols) {
      if (s.parent == no_symbol && s.qualified_name == s.name && exported_names_.count(s.name) != 0) {
        s.flags.is_public = true;
      }
    }
  }

  std::unordered_set<std::string> exported_names_;
};

}  // namespace

void extract_js(const walk_input& in, TSNode root) {
  js_walker w(in);
  w.run(root, {});
}

}  // namespace patina::scrape::detail
