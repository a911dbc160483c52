#include "patina/core/config.hpp"

#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <limits>
#include <sstream>
#include <system_error>
#include <utility>

#include <toml++/toml.h>

namespace patina {
namespace fs = std::filesystem;

namespace {

constexpr std::string_view patina_dir = ".patina";
constexpr std::string_view config_name = "config.toml";
// Upper bound on the hashing engine's dimension: far above any useful value, low
// enough that a typo (an extra zero or three) is caught before allocating.
constexpr std::int64_t max_hashing_dimension = 65536;

std::string quoted_list(std::initializer_list<std::string_view> names) {
  std::string out;
  for (std::string_view n : names) {
    if (!out.empty()) out += ", ";
    out += '"';
    out += n;
    out += '"';
  }
  return out;
}

// ---- enum spellings ------------------------------------------------------------------

constexpr std::pair<std::string_view, embedding_engine> engine_names[] = {
    {"auto", embedding_engine::automatic},
    {"hashing", embedding_engine::hashing},
    {"use-lite", embedding_engine::use_lite},
};
constexpr std::pair<std::string_view, turso_mode> mode_names[] = {
    {"local", turso_mode::local},
    {"remote", turso_mode::remote},
    {"embedded", turso_mode::embedded},
};
const std::string engine_choices = quoted_list({"auto", "hashing", "use-lite"});
const std::string mode_choices = quoted_list({"local", "remote", "embedded"});

// ---- reading a parsed document -----------------------------------------------------

std::string_view type_phrase(toml::node_type t) noexcept {
  switch (t) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    case toml::node_type::none: break;
  }
  return "nothing";
}

std::string located(const std::string& file, const toml::source_position& at) {
  return file + ", line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ": ";
}

// Reads one file's document into a config, failing on the first problem.
class reader {
 public:
  explicit reader(const fs::path& file) : file_(file.string()) {}

  result<void> read(const toml::table& doc, config& cfg) {
    for (auto&& [key, node] : doc) {
      const std::string_view name = key.str();
      const toml::table* section = node.as_table();
      const bool known = name == "database" || name == "embeddings" || name == "assets" ||
                         name == "turso" || name == "scrape";
      if (!known) {
        return problem(key.source(), "unknown section or key '" + std::string(name) + "'",
                       "the file takes the sections [database], [embeddings], [assets], [turso] "
                       "and [scrape]");
      }
      if (section == nullptr) {
        return problem(node.source(), "'" + std::string(name) + "' must be a table ([" +
                                          std::string(name) + "] section), not " +
                                          std::string(type_phrase(node.type())),
                       "write it as a [" + std::string(name) + "] section");
      }
      auto ok = read_section(name, *section, cfg);
      if (!ok) return ok;
    }
    return {};
  }

 private:
  result<void> read_section(std::string_view section, const toml::table& t, config& cfg) {
    for (auto&& [key, node] : t) {
      const std::string name = std::string(section) + "." + std::string(key.str());
      result<void> ok;
      if (name == "database.path") {
        ok = read_path(name, node, cfg.database.path, false);
      } else if (name == "embeddings.engine") {
        ok = read_enum(name, node, engine_names, engine_choices, cfg.embeddings.engine);
      } else if (name == "embeddings.hashing_dimension") {
        ok = read_size(name, node, max_hashing_dimension, cfg.embeddings.hashing_dimension);
      } else if (name == "assets.sqlite_vec") {
        ok = read_path(name, node, cfg.assets.sqlite_vec, true);
      } else if (name == "assets.model_dir") {
        ok = read_path(name, node, cfg.assets.model_dir, true);
      } else if (name == "turso.url") {
        ok = read_string(name, node, cfg.turso.url);
      } else if (name == "turso.mode") {
        ok = read_enum(name, node, mode_names, mode_choices, cfg.turso.mode);
      } else if (name == "scrape.max_file_size") {
        ok = read_size(name, node, std::numeric_limits<std::int64_t>::max(),
                       cfg.scrape.max_file_size);
      } else if (name == "scrape.exclude") {
        ok = read_globs(name, node, cfg.scrape.exclude);
      } else if (name == "turso.token" || name == "turso.auth_token") {
        return problem(key.source(), "'" + name + "' is not read from the config file",
                       "keep tokens out of files: set PATINA_TURSO_TOKEN in the environment and "
                       "remove this line");
      } else {
        return problem(key.source(), "unknown key '" + name + "'",
                       "[" + std::string(section) + "] takes: " + keys_of(section));
      }
      if (!ok) return ok;
    }
    return {};
  }

