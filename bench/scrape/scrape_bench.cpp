// scrape_bench: scrape throughput against universal-ctags on the same trees.
//
//   scrape_bench [--threads N] [--no-ctags] [--no-excludes] [--patina BIN] DIR...
//
// --no-excludes clears walk_options::default_excludes (e.g. to scan a node_modules tree).
// --patina BIN  also times the product end to end: `BIN scrape --quiet DIR` into a fresh
//               database (parse + extract + store), then a rescan of the unchanged tree,
//               each with its peak memory (max RSS of the process).
//
// For each DIR it runs patina::scrape::scan (parse + extract, in process) with N worker
// threads (default: all cores), then with one thread, then `ctags -R` restricted to the
// eight languages Patina parses (the baseline, measured in the same run), and prints MB/s,
// files/s, the ratios, and the symbol counts per language of both tools. The first scan
// reads the whole tree, so the page cache is warm for every timed run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "patina/scrape/language.hpp"
#include "patina/scrape/scanner.hpp"

using namespace patina::scrape;

namespace {

double cpu_seconds(const struct rusage& u) {
  const auto tv = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return tv(u.ru_utime) + tv(u.ru_stime);
}

double self_cpu_seconds() {
  struct rusage u {};
  ::getrusage(RUSAGE_SELF, &u);
  return cpu_seconds(u);
}

struct run_result {
  double seconds = 0;
  double cpu = 0;  // CPU seconds of all threads
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  std::size_t symbols = 0;
  std::size_t calls = 0;
  std::size_t partial = 0;
  std::size_t skipped = 0;
  std::map<std::string, std::size_t> symbols_by_language;
};

double now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

run_result run_patina(const std::string& dir, unsigned threads, bool excludes) {
  run_result r;
  scan_options o;
  if (!excludes) o.walk.default_excludes.clear();
  o.threads = threads;
  const double t0 = now();
  const double c0 = self_cpu_seconds();
  auto summary = scan(dir, o, [&](scan_batch& b) -> patina::result<void> {
    for (const file_facts& f : b.parsed) {
      r.symbols += f.symbols.size();
      r.symbols_by_language[std::string(to_string(f.lang))] += f.symbols.size();
      r.calls += f.calls.size();
    }
    return {};
  });
  r.seconds = now() - t0;
  r.cpu = self_cpu_seconds() - c0;
  if (!summary) {
    std::cerr << "scan failed: " << summary.err().describe() << "\n";
    std::exit(1);
  }
  r.files = summary->parsed;
  r.bytes = summary->bytes_parsed;
  r.partial = summary->partial;
  r.skipped = summary->skipped;
  return r;
}

struct process_result {
  double seconds = -1;  // < 0: failed
  double cpu = 0;       // CPU seconds (user + system) of the process and its children
  long max_rss_kb = 0;
  std::string output;
};

// Runs `command` through /bin/sh, capturing stdout+stderr; wall time and the child's own
// peak RSS (wait4), not the shell's other children.
process_result run_process(const std::string& command) {
  process_result r;
  int fds[2];
  if (::pipe(fds) != 0) return r;
  const double t0 = now();
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::dup2(fds[1], 2);
    ::close(fds[0]);
    ::close(fds[1]);
    ::execl("/bin/sh", "sh", "-c", command.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(fds[1]);
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) r.output.append(buf, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  struct rusage usage {};
  if (pid < 0 || ::wait4(pid, &status, 0, &usage) != pid) return r;
  const double seconds = now() - t0;
  r.max_rss_kb = usage.ru_maxrss;
  r.cpu = cpu_seconds(usage);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) r.seconds = seconds;
  return r;
}

std::string sh_quote(const std::string& s) { return "'" + s + "'"; }

// ctags language name -> Patina's (to_string) name.
const std::map<std::string, std::string> ctags_languages = {
    {"C", "c"},     {"C++", "cpp"},          {"Rust", "rust"},
    {"Python", "python"}, {"Go", "go"}, {"JavaScript", "javascript"},
    {"TypeScript", "typescript"}, {"Java", "java"}};

struct ctags_result {
  process_result run;
  std::map<std::string, std::size_t> symbols_by_language;  // Patina's language names
};

// Runs ctags -R over `dir` for the eight languages into a scratch tags file; counts the
// tags per language.
ctags_result run_ctags(const std::string& dir) {
  ctags_result r;
  const std::string tags = (std::filesystem::temp_directory_path() / "scrape_bench.tags").string();
  std::string languages;
  for (const auto& [name, ours] : ctags_languages) languages += (languages.empty() ? "" : ",") + name;
  r.run = run_process("ctags -R --languages=" + sh_quote(languages) + " --fields=+l -f " + sh_quote(tags) + " " +
                      sh_quote(dir));
  std::ifstream in(tags);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with("!_")) continue;
    const auto at = line.find("\tlanguage:");
    if (at == std::string::npos) continue;
    auto end = line.find('\t', at + 1);
    const std::string lang = line.substr(at + 10, end == std::string::npos ? std::string::npos : end - at - 10);
    const auto it = ctags_languages.find(lang);
    r.symbols_by_language[it == ctags_languages.end() ? lang : it->second] += 1;
  }
  std::filesystem::remove(tags);
  return r;
}

