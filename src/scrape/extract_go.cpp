// Go extraction.
#include <unordered_map>

#include "extract_common.hpp"
#include "ts_languages.hpp"

namespace patina::scrape::detail {
namespace {

enum : std::uint16_t {
  r_package = role_first_language,
  r_import_spec,
  r_function,
  r_method,
  r_type_declaration,
  r_type_spec,
  r_type_alias,
  r_field,
  r_method_elem,
  r_const_declaration,
  r_var_declaration,
  r_const_spec,
  r_var_spec,
  r_call,
  r_skip,
};

const node_table& table() {
  static const node_table t(ts_language_for(language::go),
                            {
                                {"comment", role_comment},
                                {"package_clause", r_package},
                                {"import_spec", r_import_spec},
                                {"function_declaration", r_function},
                                {"method_declaration", r_method},
                                {"type_declaration", r_type_declaration},
                                {"type_spec", r_type_spec},
                                {"type_alias", r_type_alias},
                                {"field_declaration", r_field},
                                {"method_elem", r_method_elem},
                                {"const_declaration", r_const_declaration},
                                {"var_declaration", r_var_declaration},
                                {"const_spec", r_const_spec},
                                {"var_spec", r_var_spec},
                                {"call_expression", r_call},
                                {"interpreted_string_literal", r_skip},
                                {"raw_string_literal", r_skip},
                            });
  return t;
}

// Exported: the name starts with an upper-case letter. Only ASCII letters are
// recognised; a name starting with a non-ASCII upper-case letter counts as unexported.
bool exported(std::string_view name) { return !name.empty() && name.front() >= 'A' && name.front() <= 'Z'; }

class go_walker final : public walker_base {
 public:
  explicit go_walker(const walk_input& in) : walker_base(in, table()) {}

 private:
  std::vector<parameter> parse_params(TSNode list) const {
    std::vector<parameter> out;
    for_each_child(list, [&](TSNode c, const char*) {
      const bool variadic = is(c, "variadic_parameter_declaration");
      if (!variadic && !is(c, "parameter_declaration")) return;
      std::string type = collapse(text(field(c, "type")));
      if (variadic) type = "..." + type;
      const std::vector<TSNode> names = fields(c, "name");
      if (names.empty()) {
        out.push_back({"", std::move(type)});
        return;
      }
      for (TSNode n : names) out.push_back({std::string(text(n)), type});
    });
    return out;
  }

  std::uint16_t generic_count(TSNode list) const {
    std::uint16_t count = 0;
    for_each_child(list, [&](TSNode c, const char*) {
      if (is(c, "type_parameter_declaration")) count = static_cast<std::uint16_t>(count + fields(c, "name").size());
    });
    return count;
  }

  symbol make(TSNode n, const decl_head& h, std::string name, symbol_kind kind, std::string_view scope = {}) {
    symbol s;
    s.qualified_name = qualify(scope.empty() ? name : std::string(scope) + "." + name);
    s.name = std::move(name);
    s.kind = kind;
    s.start_line = h.start_row + 1;
    s.end_line = end_row(n) + 1;
    s.doc = h.doc;
    return s;
  }

  // The receiver's type name: "(w *Widget)" and "(l *List[T])" give "Widget" and "List".
  std::string receiver_type(TSNode receiver) const {
    TSNode t{};
    for_each_child(receiver, [&](TSNode c, const char*) {
      if (ts_node_is_null(t) && is(c, "parameter_declaration")) t = field(c, "type");
    });
    while (!ts_node_is_null(t)) {
      if (is(t, "pointer_type")) {
        const std::vector<TSNode> kids = named_children(t);
        t = kids.empty() ? TSNode{} : kids.front();
        continue;
      }
      if (is(t, "generic_type")) {
        t = field(t, "type");
        continue;
      }
      if (is(t, "parenthesized_type")) {
        const std::vector<TSNode> kids = named_children(t);
        t = kids.empty() ? TSNode{} : kids.front();
        continue;
      }
      break;
    }
    return ts_node_is_null(t) ? std::string() : collapse(text(t));
  }

