// Test fixture: a real Turso server (`tursodb FILE --sync-server 127.0.0.1:PORT`) on
// a free loopback port, stopped by its pid, plus a minimal HTTP/1.1 client for its
// `POST /v2/pipeline` route (plain POSIX sockets; the server closes every connection
// after one response and reads bodies by Content-Length only).
//
// The binary is $PATINA_TURSODB, else deps/tursodb/tursodb recorded at build time.
// `start` returns nullopt with a reason when the binary is absent, so that tests can
// skip loudly.
//
// Thread safety: one fixture per test; not shared between threads.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "patina/build_config.hpp"

extern char** environ;

namespace patina::test {

// The kernel's choice for port 0 is free now; the server binds it right after.
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    if (fd >= 0) ::close(fd);
    throw std::runtime_error("cannot find a free loopback port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

// A connection to 127.0.0.1:port with a 30 s read timeout, or -1.
inline int connect_to(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  timeval timeout{};
  timeout.tv_sec = 30;
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Starts `exe DIR/server.db --sync-server 127.0.0.1:PORT` with its output in
// DIR/tursodb.log (appended to when `append_log`, e.g. across restarts); returns its
// pid, or -1 when it could not be spawned. Does not wait for it to listen.
inline pid_t spawn_tursodb(const std::filesystem::path& exe, const std::filesystem::path& dir, int port,
                           bool append_log) {
  const std::string db = (dir / "server.db").string();
  const std::string listen = "127.0.0.1:" + std::to_string(port);
  const std::string log = (dir / "tursodb.log").string();
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | (append_log ? O_APPEND : O_TRUNC), 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  std::string exe_text = exe.string();
  std::string flag = "--sync-server";
  std::vector<char*> argv{exe_text.data(), const_cast<char*>(db.c_str()), flag.data(),
                          const_cast<char*>(listen.c_str()), nullptr};
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, exe_text.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

class turso_server {
 public:
  static std::filesystem::path binary() {
    if (const char* env = std::getenv("PATINA_TURSODB")) return env;
    return std::filesystem::path(PATINA_DEPS_DIR) / "tursodb" / "tursodb";
  }

  // Starts a server on a new database file in a fresh temporary folder. nullopt (with
  // `why_not` set) if the binary is missing; throws if it is present but does not come up.
  static std::optional<turso_server> start(std::string& why_not) {
    const auto exe = binary();
    if (::access(exe.c_str(), X_OK) != 0) {
      why_not = "tursodb not found at " + exe.string() + " (run scripts/setup or set PATINA_TURSODB)";
      return std::nullopt;
    }
    constexpr int attempts = 3;
    for (int attempt = 0; attempt < attempts; ++attempt) {
      turso_server server(exe);
      if (server.wait_until_listening()) return server;
    }
    throw std::runtime_error("tursodb did not start listening; see its log in the temp folder");
  }

  turso_server(turso_server&& other) noexcept
      : dir_(std::exchange(other.dir_, {})), port_(other.port_), pid_(std::exchange(other.pid_, -1)) {}
  turso_server& operator=(turso_server&&) = delete;
  turso_server(const turso_server&) = delete;
  turso_server& operator=(const turso_server&) = delete;

  ~turso_server() {
    stop();
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
    }
  }

  int port() const noexcept { return port_; }
  pid_t pid() const noexcept { return pid_; }
  // False once the server process has exited (e.g. crashed).
  bool running() {
    if (pid_ <= 0) return false;
    if (!exited()) return true;
    pid_ = -1;
    return false;
  }

  // Sends `{"requests": [...]}` and returns the parsed JSON response.
  nlohmann::json pipeline(const nlohmann::json& requests) const {
    const std::string body = nlohmann::json{{"requests", requests}}.dump();
    const std::string response = post("/v2/pipeline", body);
    return nlohmann::json::parse(response);
  }

  // One `execute` request per statement, in one pipeline.
  nlohmann::json execute_all(const std::vector<std::string>& sqls) const {
    nlohmann::json requests = nlohmann::json::array();
    for (const auto& sql : sqls) {
      requests.push_back({{"type", "execute"}, {"stmt", {{"sql", sql}}}});
    }
    return pipeline(requests);
  }

  // POST `body`; returns the response body, throws on a transport error or non-200.
  std::string post(const std::string& target, const std::string& body) const {
    const int fd = connect_to(port_);
    if (fd < 0) throw std::runtime_error("cannot connect to tursodb on port " + std::to_string(port_));
    std::string request = "POST " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) +
                          "\r\nContent-Type: application/json\r\nContent-Length: " +
                          std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    std::size_t sent = 0;
    while (sent < request.size()) {
      const ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) {
        ::close(fd);
        throw std::runtime_error("sending to tursodb failed");
      }
      sent += static_cast<std::size_t>(n);
    }
    std::string response;
    char buffer[8192];
    for (;;) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n < 0) {
        ::close(fd);
        throw std::runtime_error("reading from tursodb failed (timeout?)");
      }
      if (n == 0) break;
      response.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const auto header_end = response.find("\r\n\r\n");
    if (header_end == std::string::npos) {
      throw std::runtime_error("tursodb closed the connection without a response (did it crash?)");
    }
    const std::string status_line = response.substr(0, response.find("\r\n"));
    if (status_line.find(" 200 ") == std::string::npos) {
      throw std::runtime_error("tursodb answered " + status_line + ": " + response.substr(header_end + 4));
    }
    return response.substr(header_end + 4);
  }

 private:
  explicit turso_server(const std::filesystem::path& exe) {
    dir_ = std::filesystem::temp_directory_path() /
           ("patina-tursodb-" + std::to_string(::getpid()) + "-" + std::to_string(counter()++));
    std::filesystem::create_directories(dir_);
    port_ = free_port();
    pid_ = spawn_tursodb(exe, dir_, port_, false);
  }

  static int& counter() {
    static int n = 0;
    return n;
  }


  bool exited() const {
    int status = 0;  // reaps the child if it has exited
    return ::waitpid(pid_, &status, WNOHANG) == pid_;
  }

  bool wait_until_listening() {
    if (pid_ <= 0) return false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (std::chrono::steady_clock::now() < deadline) {
      if (exited()) {
        pid_ = -1;
        return false;
      }
      if (const int fd = connect_to(port_); fd >= 0) {
        ::close(fd);
        return true;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    return false;
  }

  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 100; ++i) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace patina::test
