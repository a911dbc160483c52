// Private: the language-independent half of extraction. A `walker_base` walks one syntax
// tree with a TSTreeCursor (no recursion), keeps the stack of enclosing scopes, the
// pending doc-comment run and the output, and calls the language's `visit` for every
// node. Languages derive from it (extract_<lang>.cpp).
#pragma once

#include <tree_sitter/api.h>

#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "patina/scrape/extractor.hpp"
#include "patina/scrape/file_facts.hpp"

namespace patina::scrape::detail {

// Owns a TSTreeCursor (deleted on every way out, exceptions included).
struct cursor {
  TSTreeCursor c;
  explicit cursor(TSNode n) : c(ts_tree_cursor_new(n)) {}
  ~cursor() { ts_tree_cursor_delete(&c); }
  cursor(const cursor&) = delete;
  cursor& operator=(const cursor&) = delete;
};

// Node roles: what a node type means to the walker. Shared roles first; each language
// numbers its own from role_first_language.
enum : std::uint16_t {
  role_other = 0,
  role_comment = 1,    // a comment: may become a doc comment
  role_attribute = 2,  // a sibling attribute/decorator between a doc comment and its item
  role_first_language = 8,
};

// Maps a grammar's symbols (named node types) to roles.
class node_table {
 public:
  node_table(const TSLanguage* lang, std::initializer_list<std::pair<const char*, std::uint16_t>> entries);
  std::uint16_t operator()(TSSymbol s) const noexcept { return s < roles_.size() ? roles_[s] : std::uint16_t{role_other}; }

 private:
  std::vector<std::uint16_t> roles_;
};

// What encloses the node being visited.
enum class scope_type : std::uint8_t {
  file,
  namespace_,  // C++/TS namespace, Rust mod
  type,        // class, struct, union, interface, trait, enum, record
  impl,        // Rust impl block
  function,    // a function body: symbols below are local
  opaque,      // a region whose declarations are not recorded (anonymous class bodies, object literals)
};

struct frame {
  int depth = -1;               // tree depth of the node that opened the frame
  bool is_wrapper = false;      // a wrapper (template<>, export, decorators, typedef) for one child
  std::uint32_t symbol = no_symbol;     // the symbol opened here, if any
  std::uint32_t enclosing = no_symbol;  // innermost enclosing symbol (parent / caller)
  std::size_t symbol_depth = 0;         // number of enclosing symbols
  scope_type container = scope_type::file;
  std::uint32_t prefix = 0;    // index in walker_base::prefixes_ of the qualified-name prefix
  bool owns_prefix = false;    // the prefix was pushed with this frame
  std::string container_name;  // simple name of the enclosing type (constructors)
  std::uint16_t container_kind = 0;  // language-specific detail of the container
  bool in_function = false;
  bool record = true;           // false: declarations below are not recorded
  bool hidden = false;          // below an anonymous namespace: nothing is public
  bool members_public = true;   // current default visibility of members (C++ access)
  bool container_public = false;  // visibility of the enclosing symbol itself

  // Wrapper payload, for the wrapped declaration.
  std::string doc;
  std::uint32_t start_row = 0;
  std::uint32_t start_byte = 0;
  std::uint32_t sig_start = 0;
  std::uint16_t generic_count = 0;
  std::uint32_t wrapper_flags = 0;
  std::string alias_name;  // C: typedef name of an anonymous struct; JS: declaration head ("export const");
                           // Rust: the qualified type of an impl
};

// Where a declaration starts and what precedes it.
struct decl_head {
  std::uint32_t start_row = 0;
  std::uint32_t start_byte = 0;
  std::string doc;
  const frame* wrapper = nullptr;  // the wrapper this declaration is the child of, if any
};

struct walk_input {
  const extract_options& options;
  language lang;
  std::string_view path;
  std::string_view source;
  file_facts& out;
};

class walker_base {
 public:
  walker_base(const walk_input& in, const node_table& table);
  virtual ~walker_base() = default;
  walker_base(const walker_base&) = delete;
  walker_base& operator=(const walker_base&) = delete;

