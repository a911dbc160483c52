/// @file
/// patina/core/config.hpp — a project's settings, read from `.patina/config.toml`.
///
/// A Patina project is a directory holding `.patina/config.toml`; commands run anywhere
/// below it find it by walking up, as git finds `.git`. The file has five sections,
/// all optional (a missing key keeps its default):
///
///   [database]   path               database file (".patina/patina.db")
///   [embeddings] engine             "auto" | "hashing" | "use-lite" ("auto")
///                hashing_dimension  dimension of the hashing engine's vectors (256)
///   [assets]     sqlite_vec         vec0.so to load instead of the usual places (unset)
///                model_dir          USE-lite model directory (unset)
///   [turso]      url                server URL for remote and embedded modes (unset)
///                mode               "local" | "remote" | "embedded" ("local")
///   [scrape]     max_file_size      files larger than this many bytes are skipped (2 MiB)
///                exclude            glob patterns of paths not to scrape ([])
///
/// Relative paths in the file are relative to the project root. Anything else in the
/// file (an unknown section or key, a wrong type, a value out of range) is an error:
/// a misspelt key must not be ignored silently. The Turso token is never read from or
/// written to the file; it comes from PATINA_TURSO_TOKEN only.
///
/// Thread safety: `config` is a value type. `apply_env_overrides` reads the process
/// environment and must not race with setenv() in another thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "patina/core/result.hpp"

namespace patina {

/// [embeddings] engine.
enum class embedding_engine {
  automatic,  ///< "auto": USE-lite when its model is installed, otherwise hashing
  hashing,    ///< "hashing": the dependency-free hashing engine
  use_lite,   ///< "use-lite": Universal Sentence Encoder lite; its model must be installed
};

/// [turso] mode.
enum class turso_mode {
  local,     ///< "local": the local database file only
  remote,    ///< "remote": every statement goes to the server at turso.url
  embedded,  ///< "embedded": local replica of turso.url, synchronised by `patina sync`
};

/// The spelling used in the config file and on the command line ("auto", "use-lite", …).
std::string_view to_string(embedding_engine engine) noexcept;
/// The spelling used in the config file and on the command line ("local", "remote", "embedded").
std::string_view to_string(turso_mode mode) noexcept;

/// Reads the spellings above. Fails with errc::invalid_argument naming the allowed values.
result<embedding_engine> parse_embedding_engine(std::string_view text);
/// Reads "local", "remote" or "embedded". Fails with errc::invalid_argument naming the allowed values.
result<turso_mode> parse_turso_mode(std::string_view text);

/// A project's settings, as read from `.patina/config.toml` (load_config) with
/// the environment's overrides applied. Every field has a default, so a
/// default-constructed config is a valid one.
///
/// Thread safety: a value type.
struct config {
  /// [database]: where the database file is.
  struct database_section {
    std::filesystem::path path = ".patina/patina.db";  ///< The database file, relative to root unless absolute.
    /// Member-wise equality.
    bool operator==(const database_section&) const = default;
  };
  /// [embeddings]: which embedding engine to use.
  struct embeddings_section {
    embedding_engine engine = embedding_engine::automatic;  ///< The engine (see embedding_engine).
    std::size_t hashing_dimension = 256;  ///< The hashing engine's dimension (buckets).
    /// Member-wise equality.
    bool operator==(const embeddings_section&) const = default;
  };
  /// [assets]: explicit locations of the run-time assets (patina/core/assets.hpp).
  struct assets_section {
    std::filesystem::path sqlite_vec;  ///< empty: not set
    std::filesystem::path model_dir;   ///< empty: not set
    /// Member-wise equality.
    bool operator==(const assets_section&) const = default;
  };
  /// [turso]: the Turso server and how the database uses it (Turso build).
  struct turso_section {
    std::string url;  ///< empty: not set
    turso_mode mode = turso_mode::local;  ///< Local file, remote, or embedded replica.
    /// Member-wise equality.
    bool operator==(const turso_section&) const = default;
  };
  /// [scrape]: what `patina scrape` reads.
  struct scrape_section {
    std::uint64_t max_file_size = 2 * 1024 * 1024;  ///< Files larger than this many bytes are skipped.
    std::vector<std::string> exclude;  ///< Extra gitignore-style patterns to skip.
    /// Member-wise equality.
    bool operator==(const scrape_section&) const = default;
  };

  /// The project root: relative paths above resolve against it. Set by load_config;
  /// empty for a default-constructed config (paths then resolve against the working
  /// directory).
  std::filesystem::path root;

  database_section database;  ///< [database]
  embeddings_section embeddings;  ///< [embeddings]
  assets_section assets;  ///< [assets]
  turso_section turso;  ///< [turso]
  scrape_section scrape;  ///< [scrape]

  /// From PATINA_TURSO_TOKEN (apply_env_overrides). Kept in memory only: never read
  /// from or written to a file, never put in an error message.
  std::string turso_token;

  /// `p` made absolute: unchanged if already absolute, else `root / p` (or the working
  /// directory / p when root is empty). An empty `p` stays empty.
  std::filesystem::path resolve(const std::filesystem::path& p) const;

  /// resolve(database.path).
  std::filesystem::path database_path() const { return resolve(database.path); }

  /// Member-wise equality.
  bool operator==(const config&) const = default;
};

/// Location of the config file inside a project root: `<root>/.patina/config.toml`.
std::filesystem::path config_file_path(const std::filesystem::path& root);

/// The nearest directory at or above `start` (made absolute against the working
/// directory) that contains `.patina/config.toml` as a regular file. Returns that
/// directory, absolute and lexically normal.
/// Fails with errc::not_found (naming `start` and saying to run `patina init`) if no
/// directory up to the filesystem root has one, errc::io_error if `start` cannot be
/// made absolute.
result<std::filesystem::path> find_project_root(const std::filesystem::path& start);

/// Reads and validates a config file. Keys missing from the file keep their defaults.
/// `root` of the result is the directory containing the file's `.patina` directory
/// (or the file's own directory if it is not inside one named `.patina`), absolute.
/// Environment overrides are not applied (see apply_env_overrides).
/// Fails with:
///   errc::not_found     the file does not exist;
///   errc::io_error      it cannot be read;
///   errc::config_error  a TOML syntax error (message names the file, line and column;
///                       the parser's description is in `detail`), an unknown section or
///                       key, a value of the wrong type, a value not among the allowed
///                       ones, or out of range. The message names the key (for example
///                       `embeddings.engine`), the file and line, and what is allowed;
///                       the offending value, if shown at all, is in `detail`.
result<config> load_config(const std::filesystem::path& file);

/// Overrides `cfg` from the environment; variables unset or empty change nothing:
///   PATINA_DB           database.path (relative to the working directory, stored absolute)
///   PATINA_TURSO_URL    turso.url (the mode is left as configured)
///   PATINA_TURSO_TOKEN  turso_token
void apply_env_overrides(config& cfg);

/// find_project_root(start), then load_config on its config file, then
/// apply_env_overrides: what a command does before touching the project.
/// Fails as those do.
result<config> load_project_config(const std::filesystem::path& start);

/// The TOML text of `cfg` with a comment on every key, as `patina init` writes it.
/// Unset optional entries are written commented out. `root` and `turso_token` are
/// never written. load_config of this text gives back `cfg` (with the file's root).
std::string config_text(const config& cfg);

/// config_text(config{}): the file `patina init` writes by default.
std::string default_config_text();

}  // namespace patina
