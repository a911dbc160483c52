// Rust extraction.
#include <unordered_map>
#include <unordered_set>

#include "extract_common.hpp"
#include "ts_languages.hpp"

namespace patina::scrape::detail {
namespace {

enum : std::uint16_t {
  r_use = role_first_language,
  r_extern_crate,
  r_mod,
  r_function,
  r_function_signature,
  r_struct,
  r_union,
  r_enum,
  r_variant,
  r_trait,
  r_impl,
  r_type,
  r_associated_type,
  r_const,
  r_static,
  r_macro_definition,
  r_field,
  r_call,
  r_macro_invocation,
  r_skip,
};

const node_table& table() {
  static const node_table t(ts_language_for(language::rust),
                            {
                                {"line_comment", role_comment},
                                {"block_comment", role_comment},
                                {"attribute_item", role_attribute},
                                {"use_declaration", r_use},
                                {"extern_crate_declaration", r_extern_crate},
                                {"mod_item", r_mod},
                                {"function_item", r_function},
                                {"function_signature_item", r_function_signature},
                                {"struct_item", r_struct},
                                {"union_item", r_union},
                                {"enum_item", r_enum},
                                {"enum_variant", r_variant},
                                {"trait_item", r_trait},
                                {"impl_item", r_impl},
                                {"type_item", r_type},
                                {"associated_type", r_associated_type},
                                {"const_item", r_const},
                                {"static_item", r_static},
                                {"macro_definition", r_macro_definition},
                                {"field_declaration", r_field},
                                {"call_expression", r_call},
                                {"macro_invocation", r_macro_invocation},
                                {"inner_attribute_item", r_skip},
                                {"token_tree", r_skip},
                            });
  return t;
}

// container_kind values.
enum : std::uint16_t { k_struct = 1, k_enum, k_variant, k_trait, k_inherent_impl, k_trait_impl };

class rust_walker final : public walker_base {
 public:
  explicit rust_walker(const walk_input& in) : walker_base(in, table()) {}

 private:
  bool is_doc_comment(std::string_view t) const override {
    if (starts_with(t, "///")) return !starts_with(t, "////");
    if (starts_with(t, "/**")) return !starts_with(t, "/***") && !starts_with(t, "/**/");
    return false;
  }

  std::string visibility(TSNode n) const {
    std::string v;
    for_each_child(n, [&](TSNode c, const char*) {
      if (is(c, "visibility_modifier")) v = remove_spaces(text(c));
    });
    return v;
  }

  // `pub` is public; `pub(crate)`, `pub(super)` and `pub(in path)` are not.
  bool declared_public(TSNode n) const { return visibility(n) == "pub"; }

  // Visibility of an item, given where it is declared.
  bool item_public(TSNode n) const {
    const frame& t = top();
    if (t.container == scope_type::type && t.container_kind == k_trait) return t.container_public;
    if (t.container == scope_type::impl && t.container_kind == k_trait_impl) return true;
    if (t.in_function) return false;
    return declared_public(n);
  }

