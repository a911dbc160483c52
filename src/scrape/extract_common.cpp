#include "extract_common.hpp"

#include <algorithm>

#include "utf8.hpp"

namespace patina::scrape::detail {

bool starts_with(std::string_view s, std::string_view p) noexcept { return s.substr(0, p.size()) == p; }

bool ends_with(std::string_view s, std::string_view p) noexcept {
  return s.size() >= p.size() && s.substr(s.size() - p.size()) == p;
}

namespace {
bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
}  // namespace

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

std::string strip_angle_groups(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    // `operator<`, `operator<<=`: the angle brackets are the name, not arguments.
    if (c == '<' && !ends_with(trim(out), "operator") && !(i + 1 < s.size() && (s[i + 1] == '<' || s[i + 1] == '='))) {
      int level = 0;
      std::size_t j = i;
      for (; j < s.size(); ++j) {
        if (s[j] == '<') ++level;
        if (s[j] == '>' && !(j > 0 && s[j - 1] == '-') && --level == 0) break;
      }
      if (j < s.size()) {
        i = j + 1;
        continue;
      }
    }
    out += c;
    ++i;
  }
  return out;
}

std::string remove_spaces(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (!is_space(c)) out += c;
  }
  return out;
}

node_table::node_table(const TSLanguage* lang,
                       std::initializer_list<std::pair<const char*, std::uint16_t>> entries) {
  const std::uint32_t count = ts_language_symbol_count(lang);
  roles_.assign(count, role_other);
  for (std::uint32_t s = 0; s < count; ++s) {
    const auto sym = static_cast<TSSymbol>(s);
    if (ts_language_symbol_type(lang, sym) != TSSymbolTypeRegular) continue;
    const char* name = ts_language_symbol_name(lang, sym);
    for (const auto& [n, role] : entries) {
      if (std::strcmp(n, name) == 0) {
        roles_[s] = role;
        break;
      }
    }
  }
}

walker_base::walker_base(const walk_input& in, const node_table& table)
    : in_(in), out_(in.out), src_(in.source), separator_(qualifier_separator(in.lang)), table_(table) {}

std::string_view walker_base::text(TSNode n) const noexcept {
  return slice(ts_node_start_byte(n), ts_node_end_byte(n));
}

std::string_view walker_base::slice(std::uint32_t start, std::uint32_t end) const noexcept {
  if (start >= src_.size() || end <= start) return {};
  return src_.substr(start, std::min<std::size_t>(end, src_.size()) - start);
}

