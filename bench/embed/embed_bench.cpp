// Benchmark of the embedding engines; prints figures and ratios measured in the
// same run. Not a test: it asserts nothing, the targets are printed for reading.
#include "patina/build_config.hpp"
#include "patina/embed/hashing_engine.hpp"
#include "patina/embed/use_lite_engine.hpp"

#include "kernels.hpp"

#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

namespace {

using namespace patina::embed;
using clock_type = std::chrono::steady_clock;

constexpr double min_seconds = 2.0;

// Keeps results observable so no call is optimised away.
volatile float sink = 0;
void consume(const std::vector<float>& v) { sink = sink + v[0]; }
void consume(const std::vector<std::vector<float>>& v) { sink = sink + v.front()[0]; }

// Resident set size in bytes (/proc/self/statm, second field, in pages).
double rss_bytes() {
  std::ifstream statm("/proc/self/statm");
  long pages_total = 0;
  long pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return static_cast<double>(pages_resident) * static_cast<double>(::sysconf(_SC_PAGESIZE));
}

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

double process_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds the process used per wall second during the last `rate` call: how
// many cores it actually got on this shared machine.
double last_cores_used = 0;

// Calls `step` (which processes `items_per_step` texts) until min_seconds passed;
// returns items per second.
double rate(const std::function<void()>& step, double items_per_step) {
  step();  // warm-up: caches, page faults, thread start
  const auto start = clock_type::now();
  const double cpu_start = process_cpu_seconds();
  std::size_t steps = 0;
  double elapsed = 0;
  do {
    step();
    ++steps;
    elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  } while (elapsed < min_seconds);
  last_cores_used = (process_cpu_seconds() - cpu_start) / elapsed;
  return static_cast<double>(steps) * items_per_step / elapsed;
}

std::filesystem::path model_dir(int argc, char** argv) {
  if (argc > 1) return argv[1];
  if (const char* env = std::getenv("PATINA_MODEL_DIR"); env != nullptr && *env != '\0') return env;
  return std::filesystem::path(PATINA_DEPS_DIR) / "model-embeddings-en" / "dist";
}

const std::vector<std::string> short_texts{
    "The cat sat on the mat.",          "open a file and read its contents",
    "parse command line arguments",     "release the mutex before returning",
    "cache entries expire after an hour", "std::vector<int>::push_back",
};

const std::vector<std::string> medium_texts{
    "The indexer walks the repository, skips files listed in .gitignore, parses each source file with "
    "tree-sitter and stores one row per function, class and method. Unchanged files are recognised by their "
    "content hash, so a second run only re-parses what was edited.",
    "When the connection pool is exhausted, the request handler waits for up to five seconds before giving "
    "up with a timeout error. Raising the pool size helped under load, but the real fix was to release "
    "connections in the error path of the retry loop, which leaked one connection for every failed attempt "
    "to reach the primary database server in the other region.",
};

}  // namespace

int main(int argc, char** argv) {
  std::printf("load average at start: %s\n", load_average().c_str());

  const double rss_before = rss_bytes();
  const auto load_start = clock_type::now();
  auto loaded = use_lite_engine::load(model_dir(argc, argv), use_lite_options{1});
  const double load_ms = std::chrono::duration<double, std::milli>(clock_type::now() - load_start).count();
  if (!loaded) {
    std::fprintf(stderr, "%s\n", loaded.err().describe().c_str());
    return 1;
  }
  const double rss_after = rss_bytes();
  const auto& use = **loaded;
  std::printf("model: load %.0f ms, RSS delta %.1f MB (target <= 64), weights+tables %.1f MB\n", load_ms,
              (rss_after - rss_before) / 1e6, static_cast<double>(use.model_bytes()) / 1e6);

  double short_tokens = 0;
  for (const auto& t : short_texts) short_tokens += static_cast<double>(use.tokenize(t).size());
  double medium_tokens = 0;
  for (const auto& t : medium_texts) medium_tokens += static_cast<double>(use.tokenize(t).size());
  std::printf("texts: short %.1f tokens on average, medium %.1f tokens\n",
              short_tokens / static_cast<double>(short_texts.size()),
              medium_tokens / static_cast<double>(medium_texts.size()));

  const hashing_engine hashing;
  const double hashing_short = rate([&] { for (const auto& t : short_texts) consume(hashing.embed(t)); },
                                    static_cast<double>(short_texts.size()));
  const double use_short = rate([&] { for (const auto& t : short_texts) consume(use.embed(t)); },
                                static_cast<double>(short_texts.size()));
  const double short_cores = last_cores_used;
  const double use_medium = rate([&] { for (const auto& t : medium_texts) consume(use.embed(t)); },
                                 static_cast<double>(medium_texts.size()));
  const double medium_cores = last_cores_used;
  std::printf("1 thread: use-lite short %.0f texts/s (target >= 300), medium %.1f texts/s (target >= 40)\n",
              use_short, use_medium);
  // On a loaded machine the thread gets a fraction of a core; per CPU second is what
  // one free core would do (an upper bound: a shared core also shares its caches).
  std::printf("1 thread, per CPU second: short %.0f texts (got %.2f cores), medium %.1f texts (got %.2f cores)\n",
              use_short / short_cores, short_cores, use_medium / medium_cores, medium_cores);
  std::printf("baseline: hashing-v1-256 short %.0f texts/s; use-lite is %.0fx slower\n", hashing_short,
              hashing_short / use_short);

  std::vector<std::string> batch;
  for (int i = 0; i < 16; ++i) batch.insert(batch.end(), medium_texts.begin(), medium_texts.end());
  auto two = use_lite_engine::load(model_dir(argc, argv), use_lite_options{2});
  if (!two) {
    std::fprintf(stderr, "%s\n", two.err().describe().c_str());
    return 1;
  }
  const double batch_one = rate([&] { consume(use.embed_batch(batch)); }, static_cast<double>(batch.size()));
  const double cores_one = last_cores_used;
  const double batch_two = rate([&] { consume((*two)->embed_batch(batch)); }, static_cast<double>(batch.size()));
  const double cores_two = last_cores_used;
  std::printf("embed_batch of %zu medium texts: 1 thread %.1f texts/s (got %.2f cores), 2 threads %.1f texts/s "
              "(got %.2f cores), ratio %.2f (target >= 1.5 with 2 free cores)\n",
              batch.size(), batch_one, cores_one, batch_two, cores_two, batch_two / batch_one);

  using namespace patina::embed::detail;
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-1.0F, 1.0F);
  const std::size_t n = 75, k = 512, m = 1536;
  std::vector<float> x(n * k), w(k * m), out(n * m);
  for (auto& v : x) v = dist(rng);
  for (auto& v : w) v = dist(rng);
  const auto packed = pack_matrix(w, k, m);
  const double flops = 2.0 * static_cast<double>(n * k * m);
  const double portable = rate([&] { matmul(kernel_isa::portable, x.data(), n, packed, {}, out.data()); }, flops);
  const double best = rate([&] { matmul(best_kernel_isa(), x.data(), n, packed, {}, out.data()); }, flops);
  std::printf("matmul 75x512x1536: portable %.1f GFLOP/s, %s %.1f GFLOP/s, ratio %.2f\n", portable / 1e9,
              best_kernel_isa() == kernel_isa::x86_64_v3 ? "avx2+fma" : "portable", best / 1e9, best / portable);

  std::printf("load average at end: %s\n", load_average().c_str());
  return 0;
}
