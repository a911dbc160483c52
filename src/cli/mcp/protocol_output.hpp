// File-descriptor plumbing of `patina mcp`: stdout reserved for protocol
// messages, and blocking reads of stdin. POSIX only; no Boost.
#pragma once

#include <cstddef>
#include <string_view>

namespace patina::cli {

// Takes stdout for protocol messages. The constructor moves the process's
// stdout to a private descriptor and points fd 1 at stderr, so that nothing else
// in the process (a library's printf, a stray std::cout) can corrupt the
// protocol stream; the destructor puts stdout back. It also ignores SIGPIPE, so
// that a client that went away shows up as a failed write, not a dead process.
// Throws patina::exception (io_error) when the descriptors cannot be set up.
//
// Thread safety: write_line() may be called from one thread at a time.
class protocol_output {
 public:
  protocol_output();
  ~protocol_output();
  protocol_output(const protocol_output&) = delete;
  protocol_output& operator=(const protocol_output&) = delete;

  // The private descriptor that carries protocol messages.
  int fd() const noexcept { return fd_; }

  // Writes `line` and a newline, all of it, blocking as needed (also when the
  // descriptor is non-blocking). False when the client no longer reads (EPIPE)
  // or the write failed otherwise; errno tells which.
  bool write_line(std::string_view line);

 private:
  int fd_ = -1;
  int saved_stdout_ = -1;
};

// Writes all of `bytes` to `fd`, waiting with poll() when it is non-blocking.
// False on failure (errno set).
bool write_all(int fd, std::string_view bytes);

// read(2) that retries on EINTR: > 0 bytes read, 0 at end of input, < 0 on
// failure (errno set).
long read_some(int fd, char* buffer, std::size_t size);

// Writes one line to stderr as "patina mcp: <message>".
void log_line(std::string_view message);

}  // namespace patina::cli