  void on_function(TSNode n, bool method) {
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || !can_record()) {
      push_scope(no_symbol, scope_type::function);
      return;
    }
    const decl_head h = head(n);
    const std::string recv = method ? receiver_type(field(n, "receiver")) : std::string();
    symbol s = make(n, h, std::string(text(name)), method ? symbol_kind::method : symbol_kind::function, recv);
    if (method) {
      if (auto it = types_.find(qualify(recv)); it != types_.end()) s.parent = it->second;
    }
    s.parameters = parse_params(field(n, "parameters"));
    const TSNode result = field(n, "result");
    if (!ts_node_is_null(result)) s.return_type = collapse(text(result));
    s.flags.is_public = exported(s.name);
    s.generic_count = generic_count(field(n, "type_parameters"));
    const TSNode body = field(n, "body");
    s.flags.is_declaration = ts_node_is_null(body);
    s.signature = signature(ts_node_start_byte(n), ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    const std::uint32_t idx = add_symbol(std::move(s));
    push_scope(idx, scope_type::function, std::move(q), {});
  }

  void on_declaration_group(TSNode n) {
    // A comment above a parenthesised group documents the group, not each member, and
    // each member starts on its own line: only a single declaration wraps its spec.
    if (has_child(n, "(") || has_child(n, "var_spec_list")) return;
    push_wrapper(n, ts_node_start_byte(n));
  }

  void on_type_spec(TSNode n, bool alias) {
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || top().in_function || !can_record()) {
      push_frame().record = false;
      return;
    }
    const decl_head h = head(n);
    const TSNode type_node = field(n, "type");
    symbol_kind kind = symbol_kind::type_alias;
    std::uint32_t body_start = ts_node_end_byte(n);
    if (!alias && !ts_node_is_null(type_node)) {
      if (is(type_node, "struct_type")) {
        kind = symbol_kind::struct_;
        for_each_child(type_node, [&](TSNode c, const char*) {
          if (is(c, "field_declaration_list")) body_start = ts_node_start_byte(c);
        });
      } else if (is(type_node, "interface_type")) {
        kind = symbol_kind::interface;
        for_each_child(type_node, [&](TSNode c, const char*) {
          if (!ts_node_is_named(c) && text(c) == "{") body_start = std::min(body_start, ts_node_start_byte(c));
        });
      }
    }
    symbol s = make(n, h, std::string(text(name)), kind);
    s.flags.is_public = exported(s.name);
    s.generic_count = generic_count(field(n, "type_parameters"));
    s.signature = "type " + signature(ts_node_start_byte(n), body_start, n);
    std::string q = s.qualified_name;
    std::string simple = s.name;
    const std::uint32_t idx = add_symbol(std::move(s));
    types_.emplace(q, idx);
    push_scope(idx, scope_type::type, std::move(q), std::move(simple));
  }

  void on_field(TSNode n) {
    if (top().container != scope_type::type || !can_record()) return;
    const decl_head h = head(n);
    std::vector<std::string> names;
    for (TSNode nm : fields(n, "name")) names.emplace_back(text(nm));
    if (names.empty()) {
      // An embedded field is named after its type: `*pkg.Reader` embeds `Reader`.
      std::string t = collapse(text(field(n, "type")));
      t = strip_angle_groups(t);
      if (const auto br = t.find('['); br != std::string::npos) t.resize(br);
      while (!t.empty() && t.front() == '*') t.erase(0, 1);
      if (const auto dot = t.rfind('.'); dot != std::string::npos) t = t.substr(dot + 1);
      if (t.empty()) return;
      names.push_back(std::move(t));
    }
    const std::string sig = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    for (std::string& nm : names) {
      symbol s = make(n, h, std::move(nm), symbol_kind::field);
      s.flags.is_public = exported(s.name);
      s.signature = sig;
      add_symbol(std::move(s));
    }
  }

