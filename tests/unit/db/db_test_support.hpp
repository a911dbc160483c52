// Helpers for database tests: a scratch folder, file bytes, random vectors.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

namespace patina::db::test {

// A fresh folder under the system temp dir, removed with everything in it.
class scratch_dir {
 public:
  scratch_dir() {
    static int counter = 0;
    path_ = std::filesystem::temp_directory_path() /
            ("patina-db-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  std::filesystem::path file(const std::string& name) const { return path_ / name; }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline std::string read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::filesystem::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Overwrites every page after the first with a deterministic garbage pattern,
// keeping page 1 (header and schema) intact.
inline void scramble_pages_after_first(const std::filesystem::path& p, std::size_t page_size) {
  auto bytes = read_bytes(p);
  std::mt19937 rng(7);
  for (std::size_t i = page_size; i < bytes.size(); ++i) {
    bytes[i] = static_cast<char>(rng() & 0xff);
  }
  write_bytes(p, bytes);
}

// A random vector with components uniform in [-1, 1].
inline std::vector<float> random_vector(std::mt19937& rng, std::size_t dimension) {
  std::uniform_real_distribution<float> dist(-1.0F, 1.0F);
  std::vector<float> v(dimension);
  for (auto& x : v) x = dist(rng);
  return v;
}

// Environment variable set for the scope of a test, then restored.
class scoped_env {
 public:
  scoped_env(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    had_ = std::getenv(name) != nullptr;
    ::setenv(name, value.c_str(), 1);
  }
  ~scoped_env() {
    if (had_) {
      ::setenv(name_, old_.c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  scoped_env(const scoped_env&) = delete;
  scoped_env& operator=(const scoped_env&) = delete;

 private:
  const char* name_;
  std::string old_;
  bool had_ = false;
};

}  // namespace patina::db::test
