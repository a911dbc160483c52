// scrape_bench: scrape throughput against universal-ctags on the same trees.
//
//   scrape_bench [--threads N] [--no-ctags] [--no-excludes] DIR...
//
// --no-excludes clears walk_options::default_excludes (e.g. to scan a node_modules tree).
//
// For each DIR it runs patina::scrape::scan with N worker threads (default: all cores),
// then with one thread, then `ctags -R` (the baseline, measured in the same run), and
// prints MB/s, files/s and the ratios. Each run reads the tree once beforehand so the
// page cache is warm for all of them.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

#include "patina/scrape/scanner.hpp"

using namespace patina::scrape;

namespace {

struct run_result {
  double seconds = 0;
  std::size_t files = 0;
  std::uint64_t bytes = 0;
  std::size_t symbols = 0;
  std::size_t calls = 0;
  std::size_t partial = 0;
  std::size_t skipped = 0;
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
  auto summary = scan(dir, o, [&](scan_batch& b) -> patina::result<void> {
    for (const file_facts& f : b.parsed) {
      r.symbols += f.symbols.size();
      r.calls += f.calls.size();
    }
    return {};
  });
  r.seconds = now() - t0;
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

// Runs ctags -R over `dir` into a scratch tags file; returns the wall time, or < 0.
double run_ctags(const std::string& dir, std::string& totals) {
  const std::string tags = (std::filesystem::temp_directory_path() / "scrape_bench.tags").string();
  const std::string cmd = "ctags -R --totals=yes -f '" + tags + "' '" + dir + "' 2>&1";
  const double t0 = now();
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[512];
  while (std::fgets(buf, sizeof buf, p) != nullptr) totals += buf;
  const int rc = ::pclose(p);
  const double seconds = now() - t0;
  std::filesystem::remove(tags);
  return rc == 0 ? seconds : -1;
}

void print(const char* label, const run_result& r) {
  const double mb = static_cast<double>(r.bytes) / 1e6;
  std::printf("  %-22s %8.2f s  %8.1f MB/s  %8.0f files/s  (%zu files, %.1f MB, %zu symbols, %zu calls, %zu partial, %zu skipped)\n",
              label, r.seconds, mb / r.seconds, static_cast<double>(r.files) / r.seconds, r.files, mb, r.symbols,
              r.calls, r.partial, r.skipped);
}

}  // namespace

int main(int argc, char** argv) {
  unsigned threads = std::thread::hardware_concurrency();
  bool ctags = true;
  bool excludes = true;
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--threads" && i + 1 < argc) {
      threads = static_cast<unsigned>(std::stoul(argv[++i]));
    } else if (a == "--no-excludes") {
      excludes = false;
    } else if (a == "--no-ctags") {
      ctags = false;
    } else {
      dirs.push_back(a);
    }
  }
  if (dirs.empty()) {
    std::cerr << "usage: scrape_bench [--threads N] [--no-ctags] [--no-excludes] DIR...\n";
    return 2;
  }
  for (const std::string& dir : dirs) {
    std::printf("%s\n", dir.c_str());
    (void)run_patina(dir, threads, excludes);  // warm the page cache
    const run_result multi = run_patina(dir, threads, excludes);
    const std::string label = "patina, " + std::to_string(threads) + " threads";
    print(label.c_str(), multi);
    const run_result single = run_patina(dir, 1, excludes);
    print("patina, 1 thread", single);
    if (ctags) {
      std::string totals;
      const double seconds = run_ctags(dir, totals);
      if (seconds < 0) {
        std::printf("  ctags -R: failed\n%s", totals.c_str());
      } else {
        std::printf("  %-22s %8.2f s  (%s)\n", "ctags -R (1 thread)", seconds,
                    totals.empty() ? "" : totals.substr(0, totals.find('\n')).c_str());
        std::printf("  ratio: patina 1 thread / ctags time = %.2f; patina %u threads / ctags time = %.2f\n",
                    single.seconds / seconds, threads, multi.seconds / seconds);
      }
    }
  }
  return 0;
}
