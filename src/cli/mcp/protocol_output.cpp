#include "protocol_output.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <fmt/format.h>

#include "patina/core/error.hpp"

namespace patina::cli {

protocol_output::protocol_output() {
  std::cout.flush();
  std::fflush(stdout);
  ::signal(SIGPIPE, SIG_IGN);
  fd_ = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  saved_stdout_ = ::fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3);
  if (fd_ < 0 || saved_stdout_ < 0 || ::dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
    const int err = errno;
    if (fd_ >= 0) ::close(fd_);
    if (saved_stdout_ >= 0) ::close(saved_stdout_);
    throw exception(errc::io_error, "cannot set up stdout for the MCP server; is stdout open?", std::strerror(err));
  }
}

protocol_output::~protocol_output() {
  std::cout.flush();
  std::fflush(stdout);
  ::dup2(saved_stdout_, STDOUT_FILENO);
  ::close(saved_stdout_);
  ::close(fd_);
}

bool protocol_output::write_line(std::string_view line) {
  std::string framed;
  framed.reserve(line.size() + 1);
  framed.append(line);
  framed.push_back('\n');
  return write_all(fd_, framed);
}

bool write_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    const ssize_t n = ::write(fd, bytes.data(), bytes.size());
    if (n > 0) {
      bytes.remove_prefix(static_cast<std::size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd p{fd, POLLOUT, 0};
      if (::poll(&p, 1, -1) < 0 && errno != EINTR) return false;
      continue;
    }
    return false;
  }
  return true;
}

long read_some(int fd, char* buffer, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd, buffer, size);
    if (n >= 0 || errno != EINTR) return static_cast<long>(n);
  }
}

void log_line(std::string_view message) {
  // One write per line, so lines from different threads never interleave.
  const auto text = fmt::format("patina mcp: {}\n", message);
  (void)write_all(STDERR_FILENO, text);
}

}  // namespace patina::cli
