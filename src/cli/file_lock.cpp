#include "file_lock.hpp"

#include <cerrno>

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace patina::cli {

namespace {

int lock_interruptibly(int fd, int operation) {
  int rc = 0;
  do {
    rc = ::flock(fd, operation);
  } while (rc != 0 && errno == EINTR);
  return rc;
}

}  // namespace

std::optional<file_lock> file_lock::acquire(const std::filesystem::path& file, const std::function<void()>& on_wait) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return std::nullopt;
  file_lock lock(fd);
  if (lock_interruptibly(fd, LOCK_EX | LOCK_NB) == 0) return lock;
  if (errno != EWOULDBLOCK) return std::nullopt;
  if (on_wait) on_wait();
  if (lock_interruptibly(fd, LOCK_EX) != 0) return std::nullopt;
  return lock;
}

file_lock::file_lock(file_lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

file_lock::~file_lock() {
  if (fd_ >= 0) ::close(fd_);  // closing the only descriptor releases the lock
}

}  // namespace patina::cli