  static std::string keys_of(std::string_view section) {
    if (section == "database") return "path";
    if (section == "embeddings") return "engine, hashing_dimension";
    if (section == "assets") return "sqlite_vec, model_dir";
    if (section == "turso") return "url, mode (the token comes from PATINA_TURSO_TOKEN)";
    return "max_file_size, exclude";
  }

  // "<file>, line L, column C: <what>; <fix>"
  failure problem(const toml::source_region& where, const std::string& what, const std::string& fix,
                  std::string detail = {}) const {
    return fail(errc::config_error, located(file_, where.begin) + what + "; " + fix,
                std::move(detail));
  }

  failure wrong_type(const std::string& name, const toml::node& node, std::string_view expected) const {
    return problem(node.source(),
                   "'" + name + "' must be " + std::string(expected) + ", not " +
                       std::string(type_phrase(node.type())),
                   "see the comments `patina init` writes for each key");
  }

  result<void> read_string(const std::string& name, const toml::node& node, std::string& out) const {
    const auto* s = node.as_string();
    if (s == nullptr) return wrong_type(name, node, "a string");
    out = s->get();
    return {};
  }

  // An empty string means "not set" for optional paths and is an error otherwise.
  result<void> read_path(const std::string& name, const toml::node& node, fs::path& out,
                         bool optional) const {
    std::string text;
    auto ok = read_string(name, node, text);
    if (!ok) return ok;
    if (text.empty() && !optional) {
      return problem(node.source(), "'" + name + "' must not be empty",
                     "give a path, or remove the line to use the default");
    }
    out = fs::path(text);
    return {};
  }

  template <class E, std::size_t N>
  result<void> read_enum(const std::string& name, const toml::node& node,
                         const std::pair<std::string_view, E> (&names)[N], const std::string& choices,
                         E& out) const {
    std::string text;
    auto ok = read_string(name, node, text);
    if (!ok) return ok;
    for (const auto& [spelling, value] : names) {
      if (text == spelling) {
        out = value;
        return {};
      }
    }
    return problem(node.source(), "'" + name + "' must be one of " + choices,
                   "use one of those values", "got \"" + text + "\"");
  }

  template <class Size>
  result<void> read_size(const std::string& name, const toml::node& node, std::int64_t max,
                         Size& out) const {
    const auto* i = node.as_integer();
    if (i == nullptr) return wrong_type(name, node, "an integer");
    const std::int64_t v = i->get();
    if (v < 1 || v > max) {
      return problem(node.source(),
                     "'" + name + "' must be between 1 and " + std::to_string(max),
                     "use a positive integer in that range", "got " + std::to_string(v));
    }
    out = static_cast<Size>(v);
    return {};
  }

  result<void> read_globs(const std::string& name, const toml::node& node,
                          std::vector<std::string>& out) const {
    const auto* a = node.as_array();
    if (a == nullptr) return wrong_type(name, node, "an array of strings");
    std::vector<std::string> globs;
    for (std::size_t i = 0; i < a->size(); ++i) {
      const toml::node& element = *a->get(i);
      const auto* s = element.as_string();
      if (s == nullptr) {
        return wrong_type(name + "[" + std::to_string(i) + "]", element, "a string (a glob pattern)");
      }
      globs.emplace_back(s->get());
    }
    out = std::move(globs);
    return {};
  }

  std::string file_;
};

// ---- writing -----------------------------------------------------------------------

// A TOML basic string: quotes, backslashes and control characters escaped.
std::string toml_string(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (u < 0x20 || u == 0x7F) {
          constexpr const char* hex = "0123456789ABCDEF";
          out += "\\u00";
          out += hex[u >> 4];
          out += hex[u & 0xF];
        } else {
          out += c;
        }
    }
  }
  out += '"';
  return out;
}