  // Walks the tree under `root`, filling the output. `file_prefix` is the qualified-name
  // prefix of file-level declarations (Rust crate path, Python module, Java package…).
  void run(TSNode root, std::string file_prefix);

 protected:
  // Called for every node except comments. Returns whether to visit its children.
  virtual bool visit(TSNode node, std::uint16_t role) = 0;
  // Whether a comment in a run is documentation (Rust: only ///, /** */).
  virtual bool is_doc_comment(std::string_view) const { return true; }
  // Called after the walk.
  virtual void finish() {}

  // ---- source text
  std::string_view text(TSNode n) const noexcept;
  std::string_view slice(std::uint32_t start, std::uint32_t end) const noexcept;
  static std::string collapse(std::string_view s);
  // The node's text, whitespace collapsed and capped at max_bytes.
  std::string collapsed_text(TSNode n, std::size_t max_bytes = 200) const;
  using byte_range = std::pair<std::uint32_t, std::uint32_t>;
  // Byte ranges of the comments under `within`, in order (one walk of the subtree; empty
  // at once when its text has no comment marker).
  std::vector<byte_range> comments_in(TSNode within);
  // Source text between two byte offsets with the comments under `within` blanked out.
  std::string uncommented(std::uint32_t start, std::uint32_t end, TSNode within);
  // The same with comment ranges collected beforehand (comments_in), so that many slices of
  // one large node cost one walk of it.
  std::string uncommented(std::uint32_t start, std::uint32_t end, const std::vector<byte_range>& comments) const;
  std::string signature(std::uint32_t start, std::uint32_t end, const std::vector<byte_range>& comments) const;
  // Declaration text between two byte offsets: comments under `within` removed,
  // whitespace collapsed, trailing `{ ; : ,` and spaces trimmed, capped.
  std::string signature(std::uint32_t start, std::uint32_t end, TSNode within);

  // ---- tree access
  static const char* type(TSNode n) noexcept { return ts_node_type(n); }
  static bool is(TSNode n, const char* t) noexcept { return std::strcmp(ts_node_type(n), t) == 0; }
  static TSNode field(TSNode n, const char* name) noexcept {
    return ts_node_child_by_field_name(n, name, static_cast<std::uint32_t>(std::strlen(name)));
  }
  static std::uint32_t start_row(TSNode n) noexcept { return ts_node_start_point(n).row; }
  // Row of the node's last byte (a line comment that swallows its newline ends on its row).
  static std::uint32_t end_row(TSNode n) noexcept;
  static std::uint32_t line(TSNode n) noexcept { return ts_node_start_point(n).row + 1; }
  // Calls f(child, field_name_or_null) for each child, in order, with a cursor (O(n)).
  // A null node has no children.
  template <class F>
  static void for_each_child(TSNode n, F&& f) {
    if (ts_node_is_null(n)) return;
    cursor cur(n);
    TSTreeCursor* c = &cur.c;
    if (ts_tree_cursor_goto_first_child(c)) {
      do {
        f(ts_tree_cursor_current_node(c), ts_tree_cursor_current_field_name(c));
      } while (ts_tree_cursor_goto_next_sibling(c));
    }
  }
  static std::vector<TSNode> named_children(TSNode n);
  // True when a direct child (named or not) has type `t`.
  static bool has_child(TSNode n, const char* t);
  // Children with field name `name`, in order.
  static std::vector<TSNode> fields(TSNode n, const char* name);

  // ---- scopes
  frame& top() noexcept { return frames_.back(); }
  const frame& top() const noexcept { return frames_.back(); }
  int depth() const noexcept { return depth_; }
  // The wrapper frame whose direct child is the node being visited, or null.
  const frame* wrapper() const noexcept;
  // Pushes a frame for the node being visited, inheriting the enclosing context.
  frame& push_frame();
  // Pushes a wrapper frame for the node being visited (doc and start are taken now).
  frame& push_wrapper(TSNode node, std::uint32_t sig_start);
  // Pushes the scope of a symbol just added; `prefix` is its qualified name.
  frame& push_scope(std::uint32_t symbol_index, scope_type container, std::string prefix,
                    std::string container_name);
  // Pushes a scope that keeps the enclosing prefix (anonymous or unrecorded scopes).
  frame& push_scope(std::uint32_t symbol_index, scope_type container);
  const std::string& current_prefix() const noexcept { return prefixes_[top().prefix]; }
  // Replaces the prefix of the file scope (Go package, Java package).
  void set_prefix(std::string prefix) { prefixes_[top().prefix] = std::move(prefix); }
  // Whether declarations here are recorded (not opaque, not too deep).
  bool can_record();
  std::string qualify(std::string_view name) const;
  std::string_view separator() const noexcept { return separator_; }

