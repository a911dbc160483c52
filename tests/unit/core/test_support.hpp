// Helpers shared by the core tests: a temporary directory and an environment
// variable that is restored when the test ends.
#pragma once

#include <stdlib.h>  // setenv, unsetenv (POSIX)

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>

#include "temp_dir.hpp"

namespace patina::test {

// A fresh directory under the system temp dir, removed with its contents at scope end.
using patina::test::temp_dir;

inline void write_file(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::binary);
  out << text;
}

// Sets (or, with nullopt, unsets) an environment variable; restores it at scope end.
class scoped_env {
 public:
  scoped_env(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str()); old != nullptr) old_ = old;
    if (value) {
      setenv(name_.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;
  ~scoped_env() {
    if (old_) {
      setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }

 private:
  std::string name_;
  std::optional<std::string> old_;
};

// Changes the working directory; restores it at scope end.
class scoped_cwd {
 public:
  explicit scoped_cwd(const std::filesystem::path& dir) : old_(std::filesystem::current_path()) {
    std::filesystem::current_path(dir);
  }
  scoped_cwd(const scoped_cwd&) = delete;
  scoped_cwd& operator=(const scoped_cwd&) = delete;
  ~scoped_cwd() {
    std::error_code ec;
    std::filesystem::current_path(old_, ec);
  }

 private:
  std::filesystem::path old_;
};

}  // namespace patina::test
