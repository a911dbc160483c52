#include "fake_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <utility>

namespace patina::test {

namespace fs = std::filesystem;

namespace {

int counter() {
  static std::atomic<int> n{0};
  return n++;
}

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("tls_identity: ") + what);
}

}  // namespace

tls_identity tls_identity::make(const std::string& common_name, const std::string& subject_alt_names) {
  tls_identity id;
  id.dir = fs::temp_directory_path() /
           ("patina-tls-" + std::to_string(::getpid()) + "-" + std::to_string(counter()));
  fs::create_directories(id.dir);
  id.cert = id.dir / "cert.pem";
  id.key = id.dir / "key.pem";

  EVP_PKEY* key = EVP_EC_gen("P-256");
  check(key != nullptr, "EVP_EC_gen");
  X509* x = X509_new();
  check(x != nullptr, "X509_new");
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(common_name.c_str()),
                             -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san = X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, subject_alt_names.c_str());
  check(san != nullptr, "subjectAltName");
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  X509_EXTENSION* ca = X509V3_EXT_conf_nid(nullptr, &ctx, NID_basic_constraints, "critical,CA:TRUE");
  check(ca != nullptr, "basicConstraints");
  X509_add_ext(x, ca, -1);
  X509_EXTENSION_free(ca);
  check(X509_sign(x, key, EVP_sha256()) > 0, "X509_sign");

  FILE* f = std::fopen(id.cert.c_str(), "w");
  check(f != nullptr && PEM_write_X509(f, x) == 1, "write cert");
  std::fclose(f);
  f = std::fopen(id.key.c_str(), "w");
  check(f != nullptr && PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1, "write key");
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
  return id;
}

tls_identity::tls_identity(tls_identity&& o) noexcept
    : dir(std::exchange(o.dir, {})), cert(std::move(o.cert)), key(std::move(o.key)) {}

tls_identity::~tls_identity() {
  if (dir.empty()) return;
  std::error_code ignored;
  fs::remove_all(dir, ignored);
}

std::string fake_server::http_response(int status, const std::string& body, const std::string& content_type) {
  return "HTTP/1.1 " + std::to_string(status) + " Whatever\r\nContent-Type: " + content_type +
         "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
}

fake_server::fake_server(responder respond, const tls_identity* tls) : respond_(std::move(respond)) {
  if (tls) {
    SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx || SSL_CTX_use_certificate_file(ctx, tls->cert.c_str(), SSL_FILETYPE_PEM) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx, tls->key.c_str(), SSL_FILETYPE_PEM) != 1) {
      throw std::runtime_error("fake_server: cannot load the TLS identity");
    }
    tls_ctx_ = ctx;
    tls_ = true;
  }
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listen_fd_, 16) != 0 || ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("fake_server: cannot listen on loopback");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

fake_server::~fake_server() {
  stop_ = true;
  thread_.join();
  for (const int fd : stalled_) ::close(fd);
  ::close(listen_fd_);
  if (tls_ctx_) SSL_CTX_free(static_cast<SSL_CTX*>(tls_ctx_));
}

std::string fake_server::url(const std::string& host) const {
  return std::string(tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
}

std::vector<std::string> fake_server::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::vector<std::string> fake_server::sni() const {
  std::lock_guard lock(mutex_);
  return sni_;
}

void fake_server::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 50) <= 0) continue;
    const int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    handle(fd);
  }
}

void fake_server::handle(int fd) {
  SSL* ssl = nullptr;
  const auto finish = [&] {
    if (ssl) SSL_free(ssl);
    ::close(fd);
  };
  timeval timeout{};
  timeout.tv_sec = 5;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (tls_) {
    ssl = SSL_new(static_cast<SSL_CTX*>(tls_ctx_));
    SSL_set_fd(ssl, fd);
    if (SSL_accept(ssl) != 1) {  // e.g. the client rejected our certificate
      ERR_clear_error();
      finish();
      return;
    }
    const char* server_name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    std::lock_guard lock(mutex_);
    sni_.push_back(server_name ? server_name : "");
  }
  const auto receive = [&](char* buf, int size) -> int {
    return ssl ? SSL_read(ssl, buf, size) : static_cast<int>(::recv(fd, buf, static_cast<std::size_t>(size), 0));
  };
  std::string request;
  char buf[4096];
  std::size_t needed = std::string::npos;
  while (request.size() < needed) {
    const int n = receive(buf, sizeof buf);
    if (n <= 0) break;
    request.append(buf, static_cast<std::size_t>(n));
    const auto end = request.find("\r\n\r\n");
    if (end != std::string::npos && needed == std::string::npos) {
      std::size_t length = 0;
      const auto at = request.find("Content-Length: ");
      if (at != std::string::npos && at < end) length = std::stoul(request.substr(at + 16));
      needed = end + 4 + length;
    }
  }
  {
    std::lock_guard lock(mutex_);
    requests_.push_back(request);
  }
  const fake_reply answer = respond_(request);
  std::size_t sent = 0;
  while (sent < answer.bytes.size()) {
    const auto* data = answer.bytes.data() + sent;
    const std::size_t left = answer.bytes.size() - sent;
    const int n = ssl ? SSL_write(ssl, data, static_cast<int>(left))
                      : static_cast<int>(::send(fd, data, left, MSG_NOSIGNAL));
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  if (answer.then_stall) {
    if (ssl) SSL_free(ssl);  // leaves the socket open
    std::lock_guard lock(mutex_);
    stalled_.push_back(fd);  // closed by the destructor
    return;
  }
  if (ssl) SSL_shutdown(ssl);
  finish();
}

}  // namespace patina::test
