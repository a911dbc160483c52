// Test helper: a scripted HTTP server on a free loopback port (plain POSIX sockets,
// optionally TLS through OpenSSL), for the failure modes a real server rarely shows:
// garbage, truncated bodies, error statuses, stalls.
//
// Each connection: the request is read (headers, then Content-Length bytes), recorded,
// and handed to `respond`, whose reply bytes are sent verbatim; then the connection is
// closed, or, for a reply with `then_stall`, kept open and silent until the server is
// destroyed.
//
// Thread safety: the server runs on its own thread; `requests()` and `sni()` may be
// called from the test thread at any time.
#pragma once

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace patina::test {

// A self-signed certificate (EC P-256) and its key, as PEM files in a temp folder.
struct tls_identity {
  std::filesystem::path dir;
  std::filesystem::path cert;
  std::filesystem::path key;
  // subject_alt_names like "DNS:localhost" or "IP:127.0.0.1".
  static tls_identity make(const std::string& common_name, const std::string& subject_alt_names);
  ~tls_identity();
  tls_identity() = default;
  tls_identity(tls_identity&& o) noexcept;
  tls_identity& operator=(tls_identity&&) = delete;
};

struct fake_reply {
  fake_reply(std::string b = {}, bool stall = false) : bytes(std::move(b)), then_stall(stall) {}  // NOLINT
  fake_reply(const char* b) : bytes(b) {}  // NOLINT
  std::string bytes;
  bool then_stall = false;
};

class fake_server {
 public:
  using responder = std::function<fake_reply(const std::string& request)>;
  static fake_reply stall(std::string first_bytes = {}) { return fake_reply(std::move(first_bytes), true); }

  explicit fake_server(responder respond, const tls_identity* tls = nullptr);
  ~fake_server();
  fake_server(const fake_server&) = delete;
  fake_server& operator=(const fake_server&) = delete;

  int port() const noexcept { return port_; }
  std::string url(const std::string& host = "127.0.0.1") const;
  std::vector<std::string> requests() const;
  std::vector<std::string> sni() const;  // server names the TLS clients sent

  // A complete HTTP/1.1 response with Content-Length.
  static std::string http_response(int status, const std::string& body,
                                   const std::string& content_type = "application/json");

 private:
  void serve();
  void handle(int fd);

  responder respond_;
  void* tls_ctx_ = nullptr;  // SSL_CTX*
  bool tls_ = false;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<std::string> requests_;
  std::vector<std::string> sni_;
  std::vector<int> stalled_;
  std::thread thread_;
};

}  // namespace patina::test
