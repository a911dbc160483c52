// C and C++ extraction (one walker: the C grammar's node types are a subset of C++'s).
#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "extract_common.hpp"
#include "ts_languages.hpp"

namespace patina::scrape::detail {
namespace {

enum : std::uint16_t {
  r_include = role_first_language,
  r_macro_def,
  r_macro_function_def,
  r_namespace,
  r_template,
  r_function_definition,
  r_declaration,
  r_field_declaration,
  r_typedef,
  r_alias,
  r_struct,
  r_union,
  r_class,
  r_enum,
  r_enumerator,
  r_access_specifier,
  r_base_class_clause,
  r_call,
  r_new,
  r_friend,
  r_skip,  // subtrees with nothing to extract
};

const node_table& table_for(language lang) {
  static const auto make = [](language l) {
    return node_table(ts_language_for(l), {
                                              {"comment", role_comment},
                                              {"preproc_include", r_include},
                                              {"preproc_def", r_macro_def},
                                              {"preproc_function_def", r_macro_function_def},
                                              {"namespace_definition", r_namespace},
                                              {"template_declaration", r_template},
                                              {"function_definition", r_function_definition},
                                              {"declaration", r_declaration},
                                              {"field_declaration", r_field_declaration},
                                              {"type_definition", r_typedef},
                                              {"alias_declaration", r_alias},
                                              {"struct_specifier", r_struct},
                                              {"union_specifier", r_union},
                                              {"class_specifier", r_class},
                                              {"enum_specifier", r_enum},
                                              {"enumerator", r_enumerator},
                                              {"access_specifier", r_access_specifier},
                                              {"base_class_clause", r_base_class_clause},
                                              {"call_expression", r_call},
                                              {"new_expression", r_new},
                                              {"friend_declaration", r_friend},
                                              {"using_declaration", r_skip},
                                              {"static_assert_declaration", r_skip},
                                              {"concept_definition", r_skip},
                                          });
  };
  static const node_table c = make(language::c);
  static const node_table cpp = make(language::cpp);
  return lang == language::c ? c : cpp;
}

// container_kind values for type scopes.
enum : std::uint16_t { k_struct = 1, k_class, k_union, k_enum };

bool is_name_like(TSNode n) {
  const char* t = ts_node_type(n);
  return std::strcmp(t, "identifier") == 0 || std::strcmp(t, "field_identifier") == 0 ||
         std::strcmp(t, "qualified_identifier") == 0 || std::strcmp(t, "destructor_name") == 0 ||
         std::strcmp(t, "operator_name") == 0 || std::strcmp(t, "template_function") == 0 ||
         std::strcmp(t, "type_identifier") == 0 || std::strcmp(t, "template_method") == 0;
}

bool is_wrapping_declarator(TSNode n) {
  const char* t = ts_node_type(n);
  return std::strcmp(t, "pointer_declarator") == 0 || std::strcmp(t, "reference_declarator") == 0 ||
         std::strcmp(t, "parenthesized_declarator") == 0 || std::strcmp(t, "attributed_declarator") == 0 ||
         std::strcmp(t, "array_declarator") == 0 || std::strcmp(t, "init_declarator") == 0 ||
         std::strcmp(t, "variadic_declarator") == 0;
}

class c_walker final : public walker_base {
 public:
  c_walker(const walk_input& in) : walker_base(in, table_for(in.lang)) {}

 private:
  // The declarator that makes a declaration a function.
  struct function_shape {
    TSNode fdecl{};      // function_declarator, or operator_cast
    TSNode name{};       // the name node (for operator_cast: the operator_cast itself)
    TSNode params{};     // parameter_list
    TSNode qualifier{};  // qualified_identifier wrapping the name, if any
    bool found = false;
    bool cast = false;
  };

  static TSNode inner_declarator(TSNode n) {
    TSNode d = field(n, "declarator");
    if (!ts_node_is_null(d)) return d;
    TSNode found{};
    for_each_child(n, [&](TSNode c, const char*) {
      if (!ts_node_is_null(found) || !ts_node_is_named(c)) return;
      const char* t = ts_node_type(c);
      if (std::strcmp(t, "type_qualifier") == 0 || std::strcmp(t, "attribute_specifier") == 0 ||
          std::strcmp(t, "attribute_declaration") == 0 || std::strcmp(t, "ms_pointer_modifier") == 0 ||
          std::strcmp(t, "comment") == 0) {
        return;
      }
      found = c;
    });
    return found;
  }

  static function_shape find_function(TSNode declarator) {
    function_shape s;
    TSNode cur = declarator;
    while (!ts_node_is_null(cur)) {
      if (is(cur, "function_declarator")) {
        TSNode inner = field(cur, "declarator");
        if (!ts_node_is_null(inner) && is(inner, "qualified_identifier")) {
          // S::operator bool() is a qualified_identifier whose name is an operator_cast.
          TSNode last = inner;
          while (is(last, "qualified_identifier")) last = field(last, "name");
          if (!ts_node_is_null(last) && is(last, "operator_cast")) {
            return cast_shape(last, inner);
          }
        }
        if (!ts_node_is_null(inner) && is_name_like(inner)) {
          s.fdecl = cur;
          s.name = inner;
          s.params = field(cur, "parameters");
          if (is(inner, "qualified_identifier")) s.qualifier = inner;
          s.found = true;
          return s;
        }
        cur = inner;
        continue;
      }
      if (is(cur, "operator_cast")) return cast_shape(cur, TSNode{});
      if (is(cur, "qualified_identifier")) {
        TSNode last = cur;
        while (!ts_node_is_null(last) && is(last, "qualified_identifier")) last = field(last, "name");
        if (!ts_node_is_null(last) && is(last, "operator_cast")) return cast_shape(last, cur);
        break;
      }
      if (is_wrapping_declarator(cur)) {
        cur = inner_declarator(cur);
        continue;
      }
      break;
    }
    return s;
  }

  static function_shape cast_shape(TSNode cast, TSNode qualifier) {
    function_shape s;
    s.fdecl = cast;
    s.name = cast;
    s.cast = true;
    s.qualifier = qualifier;
    TSNode abs = field(cast, "declarator");
    if (!ts_node_is_null(abs)) s.params = field(abs, "parameters");
    s.found = true;
    return s;
  }