// Reads every regular file under `dir` once through a small buffer, so that every timed
// run finds the tree in the page cache and this process stays small.
void warm_page_cache(const std::string& dir) {
  std::vector<char> buf(1 << 16);
  std::error_code ec;
  for (std::filesystem::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    std::ifstream in(it->path(), std::ios::binary);
    while (in.read(buf.data(), static_cast<std::streamsize>(buf.size()))) {
    }
  }
}

void print(const char* label, const run_result& r) {
  const double mb = static_cast<double>(r.bytes) / 1e6;
  std::printf("  %-22s %8.2f s  %8.1f MB/s  %6.1f MB per CPU s  %8.0f files/s  (%zu files, %.1f MB, %zu symbols, %zu calls, %zu partial, %zu skipped)\n",
              label, r.seconds, mb / r.seconds, mb / r.cpu, static_cast<double>(r.files) / r.seconds, r.files, mb, r.symbols,
              r.calls, r.partial, r.skipped);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = std::thread::hardware_concurrency();
  bool ctags = true;
  bool excludes = true;
  std::string patina_bin;
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (a == "--no-excludes") {
      excludes = false;
    } else if (a == "--patina" && i + 1 < argc) {
      patina_bin = std::filesystem::absolute(argv[++i]).string();
    } else if (a == "--no-ctags") {
      ctags = false;
    } else {
      dirs.push_back(a);
    }
  }
  if (dirs.empty()) {
    std::cerr << "usage: scrape_bench [--threads N] [--no-ctags] [--no-excludes] [--patina BIN] DIR...\n";
    return 2;
  }
  for (const std::string& dir : dirs) {
    std::printf("%s\n", dir.c_str());
    warm_page_cache(dir);
    // Child processes first, while this process is small: a child's peak RSS counts the
    // memory it was forked with.
    process_result full;
    process_result rescan;
    if (!patina_bin.empty()) {
      const auto scratch = std::filesystem::temp_directory_path() / ("scrape_bench_db_" + std::to_string(::getpid()));
      std::filesystem::remove_all(scratch);
      std::filesystem::create_directories(scratch);
      const std::string in_scratch = "cd " + sh_quote(scratch.string()) + " && exec " + sh_quote(patina_bin);
      const process_result init = run_process(in_scratch + " init");
      const std::string cmd = in_scratch + " scrape --quiet " + sh_quote(dir);
      full = init.seconds < 0 ? init : run_process(cmd);
      rescan = full.seconds < 0 ? full : run_process(cmd);
      std::filesystem::remove_all(scratch);
    }
    ctags_result c;
    if (ctags) c = run_ctags(dir);

    const run_result multi = run_patina(dir, threads, excludes);
    const std::string label = "patina, " + std::to_string(threads) + " threads";
    print(label.c_str(), multi);
    const run_result single = run_patina(dir, 1, excludes);
    print("patina, 1 thread", single);
    const double mb = static_cast<double>(multi.bytes) / 1e6;
    if (!patina_bin.empty()) {
      if (full.seconds < 0 || rescan.seconds < 0) {
        std::printf("  patina scrape failed:\n%s%s", full.output.c_str(), rescan.output.c_str());
      } else {
        std::printf("  %-22s %8.2f s  %8.1f MB/s  %6.1f MB per CPU s  peak RSS %6.1f MB  (parse + extract + store)\n",
                    "patina scrape (full)", full.seconds, mb / full.seconds, mb / full.cpu,
                    static_cast<double>(full.max_rss_kb) / 1024);
        std::printf("  %-22s %8.2f s  = %.1f%% of the full scrape, peak RSS %6.1f MB\n", "patina scrape (rescan)",
                    rescan.seconds, 100.0 * rescan.seconds / full.seconds,
                    static_cast<double>(rescan.max_rss_kb) / 1024);
      }
    }
    if (ctags) {
      if (c.run.seconds < 0) {
        std::printf("  ctags -R: failed\n%s", c.run.output.c_str());
        continue;
      }
      std::printf("  %-22s %8.2f s  %8.1f MB/s  %6.1f MB per CPU s  peak RSS %6.1f MB  (same 8 languages)\n",
                  "ctags -R (1 thread)", c.run.seconds, mb / c.run.seconds, mb / c.run.cpu,
                  static_cast<double>(c.run.max_rss_kb) / 1024);
      std::printf("  speed vs ctags (ctags time / patina time): scan %u threads %.2fx, scan 1 thread %.2fx", threads,
                  c.run.seconds / multi.seconds, c.run.seconds / single.seconds);
      if (full.seconds > 0) std::printf(", patina scrape end to end %.2fx", c.run.seconds / full.seconds);
      std::printf("\n  CPU cost vs ctags (patina CPU s / ctags CPU s): scan %.2fx", multi.cpu / c.run.cpu);
      if (full.seconds > 0) std::printf(", scrape end to end %.2fx", full.cpu / c.run.cpu);
      std::printf("\n  symbols per language (patina / ctags):");
      std::map<std::string, std::pair<std::size_t, std::size_t>> both;
      for (const auto& [lang, n] : multi.symbols_by_language) both[lang].first = n;
      for (const auto& [lang, n] : c.symbols_by_language) both[lang].second = n;
      std::size_t total_ctags = 0;
      for (const auto& [lang, n] : both) {
        std::printf(" %s %zu/%zu", lang.c_str(), n.first, n.second);
        total_ctags += n.second;
      }
      std::printf("; total %zu/%zu\n", multi.symbols, total_ctags);
    }
  }
  return 0;
}
