// Test helpers for replica tests: a tursodb that can be killed and restarted on the
// same database file, and a loopback proxy in front of it that injects faults on
// the next request to a route (cut the request, kill the server mid-answer,
// truncate the answer, answer garbage).
//
// Thread safety: a sync_server is used by the test thread; a fault_proxy serves on
// its own thread, and arm()/port() may be called from the test thread at any time.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace patina::test {

class sync_server {
 public:
  // A server on a new database in a fresh temporary folder; nullopt (why_not set)
  // when the binary is missing.
  static std::optional<sync_server> start(std::string& why_not);
  sync_server(sync_server&& other) noexcept;
  sync_server& operator=(sync_server&&) = delete;
  ~sync_server();

  // SIGKILL, as a crash.
  void kill();
  // Starts it again on the same database file (on a new port).
  void restart();

  int port() const noexcept { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  const std::filesystem::path& dir() const noexcept { return dir_; }

 private:
  sync_server() = default;
  bool launch();
  void stop(int signal);

  std::filesystem::path dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

class fault_proxy {
 public:
  enum class fault {
    none,
    cut_request,           // send half of the request to the server, then run the hook and hang up
    kill_after_answer,     // send the request, wait for the answer to start, run the hook, hang up
    truncate_answer,       // relay the answer cut to `keep` body bytes, then run the hook and hang up
    garbage,               // answer 200 with a body that is no protocol at all
    error_status,          // answer 500 with `text` as the body
  };

  // Forwards to 127.0.0.1:target_port() (read per connection).
  explicit fault_proxy(std::function<int()> target_port);
  ~fault_proxy();
  fault_proxy(const fault_proxy&) = delete;
  fault_proxy& operator=(const fault_proxy&) = delete;

  // The next request whose path is `route` (and whose text holds `contains`, if
  // given) gets `f`, once.
  void arm(std::string route, fault f, std::function<void()> hook = {}, std::size_t keep = 0, std::string text = {},
           std::string contains = {});
  int port() const noexcept { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  // Requests seen (whole request text), in order.
  std::size_t requests_seen() const;

 private:
  void serve();
  void handle(int client);

  std::function<int()> target_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::string armed_route_;
  fault armed_ = fault::none;
  std::function<void()> hook_;
  std::size_t keep_ = 0;
  std::string text_;
  std::string contains_;
  std::size_t seen_ = 0;
  std::thread thread_;
};

}  // namespace patina::test
