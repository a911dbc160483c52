// Java extraction.
#include <algorithm>

#include "extract_common.hpp"
#include "ts_languages.hpp"

namespace patina::scrape::detail {
namespace {

enum : std::uint16_t {
  r_package = role_first_language,
  r_import,
  r_class,      // class_declaration, record_declaration
  r_interface,  // interface_declaration, annotation_type_declaration
  r_enum,
  r_method,       // method_declaration, annotation_type_element_declaration
  r_constructor,  // constructor_declaration, compact_constructor_declaration
  r_field,        // field_declaration, constant_declaration
  r_enum_constant,
  r_invocation,
  r_creation,
  r_explicit_constructor_invocation,
};

const node_table& table() {
  static const node_table t(ts_language_for(language::java),
                            {
                                {"line_comment", role_comment},
                                {"block_comment", role_comment},
                                {"package_declaration", r_package},
                                {"import_declaration", r_import},
                                {"class_declaration", r_class},
                                {"record_declaration", r_class},
                                {"interface_declaration", r_interface},
                                {"annotation_type_declaration", r_interface},
                                {"enum_declaration", r_enum},
                                {"method_declaration", r_method},
                                {"annotation_type_element_declaration", r_method},
                                {"constructor_declaration", r_constructor},
                                {"compact_constructor_declaration", r_constructor},
                                {"field_declaration", r_field},
                                {"constant_declaration", r_field},
                                {"enum_constant", r_enum_constant},
                                {"method_invocation", r_invocation},
                                {"object_creation_expression", r_creation},
                                {"explicit_constructor_invocation", r_explicit_constructor_invocation},
                            });
  return t;
}

// container_kind values.
enum : std::uint16_t { k_class = 1, k_interface, k_enum };

bool is_annotation(TSNode n) {
  return std::strcmp(ts_node_type(n), "marker_annotation") == 0 || std::strcmp(ts_node_type(n), "annotation") == 0;
}

class java_walker final : public walker_base {
 public:
  explicit java_walker(const walk_input& in) : walker_base(in, table()) {}

 private:
  struct modifiers {
    bool is_public = false;
    bool is_static = false;
    bool is_final = false;
    bool is_abstract = false;
    bool is_default = false;
    std::uint32_t sig_start = 0;  // where the declaration starts once annotations are left out
  };

  modifiers read_modifiers(TSNode n) const {
    modifiers m;
    m.sig_start = ts_node_start_byte(n);
    bool leading = true;
    for_each_child(n, [&](TSNode c, const char*) {
      if (!leading) return;
      if (is(c, "line_comment") || is(c, "block_comment")) return;
      if (!is(c, "modifiers")) {
        m.sig_start = ts_node_start_byte(c);
        leading = false;
        return;
      }
      bool annotations_only = true;
      for_each_child(c, [&](TSNode k, const char*) {
        if (is_annotation(k) || is(k, "line_comment") || is(k, "block_comment")) return;
        if (annotations_only) m.sig_start = ts_node_start_byte(k);
        annotations_only = false;
        const std::string_view w = text(k);
        if (w == "public") m.is_public = true;
        if (w == "static") m.is_static = true;
        if (w == "final") m.is_final = true;
        if (w == "abstract") m.is_abstract = true;
        if (w == "default") m.is_default = true;
      });
      if (!annotations_only) leading = false;
    });
    return m;
  }

  bool in_interface() const {
    return top().container == scope_type::type && top().container_kind == k_interface;
  }

  std::uint16_t generic_count(TSNode n) const {
    std::uint16_t count = 0;
    for_each_child(field(n, "type_parameters"), [&](TSNode c, const char*) {
      if (is(c, "type_parameter")) ++count;
    });
    return count;
  }