  // The identifier a (parameter, variable or typedef) declarator declares, or null.
  static TSNode declared_name(TSNode declarator) {
    TSNode cur = declarator;
    while (!ts_node_is_null(cur)) {
      if (is(cur, "function_declarator")) {
        cur = field(cur, "declarator");
        continue;
      }
      // A zero-width name is one error recovery made up (MISSING): nothing is declared.
      if (is_name_like(cur)) return ts_node_start_byte(cur) == ts_node_end_byte(cur) ? TSNode{} : cur;
      if (is_wrapping_declarator(cur)) {
        cur = inner_declarator(cur);
        continue;
      }
      break;
    }
    return TSNode{};
  }

  // The simple name of a name node: "draw", "~Widget", "operator==", "operator bool".
  std::string simple_name(TSNode n) const {
    while (!ts_node_is_null(n) && is(n, "qualified_identifier")) n = field(n, "name");
    if (ts_node_is_null(n)) return {};
    if (is(n, "template_function") || is(n, "template_method")) return simple_name(field(n, "name"));
    if (is(n, "operator_cast")) return "operator " + collapse(text(field(n, "type")));
    return collapse(text(n));
  }

  // The written scope of a qualified name, template arguments removed: "Widget", "a::B".
  std::string written_scope(TSNode q) const {
    std::string scope;
    while (!ts_node_is_null(q) && is(q, "qualified_identifier")) {
      TSNode s = field(q, "scope");
      if (!ts_node_is_null(s)) {
        if (!scope.empty()) scope += "::";
        scope += strip_angle_groups(remove_spaces(text(s)));
      }
      q = field(q, "name");
    }
    return scope;
  }

  std::vector<parameter> parse_params(TSNode list) {
    std::vector<parameter> out;
    if (ts_node_is_null(list)) return out;
    for_each_child(list, [&](TSNode c, const char*) {
      if (!ts_node_is_named(c)) return;
      const char* t = ts_node_type(c);
      if (std::strcmp(t, "comment") == 0) return;
      if (std::strcmp(t, "variadic_parameter") == 0) {
        out.push_back({"...", ""});
        return;
      }
      if (std::strcmp(t, "parameter_declaration") != 0 && std::strcmp(t, "optional_parameter_declaration") != 0 &&
          std::strcmp(t, "variadic_parameter_declaration") != 0) {
        out.push_back({collapse(text(c)), ""});
        return;
      }
      const TSNode name = declared_name(field(c, "declarator"));
      std::uint32_t end = ts_node_end_byte(c);
      const TSNode def = field(c, "default_value");
      if (!ts_node_is_null(def)) end = ts_node_start_byte(def);
      const std::uint32_t start = ts_node_start_byte(c);
      std::string type_text;
      if (ts_node_is_null(name)) {
        type_text = uncommented(start, end, c);
      } else {
        type_text = uncommented(start, ts_node_start_byte(name), c);
        type_text += uncommented(ts_node_end_byte(name), end, c);
      }
      std::string ty = collapse(type_text);
      while (!ty.empty() && (ty.back() == '=' || ty.back() == ' ')) ty.pop_back();
      out.push_back({ts_node_is_null(name) ? std::string() : collapse(text(name)), std::move(ty)});
    });
    // f(void) takes no parameters.
    if (out.size() == 1 && out[0].name.empty() && out[0].type == "void") out.clear();
    return out;
  }

  std::string return_type(const std::string& base, TSNode declarator, const function_shape& f) const {
    if (f.cast) return collapse(text(field(f.fdecl, "type")));
    std::string trailing;
    for_each_child(f.fdecl, [&](TSNode c, const char*) {
      if (is(c, "trailing_return_type")) {
        std::string_view t = trim(text(c));
        if (starts_with(t, "->")) t.remove_prefix(2);
        trailing = collapse(t);
      }
    });
    if (!trailing.empty()) return trailing;
    // Pointer and reference modifiers around the function declarator: `char *f()`.
    std::string mods(slice(ts_node_start_byte(declarator), ts_node_start_byte(f.fdecl)));
    mods += slice(ts_node_end_byte(f.fdecl), ts_node_end_byte(declarator));
    return collapse(base + " " + mods);
  }

  bool in_type() const { return top().container == scope_type::type && top().container_kind != k_enum; }

  // ---- visitors

  void on_include(TSNode n) {
    const TSNode p = field(n, "path");
    if (ts_node_is_null(p)) return;
    std::string_view t = trim(text(p));
    if (t.size() >= 2 && ((t.front() == '<' && t.back() == '>') || (t.front() == '"' && t.back() == '"'))) {
      t = t.substr(1, t.size() - 2);
    }
    add_import(std::string(t), {}, n);
  }

  void on_macro(TSNode n, bool function_like) {
    if (!can_record()) return;
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name)) return;
    decl_head h = head(n);
    symbol s;
    s.name = collapse(text(name));
    s.qualified_name = s.name;  // macros ignore scopes
    s.kind = symbol_kind::macro;
    s.start_line = h.start_row + 1;
    s.end_line = end_row(n) + 1;
    s.signature = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    s.doc = std::move(h.doc);
    s.flags.is_public = true;
    if (function_like) {
      for_each_child(field(n, "parameters"), [&](TSNode c, const char*) {
        if (ts_node_is_named(c) && !is(c, "comment")) s.parameters.push_back({collapse(text(c)), ""});
        if (!ts_node_is_named(c) && text(c) == "...") s.parameters.push_back({"...", ""});
      });
    }
    add_symbol(std::move(s));
  }

