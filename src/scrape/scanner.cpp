#include "patina/scrape/scanner.hpp"

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>

#include "source_reader.hpp"

namespace patina::scrape {
namespace {

enum class outcome : std::uint8_t { none, parsed, unchanged, skipped };

struct slot {
  outcome kind = outcome::none;
  file_facts facts;
  unchanged_file unchanged;
  skipped_file skipped;
};

// Shared state of one scan. Workers fill `ring[i % window]` for file i; the consumer
// empties slots in file order. A worker may only claim file i while i < delivered +
// window and the claimed, undelivered files hold less than max_in_flight_bytes (file
// `delivered` itself is always let through), which bounds what is held in memory.
struct pipeline {
  const std::vector<walked_file>& files;
  const std::string& root;
  const scan_options& options;
  std::size_t window;

  std::mutex mutex;
  std::condition_variable work_cv;   // a worker may claim a file, or stop
  std::condition_variable ready_cv;  // a slot was filled, or stop
  std::vector<slot> ring;
  std::size_t next_claim = 0;
  std::size_t delivered = 0;
  std::uint64_t bytes_in_flight = 0;  // sizes of files [delivered, next_claim)
  bool stop = false;
  std::exception_ptr worker_error;

  pipeline(const std::vector<walked_file>& f, const std::string& r, const scan_options& o, std::size_t w)
      : files(f), root(r), options(o), window(w), ring(w) {}

  void halt() {
    {
      const std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    work_cv.notify_all();
    ready_cv.notify_all();
  }

  slot process(extractor& ex, const walked_file& f) const {
    slot s;
    detail::read_outcome r = detail::read_source(root + "/" + f.path, options.walk.max_file_size);
    if (r.skip) {
      s.kind = outcome::skipped;
      s.skipped = {f.path, *r.skip, std::move(r.detail)};
      return s;
    }
    std::string hash = content_hash(r.bytes);
    const language lang = refine_language(f.lang, f.path, r.bytes);
    if (options.already_known && options.already_known(f.path, hash)) {
      s.kind = outcome::unchanged;
      s.unchanged = {f.path, lang, r.bytes.size(), f.mtime_ns, std::move(hash)};
      return s;
    }
    s.kind = outcome::parsed;
    s.facts = ex.extract(f.path, lang, r.bytes);
    s.facts.mtime_ns = f.mtime_ns;
    return s;
  }

  void worker() {
    try {
      extractor ex(options.extract);
      for (;;) {
        std::size_t i = 0;
        {
          std::unique_lock<std::mutex> lock(mutex);
          work_cv.wait(lock, [&] {
            return stop || next_claim >= files.size() ||
                   (next_claim < delivered + window &&
                    (next_claim == delivered || bytes_in_flight < options.max_in_flight_bytes));
          });
          if (stop || next_claim >= files.size()) return;
          i = next_claim++;
          bytes_in_flight += files[i].size;
        }
        slot s = process(ex, files[i]);
        {
          const std::lock_guard<std::mutex> lock(mutex);
          ring[i % window] = std::move(s);
        }
        ready_cv.notify_all();
      }
    } catch (...) {
      {
        const std::lock_guard<std::mutex> lock(mutex);
        if (!worker_error) worker_error = std::current_exception();
        stop = true;
      }
      work_cv.notify_all();
      ready_cv.notify_all();
    }
  }
};

// Stops and joins the workers on every way out of scan(), exceptions included.
struct worker_guard {
  pipeline& p;
  std::vector<std::thread> threads;
  ~worker_guard() {
    p.halt();
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
  }
};

}  // namespace

result<scan_summary> scan(const std::filesystem::path& root, const scan_options& options, const scan_sink& sink) {
  walk_options walk_opts = options.walk;
  walk_opts.check_content = false;
  result<walk_result> walked = walk(root, walk_opts);
  if (!walked) return fail(walked.err());

  std::string root_text = root.string();
  while (root_text.size() > 1 && root_text.back() == '/') root_text.pop_back();
  if (root_text.empty()) root_text.push_back('.');  // (assigning "." trips a g++ 12 -Wrestrict false positive)

  const std::vector<walked_file>& files = walked->files;
  if (options.walked) {
    std::uint64_t bytes = 0;
    for (const walked_file& f : files) bytes += f.size;
    options.walked(files.size() + walked->skipped.size(), bytes);
  }
  scan_summary summary;
  summary.files = files.size();
  const std::size_t batch_size = std::max<std::size_t>(options.batch_size, 1);

  scan_batch batch;
  auto flush = [&]() -> result<void> {
    if (batch.size() == 0) return {};
    result<void> r = sink(batch);
    batch = scan_batch{};
    return r;
  };

  // Skips found by the walk come first, in their own batches.
  for (skipped_file& s : walked->skipped) {
    batch.skipped.push_back(std::move(s));
    ++summary.skipped;
    if (batch.size() >= batch_size) {
      if (result<void> r = flush(); !r) return fail(r.err());
    }
  }
  if (result<void> r = flush(); !r) return fail(r.err());
  if (files.empty()) return summary;

  unsigned threads = options.threads != 0 ? options.threads : std::thread::hardware_concurrency();
  threads = std::max(1u, threads);
  threads = static_cast<unsigned>(std::min<std::size_t>(threads, files.size()));
  const std::size_t window =
      std::max<std::size_t>(options.max_in_flight != 0 ? options.max_in_flight : std::size_t{128} * threads, 1);

  pipeline p(files, root_text, options, window);
  worker_guard guard{p, {}};
  guard.threads.reserve(threads);
  for (unsigned t = 0; t < threads; ++t) guard.threads.emplace_back([&p] { p.worker(); });

  for (std::size_t i = 0; i < files.size(); ++i) {
    slot s;
    {
      std::unique_lock<std::mutex> lock(p.mutex);
      slot& r = p.ring[i % window];
      p.ready_cv.wait(lock, [&] { return r.kind != outcome::none || p.stop; });
      if (r.kind == outcome::none) break;  // a worker failed; rethrown below
      s = std::move(r);
      r = slot{};
      p.delivered = i + 1;
      p.bytes_in_flight -= files[i].size;
    }
    p.work_cv.notify_all();
    switch (s.kind) {
      case outcome::parsed:
        ++summary.parsed;
        if (s.facts.partial()) ++summary.partial;
        summary.bytes_parsed += s.facts.size;
        batch.parsed.push_back(std::move(s.facts));
        break;
      case outcome::unchanged:
        ++summary.unchanged;
        batch.unchanged.push_back(std::move(s.unchanged));
        break;
      case outcome::skipped:
        ++summary.skipped;
        batch.skipped.push_back(std::move(s.skipped));
        break;
      case outcome::none: break;
    }
    if (batch.size() >= batch_size) {
      if (result<void> r = flush(); !r) return fail(r.err());
    }
  }
  {
    std::exception_ptr error;
    {
      const std::lock_guard<std::mutex> lock(p.mutex);
      error = p.worker_error;
    }
    if (error) std::rethrow_exception(error);
  }
  if (result<void> r = flush(); !r) return fail(r.err());
  return summary;
}

}  // namespace patina::scrape