  void on_method_elem(TSNode n) {
    const TSNode name = field(n, "name");
    if (top().container != scope_type::type || ts_node_is_null(name) || !can_record()) return;
    const decl_head h = head(n);
    symbol s = make(n, h, std::string(text(name)), symbol_kind::method);
    s.parameters = parse_params(field(n, "parameters"));
    const TSNode result = field(n, "result");
    if (!ts_node_is_null(result)) s.return_type = collapse(text(result));
    s.flags.is_public = exported(s.name);
    s.flags.is_abstract = true;
    s.flags.is_declaration = true;
    s.signature = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    add_symbol(std::move(s));
  }

  void on_spec(TSNode n, bool is_const) {
    if (top().in_function || !can_record()) return;
    const decl_head h = head(n);
    const std::vector<TSNode> names = fields(n, "name");
    if (names.empty()) return;
    const std::string sig =
        std::string(is_const ? "const " : "var ") + signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    std::uint32_t first = no_symbol;
    for (TSNode nm : names) {
      symbol s = make(n, h, std::string(text(nm)), is_const ? symbol_kind::constant : symbol_kind::variable);
      s.flags.is_public = exported(s.name);
      s.flags.is_const = is_const;
      s.signature = sig;
      const std::uint32_t idx = add_symbol(std::move(s));
      if (first == no_symbol) first = idx;
    }
    if (first != no_symbol) push_scope(first, scope_type::function, sym(first).qualified_name, {});
  }

  std::string render_callee(TSNode f, int budget) const {
    if (ts_node_is_null(f)) return {};
    if (budget > 0) {
      if (is(f, "identifier") || is(f, "field_identifier")) return std::string(text(f));
      if (is(f, "selector_expression")) {
        return render_callee(field(f, "operand"), budget - 1) + "." + std::string(text(field(f, "field")));
      }
      if (is(f, "call_expression")) return render_callee(field(f, "function"), budget - 1) + "()";
      if (is(f, "index_expression")) return render_callee(field(f, "operand"), budget - 1);
      if (is(f, "generic_type")) return render_callee(field(f, "type"), budget - 1);
      if (is(f, "func_literal")) return {};
    }
    return collapsed_text(f, 120);
  }

  bool visit(TSNode n, std::uint16_t role) override {
    switch (role) {
      case r_package:
        for_each_child(n, [&](TSNode c, const char*) {
          if (is(c, "package_identifier")) set_prefix(std::string(text(c)));
        });
        return false;
      case r_import_spec: {
        std::string_view p = trim(text(field(n, "path")));
        if (p.size() >= 2) p = p.substr(1, p.size() - 2);
        add_import(std::string(p), {}, n);
        return false;
      }
      case r_function: on_function(n, false); return true;
      case r_method: on_function(n, true); return true;
      case r_type_declaration: on_declaration_group(n); return true;
      case r_type_spec: on_type_spec(n, false); return true;
      case r_type_alias: on_type_spec(n, true); return true;
      case r_field: on_field(n); return false;
      case r_method_elem: on_method_elem(n); return false;
      case r_const_declaration: on_declaration_group(n); return true;
      case r_var_declaration: on_declaration_group(n); return true;
      case r_const_spec: on_spec(n, true); return true;
      case r_var_spec: on_spec(n, false); return true;
      case r_call: add_call(render_callee(field(n, "function"), 16), call_kind::call, n); return true;
      case r_skip: return false;
      default: return true;
    }
  }

  // A method may come before its type in the file: link it now that all types are known.
  void finish() override {
    for (symbol& s : out_.symbols) {
      if (s.kind != symbol_kind::method || s.parent != no_symbol) continue;
      const auto dot = s.qualified_name.rfind('.');
      if (dot == std::string::npos) continue;
      if (auto it = types_.find(s.qualified_name.substr(0, dot)); it != types_.end()) s.parent = it->second;
    }
  }

  std::unordered_map<std::string, std::uint32_t> types_;
};

}  // namespace

void extract_go(const walk_input& in, TSNode root) {
  go_walker w(in);
  w.run(root, {});
}

}  // namespace patina::scrape::detail
