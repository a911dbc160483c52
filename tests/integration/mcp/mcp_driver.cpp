#include "mcp_driver.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

namespace patina::test {

namespace {
void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}
}  // namespace

mcp_driver::mcp_driver(const std::vector<std::string>& argv, const mcp_driver_options& options) {
  if (argv.empty()) throw std::invalid_argument("mcp_driver: empty argv");
  std::random_device rd;
  log_path_ = std::filesystem::temp_directory_path() /
              ("patina-mcp-log-" + std::to_string(rd()) + std::to_string(rd()) + ".txt");
  const int log_fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int in_pipe[2] = {-1, -1};
  int out_pipe[2] = {-1, -1};
  if (log_fd < 0 || ::pipe2(out_pipe, O_CLOEXEC) != 0 ||
      (options.stdin_file.empty() && ::pipe2(in_pipe, O_CLOEXEC) != 0)) {
    throw std::runtime_error("mcp_driver: cannot create pipes or the log file");
  }
  int file_in = -1;
  if (!options.stdin_file.empty()) {
    file_in = ::open(options.stdin_file.c_str(), O_RDONLY | O_CLOEXEC);
    if (file_in < 0) throw std::runtime_error("mcp_driver: cannot open " + options.stdin_file.string());
  }
  ::signal(SIGPIPE, SIG_IGN);

  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("mcp_driver: fork failed");
  if (pid_ == 0) {
    ::dup2(file_in >= 0 ? file_in : in_pipe[0], 0);
    ::dup2(out_pipe[1], 1);
    ::dup2(log_fd, 2);
    if (!options.cwd.empty() && ::chdir(options.cwd.c_str()) != 0) _exit(126);
    for (const auto& name : options.unset_env) ::unsetenv(name.c_str());
    for (const auto& [k, v] : options.env) ::setenv(k.c_str(), v.c_str(), 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    _exit(127);
  }
  ::close(log_fd);
  ::close(out_pipe[1]);
  out_fd_ = out_pipe[0];
  if (file_in >= 0) {
    ::close(file_in);
  } else {
    ::close(in_pipe[0]);
    in_fd_ = in_pipe[1];
  }
}

mcp_driver::~mcp_driver() {
  close_fd(in_fd_);
  if (!exit_code_ && pid_ > 0) {
    if (!wait(std::chrono::seconds(10))) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  close_fd(out_fd_);
  std::error_code ec;
  std::filesystem::remove(log_path_, ec);
}

void mcp_driver::send(std::string_view line) {
  std::string framed(line);
  framed.push_back('\n');
  send_raw(framed);
}

void mcp_driver::send_raw(std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(in_fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw std::runtime_error("mcp_driver: the server's stdin is closed");
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void mcp_driver::close_stdin() { close_fd(in_fd_); }

std::optional<std::string> mcp_driver::read_line(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (const auto nl = out_buffer_.find('\n'); nl != std::string::npos) {
      auto line = out_buffer_.substr(0, nl);
      out_buffer_.erase(0, nl + 1);
      return line;
    }
    if (out_ended_) return std::nullopt;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return std::nullopt;
    pollfd p{out_fd_, POLLIN, 0};
    const int ready = ::poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) continue;
    char buf[65536];
    const ssize_t n = ::read(out_fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      out_ended_ = true;
      continue;
    }
    out_buffer_.append(buf, static_cast<std::size_t>(n));
  }
}

std::optional<nlohmann::json> mcp_driver::read(std::chrono::milliseconds timeout) {
  auto line = read_line(timeout);
  if (!line) return std::nullopt;
  auto parsed = nlohmann::json::parse(*line, nullptr, false);
  EXPECT_FALSE(parsed.is_discarded()) << "stdout carried something that is not JSON: " << *line;
  EXPECT_EQ(parsed.value("jsonrpc", ""), "2.0") << *line;
  return parsed;
}

nlohmann::json mcp_driver::request(const nlohmann::json& id, const std::string& method,
                                   const nlohmann::json& params) {
  nlohmann::json r{{"jsonrpc", "2.0"}, {"id", id}, {"method", method}};
  if (!params.is_null()) r["params"] = params;
  send_json(r);
  for (;;) {
    auto m = read();
    if (!m) {
      ADD_FAILURE() << "no response to " << r.dump() << "\nserver log:\n" << log();
      return nullptr;
    }
    if (m->contains("id") && (*m)["id"] == id) return *m;
    pending_.push_back(std::move(*m));
  }
}

nlohmann::json mcp_driver::call_tool(const nlohmann::json& id, const std::string& tool,
                                     const nlohmann::json& arguments) {
  return request(id, "tools/call", nlohmann::json{{"name", tool}, {"arguments", arguments}});
}

std::vector<nlohmann::json> mcp_driver::take_pending() { return std::exchange(pending_, {}); }

std::optional<int> mcp_driver::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    int status = 0;
    const pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      if (WIFEXITED(status)) exit_code_ = WEXITSTATUS(status);
      else if (WIFSIGNALED(status)) exit_code_ = 128 + WTERMSIG(status);
      return exit_code_;
    }
    if (std::chrono::steady_clock::now() > deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

std::string mcp_driver::log() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace patina::test
