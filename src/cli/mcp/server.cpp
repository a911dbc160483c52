#include "server.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "../knowledge.hpp"
#include "mcp/line_reader.hpp"
#include "mcp/session.hpp"
#include "mcp_tools.hpp"
#include "protocol_output.hpp"
#include "tool_definitions.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <fcntl.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#endif

namespace patina::cli {

namespace {

// Size of one read from stdin.
constexpr std::size_t read_chunk_bytes = 64 * 1024;

// Runs one checked tool call to its response line. Expected failures are already
// tool results (mcp_tools::call); what arrives here is a bug or an infrastructure
// failure, answered with -32603 and logged.
task<std::string> answer(const mcp::session& session, mcp_tools& tools, mcp::tool_call call) {
  std::string failure;
  try {
    auto result = PATINA_AWAIT tools.call(call);
    PATINA_RETURN session.complete(call, result);
  } catch (const exception& e) {
    failure = e.get().describe();
  } catch (const std::exception& e) {
    failure = e.what();
  }
  log_line(fmt::format("internal error in tool {}: {}", call.name, failure));
  PATINA_RETURN session.fail(
      call, mcp::rpc_error{mcp::error_code::internal_error,
                           fmt::format("Internal error in tool {}: {}; this is a bug in Patina, please report "
                                       "it with the server's log (stderr)",
                                       call.name, failure),
                           nullptr});
}

// session::handle does not throw by design; if it ever does (a bug, or out of
// memory), the client still gets an answer and the server reads on.
mcp::step handle_safely(mcp::session& session, const mcp::frame& f) {
  try {
    return session.handle(f);
  } catch (const std::exception& e) {
    log_line(fmt::format("internal error while handling a message: {}", e.what()));
    mcp::step s;
    s.reply = mcp::make_error(nullptr, mcp::rpc_error{mcp::error_code::internal_error,
                                                      "Internal error while handling the message; this is a bug in "
                                                      "Patina, please report it with the server's log (stderr)",
                                                      nullptr});
    return s;
  }
}

void log_start(context& ctx) {
  log_line(fmt::format("serving {} (backend {}, embedding model {}) on stdin/stdout", ctx.database_path().string(),
                       backend_name, ctx.engine().engine->model_id()));
}

}  // namespace

#if !defined(PATINA_BACKEND_TURSO)

// --- SQLite build: read, dispatch, write, one message at a time ----------------

task<int> serve_mcp(context& ctx) {
  protocol_output out;
  auto db = ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  prepare_embeddings(ctx, embeddings);
  mcp_tools tools(ctx, db);
  mcp::session session(mcp_server_info(), mcp_tools::definitions());
  log_start(ctx);

  mcp::line_reader reader;
  bool output_open = true;
  auto process = [&](const mcp::frame& f) {
    auto s = handle_safely(session, f);
    if (s.note) log_line(*s.note);
    std::string line;
    if (s.reply) {
      line = std::move(*s.reply);
    } else if (s.call) {
      line = answer(session, tools, std::move(*s.call));
    } else {
      return;
    }
    if (!out.write_line(line)) {
      log_line(fmt::format("cannot write to stdout ({}); the client has gone, stopping", std::strerror(errno)));
      output_open = false;
    }
  };

  std::vector<char> buffer(read_chunk_bytes);
  int read_error = 0;
  for (bool input_open = true; input_open && output_open;) {
    const long n = read_some(STDIN_FILENO, buffer.data(), buffer.size());
    if (n < 0) read_error = errno;
    if (n <= 0) {
      reader.finish();
      input_open = false;
    } else {
      reader.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
    }
    while (output_open) {
      auto f = reader.next();
      if (!f) break;
      process(*f);
    }
  }
  if (read_error != 0) {
    throw exception(errc::io_error, "cannot read the MCP client's messages from stdin", std::strerror(read_error));
  }
  log_line("end of input; stopping");
  return exit_ok;
}

#else

// --- Turso build: one io_context, calls in flight together ---------------------

namespace {

namespace asio = boost::asio;

class async_server {
 public:
  async_server(asio::any_io_executor ex, mcp::session& session, mcp_tools& tools, protocol_output& out)
      : ex_(ex), session_(session), tools_(tools), out_(out), wakeup_(ex) {
    stop_fd_ = ::eventfd(0, EFD_CLOEXEC);
    if (stop_fd_ < 0) throw exception(errc::io_error, "cannot create an eventfd for the MCP server", std::strerror(errno));
    if (writes_without_blocking(out.fd())) {
      const int fd = ::fcntl(out.fd(), F_DUPFD_CLOEXEC, 3);
      if (fd >= 0) pipe_.emplace(ex, fd);
    }
  }

