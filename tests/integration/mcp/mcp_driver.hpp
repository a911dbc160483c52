// Test helper: runs `patina mcp` as a child process and talks to it line by
// line — write a request, read the answer — the way an MCP client does.
// stderr goes to a file, so the child never blocks on it and tests can read
// the log. Every line read from stdout must be JSON (the protocol stream may
// carry nothing else); a line that is not fails the test.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/types.h>

namespace patina::test {

struct mcp_driver_options {
  std::filesystem::path cwd;
  std::map<std::string, std::string> env;
  std::vector<std::string> unset_env;
  std::filesystem::path stdin_file;  // when set, the child's stdin is this file instead of a pipe
};

class mcp_driver {
 public:
  // Starts argv[0] with argv[1..]. Throws std::runtime_error when it cannot.
  mcp_driver(const std::vector<std::string>& argv, const mcp_driver_options& options);
  ~mcp_driver();  // kills the child if it is still running
  mcp_driver(const mcp_driver&) = delete;
  mcp_driver& operator=(const mcp_driver&) = delete;

  // Writes `line` and a newline (line may be anything, even invalid JSON).
  void send(std::string_view line);
  void send_json(const nlohmann::json& message) { send(message.dump()); }
  // Writes raw bytes, no newline added.
  void send_raw(std::string_view bytes);
  // Closes the child's stdin: end of input.
  void close_stdin();

  // The next line the child wrote to stdout, parsed; nothing on timeout or when
  // stdout ended.
  std::optional<nlohmann::json> read(std::chrono::milliseconds timeout = std::chrono::seconds(60));

  // Sends a request and returns its response (the next message with its id;
  // other messages read meanwhile are kept for read_pending()).
  nlohmann::json request(const nlohmann::json& id, const std::string& method,
                         const nlohmann::json& params = nullptr);
  nlohmann::json call_tool(const nlohmann::json& id, const std::string& tool, const nlohmann::json& arguments);

  // Messages read by request() that were not its answer.
  std::vector<nlohmann::json> take_pending();

  // Waits for the child to exit; its exit code (128 + signal when killed), or
  // nothing on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout = std::chrono::seconds(60));
  // Everything the child wrote to stderr so far.
  std::string log() const;

 private:
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  pid_t pid_ = -1;
  int in_fd_ = -1;
  int out_fd_ = -1;
  std::string out_buffer_;
  bool out_ended_ = false;
  std::filesystem::path log_path_;
  std::vector<nlohmann::json> pending_;
  std::optional<int> exit_code_;
};

}  // namespace patina::test
