#include "patina/scrape/extractor.hpp"

#include <array>
#include <chrono>
#include <limits>
#include <string>

#include "patina/core/error.hpp"

#include "body_terms.hpp"
#include "extract_common.hpp"
#include "ts_languages.hpp"

namespace patina::scrape {
namespace {

struct parser_deleter {
  void operator()(TSParser* p) const noexcept { ts_parser_delete(p); }
};
struct tree_deleter {
  void operator()(TSTree* t) const noexcept { ts_tree_delete(t); }
};
using parser_ptr = std::unique_ptr<TSParser, parser_deleter>;
using tree_ptr = std::unique_ptr<TSTree, tree_deleter>;

// Module path of a Python file: "pkg/mod.py" -> "pkg.mod", "src/pkg/__init__.py" -> "pkg".
std::string python_module(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  if (parts.empty()) return {};
  std::string_view& last = parts.back();
  if (const auto dot = last.rfind('.'); dot != std::string_view::npos) last = last.substr(0, dot);
  if (last == "__init__") parts.pop_back();
  std::size_t first = 0;
  if (!parts.empty() && parts.front() == "src") first = 1;
  std::string out;
  for (std::size_t i = first; i < parts.size(); ++i) {
    if (!out.empty()) out += '.';
    out += parts[i];
  }
  return out;
}

// Crate path of a Rust file: "src/a/b.rs" -> "crate::a::b"; crate roots -> "crate".
std::string rust_module(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  std::string out = "crate";
  std::size_t src = parts.size();
  for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
    if (parts[i] == "src") src = i;
  }
  if (src == parts.size()) return out;  // outside src/: tests, examples, build.rs are crate roots
  std::vector<std::string_view> mods(parts.begin() + static_cast<std::ptrdiff_t>(src) + 1, parts.end());
  if (!mods.empty() && mods.front() == "bin") return out;  // src/bin/*: binary crate roots
  std::string_view& last = mods.back();
  if (const auto dot = last.rfind('.'); dot != std::string_view::npos) last = last.substr(0, dot);
  if (last == "mod" || (mods.size() == 1 && (last == "lib" || last == "main"))) mods.pop_back();
  for (std::string_view m : mods) {
    out += "::";
    out += m;
  }
  return out;
}

// Feeds the whole buffer to the parser and enforces the parse deadline.
struct parse_context {
  std::string_view content;
  bool has_deadline = false;
  std::chrono::steady_clock::time_point deadline;
  bool timed_out = false;

  parse_context(std::string_view c, std::uint32_t timeout_ms) : content(c), has_deadline(timeout_ms != 0) {
    if (has_deadline) deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  }

  static const char* read(void* payload, std::uint32_t byte, TSPoint, std::uint32_t* bytes_read) {
    const auto* self = static_cast<const parse_context*>(payload);
    if (byte >= self->content.size()) {
      *bytes_read = 0;
      return "";
    }
    *bytes_read = static_cast<std::uint32_t>(self->content.size() - byte);
    return self->content.data() + byte;
  }

  // Called by the parser every few hundred operations; true cancels the parse.
  static bool progress(TSParseState* state) {
    auto* self = static_cast<parse_context*>(state->payload);
    if (std::chrono::steady_clock::now() < self->deadline) return false;
    self->timed_out = true;
    return true;
  }
};

}  // namespace

struct extractor::impl {
  extract_options options;
  std::array<parser_ptr, all_languages.size()> parsers;

  TSParser* parser_for(language lang) {
    parser_ptr& p = parsers[static_cast<std::size_t>(lang)];
    if (!p) {
      p.reset(ts_parser_new());
      // Only fails on an ABI mismatch, which the pinned grammar versions rule out.
      const bool ok = ts_parser_set_language(p.get(), ts_language_for(lang));
      if (!ok) throw exception(errc::internal, "The tree-sitter grammar for " + std::string(to_string(lang)) +
                                                  " does not match the runtime's ABI; rebuild after scripts/setup.");
    }
    return p.get();
  }
};

extractor::extractor(extract_options options) : impl_(std::make_unique<impl>()) { impl_->options = options; }
extractor::~extractor() = default;
extractor::extractor(extractor&&) noexcept = default;
extractor& extractor::operator=(extractor&&) noexcept = default;

const extract_options& extractor::options() const noexcept { return impl_->options; }

file_facts extractor::extract(std::string_view path, language lang, std::string_view content) {
  file_facts out;
  out.path = std::string(path);
  out.lang = lang;
  out.size = content.size();
  out.content_hash = content_hash(content);
  out.line_count = count_lines(content);
  if (content.size() >= std::numeric_limits<std::uint32_t>::max()) {
    out.problems.push_back({problem_kind::parse_failed, 0, "The file is too large to parse (4 GiB or more).", {}});
    return out;
  }
  TSParser* parser = impl_->parser_for(lang);
  parse_context ctx{content, impl_->options.parse_timeout_ms};
  const TSInput input{&ctx, &parse_context::read, TSInputEncodingUTF8, nullptr};
  const TSParseOptions parse_options{&ctx, ctx.has_deadline ? &parse_context::progress : nullptr};
  tree_ptr tree(ts_parser_parse_with_options(parser, nullptr, input, parse_options));
  if (!tree) {
    ts_parser_reset(parser);
    std::string message = ctx.timed_out ? "Parsing took longer than " + std::to_string(impl_->options.parse_timeout_ms) +
                                              " ms and was abandoned; no code facts were extracted from this file."
                                        : "The parser gave up on this file; no code facts were extracted.";
    out.problems.push_back({problem_kind::parse_failed, 0, std::move(message), {}});
    return out;
  }
  const TSNode root = ts_tree_root_node(tree.get());
  const detail::walk_input in{impl_->options, lang, path, content, out};
  switch (lang) {
    case language::c:
    case language::cpp: detail::extract_c_family(in, root); break;
    case language::rust: detail::extract_rust(in, root); break;
    case language::python: detail::extract_python(in, root); break;
    case language::go: detail::extract_go(in, root); break;
    case language::javascript:
    case language::typescript:
    case language::tsx: detail::extract_js(in, root); break;
    case language::java: detail::extract_java(in, root); break;
  }
  out.body_terms = detail::body_terms(content, out.symbols, impl_->options.max_body_terms_bytes);
  return out;
}

namespace detail {
std::string module_prefix(language lang, std::string_view path) {
  if (lang == language::python) return python_module(path);
  if (lang == language::rust) return rust_module(path);
  return {};
}
}  // namespace detail

}  // namespace patina::scrape