  void on_namespace(TSNode n) {
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name)) {
      frame& f = push_scope(no_symbol, scope_type::namespace_);
      f.hidden = true;
      return;
    }
    if (!can_record()) {
      push_frame().record = false;
      return;
    }
    decl_head h = head(n);
    const std::string full = remove_spaces(text(name));
    symbol s;
    const auto last = full.rfind("::");
    s.name = last == std::string::npos ? full : full.substr(last + 2);
    s.qualified_name = qualify(full);
    s.kind = symbol_kind::namespace_;
    s.start_line = h.start_row + 1;
    s.end_line = end_row(n) + 1;
    const TSNode body = field(n, "body");
    s.signature = signature(h.start_byte, ts_node_is_null(body) ? ts_node_end_byte(n) : ts_node_start_byte(body), n);
    s.doc = std::move(h.doc);
    s.flags.is_public = !top().hidden;
    std::string q = s.qualified_name;
    namespaces_.insert(q);
    const std::uint32_t idx = add_symbol(std::move(s));
    push_scope(idx, scope_type::namespace_, std::move(q), {});
  }

  void on_template(TSNode n) {
    std::uint16_t count = 0;
    for_each_child(field(n, "parameters"), [&](TSNode c, const char*) {
      if (ts_node_is_named(c) && !is(c, "comment")) ++count;
    });
    frame& w = push_wrapper(n, ts_node_start_byte(n));
    w.generic_count = count;
  }

  // Facts shared by every declarator of one declaration (or definition), computed in one
  // pass over its children: a declaration may list thousands of declarators.
  struct declaration_facts {
    bool has_const = false;
    bool has_constexpr = false;
    bool is_static = false;
    bool is_extern = false;
    bool is_virtual = false;
    bool pure = false;                      // `= 0`
    std::string base_type;                  // type and cv-qualifiers before the declarators
    std::uint32_t body_start = 0;           // definitions: start of the initializer list or body
    std::vector<std::uint32_t> separators;  // starts of the top-level `,` and `;` tokens
    std::vector<byte_range> comments;       // comments inside (multi-declarator only)
    std::string prefix;                     // multi-declarator signature head: specifiers and type
  };

  // `first` is the first declarator; `multi` asks for the per-declarator signature parts.
  declaration_facts scan_declaration(TSNode n, TSNode first, std::uint32_t sig_start, std::uint32_t prefix_end,
                                     bool multi) {
    declaration_facts d;
    d.body_start = ts_node_end_byte(n);
    const std::uint32_t first_start = ts_node_is_null(first) ? ts_node_end_byte(n) : ts_node_start_byte(first);
    for_each_child(n, [&](TSNode c, const char* fname) {
      const bool before = ts_node_start_byte(c) < first_start;
      if (is(c, "type_qualifier")) {
        const std::string_view q = text(c);
        if (q == "const") d.has_const = true;
        if (q == "constexpr") d.has_constexpr = true;
        if (before && q != "constexpr" && q != "consteval" && q != "constinit") {
          if (!d.base_type.empty()) d.base_type += ' ';
          d.base_type += q;
        }
      } else if (is(c, "storage_class_specifier")) {
        const std::string_view q = text(c);
        if (q == "static") d.is_static = true;
        if (q == "extern") d.is_extern = true;
      } else if (is(c, "virtual")) {
        d.is_virtual = true;
      } else if (is(c, "field_initializer_list")) {
        d.body_start = std::min(d.body_start, ts_node_start_byte(c));
      } else if (fname != nullptr && std::strcmp(fname, "type") == 0 && before) {
        if (!d.base_type.empty()) d.base_type += ' ';
        d.base_type += text(c);
      } else if (fname != nullptr && std::strcmp(fname, "default_value") == 0) {
        d.pure = text(c) == "0";
      } else if (fname != nullptr && std::strcmp(fname, "body") == 0) {
        d.body_start = std::min(d.body_start, ts_node_start_byte(c));
      } else if (!ts_node_is_named(c) && (text(c) == "," || text(c) == ";")) {
        d.separators.push_back(ts_node_start_byte(c));
      }
    });
    if (multi) {
      d.comments = comments_in(n);
      d.prefix = signature(sig_start, prefix_end, d.comments);
    }
    return d;
  }

  // Signature of declarator `d` in a declaration listing several: the shared head, then
  // the declarator up to the next `,` or `;`.
  std::string declarator_signature(TSNode n, TSNode d, const declaration_facts& facts) const {
    const std::uint32_t ds = ts_node_start_byte(d);
    const auto it = std::upper_bound(facts.separators.begin(), facts.separators.end(), ds);
    const std::uint32_t end = it == facts.separators.end() ? ts_node_end_byte(n) : *it;
    return facts.prefix + " " + signature(ds, end, facts.comments);
  }

  // Adds a function/method symbol for `n` (a definition, or a declaration whose
  // declarator `declarator` is a function). Returns its index and qualified name.
  // `facts` are its declaration's; `multi` when the declaration lists several declarators.
  std::pair<std::uint32_t, std::string> add_function(TSNode n, TSNode declarator, const function_shape& f,
                                                     bool definition, const decl_head& h,
                                                     const declaration_facts& facts, bool multi) {
    symbol s;
    s.name = simple_name(f.name);
    const std::string scope = ts_node_is_null(f.qualifier) ? std::string() : written_scope(f.qualifier);
    s.qualified_name = qualify(scope.empty() ? s.name : scope + "::" + s.name);
    const bool member = in_type() && scope.empty();
    if (member) {
      s.kind = starts_with(s.name, "~")                ? symbol_kind::destructor
               : s.name == top().container_name ? symbol_kind::constructor
                                                       : symbol_kind::method;
    } else if (!scope.empty()) {
      const auto sep = scope.rfind("::");
      const std::string last = sep == std::string::npos ? scope : scope.substr(sep + 2);
      if (s.name == "~" + last) {
        s.kind = symbol_kind::destructor;
      } else if (s.name == last) {
        s.kind = symbol_kind::constructor;
      } else if (namespaces_.count(qualify(scope)) != 0 || namespaces_.count(scope) != 0) {
        s.kind = symbol_kind::function;
      } else {
        s.kind = symbol_kind::method;
      }
    } else {
      s.kind = symbol_kind::function;
    }
    s.start_line = h.start_row + 1;
    s.end_line = end_row(n) + 1;
    s.parameters = parse_params(f.params);
    if (s.kind != symbol_kind::constructor && s.kind != symbol_kind::destructor) {
      s.return_type = return_type(facts.base_type, declarator, f);
    }
    s.flags.is_static = facts.is_static;
    bool is_virtual = facts.is_virtual;
    bool is_const = false;
    const TSNode quals = f.cast ? field(f.fdecl, "declarator") : f.fdecl;
    for_each_child(quals, [&](TSNode c, const char*) {
      if (is(c, "virtual_specifier")) is_virtual = true;
      if (is(c, "type_qualifier") && text(c) == "const") is_const = true;
    });
    s.flags.is_virtual = is_virtual;
    s.flags.is_const = is_const;
    if (!definition && facts.pure) {
      s.flags.is_abstract = true;
      s.flags.is_virtual = true;
    }
    s.flags.is_declaration = !definition;
    if (member) {
      s.flags.is_public = top().members_public && !top().hidden;
    } else {
      s.flags.is_public = !s.flags.is_static && !top().hidden;
    }
    s.generic_count = h.wrapper != nullptr ? h.wrapper->generic_count : 0;
    s.doc = h.doc;
    if (multi) {
      s.signature = declarator_signature(n, declarator, facts);
    } else {
      const std::uint32_t sig_start = h.wrapper != nullptr ? h.wrapper->sig_start : ts_node_start_byte(n);
      s.signature = signature(sig_start, definition ? facts.body_start : ts_node_end_byte(n), n);
    }
    // An out-of-line member definition takes its access and virtual/static-ness from the
    // in-class declaration with the same parameter types, when this file has it.
    if (!member && !scope.empty() && s.kind != symbol_kind::function) {
      if (auto it = declarations_.find(s.qualified_name); it != declarations_.end()) {
        for (std::uint32_t i : it->second) {
          const symbol& d = sym(i);
          if (d.parameters.size() != s.parameters.size()) continue;
          bool same = true;
          for (std::size_t k = 0; k < d.parameters.size() && same; ++k) {
            same = d.parameters[k].type == s.parameters[k].type;
          }
          if (!same) continue;
          s.flags.is_public = d.flags.is_public;
          s.flags.is_virtual = s.flags.is_virtual || d.flags.is_virtual;
          s.flags.is_static = d.flags.is_static;
          s.parent = d.parent;
          break;
        }
      }
    }
    std::string q = s.qualified_name;
    const bool remember = !definition && member;
    const std::uint32_t idx = add_symbol(std::move(s));
    if (remember) declarations_[q].push_back(idx);
    return {idx, std::move(q)};
  }

  void on_function_definition(TSNode n) {
    const TSNode declarator = field(n, "declarator");
    const function_shape f = find_function(declarator);
    if (!f.found || !can_record()) {
      push_scope(no_symbol, scope_type::function);
      return;
    }
    const decl_head h = head(n);
    const declaration_facts facts = scan_declaration(n, declarator, 0, 0, false);
    auto [idx, q] = add_function(n, declarator, f, true, h, facts, false);
    push_scope(idx, scope_type::function, std::move(q), {});
  }

  static bool has_body(TSNode specifier) {
    if (ts_node_is_null(specifier)) return false;
    const char* t = ts_node_type(specifier);
    if (std::strcmp(t, "struct_specifier") != 0 && std::strcmp(t, "union_specifier") != 0 &&
        std::strcmp(t, "class_specifier") != 0 && std::strcmp(t, "enum_specifier") != 0) {
      return false;
    }
    return !ts_node_is_null(field(specifier, "body"));
  }

  void on_declaration(TSNode n) {
    const decl_head h = head(n);
    const TSNode type_node = field(n, "type");
    const bool type_has_body = has_body(type_node);
    if (top().in_function) {
      if (type_has_body) push_wrapper(n, ts_node_start_byte(n));
      return;
    }
    const std::vector<TSNode> declarators = fields(n, "declarator");
    if (can_record() && !declarators.empty()) {
      const std::uint32_t start = h.wrapper != nullptr ? h.wrapper->sig_start : ts_node_start_byte(n);
      const std::uint32_t prefix_end = type_has_body ? ts_node_start_byte(field(type_node, "body"))
                                                     : ts_node_start_byte(declarators.front());
      const bool multi = declarators.size() > 1 || type_has_body;
      const declaration_facts facts = scan_declaration(n, declarators.front(), start, prefix_end, multi);
      std::uint32_t first_variable = no_symbol;
      for (TSNode d : declarators) {
        const function_shape f = find_function(d);
        // `int a,\n    b;`: each declarator after the first starts on its own line.
        decl_head own = h;
        if (!ts_node_eq(d, declarators.front())) own.start_row = start_row(d);
        if (f.found && h.doc.empty() && !multi) {
          decl_head documented = h;
          documented.doc = trailing_doc(n);
          add_function(n, d, f, false, documented, facts, multi);
        } else if (f.found) {
          add_function(n, d, f, false, h, facts, multi);
        } else if (const std::uint32_t idx = add_variable(n, d, !multi, own, facts); first_variable == no_symbol) {
          first_variable = idx;
        }
      }
      // Calls in the initializers are made by the (first) declared object.
      if (first_variable != no_symbol) {
        push_scope(first_variable, scope_type::function, sym(first_variable).qualified_name, {});
      }
    }
    if (type_has_body) push_wrapper(n, ts_node_start_byte(n));
  }

  // The comment right after a prototype (`int f(void);` then `/* Does x. */` on the
  // same or the next line), for headers that document below the declaration (zlib).
  // Not when the next declaration follows it directly: then it is that one's doc.
  std::string trailing_doc(TSNode n) {
    const TSNode c = ts_node_next_sibling(n);
    if (ts_node_is_null(c) || !is(c, "comment") || start_row(c) > end_row(n) + 1) return {};
    const TSNode after = ts_node_next_sibling(c);
    if (!ts_node_is_null(after) && start_row(after) <= end_row(c) + 1) return {};
    std::string doc = strip_comments({slice(ts_node_start_byte(c), ts_node_end_byte(c))});
    cap_doc(doc);
    return doc;
  }

  // Adds the object declared by `d`; returns its index, or no_symbol.
  std::uint32_t add_variable(TSNode n, TSNode d, bool whole_signature, const decl_head& h,
                             const declaration_facts& facts) {
    const TSNode name = declared_name(d);
    if (ts_node_is_null(name)) return no_symbol;
    symbol s;
    s.name = simple_name(name);
    const std::string scope = is(name, "qualified_identifier") ? written_scope(name) : std::string();
    s.qualified_name = qualify(scope.empty() ? s.name : scope + "::" + s.name);
    bool pointer = false;
    bool pointer_const = false;
    for (TSNode cur = d; !ts_node_is_null(cur) && is_wrapping_declarator(cur); cur = inner_declarator(cur)) {
      if (is(cur, "pointer_declarator") || is(cur, "array_declarator")) {
        if (!pointer) {
          // The outermost pointer's own qualifier decides whether the object is const.
          for_each_child(cur, [&](TSNode c, const char*) {
            if (is(c, "type_qualifier") && text(c) == "const") pointer_const = true;
          });
        }
        pointer = true;
      }
    }
    const bool is_const = facts.has_constexpr || (facts.has_const && !pointer) || pointer_const;
    const bool is_static = facts.is_static;
    const bool member = in_type();
    if (member) {
      s.kind = (is_static && is_const) ? symbol_kind::constant : symbol_kind::field;
      s.flags.is_public = top().members_public && !top().hidden;
    } else {
      s.kind = is_const ? symbol_kind::constant : symbol_kind::variable;
      s.flags.is_public = !is_static && !top().hidden;
    }
    s.flags.is_static = is_static;
    s.flags.is_const = is_const;
    s.flags.is_declaration = facts.is_extern && !is(d, "init_declarator");
    s.start_line = h.start_row + 1;
    // In a declaration listing several, each ends with its own declarator.
    s.end_line = (whole_signature ? end_row(n) : std::max(end_row(d), h.start_row)) + 1;
    s.doc = h.doc;
    if (whole_signature) {
      const std::uint32_t start = h.wrapper != nullptr ? h.wrapper->sig_start : ts_node_start_byte(n);
      s.signature = signature(start, ts_node_end_byte(n), n);
    } else {
      s.signature = declarator_signature(n, d, facts);
    }
    return add_symbol(std::move(s));
  }

  void on_typedef(TSNode n) {
    const decl_head h = head(n);
    const TSNode type_node = field(n, "type");
    const std::vector<TSNode> declarators = fields(n, "declarator");
    // `typedef struct { ... } point;` names the anonymous struct `point`.
    TSNode consumed{};
    if (has_body(type_node) && ts_node_is_null(field(type_node, "name")) && !declarators.empty() &&
        is(declarators.front(), "type_identifier")) {
      consumed = declarators.front();
    }
    if (!top().in_function && can_record() && !declarators.empty()) {
      const std::uint32_t start = h.wrapper != nullptr ? h.wrapper->sig_start : ts_node_start_byte(n);
      const std::uint32_t prefix_end = has_body(type_node) ? ts_node_start_byte(field(type_node, "body"))
                                                           : ts_node_start_byte(declarators.front());
      const bool whole = declarators.size() == 1 && !has_body(type_node);
      const declaration_facts facts = scan_declaration(n, declarators.front(), start, prefix_end, !whole);
      for (TSNode d : declarators) {
        if (!ts_node_is_null(consumed) && ts_node_eq(d, consumed)) continue;
        const TSNode name = declared_name(d);
        if (ts_node_is_null(name)) continue;
        symbol s;
        s.name = collapse(text(name));
        s.qualified_name = qualify(s.name);
        s.kind = symbol_kind::type_alias;
        s.start_line = h.start_row + 1;
        s.end_line = end_row(n) + 1;
        s.doc = h.doc;
        s.signature = whole ? signature(start, ts_node_end_byte(n), n) : declarator_signature(n, d, facts);
        s.flags.is_public = in_type() ? top().members_public && !top().hidden : !top().hidden;
        add_symbol(std::move(s));
      }
    }
    frame& w = push_wrapper(n, ts_node_start_byte(n));
    if (!ts_node_is_null(consumed)) w.alias_name = collapse(text(consumed));
  }

  void on_alias(TSNode n) {
    if (top().in_function || !can_record()) return;
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name)) return;
    const decl_head h = head(n);
    symbol s;
    s.name = collapse(text(name));
    s.qualified_name = qualify(s.name);
    s.kind = symbol_kind::type_alias;
    s.start_line = h.start_row + 1;
    s.end_line = end_row(n) + 1;
    s.doc = h.doc;
    s.generic_count = h.wrapper != nullptr ? h.wrapper->generic_count : 0;
    const std::uint32_t start = h.wrapper != nullptr ? h.wrapper->sig_start : ts_node_start_byte(n);
    s.signature = signature(start, ts_node_end_byte(n), n);
    s.flags.is_public = in_type() ? top().members_public && !top().hidden : !top().hidden;
    add_symbol(std::move(s));
  }

  bool on_type(TSNode n, std::uint16_t role) {
    const TSNode body = field(n, "body");
    if (ts_node_is_null(body)) return false;  // a use or forward declaration
    TSNode name_node = field(n, "name");
    // Error recovery may invent a name (a zero-width MISSING node): that type is anonymous.
    if (!ts_node_is_null(name_node) && ts_node_start_byte(name_node) == ts_node_end_byte(name_node)) {
      name_node = TSNode{};
    }
    const frame* w = wrapper();
    const bool from_typedef = ts_node_is_null(name_node) && w != nullptr && !w->alias_name.empty();
    const std::uint16_t kind_code = role == r_class ? k_class : role == r_union ? k_union : role == r_enum ? k_enum : k_struct;
    if (ts_node_is_null(name_node) && !from_typedef) {
      // Anonymous: an anonymous enum's enumerators and an anonymous member union's
      // fields belong to the enclosing scope.
      const bool members_public = top().members_public;
      const bool keep = kind_code == k_enum || in_type();
      frame& f = push_scope(no_symbol, scope_type::type);
      f.container_kind = kind_code;
      f.members_public = members_public;
      f.container_public = !top().hidden;
      if (!keep) f.record = false;
      return true;
    }
    if (!can_record()) {
      push_frame().record = false;
      return true;
    }
    decl_head h = head(n);
    symbol s;
    if (from_typedef) {
      s.name = w->alias_name;
      s.qualified_name = qualify(s.name);
    } else {
      // `struct hash<bool>` (a specialization) is `hash`; `class Outer::Inner {` (defined
      // out of its class) is `Inner`, qualified as written, template arguments removed.
      const std::string written = strip_angle_groups(remove_spaces(text(name_node)));
      const auto sep = written.rfind("::");
      s.name = sep == std::string::npos ? written : written.substr(sep + 2);
      s.qualified_name = qualify(starts_with(written, "::") ? written.substr(2) : written);
    }
    s.kind = role == r_class   ? symbol_kind::class_
             : role == r_union ? symbol_kind::union_
             : role == r_enum  ? symbol_kind::enum_
                               : symbol_kind::struct_;
    s.start_line = h.start_row + 1;
    s.end_line = end_row(n) + 1;
    s.doc = std::move(h.doc);
    s.generic_count = h.wrapper != nullptr ? h.wrapper->generic_count : 0;
    const std::uint32_t start = h.wrapper != nullptr ? h.wrapper->sig_start : ts_node_start_byte(n);
    s.signature = signature(start, ts_node_start_byte(body), n);
    if (from_typedef) s.signature += " " + s.name;
    s.flags.is_public = in_type() ? top().members_public && !top().hidden : !top().hidden;
    const bool scoped_enum = role == r_enum && (has_child(n, "class") || has_child(n, "struct"));
    std::string q = s.qualified_name;
    std::string simple = s.name;
    const std::uint32_t idx = add_symbol(std::move(s));
    // Unscoped enumerators live in the enclosing scope.
    std::string prefix = (role == r_enum && !scoped_enum) ? current_prefix() : q;
    frame& f = push_scope(idx, scope_type::type, std::move(prefix), std::move(simple));
    f.container_kind = kind_code;
    f.members_public = role != r_class;
    return true;
  }

  void on_enumerator(TSNode n) {
    if (top().container != scope_type::type || top().container_kind != k_enum || !can_record()) return;
    const TSNode name = field(n, "name");
    if (ts_node_is_null(name)) return;
    decl_head h = head(n);
    symbol s;
    s.name = collapse(text(name));
    s.qualified_name = qualify(s.name);
    s.kind = symbol_kind::enum_member;
    s.start_line = h.start_row + 1;
    s.end_line = end_row(n) + 1;
    s.signature = signature(ts_node_start_byte(n), ts_node_end_byte(n), n);
    s.doc = std::move(h.doc);
    s.flags.is_public = top().container_public;
    s.flags.is_const = true;
    add_symbol(std::move(s));
  }

  std::string render_callee(TSNode f, int budget) const {
    if (ts_node_is_null(f)) return {};
    const char* t = ts_node_type(f);
    if (budget > 0) {
      if (std::strcmp(t, "identifier") == 0 || std::strcmp(t, "field_identifier") == 0 || std::strcmp(t, "this") == 0) {
        return std::string(text(f));
      }
      if (std::strcmp(t, "qualified_identifier") == 0) return strip_angle_groups(remove_spaces(text(f)));
      if (std::strcmp(t, "template_function") == 0 || std::strcmp(t, "template_method") == 0) {
        return render_callee(field(f, "name"), budget - 1);
      }
      if (std::strcmp(t, "field_expression") == 0) {
        std::string op = ".";
        for_each_child(f, [&](TSNode c, const char*) {
          if (!ts_node_is_named(c) && (text(c) == "->" || text(c) == ".")) op = std::string(text(c));
        });
        std::string obj = render_callee(field(f, "argument"), budget - 1);
        return obj + op + render_callee(field(f, "field"), budget - 1);
      }
      if (std::strcmp(t, "call_expression") == 0) return render_callee(field(f, "function"), budget - 1) + "()";
      if (std::strcmp(t, "lambda_expression") == 0) return {};
      if (std::strcmp(t, "parenthesized_expression") == 0) {
        const std::vector<TSNode> kids = named_children(f);
        if (kids.size() == 1 && is(kids[0], "lambda_expression")) return {};
      }
    }
    return collapsed_text(f, 120);
  }

  void on_call(TSNode n) {
    std::string callee = render_callee(field(n, "function"), 16);
    if (callee == "static_cast" || callee == "dynamic_cast" || callee == "reinterpret_cast" ||
        callee == "const_cast") {
      return;
    }
    add_call(std::move(callee), call_kind::call, n);
  }

  void on_new(TSNode n) {
    const TSNode t = field(n, "type");
    if (ts_node_is_null(t)) return;
    add_call(strip_angle_groups(remove_spaces(text(t))), call_kind::construct, n);
  }

  bool visit(TSNode n, std::uint16_t role) override {
    switch (role) {
      case r_include: on_include(n); return false;
      case r_macro_def: on_macro(n, false); return false;
      case r_macro_function_def: on_macro(n, true); return false;
      case r_namespace: on_namespace(n); return true;
      case r_template: on_template(n); return true;
      case r_function_definition: on_function_definition(n); return true;
      case r_declaration:
      case r_field_declaration: on_declaration(n); return true;
      case r_typedef: on_typedef(n); return true;
      case r_alias: on_alias(n); return false;
      case r_struct:
      case r_union:
      case r_class:
      case r_enum: return on_type(n, role);
      case r_enumerator: on_enumerator(n); return true;
      case r_access_specifier:
        if (top().container == scope_type::type) top().members_public = text(n) == "public";
        return false;
      case r_call: on_call(n); return true;
      case r_new: on_new(n); return true;
      case r_base_class_clause:
      case r_friend:
      case r_skip: return false;
      default: return true;
    }
  }

  std::unordered_set<std::string> namespaces_;
  std::unordered_map<std::string, std::vector<std::uint32_t>> declarations_;
};

}  // namespace

