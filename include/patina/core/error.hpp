/// @file
/// patina/core/error.hpp — the project's error codes, error value and exception.
///
/// Every failure in Patina carries an `errc` (what kind of failure, for programs)
/// and a message (what went wrong and how to fix it, for people). Details that came
/// from outside — a server's text, a line of a file, SQLite's own message — are kept
/// apart in `detail`, so callers can show or log them separately. Secrets (tokens)
/// never appear in either.
///
/// Expected failures are returned as `result<T>` (patina/core/result.hpp);
/// infrastructure failures are thrown as `patina::exception`. The CLI's main is the
/// only place that turns either into a message and an exit code (`exit_code_for`).
///
/// Thread safety: all types here are values; distinct objects may be used from
/// different threads freely.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace patina {

/// What kind of failure happened: for programs to branch on (the message is for people).
enum class errc {
  ok = 0,
  invalid_argument,    ///< bad input from the user (text, numbers, flags)
  not_found,           ///< a named thing (file, item, project) does not exist
  already_exists,      ///< refusing to overwrite something that exists
  missing_asset,       ///< vec0.so, model weights, tursodb: run scripts/setup
  config_error,        ///< .patina/config.toml is malformed, has an unknown key or wrong type
  io_error,            ///< the filesystem refused (permissions, disk full)
  not_a_database,      ///< the file is not a SQLite database
  corrupt_database,    ///< the database failed an integrity check
  schema_too_new,      ///< written by a newer Patina; upgrade Patina
  dimension_mismatch,  ///< a vector's dimension differs from the table's
  parse_error,         ///< malformed vector text, blob or document
  sql_error,           ///< a statement the user gave failed
  busy,                ///< the database stayed locked past the busy timeout
  read_only,           ///< a write was attempted through a read-only path
  transaction_state,   ///< commit/rollback on a finished transaction
  network_error,       ///< connection refused, timeout, TLS failure
  protocol_error,      ///< a server answered something we do not understand
  unsupported,         ///< the feature needs the other backend or a newer server
  internal,            ///< a bug in Patina
};

/// Stable lower-case name of a code, e.g. "dimension_mismatch".
std::string_view to_string(errc code) noexcept;

/// True for failures caused by input, files or environment the user controls
/// (exit code 1); false for bugs and infrastructure failures (exit code 3).
bool is_user_error(errc code) noexcept;

/// Exit codes of the CLI contract: 0 ok, 1 user error, 2 usage error, 3 internal.
inline constexpr int exit_ok = 0;
inline constexpr int exit_user_error = 1;  ///< Bad input, a missing file or asset.
inline constexpr int exit_usage_error = 2;  ///< A command line that does not parse.
inline constexpr int exit_internal_error = 3;  ///< A bug or an infrastructure failure.
/// The CLI exit code for a failure with `code`: exit_user_error when
/// is_user_error(code), else exit_internal_error; exit_ok for errc::ok.
int exit_code_for(errc code) noexcept;

/// An error value: code, message for people, and outside detail.
struct error {
  errc code = errc::ok;  ///< What kind of failure.
  std::string message;  ///< what happened and what to do about it
  std::string detail;   ///< text that came from outside (server, SQLite, file), may be empty

  /// "message (detail)" or just the message.
  std::string describe() const;
};

/// The one exception type. Thrown for infrastructure failures and by the throwing
/// wrappers around non-throwing primary forms.
class exception : public std::runtime_error {
 public:
  /// An exception carrying `e`; what() is e.describe().
  explicit exception(error e);
  /// An exception carrying error{code, message, detail}.
  exception(errc code, std::string message, std::string detail = {});

  /// The kind of failure.
  errc code() const noexcept { return error_.code; }
  /// The whole error: code, message and detail.
  const error& get() const noexcept { return error_; }

 private:
  error error_;
};

}  // namespace patina