std::string walker_base::collapse(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool pending_space = false;
  for (char c : s) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string walker_base::collapsed_text(TSNode n, std::size_t max_bytes) const {
  std::string s = collapse(utf8_prefix(text(n), max_bytes * 4));
  cap_utf8(s, max_bytes);
  return s;
}

std::uint32_t walker_base::end_row(TSNode n) noexcept {
  const TSPoint e = ts_node_end_point(n);
  if (e.column == 0 && e.row > 0 && ts_node_end_byte(n) > ts_node_start_byte(n)) return e.row - 1;
  return e.row;
}

std::vector<TSNode> walker_base::named_children(TSNode n) {
  std::vector<TSNode> out;
  for_each_child(n, [&](TSNode c, const char*) {
    if (ts_node_is_named(c)) out.push_back(c);
  });
  return out;
}

bool walker_base::has_child(TSNode n, const char* t) {
  bool found = false;
  for_each_child(n, [&](TSNode c, const char*) {
    if (!found && std::strcmp(ts_node_type(c), t) == 0) found = true;
  });
  return found;
}

std::vector<TSNode> walker_base::fields(TSNode n, const char* name) {
  std::vector<TSNode> out;
  for_each_child(n, [&](TSNode c, const char* f) {
    if (f != nullptr && std::strcmp(f, name) == 0) out.push_back(c);
  });
  return out;
}

namespace {
bool has_comment_marker(std::string_view raw, language lang) noexcept {
  return raw.find("/*") != std::string_view::npos || raw.find("//") != std::string_view::npos ||
         (lang == language::python && raw.find('#') != std::string_view::npos);
}
}  // namespace

std::vector<walker_base::byte_range> walker_base::comments_in(TSNode within) {
  std::vector<byte_range> out;
  if (!has_comment_marker(text(within), in_.lang)) return out;
  cursor guard(within);
  TSTreeCursor& c = guard.c;
  for (;;) {
    const TSNode n = ts_tree_cursor_current_node(&c);
    bool descend = true;
    if (table_(ts_node_symbol(n)) == role_comment) {
      out.emplace_back(ts_node_start_byte(n), ts_node_end_byte(n));
      descend = false;
    }
    if (descend && ts_tree_cursor_goto_first_child(&c)) continue;
    bool done = false;
    while (!ts_tree_cursor_goto_next_sibling(&c)) {
      if (!ts_tree_cursor_goto_parent(&c)) {
        done = true;
        break;
      }
    }
    if (done) break;
  }
  return out;
}

std::string walker_base::uncommented(std::uint32_t start, std::uint32_t end,
                                     const std::vector<byte_range>& comments) const {
  std::string buf(slice(start, end));
  auto it = std::lower_bound(comments.begin(), comments.end(), byte_range{start, 0},
                             [](const byte_range& a, const byte_range& b) { return a.second <= b.first; });
  for (; it != comments.end() && it->first < end; ++it) {
    for (std::uint32_t i = std::max(it->first, start); i < std::min(it->second, end); ++i) buf[i - start] = ' ';
  }
  return buf;
}

std::string walker_base::uncommented(std::uint32_t start, std::uint32_t end, TSNode within) {
  const std::string_view raw = slice(start, end);
  std::string buf(raw);
  if (!has_comment_marker(raw, in_.lang)) return buf;
  // Blank out the comments inside the range: walk only the subtrees that overlap it.
  cursor guard(within);
  TSTreeCursor& c = guard.c;
  for (;;) {
    const TSNode n = ts_tree_cursor_current_node(&c);
    const std::uint32_t ns = ts_node_start_byte(n);
    const std::uint32_t ne = ts_node_end_byte(n);
    bool descend = false;
    if (ne > start && ns < end) {
      if (table_(ts_node_symbol(n)) == role_comment) {
        for (std::uint32_t i = std::max(ns, start); i < std::min(ne, end); ++i) buf[i - start] = ' ';
      } else {
        descend = true;
      }
    }
    if (descend && ts_tree_cursor_goto_first_child(&c)) continue;
    bool done = false;
    while (!ts_tree_cursor_goto_next_sibling(&c)) {
      if (!ts_tree_cursor_goto_parent(&c)) {
        done = true;
        break;
      }
    }
    if (done) break;
  }
  return buf;
}

namespace {
// Collapses whitespace, trims trailing `{ ; : ,` and caps a declaration's text.
std::string finish_signature(std::string s, std::size_t cap) {
  while (!s.empty() && (s.back() == ' ' || s.back() == '{' || s.back() == ';' || s.back() == ':' || s.back() == ',')) {
    s.pop_back();
  }
  cap_utf8(s, cap);
  return s;
}
// Collapsing whitespace only shortens text, and a signature is capped: reading more than
// a generous multiple of the cap cannot change it, and bounds the work per symbol.
std::uint32_t signature_read_end(std::uint32_t start, std::uint32_t end, std::size_t cap) {
  const std::uint64_t limit = static_cast<std::uint64_t>(start) + 8 * static_cast<std::uint64_t>(cap) + 64;
  return limit < end ? static_cast<std::uint32_t>(limit) : end;
}
}  // namespace

std::string walker_base::signature(std::uint32_t start, std::uint32_t end, TSNode within) {
  const std::size_t cap = in_.options.max_signature_bytes;
  const std::uint32_t read_end = signature_read_end(start, end, cap);
  std::string s = finish_signature(collapse(uncommented(start, read_end, within)), cap);
  if (read_end < end && !ends_with(s, "...")) s += "...";
  return s;
}

std::string walker_base::signature(std::uint32_t start, std::uint32_t end,
                                   const std::vector<byte_range>& comments) const {
  const std::size_t cap = in_.options.max_signature_bytes;
  const std::uint32_t read_end = signature_read_end(start, end, cap);
  std::string s = finish_signature(collapse(uncommented(start, read_end, comments)), cap);
  if (read_end < end && !ends_with(s, "...")) s += "...";
  return s;
}

const frame* walker_base::wrapper() const noexcept {
  const frame& t = frames_.back();
  return (t.is_wrapper && t.depth == depth_ - 1) ? &t : nullptr;
}

void walker_base::pop_frame() {
  if (frames_.back().owns_prefix) prefixes_.pop_back();
  frames_.pop_back();
}

frame& walker_base::push_frame() {
  frame f = frames_.back();
  f.depth = depth_;
  f.owns_prefix = false;
  f.is_wrapper = false;
  f.symbol = no_symbol;
  f.doc.clear();
  f.alias_name.clear();
  f.start_row = 0;
  f.start_byte = 0;
  f.sig_start = 0;
  f.generic_count = 0;
  f.wrapper_flags = 0;
  frames_.push_back(std::move(f));
  return frames_.back();
}

frame& walker_base::push_wrapper(TSNode node, std::uint32_t sig_start) {
  decl_head h = head(node);
  const std::uint32_t sig = h.wrapper != nullptr ? h.wrapper->sig_start : sig_start;
  frame& f = push_frame();
  f.is_wrapper = true;
  f.doc = std::move(h.doc);
  f.start_row = h.start_row;
  f.start_byte = h.start_byte;
  f.sig_start = sig;
  return f;
}

frame& walker_base::push_scope(std::uint32_t symbol_index, scope_type container, std::string prefix,
                               std::string container_name) {
  frame& f = push_scope(symbol_index, container);
  if (prefix != prefixes_[f.prefix]) {
    prefixes_.push_back(std::move(prefix));
    f.prefix = static_cast<std::uint32_t>(prefixes_.size() - 1);
    f.owns_prefix = true;
  }
  f.container_name = std::move(container_name);
  return f;
}

frame& walker_base::push_scope(std::uint32_t symbol_index, scope_type container) {
  const bool is_public = symbol_index != no_symbol && out_.symbols[symbol_index].flags.is_public;
  frame& f = push_frame();
  if (symbol_index != no_symbol) {
    f.symbol = symbol_index;
    f.enclosing = symbol_index;
    ++f.symbol_depth;
  }
  f.container = container;
  f.container_kind = 0;
  f.container_name.clear();
  // A class body inside a function is not itself a function body: its members are
  // members, not locals.
  if (container == scope_type::function) {
    f.in_function = true;
  } else if (container == scope_type::type || container == scope_type::impl) {
    f.in_function = false;
  }
  if (container == scope_type::opaque) f.record = false;
  f.members_public = true;
  f.container_public = is_public;
  return f;
}

bool walker_base::can_record() {
  const frame& t = top();
  if (!t.record) return false;
  if (t.symbol_depth >= in_.options.max_scope_depth) {
    if (!depth_problem_recorded_) {
      depth_problem_recorded_ = true;
      out_.problems.push_back({problem_kind::nesting_too_deep, 0,
                               "Declarations are nested more than " + std::to_string(in_.options.max_scope_depth) +
                                   " scopes deep; the deeper ones are not recorded.",
                               {}});
    }
    return false;
  }
  return true;
}

std::string walker_base::qualify(std::string_view name) const {
  const std::string& prefix = current_prefix();
  if (prefix.empty()) return std::string(name);
  std::string q;
  q.reserve(prefix.size() + separator_.size() + name.size());
  q += prefix;
  q += separator_;
  q += name;
  return q;
}

std::string walker_base::take_doc(TSNode node) {
  if (cur_run_.empty()) return {};
  if (cur_anchor_end_ + 1 < start_row(node)) return {};
  // Comments carried out of a block (Python) only document what is aligned with them.
  if (cur_carried_ && cur_run_.front().start_col != ts_node_start_point(node).column) return {};
  std::vector<std::string_view> texts;
  for (const comment_ref& c : cur_run_) {
    const std::string_view t = slice(c.start_byte, c.end_byte);
    if (is_doc_comment(t)) texts.push_back(t);
  }
  std::string doc = strip_comments(texts);
  cap_doc(doc);
  return doc;
}

decl_head walker_base::head(TSNode node) {
  decl_head h;
  if (const frame* w = wrapper()) {
    h.wrapper = w;
    h.start_row = w->start_row;
    h.start_byte = w->start_byte;
    h.doc = take_doc(node);
    if (h.doc.empty()) h.doc = w->doc;
    return h;
  }
  h.start_row = start_row(node);
  h.start_byte = ts_node_start_byte(node);
  if (cur_attr_start_ != no_row && cur_anchor_end_ + 1 >= h.start_row && cur_attr_start_ < h.start_row) {
    h.start_row = cur_attr_start_;
  }
  h.doc = take_doc(node);
  return h;
}

std::string walker_base::strip_comments(const std::vector<std::string_view>& comments) const {
  std::vector<std::string> lines;
  auto add_line = [&](std::string_view l) {
    while (!l.empty() && is_space(l.back())) l.remove_suffix(1);
    lines.emplace_back(l);
  };
  for (std::string_view c : comments) {
    if (starts_with(c, "/*")) {
      std::string_view body = c.substr(2);
      if (!body.empty() && (body.front() == '*' || body.front() == '!') && !starts_with(body, "*/")) body.remove_prefix(1);
      if (ends_with(body, "*/")) body.remove_suffix(2);
      bool first = true;
      std::size_t pos = 0;
      while (pos <= body.size()) {
        std::size_t eol = body.find('\n', pos);
        if (eol == std::string_view::npos) eol = body.size();
        std::string_view l = body.substr(pos, eol - pos);
        pos = eol + 1;
        if (first) {
          if (!l.empty() && l.front() == ' ') l.remove_prefix(1);
        } else {
          while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
          if (starts_with(l, "*") && !starts_with(l, "*/")) {
            l.remove_prefix(1);
            if (!l.empty() && l.front() == ' ') l.remove_prefix(1);
          }
        }
        first = false;
        add_line(l);
        if (eol == body.size()) break;
      }
      continue;
    }
    std::string_view l = c;
    if (starts_with(l, "//")) {
      l.remove_prefix(2);
      if (!l.empty() && (l.front() == '/' || l.front() == '!')) l.remove_prefix(1);
    } else if (starts_with(l, "#")) {
      l.remove_prefix(1);
    }
    if (!l.empty() && l.front() == ' ') l.remove_prefix(1);
    add_line(l);
  }
  std::size_t first = 0;
  while (first < lines.size() && lines[first].empty()) ++first;
  std::size_t last = lines.size();
  while (last > first && lines[last - 1].empty()) --last;
  std::string out;
  for (std::size_t i = first; i < last; ++i) {
    if (i > first) out += '\n';
    out += lines[i];
  }
  return out;
}

void walker_base::cap_doc(std::string& doc) const { cap_utf8(doc, in_.options.max_doc_bytes); }

std::uint32_t walker_base::add_symbol(symbol s) {
  if (s.parent == no_symbol) s.parent = top().enclosing;
  out_.symbols.push_back(std::move(s));
  return static_cast<std::uint32_t>(out_.symbols.size() - 1);
}

void walker_base::add_call(std::string callee, call_kind kind, TSNode at) {
  if (callee.empty()) return;
  out_.calls.push_back({caller(), std::move(callee), kind, line(at)});
}

void walker_base::add_import(std::string path, std::vector<std::string> names, TSNode at) {
  if (path.empty()) return;
  out_.imports.push_back({std::move(path), std::move(names), line(at)});
}

void walker_base::record_problem(problem_kind kind, std::uint32_t ln, std::string message, std::string detail) {
  ++problems_seen_;
  if (problems_seen_ > in_.options.max_problems) return;
  out_.problems.push_back({kind, ln, std::move(message), std::move(detail)});
}

void walker_base::on_comment(TSNode n) {
  const std::uint32_t sr = start_row(n);
  const std::uint32_t er = end_row(n);
  const bool run_open = !run_.empty() || run_attr_start_ != no_row;
  // A comment after code on the same line belongs to that code.
  if (!run_carried_ && prev_end_[static_cast<std::size_t>(depth_)] == sr) {
    run_.clear();
    run_attr_start_ = no_row;
    run_anchor_end_ = no_row;
    return;
  }
  if (run_open && sr > run_anchor_end_ + 1) {
    run_.clear();
    run_attr_start_ = no_row;
    run_carried_ = false;
  }
  if (run_.empty() && run_attr_start_ == no_row) run_carried_ = false;
  run_.push_back({ts_node_start_byte(n), ts_node_end_byte(n), sr, ts_node_start_point(n).column});
  run_anchor_end_ = er;
}

void walker_base::on_attribute(TSNode n) {
  const std::uint32_t sr = start_row(n);
  const bool run_open = !run_.empty() || run_attr_start_ != no_row;
  if (run_open && sr > run_anchor_end_ + 1) {
    run_.clear();
    run_attr_start_ = no_row;
  }
  if (run_attr_start_ == no_row) run_attr_start_ = sr;
  run_anchor_end_ = end_row(n);
  run_carried_ = false;
}

bool walker_base::dispatch(TSNode n) {
  const std::uint16_t role = table_(ts_node_symbol(n));
  const auto d = static_cast<std::size_t>(depth_);
  if (role == role_comment) {
    on_comment(n);
    return false;
  }
  if (ts_node_is_missing(n)) {
    record_problem(problem_kind::missing_token, line(n),
                   std::string("Syntax error: a `") + ts_node_type(n) +
                       "` is missing here; the declarations around it may be incomplete.",
                   {});
  } else if (ts_node_is_error(n) && ts_node_start_byte(n) >= error_end_) {
    // Nested ERROR nodes describe the same region: report the outermost only.
    error_end_ = ts_node_end_byte(n);
    std::string detail(utf8_prefix(text(n), 240));
    detail = collapse(detail);
    cap_utf8(detail, 60);
    record_problem(problem_kind::syntax_error, line(n),
                   "Syntax error: the parser could not read this region; declarations in it may be "
                   "missing or incomplete.",
                   std::move(detail));
  }
  if (role == role_attribute) {
    on_attribute(n);
    prev_end_[d] = end_row(n);
    return false;
  }
  cur_run_.swap(run_);
  run_.clear();
  cur_anchor_end_ = run_anchor_end_;
  cur_attr_start_ = run_attr_start_;
  cur_carried_ = run_carried_;
  run_anchor_end_ = no_row;
  run_attr_start_ = no_row;
  run_carried_ = false;
  const bool descend = visit(n, role);
  prev_end_[d] = end_row(n);
  return descend;
}

void walker_base::run(TSNode root, std::string file_prefix) {
  frames_.clear();
  prefixes_.assign(1, std::move(file_prefix));
  frames_.emplace_back();
  prev_end_.assign(1, no_row);
  depth_ = 0;
  error_end_ = 0;
  cursor guard(root);
  TSTreeCursor& cur = guard.c;
  int depth = 0;
  for (;;) {
    while (frames_.size() > 1 && frames_.back().depth >= depth) pop_frame();
    depth_ = depth;
    const TSNode n = ts_tree_cursor_current_node(&cur);
    if (dispatch(n) && ts_tree_cursor_goto_first_child(&cur)) {
      ++depth;
      const auto d = static_cast<std::size_t>(depth);
      if (prev_end_.size() <= d) {
        prev_end_.push_back(no_row);
      } else {
        prev_end_[d] = no_row;
      }
      continue;
    }
    bool done = false;
    while (!ts_tree_cursor_goto_next_sibling(&cur)) {
      if (!ts_tree_cursor_goto_parent(&cur)) {
        done = true;
        break;
      }
      --depth;
      // Comments at the end of the level just left (a Python block has no closing token)
      // may document the next declaration at this level.
      if (!run_.empty()) run_carried_ = true;
    }
    if (done) break;
  }
  if (problems_seen_ > in_.options.max_problems) {
    out_.problems.push_back({problem_kind::too_many_errors, 0,
                             std::to_string(problems_seen_ - in_.options.max_problems) +
                                 " more syntax problems are not listed.",
                             {}});
  }
  finish();
}

}  // namespace patina::scrape::detail
