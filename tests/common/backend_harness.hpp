// Test helper: runs one test body over this build's backend. In the Turso build
// the body is a coroutine driven to completion on a test io_context; in the
// SQLite build it is a plain call. Test bodies are written once with
// PATINA_AWAIT / PATINA_RETURN (src/cli/maybe_async.hpp).
#pragma once

#include <exception>
#include <filesystem>
#include <random>
#include <string>

#include "maybe_async.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "patina/db/turso_database.hpp"
#else
#include "patina/db/sqlite_database.hpp"
#endif

// gtest's ASSERT_* expand to `return;`, which a coroutine cannot use. In test
// bodies run by harness::run, use these: they record the failure and leave the
// body (PATINA_RETURN is `return` or `co_return`).
#define PATINA_ASSERT_TRUE(cond)                           \
  if (!(cond)) {                                           \
    ADD_FAILURE() << "assertion failed: " #cond;           \
    PATINA_RETURN;                                         \
  }
#define PATINA_ASSERT_EQ(a, b)                                                          \
  if (!((a) == (b))) {                                                                  \
    ADD_FAILURE() << "assertion failed: " #a " == " #b " (" << (a) << " vs " << (b) << ")"; \
    PATINA_RETURN;                                                                      \
  }

namespace patina::test {

#if defined(PATINA_BACKEND_TURSO)
using database = db::TursoDatabase;
#else
using database = db::SqliteDatabase;
#endif

// A fresh directory under the system temp dir, removed with the object.
class scratch_dir {
 public:
  scratch_dir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("patina-test-" + std::to_string(rd()) + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~scratch_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class harness {
 public:
  // Runs `body(*this)` to completion; rethrows what it throws.
  template <class F>
  void run(F&& body) {
#if defined(PATINA_BACKEND_TURSO)
    std::exception_ptr failure;
    bool done = false;
    boost::asio::co_spawn(io_, body(*this), [&](std::exception_ptr e) {
      failure = e;
      done = true;
    });
    io_.run();
    io_.restart();
    if (failure) std::rethrow_exception(failure);
    if (!done) throw std::runtime_error("test body did not complete");
#else
    body(*this);
#endif
  }

  cli::task<database> open(const std::filesystem::path& path) {
#if defined(PATINA_BACKEND_TURSO)
    auto db = co_await database::open(io_.get_executor(), path);
    co_return db;
#else
    return database::open(path);
#endif
  }

  std::filesystem::path db_path(const std::string& name = "test.db") const { return dir_.path() / name; }

 private:
#if defined(PATINA_BACKEND_TURSO)
  boost::asio::io_context io_;
#endif
  scratch_dir dir_;
};

}  // namespace patina::test