// `key = "value"`, or the line commented out with an example when the value is unset.
std::string optional_line(std::string_view key, const std::string& value, std::string_view example) {
  if (value.empty()) return "# " + std::string(key) + " = " + toml_string(example) + "\n";
  return std::string(key) + " = " + toml_string(value) + "\n";
}

}  // namespace

// ---- enums -------------------------------------------------------------------------------

std::string_view to_string(embedding_engine engine) noexcept {
  for (const auto& [spelling, value] : engine_names) {
    if (value == engine) return spelling;
  }
  return "auto";  // defensive: every enumerator is in the table
}

std::string_view to_string(turso_mode mode) noexcept {
  for (const auto& [spelling, value] : mode_names) {
    if (value == mode) return spelling;
  }
  return "local";  // defensive: every enumerator is in the table
}

result<embedding_engine> parse_embedding_engine(std::string_view text) {
  for (const auto& [spelling, value] : engine_names) {
    if (text == spelling) return value;
  }
  return fail(errc::invalid_argument,
              "unknown embedding engine '" + std::string(text) + "'; use one of " + engine_choices);
}

result<turso_mode> parse_turso_mode(std::string_view text) {
  for (const auto& [spelling, value] : mode_names) {
    if (text == spelling) return value;
  }
  return fail(errc::invalid_argument,
              "unknown Turso mode '" + std::string(text) + "'; use one of " + mode_choices);
}

// ---- config ---------------------------------------------------------------------------

fs::path config::resolve(const fs::path& p) const {
  if (p.empty() || p.is_absolute()) return p;
  if (!root.empty()) return (root / p).lexically_normal();
  std::error_code ec;
  fs::path absolute = fs::absolute(p, ec);
  return ec ? p : absolute.lexically_normal();
}

fs::path config_file_path(const fs::path& root) { return root / patina_dir / config_name; }

result<fs::path> find_project_root(const fs::path& start) {
  std::error_code ec;
  fs::path dir = fs::absolute(start, ec);
  if (ec) {
    return fail(errc::io_error, "cannot resolve the directory '" + start.string() + "'",
                ec.message());
  }
  dir = dir.lexically_normal();
  if (!dir.has_filename() && dir.has_parent_path() && dir != dir.root_path()) dir = dir.parent_path();
  for (;;) {
    if (fs::is_regular_file(config_file_path(dir), ec)) return dir;
    fs::path parent = dir.parent_path();
    if (parent.empty() || parent == dir) break;
    dir = std::move(parent);
  }
  return fail(errc::not_found, "no Patina project in '" + start.string() +
                                   "' or any directory above it (looked for .patina/config.toml); "
                                   "run `patina init` in the project's top directory to create one");
}

result<config> load_config(const fs::path& file) {
  const std::string name = file.string();
  std::error_code ec;
  const fs::file_status status = fs::status(file, ec);
  if (!fs::exists(status)) {
    return fail(errc::not_found,
                "config file '" + name + "' does not exist; run `patina init` to create it");
  }
  if (!fs::is_regular_file(status)) {
    return fail(errc::config_error, "config file '" + name + "' is not a regular file; "
                                    "replace it with a file (`patina init` writes the default)");
  }
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return fail(errc::io_error, "cannot open config file '" + name + "'; check its permissions");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    return fail(errc::io_error, "cannot read config file '" + name + "'; check the file and disk");
  }

  toml::table doc;
  try {
    doc = toml::parse(text.view(), name);
  } catch (const toml::parse_error& e) {
    return fail(errc::config_error,
                located(name, e.source().begin) +
                    "TOML syntax error; fix the file there (`patina init` writes a commented "
                    "example of every key)",
                std::string(e.description()));
  }

  config cfg;
  auto ok = reader(file).read(doc, cfg);
  if (!ok) return fail(ok.err());

  fs::path absolute = fs::absolute(file, ec);
  if (ec) absolute = file;
  const fs::path dir = absolute.lexically_normal().parent_path();
  cfg.root = dir.filename() == patina_dir ? dir.parent_path() : dir;
  return cfg;
}