  std::vector<parameter> parse_params(TSNode list) const {
    std::vector<parameter> out;
    for_each_child(list, [&](TSNode c, const char*) {
      if (is(c, "formal_parameter")) {
        std::string type = collapse(text(field(c, "type")));
        const TSNode dims = field(c, "dimensions");
        if (!ts_node_is_null(dims)) type += remove_spaces(text(dims));
        out.push_back({std::string(text(field(c, "name"))), std::move(type)});
      } else if (is(c, "spread_parameter")) {
        std::string name;
        std::uint32_t type_start = ts_node_start_byte(c);
        std::uint32_t type_end = ts_node_end_byte(c);
        for_each_child(c, [&](TSNode k, const char*) {
          if (is(k, "modifiers")) type_start = ts_node_end_byte(k);
          if (is(k, "variable_declarator")) {
            name = std::string(text(field(k, "name")));
            type_end = ts_node_start_byte(k);
          }
        });
        out.push_back({std::move(name), collapse(slice(type_start, type_end))});
      }
    });
    return out;
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

  void on_type(TSNode n, symbol_kind kind, std::uint16_t container_kind) {
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || !can_record()) {
      push_frame().record = false;
      return;
    }
    const decl_head h = head(n);
    const modifiers m = read_modifiers(n);
    symbol s = make(n, h, std::string(text(name)), kind);
    s.flags.is_public = m.is_public || in_interface();
    s.flags.is_static = m.is_static;
    s.flags.is_abstract = m.is_abstract;
    s.generic_count = generic_count(n);
    const TSNode body = field(n, "body");
    s.signature = signature(m.sig_start, ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    std::string simple = s.name;
    const std::uint32_t idx = add_symbol(std::move(s));
    frame& f = push_scope(idx, scope_type::type, std::move(q), std::move(simple));
    f.container_kind = container_kind;
  }

  void on_method(TSNode n, bool constructor) {
    const TSNode name = field(n, "name");
    if (top().container != scope_type::type || ts_node_is_null(name) || !can_record()) {
      push_scope(no_symbol, scope_type::function);
      return;
    }
    const decl_head h = head(n);
    const modifiers m = read_modifiers(n);
    symbol s = make(n, h, std::string(text(name)), constructor ? symbol_kind::constructor : symbol_kind::method);
    s.parameters = parse_params(field(n, "parameters"));
    if (!constructor) {
      s.return_type = collapse(text(field(n, "type")));
      const TSNode dims = field(n, "dimensions");
      if (!ts_node_is_null(dims)) s.return_type += remove_spaces(text(dims));
    }
    const TSNode body = field(n, "body");
    const bool interface_member = in_interface();
    s.flags.is_public = m.is_public || interface_member;
    s.flags.is_static = m.is_static;
    s.flags.is_declaration = ts_node_is_null(body);
    s.flags.is_abstract = m.is_abstract || (interface_member && ts_node_is_null(body) && !m.is_static && !m.is_default);
    s.generic_count = generic_count(n);
    s.signature = signature(m.sig_start, ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    const std::uint32_t idx = add_symbol(std::move(s));
    push_scope(idx, scope_type::function, std::move(q), {});
  }

  void on_field(TSNode n) {
    if (top().container != scope_type::type || !can_record()) return;
    const decl_head h = head(n);
    const modifiers m = read_modifiers(n);
    const bool interface_member = in_interface();
    const bool is_static = m.is_static || interface_member;
    const bool is_final = m.is_final || interface_member;
    const std::vector<TSNode> declarators = fields(n, "declarator");
    if (declarators.empty()) return;
    // Computed once: a declaration may list thousands of declarators.
    std::vector<std::uint32_t> separators;
    for_each_child(n, [&](TSNode c, const char*) {
      if (!ts_node_is_named(c) && (text(c) == "," || text(c) == ";")) separators.push_back(ts_node_start_byte(c));
    });
    const std::vector<byte_range> comments = comments_in(n);
    const std::string prefix = signature(m.sig_start, ts_node_start_byte(declarators.front()), comments);
    std::uint32_t first = no_symbol;
    for (TSNode d : declarators) {
      const TSNode name = field(d, "name");
      if (ts_node_is_null(name)) continue;
      symbol s = make(n, h, std::string(text(name)), (is_static && is_final) ? symbol_kind::constant : symbol_kind::field);
      s.flags.is_public = m.is_public || interface_member;
      s.flags.is_static = is_static;
      s.flags.is_const = is_final;
      if (declarators.size() == 1) {
        s.signature = signature(m.sig_start, ts_node_end_byte(n), n);
      } else {
        const auto it = std::upper_bound(separators.begin(), separators.end(), ts_node_start_byte(d));
        const std::uint32_t end = it == separators.end() ? ts_node_end_byte(n) : *it;
        s.signature = prefix + " " + signature(ts_node_start_byte(d), end, comments);
      }
      const std::uint32_t idx = add_symbol(std::move(s));
      if (first == no_symbol) first = idx;
    }
    if (first != no_symbol) push_scope(first, scope_type::function, sym(first).qualified_name, {});
  }

  void on_enum_constant(TSNode n) {
    const TSNode name = field(n, "name");
    if (top().container != scope_type::type || top().container_kind != k_enum || ts_node_is_null(name) ||
        !can_record()) {
      push_frame().record = false;
      return;
    }
    const decl_head h = head(n);
    symbol s = make(n, h, std::string(text(name)), symbol_kind::enum_member);
    s.flags.is_public = true;
    s.flags.is_static = true;
    s.flags.is_const = true;
    const TSNode body = field(n, "body");
    s.signature = signature(read_modifiers(n).sig_start, ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    std::string simple = s.name;
    const std::uint32_t idx = add_symbol(std::move(s));
    frame& f = push_scope(idx, scope_type::type, std::move(q), std::move(simple));
    f.container_kind = k_class;
  }

  std::string render_object(TSNode o, int budget) const {
    if (ts_node_is_null(o)) return {};
    if (budget > 0) {
      if (is(o, "identifier") || is(o, "this") || is(o, "super") || is(o, "type_identifier")) return std::string(text(o));
      if (is(o, "field_access")) {
        return render_object(field(o, "object"), budget - 1) + "." + std::string(text(field(o, "field")));
      }
      if (is(o, "scoped_identifier")) return remove_spaces(text(o));
      if (is(o, "method_invocation")) return render_invocation(o, budget - 1) + "()";
    }
    return collapsed_text(o, 120);
  }

  std::string render_invocation(TSNode n, int budget) const {
    const TSNode object = field(n, "object");
    const std::string name(text(field(n, "name")));
    if (ts_node_is_null(object)) return name;
    return render_object(object, budget) + "." + name;
  }

  bool visit(TSNode n, std::uint16_t role) override {
    switch (role) {
      case r_package:
        for_each_child(n, [&](TSNode c, const char*) {
          if (is(c, "scoped_identifier") || is(c, "identifier")) set_prefix(remove_spaces(text(c)));
        });
        return false;
      case r_import: {
        std::string path;
        for_each_child(n, [&](TSNode c, const char*) {
          if (is(c, "scoped_identifier") || is(c, "identifier")) path = remove_spaces(text(c));
          if (is(c, "asterisk")) path += ".*";
        });
        add_import(std::move(path), {}, n);
        return false;
      }
      case r_class: on_type(n, symbol_kind::class_, k_class); return true;
      case r_interface: on_type(n, symbol_kind::interface, k_interface); return true;
      case r_enum: on_type(n, symbol_kind::enum_, k_enum); return true;
      case r_method: on_method(n, false); return true;
      case r_constructor: on_method(n, true); return true;
      case r_field: on_field(n); return true;
      case r_enum_constant: on_enum_constant(n); return true;
      case r_invocation: add_call(render_invocation(n, 16), call_kind::call, n); return true;
      case r_creation: {
        add_call(strip_angle_groups(remove_spaces(text(field(n, "type")))), call_kind::construct, n);
        // An anonymous class body declares nothing worth recording.
        for_each_child(n, [&](TSNode c, const char*) {
          if (is(c, "class_body")) anonymous_bodies_.push_back(c);
        });
        return true;
      }
      case r_explicit_constructor_invocation:
        add_call(std::string(text(field(n, "constructor"))), call_kind::call, n);
        return true;
      default:
        for (auto it = anonymous_bodies_.begin(); it != anonymous_bodies_.end(); ++it) {
          if (ts_node_eq(n, *it)) {
            anonymous_bodies_.erase(it);
            push_scope(no_symbol, scope_type::opaque);
            break;
          }
        }
        return true;
    }
  }

  std::vector<TSNode> anonymous_bodies_;  // bodies of `new T() { ... }` not reached yet
};

}  // namespace

void extract_java(const walk_input& in, TSNode root) {
  java_walker w(in);
  w.run(root, {});
}

}  // namespace patina::scrape::detail
