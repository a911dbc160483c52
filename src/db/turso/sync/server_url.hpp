// db/turso/sync/server_url.hpp — where a Turso server lives, parsed from its URL.
//
// Accepted forms: `http://host[:port][/base]`, `https://…`, and `libsql://…`, which
// means `https://…` (the scheme Turso prints for its databases). A trailing `/` is
// dropped; requests go to `<base>/v2/pipeline` and `<base>/pull-updates`. A URL with
// user info, a query or a fragment is refused: credentials belong in the token, and
// the server does not route paths with a query string.
//
// Error messages never repeat the URL itself (it might hold a secret the user pasted
// by mistake); they name what is wrong with it.
//
// Thread safety: value types and a pure function.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "patina/core/result.hpp"

namespace patina::db::turso::sync {

struct server_endpoint {
  bool tls = false;
  std::string host;       // DNS name or IP address, without brackets
  std::uint16_t port = 0; // explicit or the scheme's default
  std::string base_path;  // "" or "/prefix" without a trailing '/'

  // "host:port" ("[::1]:port" for IPv6), for messages and the Host header.
  std::string authority() const;
  // The Host header value: the authority, without the port when it is the default.
  std::string host_header() const;
  // base_path + route, e.g. "/v2/pipeline".
  std::string target(std::string_view route) const;
};

// Errors: invalid_argument (empty, not a URL, unknown scheme, no host, bad port,
// user info, query or fragment present).
result<server_endpoint> parse_server_url(std::string_view url);

}  // namespace patina::db::turso::sync