namespace {

// `source` with the declaration macros that C's grammar cannot place blanked out
// (same length, newlines kept), or nullopt when there are none. See extract_c_family.
std::optional<std::string> without_decoration_macros(std::string_view source) {
  // Tokens outside comments, literals and preprocessor lines.
  struct token {
    std::uint32_t start = 0;
    std::uint32_t end = 0;
    bool word = false;
  };
  std::vector<token> tokens;
  const std::size_t n = source.size();
  std::size_t i = 0;
  bool line_start = true;
  std::string out;
  auto blank = [&](std::size_t from, std::size_t to) {
    if (out.empty()) out.assign(source);
    for (std::size_t b = from; b < to; ++b)
      if (out[b] != '\n') out[b] = ' ';
  };
  // Inside braces (a function body), only the first branch of an #if is kept, as
  // ctags does: `if (a ||` `#else` `if (` `#endif` splits one statement over two
  // branches and leaves the parser's braces unbalanced.
  struct conditional {
    bool dropping = false;
    std::size_t from = 0;
    bool in_body = false;
  };
  std::vector<conditional> conditionals;
  int braces = 0;
  auto dropping = [&] { return !conditionals.empty() && conditionals.back().dropping; };
  auto ident_char = [](unsigned char c) { return std::isalnum(c) != 0 || c == '_' || c >= 0x80; };
  while (i < n) {
    const char c = source[i];
    if (c == '\n') {
      line_start = true;
      ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
      ++i;
      continue;
    }
    if (c == '#' && line_start) {  // a directive, with its continuation lines
      const std::size_t line = source.rfind('\n', i) == std::string_view::npos ? 0 : source.rfind('\n', i) + 1;
      std::size_t w = i + 1;
      while (w < n && (source[w] == ' ' || source[w] == '\t')) ++w;
      std::size_t e = w;
      while (e < n && std::isalpha(static_cast<unsigned char>(source[e])) != 0) ++e;
      const std::string_view directive = source.substr(w, e - w);
      bool conditional_line = false;
      if (directive == "if" || directive == "ifdef" || directive == "ifndef") {
        conditionals.push_back({dropping(), line, braces > 0});
        conditional_line = braces > 0;
      } else if ((directive == "else" || directive == "elif") && !conditionals.empty() &&
                 conditionals.back().in_body) {
        if (!dropping()) conditionals.back() = {true, line, true};
      } else if (directive == "endif" && !conditionals.empty()) {
        const conditional done = conditionals.back();
        conditionals.pop_back();
        if (done.dropping && !dropping()) blank(done.from, line);
        conditional_line = done.in_body;
      }
      while (i < n && source[i] != '\n') i += (source[i] == '\\' && i + 1 < n) ? 2 : 1;
      // The directive lines themselves go too: one in the middle of an expression
      // breaks it.
      if (conditional_line && !dropping()) blank(line, i);
      continue;
    }
    line_start = false;
    if (dropping()) {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && source[i + 1] == '/') {
      while (i < n && source[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < n && source[i + 1] == '*') {
      const auto close = source.find("*/", i + 2);
      i = close == std::string_view::npos ? n : close + 2;
      continue;
    }
    if (c == '"' || c == '\'') {
      ++i;
      while (i < n && source[i] != c && source[i] != '\n') i += (source[i] == '\\' && i + 1 < n) ? 2 : 1;
      ++i;
      continue;
    }
    const auto start = static_cast<std::uint32_t>(i);
    if (ident_char(static_cast<unsigned char>(c))) {
      while (i < n && ident_char(static_cast<unsigned char>(source[i]))) ++i;
      tokens.push_back({start, static_cast<std::uint32_t>(i), std::isdigit(static_cast<unsigned char>(c)) == 0});
      continue;
    }
    if (c == '{') ++braces;
    if (c == '}' && braces > 0) --braces;
    tokens.push_back({start, start + 1, false});
    ++i;
  }

  static const std::unordered_set<std::string_view> type_keywords = {
      "void", "char", "short", "int", "long", "float", "double", "signed", "unsigned", "_Bool", "bool"};
  static const std::unordered_set<std::string_view> storage_keywords = {
      "static", "extern", "inline", "struct", "union", "enum", "register", "typedef"};
  static const std::unordered_set<std::string_view> other_keywords = {
      "const", "volatile", "restrict", "return", "if", "else", "while", "for", "do", "switch", "case", "default",
      "goto", "break", "continue", "sizeof", "class", "namespace", "template", "typename", "public", "private",
      "protected", "virtual", "operator", "new", "delete", "this", "using", "friend", "throw", "try", "catch",
      "auto", "co_return", "co_yield", "co_await", "decltype", "noexcept", "constexpr", "explicit", "mutable"};
  auto text = [&](std::size_t k) { return source.substr(tokens[k].start, tokens[k].end - tokens[k].start); };
  auto is_keyword = [&](std::string_view w) {
    return type_keywords.count(w) != 0 || storage_keywords.count(w) != 0 || other_keywords.count(w) != 0;
  };
  auto identifier = [&](std::size_t k) { return k < tokens.size() && tokens[k].word && !is_keyword(text(k)); };
  auto punct = [&](std::size_t k, char p) { return k < tokens.size() && !tokens[k].word && source[tokens[k].start] == p; };
  auto all_caps = [&](std::size_t k) {
    const auto w = text(k);
    return w.size() >= 2 && std::isupper(static_cast<unsigned char>(w[0])) != 0 &&
           std::all_of(w.begin(), w.end(), [](char ch) {
             return std::isupper(static_cast<unsigned char>(ch)) != 0 || std::isdigit(static_cast<unsigned char>(ch)) != 0 ||
                    ch == '_';
           });
  };

  auto keyword_is = [&](std::size_t k, std::string_view w) { return k < tokens.size() && tokens[k].word && text(k) == w; };
  // Whether token k is the only token on its line (a comment may follow it).
  auto alone_on_line = [&](std::size_t k) {
    for (std::size_t b = tokens[k].start; b > 0 && source[b - 1] != '\n'; --b)
      if (source[b - 1] != ' ' && source[b - 1] != '\t') return false;
    for (std::size_t b = tokens[k].end; b < n && source[b] != '\n'; ++b) {
      if (source[b] == '/' && b + 1 < n && (source[b + 1] == '/' || source[b + 1] == '*')) return true;
      if (source[b] != ' ' && source[b] != '\t' && source[b] != '\r') return false;
    }
    return true;
  };
  // Names declared as classes or structs in the file: `MACRO Name(` with such a name is a
  // constructor behind a specifier macro (`PROTOBUF_CONSTEXPR Any()`).
  std::unordered_set<std::string_view> class_names;
  for (std::size_t k = 0; k + 1 < tokens.size(); ++k) {
    if ((keyword_is(k, "class") || keyword_is(k, "struct")) && identifier(k + 1)) class_names.insert(text(k + 1));
  }

  for (std::size_t k = 0; k < tokens.size(); ++k) {
    if (!identifier(k)) continue;
    if (all_caps(k)) {
      // `class PROTOBUF_EXPORT Any final : public Message {`: an export macro between the
      // class key and the name.
      const bool class_key = k > 0 && (keyword_is(k - 1, "class") || keyword_is(k - 1, "struct") ||
                                       keyword_is(k - 1, "union")) && identifier(k + 1);
      // `PROTOBUF_NAMESPACE_OPEN` on a line of its own between declarations (a macro that
      // opens or closes a scope, or stands for a whole declaration).
      const bool statement_start = k == 0 || punct(k - 1, ';') || punct(k - 1, '{') || punct(k - 1, '}');
      const bool statement = alone_on_line(k) && statement_start && (k + 1 == tokens.size() || tokens[k + 1].word);
      // `explicit MACRO Name(` and `MACRO Name(` / `MACRO Name::Name(` for a class `Name`.
      const bool constructor =
          identifier(k + 1) &&
          ((k > 0 && keyword_is(k - 1, "explicit") && punct(k + 2, '(')) ||
           (class_names.count(text(k + 1)) != 0 &&
            (punct(k + 2, '(') || (punct(k + 2, ':') && punct(k + 3, ':') && k + 4 < tokens.size() &&
                                   text(k + 4) == text(k + 1) && punct(k + 5, '(')))));
      // `PROTOBUF_NDEBUG_INLINE const std::string* f() const PROTOBUF_RETURNS_NONNULL {`:
      // specifier macros before a declaration's specifiers, attribute macros after its
      // declarator.
      const bool before_specifier =
          (statement_start || punct(k - 1, '>')) && k + 1 < tokens.size() && tokens[k + 1].word &&
          (text(k + 1) == "const" || text(k + 1) == "constexpr" || text(k + 1) == "virtual" ||
           text(k + 1) == "explicit" || text(k + 1) == "inline" || text(k + 1) == "friend" ||
           text(k + 1) == "template" || text(k + 1) == "typename");
      const bool after_declarator = k > 0 && (punct(k - 1, ')') || keyword_is(k - 1, "const")) &&
                                    (punct(k + 1, '{') || punct(k + 1, ';'));
      if (class_key || statement || constructor || before_specifier || after_declarator) {
        blank(tokens[k].start, tokens[k].end);
        continue;
      }
    }
    const bool after_word = k > 0 && (identifier(k - 1) || (tokens[k - 1].word && type_keywords.count(text(k - 1)) != 0));
    // `int f OF((int a));`: a K&R prototype wrapper, whose outer parentheses go too.
    if (all_caps(k) && k > 0 && identifier(k - 1) && punct(k + 1, '(') && punct(k + 2, '(')) {
      int depth = 0;
      std::size_t close = k + 1;
      for (; close < tokens.size(); ++close) {
        if (punct(close, '(')) ++depth;
        if (punct(close, ')') && --depth == 0) break;
      }
      if (close < tokens.size() && (punct(close + 1, ';') || punct(close + 1, ','))) {
        blank(tokens[k].start, tokens[k + 1].end);
        blank(tokens[close].start, tokens[close].end);
        continue;
      }
    }
    // A word followed by a type or storage keyword (`ZEXTERN int`, `local void`) is never C.
    const bool before_keyword =
        k + 1 < tokens.size() && tokens[k + 1].word &&
        (type_keywords.count(text(k + 1)) != 0 || storage_keywords.count(text(k + 1)) != 0);
    // Nor are three words in a row, or two before a `*` (`int ZEXPORT f`, `state FAR *s`,
    // `ZEXTERN uLong f`).
    const bool between_words = all_caps(k) && after_word && (identifier(k + 1) || punct(k + 1, '*'));
    // Not after `extern`/`static`: there the first word is the type (`extern ZPOS64_T ZEXPORT f`).
    const bool after_storage = k > 0 && tokens[k - 1].word && storage_keywords.count(text(k - 1)) != 0;
    const bool leading = all_caps(k) && !after_word && !after_storage && identifier(k + 1) &&
                         (identifier(k + 2) || punct(k + 2, '*'));
    if (before_keyword || between_words || leading) blank(tokens[k].start, tokens[k].end);
  }
  if (out.empty()) return std::nullopt;
  return out;
}

}  // namespace

void extract_c_family(const walk_input& in, TSNode root) {
  // Declaration macros the grammar cannot know (`ZEXTERN int ZEXPORT f OF((int a));`,
  // `struct s FAR *p`) throw the parser's error recovery off, sometimes for the rest of
  // the file. When the tree has errors, the file is parsed again with such macros
  // blanked out; the blanks keep every byte offset, so the walk reads the original text.
  if (ts_node_has_error(root)) {
    if (const auto cleaned = without_decoration_macros(in.source)) {
      const std::unique_ptr<TSParser, decltype(&ts_parser_delete)> parser(ts_parser_new(), &ts_parser_delete);
      if (ts_parser_set_language(parser.get(), ts_language_for(in.lang))) {
        const std::unique_ptr<TSTree, decltype(&ts_tree_delete)> tree(
            ts_parser_parse_string(parser.get(), nullptr, cleaned->data(), static_cast<std::uint32_t>(cleaned->size())),
            &ts_tree_delete);
        if (tree) {
          c_walker w(in);
          w.run(ts_tree_root_node(tree.get()), {});
          return;
        }
      }
    }
  }
  c_walker w(in);
  w.run(root, {});
}

}  // namespace patina::scrape::detail