  // ---- docs and heads
  // The doc comment immediately above the node being visited, stripped.
  std::string take_doc(TSNode node);
  // Start, doc and wrapper of the declaration `node` (the node being visited).
  decl_head head(TSNode node);
  // Strips comment markers from a run of comments (or one), joins lines with '\n'.
  std::string strip_comments(const std::vector<std::string_view>& comments) const;
  void cap_doc(std::string& doc) const;

  // ---- output
  // Adds a symbol; fills parent from the enclosing frame; returns its index.
  std::uint32_t add_symbol(symbol s);
  void add_call(std::string callee, call_kind kind, TSNode at);
  void add_import(std::string path, std::vector<std::string> names, TSNode at);
  symbol& sym(std::uint32_t index) { return out_.symbols[index]; }
  std::uint32_t caller() const noexcept { return top().enclosing; }

  const walk_input& in_;
  file_facts& out_;
  std::string_view src_;
  std::string_view separator_;

 private:
  struct comment_ref {
    std::uint32_t start_byte;
    std::uint32_t end_byte;
    std::uint32_t start_row;
    std::uint32_t start_col;
  };
  static constexpr std::uint32_t no_row = 0xFFFFFFFFu;

  bool dispatch(TSNode n);
  void on_comment(TSNode n);
  void on_attribute(TSNode n);
  void record_problem(problem_kind kind, std::uint32_t line, std::string message, std::string detail);

  void pop_frame();

  const node_table& table_;
  std::vector<frame> frames_;
  // Qualified-name prefixes, shared by the frames below the one that pushed each: deep
  // unrecorded nesting copies an index, not a string.
  std::vector<std::string> prefixes_;
  int depth_ = 0;
  std::vector<std::uint32_t> prev_end_;  // per depth: end row of the previous sibling

  // The run of comments/attributes preceding the next sibling at the current level.
  std::vector<comment_ref> run_;
  std::uint32_t run_anchor_end_ = no_row;  // end row of the run's last comment/attribute
  std::uint32_t run_attr_start_ = no_row;  // start row of the run's first attribute
  bool run_carried_ = false;                // trailing comments carried out of a child level
  // The run as it was when the node being visited was reached.
  std::vector<comment_ref> cur_run_;
  std::uint32_t cur_anchor_end_ = no_row;
  std::uint32_t cur_attr_start_ = no_row;
  bool cur_carried_ = false;

  std::size_t problems_seen_ = 0;
  std::uint32_t error_end_ = 0;  // end of the last ERROR region reported
  bool depth_problem_recorded_ = false;
};

// Language entry points (extract_<lang>.cpp).
void extract_c_family(const walk_input& in, TSNode root);
void extract_rust(const walk_input& in, TSNode root);
void extract_python(const walk_input& in, TSNode root);
void extract_go(const walk_input& in, TSNode root);
void extract_js(const walk_input& in, TSNode root);
void extract_java(const walk_input& in, TSNode root);

// Qualified-name prefix derived from the file path (Rust crate path, Python module).
std::string module_prefix(language lang, std::string_view path);

// Small string helpers shared by the languages.
bool starts_with(std::string_view s, std::string_view p) noexcept;
bool ends_with(std::string_view s, std::string_view p) noexcept;
std::string_view trim(std::string_view s) noexcept;
// Removes balanced <...> groups (template/generic arguments): "a::B<T>::f" -> "a::B::f".
std::string strip_angle_groups(std::string_view s);
// Removes all whitespace.
std::string remove_spaces(std::string_view s);

}  // namespace patina::scrape::detail
