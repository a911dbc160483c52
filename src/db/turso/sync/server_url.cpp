#include "db/turso/sync/server_url.hpp"

#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <charconv>

namespace patina::db::turso::sync {

namespace {

constexpr std::string_view url_fix =
    "; give the server as http://HOST:PORT, https://HOST or libsql://HOST (token in PATINA_TURSO_TOKEN)";

failure bad_url(std::string_view what) {
  return fail(errc::invalid_argument, "the Turso server URL " + std::string(what) + std::string(url_fix));
}

bool is_ipv6(const server_endpoint& e) { return e.host.find(':') != std::string::npos; }

}  // namespace

std::string server_endpoint::authority() const {
  std::string h = is_ipv6(*this) ? "[" + host + "]" : host;
  return h + ":" + std::to_string(port);
}

std::string server_endpoint::host_header() const {
  const std::uint16_t default_port = tls ? 443 : 80;
  if (port == default_port) return is_ipv6(*this) ? "[" + host + "]" : host;
  return authority();
}

std::string server_endpoint::target(std::string_view route) const { return base_path + std::string(route); }

result<server_endpoint> parse_server_url(std::string_view url) {
  if (url.empty()) return bad_url("is empty");
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed) return bad_url("is not a valid absolute URL");
  const boost::urls::url_view u = *parsed;

  server_endpoint e;
  const std::string scheme = u.scheme();
  if (scheme == "http") {
    e.tls = false;
  } else if (scheme == "https" || scheme == "libsql") {
    e.tls = true;
  } else {
    return bad_url("has an unsupported scheme (only http, https and libsql work)");
  }
  if (u.has_userinfo()) return bad_url("must not contain user info (user:password@)");
  if (u.has_query()) return bad_url("must not contain a query string ('?…')");
  if (u.has_fragment()) return bad_url("must not contain a fragment ('#…')");

  switch (u.host_type()) {
    case boost::urls::host_type::name:
    case boost::urls::host_type::ipv4:
      e.host = u.host();
      break;
    case boost::urls::host_type::ipv6:
      e.host = u.host_address();
      break;
    default:
      return bad_url("has no usable host");
  }
  if (e.host.empty()) return bad_url("has no host");

  e.port = e.tls ? 443 : 80;
  if (u.has_port()) {
    const auto text = u.port();
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || value == 0 || value > 65535) {
      return bad_url("has an invalid port");
    }
    e.port = static_cast<std::uint16_t>(value);
  }

  std::string path(u.encoded_path());
  while (!path.empty() && path.back() == '/') path.pop_back();
  e.base_path = std::move(path);
  return e;
}

}  // namespace patina::db::turso::sync
