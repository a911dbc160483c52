// Test helper: runs a program as a subprocess and captures what it prints.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace patina::test {

struct process_result {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out;
  std::string err;
};

struct process_options {
  std::filesystem::path cwd;                  // empty: inherit
  std::map<std::string, std::string> env;     // added to (or replacing in) the environment
  std::vector<std::string> unset_env;         // removed from the environment
  std::string stdin_text;                     // written to the child's stdin, then closed
  int timeout_seconds = 120;                  // the child is killed after this
};

// Runs argv[0] (looked up in PATH if it has no '/') with the arguments argv[1..].
process_result run_process(const std::vector<std::string>& argv, const process_options& options = {});

}  // namespace patina::test