void apply_env_overrides(config& cfg) {
  const auto env = [](const char* var) -> std::string_view {
    const char* v = std::getenv(var);
    return v == nullptr ? std::string_view{} : std::string_view{v};
  };
  if (const auto db = env("PATINA_DB"); !db.empty()) {
    std::error_code ec;
    fs::path p = fs::absolute(fs::path(db), ec);
    cfg.database.path = ec ? fs::path(db) : p.lexically_normal();
  }
  if (const auto url = env("PATINA_TURSO_URL"); !url.empty()) cfg.turso.url = std::string(url);
  if (const auto token = env("PATINA_TURSO_TOKEN"); !token.empty()) cfg.turso_token = std::string(token);
}

result<config> load_project_config(const fs::path& start) {
  auto root = find_project_root(start);
  if (!root) return fail(std::move(root).err());
  auto cfg = load_config(config_file_path(*root));
  if (!cfg) return cfg;
  apply_env_overrides(*cfg);
  return cfg;
}

std::string config_text(const config& cfg) {
  std::string out;
  out += "# Patina project settings. Every key is optional; a missing key keeps its default.\n";
  out += "# Relative paths are relative to the project root (the directory holding .patina/).\n";
  out += "# Environment variables override some keys: PATINA_DB, PATINA_TURSO_URL; the Turso\n";
  out += "# token is read only from PATINA_TURSO_TOKEN and never from this file.\n\n";

  out += "[database]\n";
  out += "# The database file (default \".patina/patina.db\").\n";
  out += "path = " + toml_string(cfg.database.path.generic_string()) + "\n\n";

  out += "[embeddings]\n";
  out += "# \"auto\" (USE-lite when its model is installed, else hashing), \"hashing\" or \"use-lite\".\n";
  out += "engine = " + toml_string(to_string(cfg.embeddings.engine)) + "\n";
  out += "# Dimension of the hashing engine's vectors (1 to " + std::to_string(max_hashing_dimension) +
         ").\n";
  out += "hashing_dimension = " + std::to_string(cfg.embeddings.hashing_dimension) + "\n\n";

  out += "[assets]\n";
  out += "# Asset locations. PATINA_SQLITE_VEC and PATINA_MODEL_DIR take precedence; unset\n";
  out += "# entries fall back to the deps/ folder of the build, then the installed\n";
  out += "# share/patina/. A path set here must exist.\n";
  out += optional_line("sqlite_vec", cfg.assets.sqlite_vec.generic_string(), "/path/to/vec0.so");
  out += optional_line("model_dir", cfg.assets.model_dir.generic_string(),
                       "/path/to/model-embeddings-en/dist");
  out += "\n";

  out += "[turso]\n";
  out += "# The server for remote and embedded modes (libsql://, https:// or http://).\n";
  out += optional_line("url", cfg.turso.url, "libsql://your-database.turso.io");
  out += "# \"local\" (this file only), \"remote\" (every statement on the server) or\n";
  out += "# \"embedded\" (a local replica, synchronised by `patina sync`).\n";
  out += "mode = " + toml_string(to_string(cfg.turso.mode)) + "\n\n";

  out += "[scrape]\n";
  out += "# Files larger than this many bytes are skipped.\n";
  out += "max_file_size = " + std::to_string(cfg.scrape.max_file_size) + "\n";
  out += "# Glob patterns of paths not to scrape, relative to the project root,\n";
  out += "# in addition to what .gitignore excludes, e.g. [\"vendor/**\", \"*.min.js\"].\n";
  out += "exclude = [";
  for (std::size_t i = 0; i < cfg.scrape.exclude.size(); ++i) {
    if (i != 0) out += ", ";
    out += toml_string(cfg.scrape.exclude[i]);
  }
  out += "]\n";
  return out;
}

std::string default_config_text() { return config_text(config{}); }

}  // namespace patina