  std::uint16_t generic_count(TSNode n) const {
    std::uint16_t count = 0;
    for_each_child(field(n, "type_parameters"), [&](TSNode c, const char*) {
      if (ts_node_is_named(c) && !is(c, "line_comment") && !is(c, "block_comment") && !is(c, "attribute_item")) {
        ++count;
      }
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
    s.doc = h.doc;
    return s;
  }

  void on_function(TSNode n, bool has_body) {
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || !can_record()) {
      if (has_body) push_scope(no_symbol, scope_type::function);
      return;
    }
    const decl_head h = head(n);
    const frame& t = top();
    const bool in_trait = t.container == scope_type::type && t.container_kind == k_trait;
    const bool in_impl = t.container == scope_type::impl;
    symbol s = make(n, h, std::string(text(name)), (in_trait || in_impl) ? symbol_kind::method : symbol_kind::function);
    bool has_self = false;
    for_each_child(field(n, "parameters"), [&](TSNode c, const char*) {
      if (is(c, "self_parameter")) {
        has_self = true;
        s.parameters.push_back({"self", collapse(text(c))});
      } else if (is(c, "parameter")) {
        s.parameters.push_back({collapse(text(field(c, "pattern"))), collapse(text(field(c, "type")))});
      } else if (is(c, "variadic_parameter")) {
        s.parameters.push_back({"...", ""});
      }
    });
    const TSNode ret = field(n, "return_type");
    if (!ts_node_is_null(ret)) s.return_type = collapse(text(ret));
    for_each_child(n, [&](TSNode c, const char*) {
      if (!is(c, "function_modifiers")) return;
      for_each_child(c, [&](TSNode m, const char*) {
        const std::string_view word = text(m);
        if (word == "async") s.flags.is_async = true;
        if (word == "const") s.flags.is_const = true;
        if (word == "unsafe") s.flags.is_unsafe = true;
      });
    });
    s.flags.is_public = item_public(n);
    s.flags.is_static = (in_trait || in_impl) && !has_self;
    s.flags.is_abstract = in_trait && !has_body;
    s.flags.is_declaration = !has_body;
    s.generic_count = generic_count(n);
    const TSNode body = field(n, "body");
    s.signature = signature(ts_node_start_byte(n), ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    const std::uint32_t idx = add_symbol(std::move(s));
    remember_impl_item(idx);
    if (has_body) push_scope(idx, scope_type::function, std::move(q), {});
  }

  // An item of an impl whose type is not (yet) known in this file.
  void remember_impl_item(std::uint32_t idx) {
    if (top().container != scope_type::impl || sym(idx).parent != no_symbol) return;
    impl_items_.insert(idx);
    impl_types_[idx] = top().alias_name;
  }

  void on_type(TSNode n, std::uint16_t role) {
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || !can_record()) {
      push_frame().record = false;
      return;
    }
    const decl_head h = head(n);
    const symbol_kind kind = role == r_struct  ? symbol_kind::struct_
                             : role == r_union ? symbol_kind::union_
                             : role == r_enum  ? symbol_kind::enum_
                                               : symbol_kind::trait;
    symbol s = make(n, h, std::string(text(name)), kind);
    s.flags.is_public = item_public(n);
    s.generic_count = generic_count(n);
    const TSNode body = field(n, "body");
    std::uint32_t sig_end = ts_node_end_byte(n);
    if (!ts_node_is_null(body) && !is(body, "ordered_field_declaration_list")) sig_end = ts_node_start_byte(body);
    s.signature = signature(ts_node_start_byte(n), sig_end, n);
    std::string q = s.qualified_name;
    std::string simple = s.name;
    const std::uint32_t idx = add_symbol(std::move(s));
    types_.emplace(q, idx);
    frame& f = push_scope(idx, scope_type::type, std::move(q), std::move(simple));
    f.container_kind = role == r_enum ? k_enum : role == r_trait ? k_trait : k_struct;
  }

  void on_variant(TSNode n) {
    const TSNode name = field(n, "name");
    if (top().container != scope_type::type || top().container_kind != k_enum || ts_node_is_null(name) || !can_record()) {
      push_frame().record = false;
      return;
    }
    const decl_head h = head(n);
    symbol s = make(n, h, std::string(text(name)), symbol_kind::enum_member);
    s.flags.is_public = top().container_public;
    s.flags.is_const = true;
    s.signature = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    std::string q = s.qualified_name;
    std::string simple = s.name;
    const std::uint32_t idx = add_symbol(std::move(s));
    frame& f = push_scope(idx, scope_type::type, std::move(q), std::move(simple));
    f.container_kind = k_variant;
  }

  void on_field(TSNode n) {
    const TSNode name = field(n, "name");
    if (top().container != scope_type::type || ts_node_is_null(name) || !can_record()) return;
    const decl_head h = head(n);
    symbol s = make(n, h, std::string(text(name)), symbol_kind::field);
    s.flags.is_public = top().container_kind == k_variant ? top().container_public : declared_public(n);
    s.signature = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    add_symbol(std::move(s));
  }

  // Adds a type alias, constant, static or macro. Constants and statics open a scope so
  // that calls in their initializers name them as the caller.
  void on_simple_item(TSNode n, symbol_kind kind) {
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name) || top().in_function || !can_record()) return;
    const decl_head h = head(n);
    symbol s = make(n, h, std::string(text(name)), kind);
    s.flags.is_public = item_public(n);
    s.generic_count = generic_count(n);
    if (is(n, "static_item")) s.flags.is_static = true;
    if (kind == symbol_kind::constant) s.flags.is_const = true;
    if (is(n, "macro_definition")) {
      // The rules are the body; the signature is the head.
      std::uint32_t end = ts_node_end_byte(n);
      for_each_child(n, [&](TSNode c, const char*) {
        if (is(c, "macro_rule") || (!ts_node_is_named(c) && (text(c) == "{" || text(c) == "(" || text(c) == "["))) {
          end = std::min(end, ts_node_start_byte(c));
        }
      });
      s.signature = signature(ts_node_start_byte(n), end, n);
    } else {
      s.signature = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    }
    std::string q = s.qualified_name;
    const std::uint32_t idx = add_symbol(std::move(s));
    remember_impl_item(idx);
    if (kind == symbol_kind::constant || kind == symbol_kind::variable) {
      push_scope(idx, scope_type::function, std::move(q), {});
    }
  }

