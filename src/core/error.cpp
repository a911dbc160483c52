#include "patina/core/error.hpp"

#include <utility>

namespace patina {

std::string_view to_string(errc code) noexcept {
  switch (code) {
    case errc::ok: return "ok";
    case errc::invalid_argument: return "invalid_argument";
    case errc::not_found: return "not_found";
    case errc::already_exists: return "already_exists";
    case errc::missing_asset: return "missing_asset";
    case errc::config_error: return "config_error";
    case errc::io_error: return "io_error";
    case errc::not_a_database: return "not_a_database";
    case errc::corrupt_database: return "corrupt_database";
    case errc::schema_too_new: return "schema_too_new";
    case errc::dimension_mismatch: return "dimension_mismatch";
    case errc::parse_error: return "parse_error";
    case errc::sql_error: return "sql_error";
    case errc::busy: return "busy";
    case errc::read_only: return "read_only";
    case errc::transaction_state: return "transaction_state";
    case errc::network_error: return "network_error";
    case errc::protocol_error: return "protocol_error";
    case errc::unsupported: return "unsupported";
    case errc::internal: return "internal";
  }
  return "unknown";
}

bool is_user_error(errc code) noexcept {
  switch (code) {
    case errc::ok:
    case errc::internal:
    case errc::transaction_state:  // a misuse of the API: a bug in the caller
      return false;
    default:
      return true;
  }
}

int exit_code_for(errc code) noexcept {
  if (code == errc::ok) return exit_ok;
  return is_user_error(code) ? exit_user_error : exit_internal_error;
}

std::string error::describe() const {
  if (detail.empty()) return message;
  return message + " (" + detail + ")";
}

exception::exception(error e) : std::runtime_error(e.describe()), error_(std::move(e)) {}

exception::exception(errc code, std::string message, std::string detail)
    : exception(error{code, std::move(message), std::move(detail)}) {}

}  // namespace patina