  ~async_server() {
    stop_reading();
    if (reader_.joinable()) reader_.join();
    ::close(stop_fd_);
  }

  async_server(const async_server&) = delete;
  async_server& operator=(const async_server&) = delete;

  // Serves until stdin ends and every message in flight is answered. Returns
  // the errno of a failed read of stdin, 0 otherwise.
  asio::awaitable<int> run() {
    reader_ = std::thread([this] { read_input(); });
    // Every state change below happens on this thread and calls wake(), and
    // the condition is checked again before each wait: no wake-up is lost.
    while (!(input_ended_ && in_flight_ == 0 && !writing_)) {
      wakeup_.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await wakeup_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
    reader_.join();
    co_return input_error_;
  }

 private:
  // One message in flight, from the moment it is read until its response is
  // written (or it needs none); holds one of the reader's slots.
  class ticket {
   public:
    explicit ticket(async_server& s) : server_(&s) { ++s.in_flight_; }
    ticket(ticket&& other) noexcept : server_(std::exchange(other.server_, nullptr)) {}
    ticket& operator=(ticket&&) = delete;
    ~ticket() {
      if (server_ != nullptr) server_->finished();
    }

   private:
    async_server* server_;
  };

  struct pending_write {
    std::string line;  // with its newline
    ticket t;
  };

  // Pipes and sockets are written asynchronously. Anything else (a terminal, a
  // regular file) is written with blocking writes: asynchronous writes would
  // put the descriptor in non-blocking mode, which a terminal shares with
  // stderr, and files never wait anyway. A pipe shared with stderr
  // (`patina mcp 2>&1 | …`) also gets blocking writes, for the same reason.
  static bool writes_without_blocking(int fd) {
    struct stat out {};
    struct stat err {};
    if (::fstat(fd, &out) != 0) return false;
    if (!S_ISFIFO(out.st_mode) && !S_ISSOCK(out.st_mode)) return false;
    if (::fstat(STDERR_FILENO, &err) == 0 && err.st_dev == out.st_dev && err.st_ino == out.st_ino) return false;
    return true;
  }

  void wake() { wakeup_.cancel(); }

  void finished() {
    --in_flight_;
    {
      std::lock_guard lock(slots_mutex_);
      ++free_slots_;
    }
    slot_freed_.notify_one();
    wake();
  }

  // --- reader thread -----------------------------------------------------------

  void stop_reading() {
    {
      std::lock_guard lock(slots_mutex_);
      if (stopping_) return;
      stopping_ = true;
    }
    slot_freed_.notify_all();
    const std::uint64_t one = 1;
    (void)write_all(stop_fd_, std::string_view(reinterpret_cast<const char*>(&one), sizeof one));
  }

  // Waits for a free slot; false when the server is stopping.
  bool acquire_slot() {
    std::unique_lock lock(slots_mutex_);
    slot_freed_.wait(lock, [this] { return free_slots_ > 0 || stopping_; });
    if (stopping_) return false;
    --free_slots_;
    return true;
  }

  // Reads stdin on its own thread, so that any kind of stdin works (an epoll
  // reactor refuses regular files and /dev/null). Each message is posted to the
  // I/O thread; the end of input is posted last, so the server can wait for it
  // before it goes away.
  void read_input() {
    mcp::line_reader reader;
    std::vector<char> buffer(read_chunk_bytes);
    int error = 0;
    bool open = true;
    while (open && !stopping()) {
      pollfd fds[2] = {{STDIN_FILENO, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) {
        if (errno == EINTR) continue;
        error = errno;
        break;
      }
      if ((fds[1].revents & POLLIN) != 0) break;
      const long n = read_some(STDIN_FILENO, buffer.data(), buffer.size());
      if (n < 0) error = errno;
      if (n <= 0) {
        reader.finish();
        open = false;
      } else {
        reader.feed(std::string_view(buffer.data(), static_cast<std::size_t>(n)));
      }
      for (auto f = reader.next(); f; f = reader.next()) {
        if (!acquire_slot()) break;
        asio::post(ex_, [this, f = std::move(*f)]() mutable { on_frame(std::move(f)); });
      }
    }
    asio::post(ex_, [this, error] { on_input_end(error); });
  }

  // --- I/O thread --------------------------------------------------------------

  void on_frame(mcp::frame f) {
    ticket t(*this);
    auto s = handle_safely(session_, f);
    if (s.note) log_line(*s.note);
    if (s.reply) {
      send(std::move(*s.reply), std::move(t));
    } else if (s.call) {
      asio::co_spawn(ex_, run_call(std::move(*s.call), std::move(t)), [](std::exception_ptr e) {
        if (e) log_line("a tool call failed without an answer (out of memory?)");
      });
    }
  }

  void on_input_end(int error) {
    input_ended_ = true;
    input_error_ = error;
    wake();
  }

  asio::awaitable<void> run_call(mcp::tool_call call, ticket t) {
    auto line = co_await answer(session_, tools_, std::move(call));
    send(std::move(line), std::move(t));
  }

  // Queues a response; one writer at a time empties the queue, so responses go
  // out whole and in the order they were completed.
  void send(std::string line, ticket t) {
    line.push_back('\n');
    writes_.push_back(pending_write{std::move(line), std::move(t)});
    if (writing_) return;
    writing_ = true;
    asio::co_spawn(ex_, write_queued(), [this](std::exception_ptr e) {
      if (e) output_failed("out of memory");
    });
  }

  asio::awaitable<void> write_queued() {
    while (!writes_.empty()) {
      auto w = std::move(writes_.front());
      writes_.pop_front();
      if (!output_open_) continue;
      if (pipe_) {
        boost::system::error_code ec;
        co_await asio::async_write(*pipe_, asio::buffer(w.line), asio::redirect_error(asio::use_awaitable, ec));
        if (ec) output_failed(ec.message());
      } else if (!write_all(out_.fd(), w.line)) {
        output_failed(std::strerror(errno));
      }
    }
    writing_ = false;
    wake();
  }

  void output_failed(const std::string& why) {
    if (!output_open_) return;
    output_open_ = false;
    log_line(fmt::format("cannot write to stdout ({}); the client has gone, stopping", why));
    stop_reading();
  }

  asio::any_io_executor ex_;
  mcp::session& session_;
  mcp_tools& tools_;
  protocol_output& out_;
  std::optional<asio::posix::stream_descriptor> pipe_;
  asio::steady_timer wakeup_;

  bool stopping() {
    std::lock_guard lock(slots_mutex_);
    return stopping_;
  }

  // Shared with the reader thread.
  std::mutex slots_mutex_;
  std::condition_variable slot_freed_;
  std::size_t free_slots_ = mcp_max_in_flight;  // guarded by slots_mutex_
  bool stopping_ = false;                       // guarded by slots_mutex_
  int stop_fd_ = -1;
  std::thread reader_;

  // I/O thread only.
  std::size_t in_flight_ = 0;
  bool input_ended_ = false;
  int input_error_ = 0;
  bool writing_ = false;
  bool output_open_ = true;
  std::deque<pending_write> writes_;
};

}  // namespace

task<int> serve_mcp(context& ctx) {
  protocol_output out;
  auto db = co_await ctx.open_database();
  embeddings_db embeddings(db, *ctx.engine().engine);
  co_await prepare_embeddings(ctx, embeddings);
  mcp_tools tools(ctx, db);
  mcp::session session(mcp_server_info(), mcp_tools::definitions());
  log_start(ctx);

  auto ex = co_await asio::this_coro::executor;
  async_server server(ex, session, tools, out);
  const int read_error = co_await server.run();
  if (read_error != 0) {
    throw exception(errc::io_error, "cannot read the MCP client's messages from stdin", std::strerror(read_error));
  }
  log_line("end of input; stopping");
  co_return exit_ok;
}

#endif

}  // namespace patina::cli
