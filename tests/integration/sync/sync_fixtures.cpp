#include "sync_fixtures.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <stdexcept>
#include <utility>
#include <vector>

#include "patina/build_config.hpp"
#include "turso_server.hpp"

extern char** environ;

namespace patina::test {

namespace fs = std::filesystem;

namespace {

bool send_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string read_until_close(int fd) {
  std::string out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) break;
    out.append(buffer, static_cast<std::size_t>(n));
  }
  return out;
}

// Reads one request: headers, then Content-Length bytes.
std::string read_request(int fd) {
  std::string in;
  char buffer[65536];
  std::size_t need = std::string::npos;
  for (;;) {
    if (need == std::string::npos) {
      const auto end = in.find("\r\n\r\n");
      if (end != std::string::npos) {
        std::size_t length = 0;
        const auto at = in.find("Content-Length:");
        const auto at_lower = in.find("content-length:");
        const auto pos = at != std::string::npos ? at : at_lower;
        if (pos != std::string::npos && pos < end) length = std::stoul(in.substr(pos + 15));
        need = end + 4 + length;
      }
    }
    if (need != std::string::npos && in.size() >= need) return in;
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) return in;
    in.append(buffer, static_cast<std::size_t>(n));
  }
}

std::string route_of(const std::string& request) {
  const auto sp = request.find(' ');
  if (sp == std::string::npos) return {};
  const auto sp2 = request.find(' ', sp + 1);
  return request.substr(sp + 1, sp2 - sp - 1);
}

std::string http_answer(int status, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + (status == 200 ? " OK" : " Internal Server Error") +
         "\r\nContent-Type: text/plain\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

// ---- sync_server ----------------------------------------------------------------------

std::optional<sync_server> sync_server::start(std::string& why_not) {
  const fs::path exe = turso_server::binary();
  if (::access(exe.c_str(), X_OK) != 0) {
    why_not = "tursodb not found at " + exe.string() + " (run scripts/setup or set PATINA_TURSODB)";
    return std::nullopt;
  }
  static std::atomic<int> counter{0};
  sync_server server;
  server.dir_ = fs::temp_directory_path() /
                ("patina-sync-server-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::create_directories(server.dir_);
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (server.launch()) return std::optional<sync_server>(std::move(server));
  }
  throw std::runtime_error("tursodb did not start listening; see tursodb.log in " + server.dir_.string());
}

sync_server::sync_server(sync_server&& other) noexcept
    : dir_(std::exchange(other.dir_, {})), port_(other.port_), pid_(std::exchange(other.pid_, -1)) {}

sync_server::~sync_server() {
  stop(SIGTERM);
  if (!dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
}

bool sync_server::launch() {
  port_ = free_port();
  pid_ = spawn_tursodb(turso_server::binary(), dir_, port_, true);
  if (pid_ < 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return false;
    }
    if (const int fd = connect_to(port_); fd >= 0) {
      ::close(fd);
      return true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  stop(SIGKILL);
  return false;
}

void sync_server::stop(int signal) {
  if (pid_ <= 0) return;
  ::kill(pid_, signal);
  for (int i = 0; i < 200; ++i) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void sync_server::kill() { stop(SIGKILL); }

void sync_server::restart() {
  stop(SIGKILL);
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (launch()) return;
  }
  throw std::runtime_error("tursodb did not restart; see tursodb.log in " + dir_.string());
}

// ---- fault_proxy ----------------------------------------------------------------------

fault_proxy::fault_proxy(std::function<int()> target_port) : target_port_(std::move(target_port)) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    throw std::runtime_error("fault_proxy: cannot listen");
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

fault_proxy::~fault_proxy() {
  stop_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  thread_.join();
  ::close(listen_fd_);
}

void fault_proxy::arm(std::string route, fault f, std::function<void()> hook, std::size_t keep, std::string text,
                      std::string contains) {
  const std::lock_guard lock(mutex_);
  contains_ = std::move(contains);
  armed_route_ = std::move(route);
  armed_ = f;
  hook_ = std::move(hook);
  keep_ = keep;
  text_ = std::move(text);
}

std::size_t fault_proxy::requests_seen() const {
  const std::lock_guard lock(mutex_);
  return seen_;
}

void fault_proxy::serve() {
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 100) <= 0) continue;
    const int client = ::accept(listen_fd_, nullptr, nullptr);
    if (client < 0) continue;
    handle(client);
    ::close(client);
  }
}

void fault_proxy::handle(int client) {
  timeval timeout{};
  timeout.tv_sec = 30;
  ::setsockopt(client, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  const std::string request = read_request(client);
  fault f = fault::none;
  std::function<void()> hook;
  std::size_t keep = 0;
  std::string text;
  {
    const std::lock_guard lock(mutex_);
    ++seen_;
    if (armed_ != fault::none && route_of(request) == armed_route_ &&
        (contains_.empty() || request.find(contains_) != std::string::npos)) {
      f = std::exchange(armed_, fault::none);
      hook = std::exchange(hook_, {});
      keep = keep_;
      text = text_;
    }
  }
  const auto run_hook = [&] {
    if (hook) hook();
  };
  if (f == fault::garbage) {
    const std::string answer = http_answer(200, "\x07\xff\xfe this is not a protocol answer \x01\x02");
    send_all(client, answer.data(), answer.size());
    return;
  }
  if (f == fault::error_status) {
    const std::string answer = http_answer(500, text);
    send_all(client, answer.data(), answer.size());
    return;
  }
  const int server = connect_to(target_port_());
  if (server < 0) return;  // the client sees the connection close without an answer
  if (f == fault::cut_request) {
    send_all(server, request.data(), request.size() / 2);
    run_hook();
    ::close(server);
    return;
  }
  send_all(server, request.data(), request.size());
  if (f == fault::kill_after_answer) {
    char first[1];
    (void)::recv(server, first, sizeof first, MSG_PEEK);
    run_hook();
    ::close(server);
    return;
  }
  const std::string answer = read_until_close(server);
  ::close(server);
  if (f == fault::truncate_answer) {
    const auto body = answer.find("\r\n\r\n");
    const std::size_t cut = body == std::string::npos ? answer.size() / 2 : body + 4 + keep;
    send_all(client, answer.data(), std::min(cut, answer.size()));
    run_hook();
    return;
  }
  send_all(client, answer.data(), answer.size());
}

}  // namespace patina::test
