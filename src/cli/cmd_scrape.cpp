// patina scrape [PATH] [--full] [--quiet]: indexes the code under PATH (default:
// the project's root) into the database.

#include <chrono>
#include <exception>
#include <iostream>
#include <memory>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "commands.hpp"
#include "context.hpp"
#include "output.hpp"
#include "file_lock.hpp"
#include "local_index.hpp"
#include "patina/scrape/database.hpp"

namespace patina::cli {

namespace {

constexpr std::string_view meta_scrape_root = "scrape_root";

struct scrape_cli_options {
  std::string path;
  bool full = false;
  bool quiet = false;
  bool list_skipped = false;
};


task<int> run_scrape(context& ctx, scrape_cli_options opts) {
  const auto& cfg = ctx.project_config();
  std::filesystem::path root = opts.path.empty() ? cfg.root : std::filesystem::path(opts.path);
  if (root.empty()) root = std::filesystem::current_path();
  std::error_code ec;
  root = std::filesystem::canonical(root, ec);
  if (ec) {
    throw exception(errc::not_found, fmt::format("cannot scrape '{}': no such folder; check the path", opts.path),
                    ec.message());
  }
  if (!std::filesystem::is_directory(root)) {
    throw exception(errc::not_found,
                    fmt::format("cannot scrape '{}': it is a file, not a folder; give the folder that holds the code",
                                opts.path));
  }

  // A scrape writes far more than it reads back, and a file's rows sit together
  // (scrape_storage.cpp): a 32 MiB page cache instead of the default 256 MiB keeps
  // the peak memory of a large scrape under its 500 MB budget at no measured cost
  // (bench/scrape, 75 MB tree: 575 MB with the default, 422 MB with 64 MiB, 400 MB).
  ctx.page_cache_kib = 32 * 1024;
  // Without memory-mapped reads: a mapped page of the database counts in the
  // process's memory (twice in the Turso build, whose reader and writer
  // connections map the file each), and the scrape reads little back. Turso
  // build, same tree: peak RSS 735 -> 288 MB, 17.1 -> 17.7 s.
  ctx.mmap_bytes = 0;
  auto db = PATINA_AWAIT ctx.open_database();
  // One scrape per database at a time: a second one would diff the tree against
  // the same snapshot and then write the files the first one wrote (a UNIQUE
  // constraint error). It waits, and its own rescan then finds little to do.
  auto one_at_a_time = file_lock::acquire(beside_database(ctx.database_path(), "scrape.lock"), [&opts] {
    if (!opts.quiet) {
      std::cerr << "patina: another `patina scrape` is indexing this database; waiting for it to finish\n";
    }
  });
  // The index stores paths relative to one root; scraping another root would
  // silently replace it, so that needs --full.
  const std::vector<db::value> key{db::value{std::string(meta_scrape_root)}};
  auto stored = PATINA_AWAIT db.query("SELECT value FROM patina_meta WHERE key = ?1", key);
  if (!stored.rows.empty()) {
    const auto* previous = std::get_if<std::string>(&stored.rows.front().front());
    if (previous != nullptr && *previous != root.string() && !opts.full) {
      throw exception(errc::invalid_argument,
                      fmt::format("the code index was built from {}; scraping {} would replace it. Pass --full to "
                                  "re-index from {}",
                                  *previous, root.string(), root.string()));
    }
  }

  scrape::scrape_options so;
  so.full = opts.full;
  so.scan.walk.max_file_size = cfg.scrape.max_file_size;
  so.scan.walk.extra_excludes = cfg.scrape.exclude;
  // Files done (of the total once the walk is over), files/s, MB/s and the time
  // left, estimated from the bytes still to read.
  progress_line progress(opts.quiet);
  so.progress = [&progress](const scrape::scrape_progress& p) {
    const double secs = progress.elapsed_seconds();
    if (!progress.enabled() || secs <= 0) return;
    const double bytes_per_sec = static_cast<double>(p.bytes_done) / secs;
    const std::string total = p.files_total > 0 ? fmt::format("/{}", p.files_total) : std::string();
    const double bytes_left = p.bytes_total > p.bytes_done ? static_cast<double>(p.bytes_total - p.bytes_done) : 0;
    progress.show(fmt::format("{}{} files  {:.0f} files/s  {:.1f} MB/s{}", p.files_done, total,
                              static_cast<double>(p.files_done) / secs, bytes_per_sec / 1e6,
                              time_left(bytes_left, bytes_per_sec)));
  };

  // The lexical index follows the code index while it is written, rather than
  // after it or at the next search (bench/scrape, 75 MB tree: the refresh took
  // about a quarter of a full scrape when it ran after it).
  auto follower = PATINA_AWAIT start_index_follower(ctx, db);
  so.committed = [&follower] { follower.notify(); };

  scrape::Database<database> code(db);
  scrape::scrape_report report;
  std::exception_ptr failure;
  const std::vector<db::statement> remember{
      {"INSERT INTO patina_meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
       {std::string(meta_scrape_root), root.string()}}};
  try {
    report = PATINA_AWAIT code.scrape(root, so);
    PATINA_AWAIT db.execute_batch(remember);
  } catch (...) {
    failure = std::current_exception();
  }
  progress.clear();
  if (failure) {
    PATINA_AWAIT follower.stop();
    std::rethrow_exception(failure);
  }
  PATINA_AWAIT follower.finish();

  if (!opts.quiet) {
    const double mb = static_cast<double>(report.bytes_parsed) / 1e6;
    std::cout << fmt::format(
        "scraped {}: {} files ({} parsed, {} unchanged, {} skipped, {} removed), {} symbols written in {:.2f} s "
        "({:.1f} MB/s)\n",
        root.string(), report.files, report.parsed, report.unchanged, report.skipped, report.removed, report.symbols,
        report.seconds, report.seconds > 0 ? mb / report.seconds : 0.0);
    if (report.partial > 0) {
      std::cout << fmt::format("  {} file(s) had syntax errors; their facts were extracted around them\n",
                               report.partial);
    }
  }
  if (opts.list_skipped) {
    auto skipped = PATINA_AWAIT code.skipped_files();
    for (const auto& s : skipped) std::cout << fmt::format("skipped {}: {} {}\n", s.path, s.reason, s.detail);
  }
  PATINA_RETURN exit_ok;
}

}  // namespace

void add_scrape_command(CLI::App& app, context& ctx) {
  auto opts = std::make_shared<scrape_cli_options>();
  auto* cmd = app.add_subcommand("scrape", "Index the code of a source tree: files, symbols, imports and calls");
  cmd->add_option("path", opts->path, "Root of the tree (default: the project's root)");
  cmd->add_flag("--full", opts->full, "Parse every file again, even unchanged ones");
  cmd->add_flag("-q,--quiet", opts->quiet, "Print nothing unless there is an error");
  cmd->add_flag("--list-skipped", opts->list_skipped, "List the files that were skipped, with the reason");
  cmd->callback([&ctx, opts] { ctx.set_action([&ctx, opts] { return run_scrape(ctx, *opts); }); });
}

}  // namespace patina::cli