  void on_mod(TSNode n) {
    const TSNode name = field(n, "name");
    const TSNode body = field(n, "body");
    if (ts_node_is_null(name) || !can_record()) {
      push_frame().record = false;
      return;
    }
    const decl_head h = head(n);
    symbol s = make(n, h, std::string(text(name)), symbol_kind::module);
    s.flags.is_public = item_public(n);
    s.flags.is_declaration = ts_node_is_null(body);
    s.signature = signature(ts_node_start_byte(n), ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    std::string q = s.qualified_name;
    const std::uint32_t idx = add_symbol(std::move(s));
    push_scope(idx, scope_type::namespace_, std::move(q), {});
  }

  void on_impl(TSNode n) {
    const TSNode type_node = field(n, "type");
    const TSNode trait = field(n, "trait");
    const std::string type_name = strip_angle_groups(collapse(text(type_node)));
    const std::string qualified_type = qualify(type_name);
    std::string prefix = qualified_type;
    if (!ts_node_is_null(trait)) prefix = "<" + qualified_type + " as " + collapse(text(trait)) + ">";
    // Scope names of impl members are not qualified further by the enclosing prefix:
    // push the full prefix and let qualify() append to it.
    frame& f = push_scope(no_symbol, scope_type::impl, std::move(prefix), type_name);
    f.container_kind = ts_node_is_null(trait) ? k_inherent_impl : k_trait_impl;
    f.alias_name = qualified_type;
    if (auto it = types_.find(qualified_type); it != types_.end()) f.enclosing = it->second;
  }

  std::string render_callee(TSNode f, int budget) const {
    if (ts_node_is_null(f)) return {};
    if (budget > 0) {
      if (is(f, "identifier") || is(f, "self") || is(f, "field_identifier")) return std::string(text(f));
      if (is(f, "scoped_identifier")) {
        std::string s = strip_angle_groups(remove_spaces(text(f)));
        for (std::size_t p; (p = s.find("::::")) != std::string::npos;) s.erase(p, 2);
        return s;
      }
      if (is(f, "field_expression")) {
        return render_callee(field(f, "value"), budget - 1) + "." + std::string(text(field(f, "field")));
      }
      if (is(f, "generic_function")) return render_callee(field(f, "function"), budget - 1);
      if (is(f, "call_expression")) return render_callee(field(f, "function"), budget - 1) + "()";
      if (is(f, "closure_expression")) return {};
      if (is(f, "parenthesized_expression")) {
        const std::vector<TSNode> kids = named_children(f);
        if (kids.size() == 1 && is(kids[0], "closure_expression")) return {};
      }
    }
    return collapsed_text(f, 120);
  }

  bool visit(TSNode n, std::uint16_t role) override {
    switch (role) {
      case r_use: {
        const TSNode arg = field(n, "argument");
        if (!ts_node_is_null(arg)) add_import(collapse(text(arg)), {}, n);
        return false;
      }
      case r_extern_crate: {
        const TSNode name = field(n, "name");
        if (!ts_node_is_null(name)) add_import(std::string(text(name)), {}, n);
        return false;
      }
      case r_mod: on_mod(n); return true;
      case r_function: on_function(n, true); return true;
      case r_function_signature: on_function(n, false); return false;
      case r_struct:
      case r_union:
      case r_enum:
      case r_trait: on_type(n, role); return true;
      case r_variant: on_variant(n); return true;
      case r_field: on_field(n); return false;
      case r_impl: on_impl(n); return true;
      case r_type:
      case r_associated_type: on_simple_item(n, symbol_kind::type_alias); return false;
      case r_const: on_simple_item(n, symbol_kind::constant); return true;
      case r_static: on_simple_item(n, symbol_kind::variable); return true;
      case r_macro_definition: on_simple_item(n, symbol_kind::macro); return false;
      case r_call: add_call(render_callee(field(n, "function"), 16), call_kind::call, n); return true;
      case r_macro_invocation: {
        const TSNode m = field(n, "macro");
        if (!ts_node_is_null(m)) add_call(remove_spaces(text(m)) + "!", call_kind::macro, n);
        return false;
      }
      case r_skip: return false;
      default: return true;
    }
  }

  // An impl may come before its type in the file: link its items now that all types are known.
  void finish() override {
    for (std::size_t i = 0; i < out_.symbols.size(); ++i) {
      symbol& s = out_.symbols[i];
      if (s.parent != no_symbol || !impl_items_.count(static_cast<std::uint32_t>(i))) continue;
      if (auto it = types_.find(impl_types_[static_cast<std::uint32_t>(i)]); it != types_.end()) s.parent = it->second;
    }
  }

  std::unordered_map<std::string, std::uint32_t> types_;
  std::unordered_set<std::uint32_t> impl_items_;                 // symbols declared directly in an impl
  std::unordered_map<std::uint32_t, std::string> impl_types_;    // ... and the qualified type it implements
};

}  // namespace

void extract_rust(const walk_input& in, TSNode root) {
  rust_walker w(in);
  w.run(root, module_prefix(in.lang, in.path));
}

}  // namespace patina::scrape::detail
