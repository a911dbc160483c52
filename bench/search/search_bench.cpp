// search_bench — quality and latency of hybrid code search on real code bases.
//
//   search_bench quality [--sources DIR] [--questions FILE] [--work DIR] [--split test|tuning|all] [--tune]
//   search_bench latency [--sources DIR] [--work DIR] [--root NAME ...] [--rounds N]
//
// quality: scrapes each code base of the question set (fetched by
// scripts/eval/fetch-sources), embeds its symbols with USE-lite, and reports
// MRR@10 and recall@10 of hybrid search and of its two ablations (lexical only,
// vector only) over the questions of the split, in the same run. A question is
// answered at rank r when the r-th result is one of its accepted symbols
// (qualified name and path); MRR@10 averages 1/r (0 past rank 10), recall@10 is
// the share of questions answered within 10. --tune grid-searches the fusion
// parameters on the tuning split (never the test split).
//
// latency: one index holding every code base under DEST (≥ 50k symbols with the
// Python standard library), vectors of the index from the hashing engine at
// USE-lite's dimension (512: same storage and scan cost as USE-lite vectors,
// built in seconds instead of an hour), queries embedded with USE-lite; prints
// p50/p95/max of whole searches (query embedding + both signals + fusion).
//
// Run a Release build; the database files are kept in --work and reused.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <unordered_map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "maybe_async.hpp"
#include "patina/core/assets.hpp"
#include "patina/domain/code_search.hpp"
#include "patina/domain/detail/search.hpp"
#include "patina/domain/embeddings_database.hpp"
#include "patina/domain/lexical_index.hpp"
#include "patina/embed/hashing_engine.hpp"
#include "patina/embed/use_lite_engine.hpp"
#include "patina/scrape/database.hpp"

#if defined(PATINA_BACKEND_TURSO)
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include "patina/db/turso_database.hpp"
#else
#include "patina/db/sqlite_database.hpp"
#endif

namespace {

namespace fs = std::filesystem;
using namespace patina;
using cli::task;

#if defined(PATINA_BACKEND_TURSO)
using database = db::TursoDatabase;
boost::asio::io_context io;
#else
using database = db::SqliteDatabase;
#endif

struct options {
  std::string mode;
  fs::path sources;
  fs::path questions = fs::path(PATINA_SOURCE_DIR) / "bench" / "search" / "questions.json";
  fs::path work;
  std::string split = "test";
  bool tune = false;
  std::vector<std::string> roots;
  int rounds = 3;
};

struct accepted_symbol {
  std::string qualified_name;
  std::string path;
};

struct question {
  std::string id;
  std::string codebase;
  std::string split;
  std::string text;
  std::vector<accepted_symbol> accepted;
};

std::vector<question> load_questions(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  const auto doc = nlohmann::json::parse(in);
  std::vector<question> out;
  for (const auto& q : doc.at("questions")) {
    question item;
    item.id = q.at("id").get<std::string>();
    item.codebase = q.at("codebase").get<std::string>();
    item.split = q.at("split").get<std::string>();
    item.text = q.at("question").get<std::string>();
    for (const auto& a : q.at("accepted"))
      item.accepted.push_back({a.at("qualified_name").get<std::string>(), a.at("path").get<std::string>()});
    out.push_back(std::move(item));
  }
  return out;
}

task<database> open_db(const fs::path& path) {
#if defined(PATINA_BACKEND_TURSO)
  auto db = co_await database::open(io.get_executor(), path);
  co_return db;
#else
  return database::open(path);
#endif
}

double now_s() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Scrapes `root` into `db` (incrementally) and embeds what is missing.
task<void> prepare(database& db, const fs::path& root, embed::embedding_engine& engine) {
  scrape::Database<database> code(db);
  scrape::scrape_options so;
  const double t0 = now_s();
  auto report = PATINA_AWAIT code.scrape(root, so);
  std::fprintf(stderr, "  scraped %s: %zu files, %zu parsed, %zu symbols written (%.1f s)\n", root.string().c_str(),
               report.files, report.parsed, report.symbols, now_s() - t0);
  domain::EmbeddingsDatabase<database> embeddings(db, engine);
  PATINA_AWAIT embeddings.ensure_model();
  domain::generate_options go;
  go.knowledge = false;
  go.progress = [](const domain::embedding_progress& p) {
    std::fprintf(stderr, "\r  embedding %zu/%zu   ", p.done, p.total);
  };
  const double t1 = now_s();
  const auto n = PATINA_AWAIT embeddings.generate_missing(go);
  if (n > 0) std::fprintf(stderr, "\n  embedded %zu symbols in %.1f s\n", n, now_s() - t1);
}

// 1-based rank of the first accepted symbol among the hits, 0 when absent.
std::size_t rank_of(const question& q, const std::vector<domain::hybrid_hit>& hits) {
  for (std::size_t i = 0; i < hits.size(); ++i) {
    for (const auto& a : q.accepted) {
      if (hits[i].qualified_name == a.qualified_name && hits[i].path == a.path) return i + 1;
    }
  }
  return 0;
}

struct score {
  double reciprocal = 0;
  std::size_t found = 0;
  std::size_t n = 0;
  void add(std::size_t rank) {
    ++n;
    if (rank == 0 || rank > 10) return;
    reciprocal += 1.0 / static_cast<double>(rank);
    ++found;
  }
  double mrr() const { return n > 0 ? reciprocal / static_cast<double>(n) : 0; }
  double recall() const { return n > 0 ? static_cast<double>(found) / static_cast<double>(n) : 0; }
};

// The two signals' rankings of one question, kept to re-fuse with other
// parameters when tuning (one lexical ranking per set of field weights).
struct signal_lists {
  const question* q = nullptr;
  std::vector<domain::detail::ranked_item> vector;
  std::vector<std::vector<domain::detail::ranked_item>> lexical;
  std::map<std::int64_t, domain::hybrid_hit> hits;
};

std::vector<domain::detail::ranked_item> with_priors(std::vector<domain::detail::ranked_item> list,
                                                     const signal_lists& s, const domain::fusion_params& p) {
  for (auto& r : list) {
    const auto& h = s.hits.at(r.id);
    r.prior = domain::detail::symbol_prior(h.kind, h.signature, h.path, p);
  }
  return list;
}

std::vector<domain::hybrid_hit> fused_hits(const signal_lists& s, std::size_t lexical_variant,
                                           const domain::fusion_params& p) {
  auto vector = with_priors(s.vector, s, p);
  if (vector.size() > p.vector_depth) vector.resize(p.vector_depth);
  const auto lexical = with_priors(s.lexical[lexical_variant], s, p);
  std::unordered_map<std::int64_t, domain::detail::symbol_key> keys;
  for (const auto& [id, h] : s.hits) {
    const std::int64_t flags = h.declaration ? std::int64_t{scrape::flag_declaration} : std::int64_t{0};
    keys.emplace(id, domain::detail::symbol_key{h.qualified_name, h.path,
                                                domain::detail::symbol_preference(h.kind, h.signature, flags)});
  }
  std::vector<domain::hybrid_hit> out;
  for (const auto& f : domain::detail::collapse_by_name(domain::detail::fuse(vector, lexical, p), keys)) {
    if (out.size() >= 10) break;
    out.push_back(s.hits.at(f.id));
  }
  return out;
}

// Field weights tried for BM25 when tuning: name, qualified name, signature, doc, path, body.
const std::vector<domain::lexical_weights> lexical_variants = {
    {4, 2, 1, 1, 1, 1},   {2, 1, 1, 1, 1, 1},   {4, 2, 1, 2, 1, 1},     {2, 1, 1, 2, 0.5, 1},
    {1, 1, 1, 1, 1, 1},   {4, 2, 1, 3, 0.5, 1}, {4, 2, 1, 3, 0.5, 0.5}, {4, 2, 1, 3, 0.5, 2},
    {4, 2, 1, 2, 0.5, 2}, {2, 1, 1, 2, 0.5, 2},
};

task<int> run_quality(const options& opt) {
  auto model_dir = find_asset(asset::model_dir, nullptr).value();
  auto engine = embed::use_lite_engine::load(model_dir).value();
  const auto questions = load_questions(opt.questions);
  std::map<std::string, std::vector<const question*>> by_codebase;
  for (const auto& q : questions) by_codebase[q.codebase].push_back(&q);
  fs::create_directories(opt.work);

  const char* modes[] = {"hybrid", "lexical", "vector"};
  std::map<std::string, score> totals;
  std::map<std::string, std::map<std::string, score>> per_codebase;
  std::vector<signal_lists> tuning;
  for (const auto& [name, qs] : by_codebase) {
    const auto root = opt.sources / name;
    if (!fs::is_directory(root)) {
      std::cerr << "search_bench: " << root.string() << " is missing; run scripts/eval/fetch-sources "
                << opt.sources.string() << '\n';
      PATINA_RETURN 1;
    }
    std::fprintf(stderr, "%s:\n", name.c_str());
    auto db = PATINA_AWAIT open_db(opt.work / (name + ".db"));
    PATINA_AWAIT prepare(db, root, *engine);
    auto store = domain::lexical_store::open(opt.work / (name + ".local.db"));
    domain::LexicalIndex<database> lexical(db, store);
    domain::CodeSearch<database> search(db, *engine, lexical);
    for (const auto* q : qs) {
      const bool in_split = opt.split == "all" || q->split == opt.split;
      if (opt.tune && q->split == "tuning") {
        signal_lists s;
        s.q = q;
        const auto kept_params = search.params();
        search.params().data_kind_weight = 1.0;  // raw signal rankings
        domain::search_request r;
        r.query = q->text;
        r.limit = search.params().depth;
        search.params().vector_depth = search.params().depth;
        r.signals = domain::search_signals::vector;
        auto res = PATINA_AWAIT search.search(r);
        for (const auto& h : res.hits) {
          s.vector.push_back({h.type, h.id, h.vector ? h.vector->score : 0, 1.0});
          s.hits.emplace(h.id, h);
        }
        const auto kept = lexical.weights();
        r.signals = domain::search_signals::lexical;
        for (const auto& w : lexical_variants) {
          lexical.weights() = w;
          auto lex = PATINA_AWAIT search.search(r);
          std::vector<domain::detail::ranked_item> list;
          for (const auto& h : lex.hits) {
            list.push_back({h.type, h.id, h.lexical ? h.lexical->score : 0, 1.0});
            s.hits.emplace(h.id, h);
          }
          s.lexical.push_back(std::move(list));
        }
        lexical.weights() = kept;
        search.params() = kept_params;
        tuning.push_back(std::move(s));
      }
      if (!in_split) continue;
      std::string top;
      std::size_t ranks[3] = {0, 0, 0};
      for (auto m : {domain::search_signals::hybrid, domain::search_signals::lexical, domain::search_signals::vector}) {
        domain::search_request r;
        r.query = q->text;
        r.limit = 10;
        r.signals = m;
        auto res = PATINA_AWAIT search.search(r);
        const auto rank = rank_of(*q, res.hits);
        const std::string mode = modes[static_cast<int>(m)];
        totals[mode].add(rank);
        per_codebase[name][mode].add(rank);
        ranks[static_cast<int>(m)] = rank;
        if (m == domain::search_signals::hybrid) {
          for (std::size_t i = 0; i < std::min<std::size_t>(3, res.hits.size()); ++i)
            top += fmt::format(" | {} ({}:{})", res.hits[i].qualified_name, res.hits[i].path, res.hits[i].kind);
        }
      }
      if (std::getenv("SEARCH_BENCH_VERBOSE") != nullptr)
        std::fprintf(stderr, "  %-8s rank %2zu (lexical %2zu, vector %2zu)  %s ->%s\n", q->id.c_str(), ranks[0],
                     ranks[1], ranks[2], q->text.c_str(), top.c_str());
    }
  }

  std::cout << fmt::format("split: {} ({} questions), engine {}, backend {}\n", opt.split, totals["hybrid"].n,
                           engine->model_id(), backend_name);
  std::cout << fmt::format("{:<10} {:>8} {:>10}\n", "signals", "MRR@10", "recall@10");
  for (const char* m : modes)
    std::cout << fmt::format("{:<10} {:>8.3f} {:>10.3f}\n", m, totals[m].mrr(), totals[m].recall());
  for (const auto& [name, scores] : per_codebase) {
    std::cout << fmt::format("  {:<10}", name);
    for (const char* m : modes)
      std::cout << fmt::format("  {} {:.3f}/{:.3f}", m, scores.at(m).mrr(), scores.at(m).recall());
    std::cout << fmt::format("  (n={})\n", scores.at("hybrid").n);
  }

  if (opt.tune) {
    struct trial {
      std::size_t variant;
      domain::fusion_params p;
      double mrr;
    };
    // The search ran with fusion_params{} minus its kind prior, so the lists
    // are the raw signal rankings; priors are applied here per trial.
    std::vector<trial> trials;
    for (std::size_t v = 0; v < lexical_variants.size(); ++v) {
     for (std::size_t vd : {20, 30, 50, 100}) {
      for (double k : {1.0, 5.0, 10.0, 20.0, 60.0}) {
        for (double wv : {0.5, 0.75, 1.0, 1.5}) {
          for (double dw : {1.0, 0.75, 0.5, 0.25}) {
           for (double tw : {1.0, 0.5, 0.25}) {
            domain::fusion_params p;
            p.test_code_weight = tw;
            p.k = k;
            p.vector_weight = wv;
            p.lexical_weight = 1.0;
            p.data_kind_weight = dw;
            p.vector_depth = vd;
            score sc;
            for (const auto& lists : tuning) sc.add(rank_of(*lists.q, fused_hits(lists, v, p)));
            trials.push_back({v, p, sc.mrr()});
           }
          }
        }
      }
     }
    }
    std::stable_sort(trials.begin(), trials.end(), [](const trial& a, const trial& b) { return a.mrr > b.mrr; });
    std::cout << fmt::format("tuning split ({} questions): best parameters by MRR@10 of {} tried\n", tuning.size(),
                             trials.size());
    auto show = [](const trial& t) {
      const auto& w = lexical_variants[t.variant];
      return fmt::format("  bm25 name/qname/sig/doc/path/body {}/{}/{}/{}/{}/{}  vector_depth={:<3} k={:<3} "
                         "vector_weight={:<4} data_kind_weight={:<4} test_code_weight={:<4}  MRR@10 {:.3f}\n",
                         w.name, w.qualified_name, w.signature, w.doc, w.path, w.body, t.p.vector_depth, t.p.k,
                         t.p.vector_weight, t.p.data_kind_weight, t.p.test_code_weight, t.mrr);
    };
    for (std::size_t i = 0; i < std::min<std::size_t>(15, trials.size()); ++i) std::cout << show(trials[i]);
    const domain::fusion_params d;
    const domain::lexical_weights dl;
    for (const auto& t : trials) {
      const auto& w = lexical_variants[t.variant];
      if (t.p.k == d.k && t.p.vector_weight == d.vector_weight && t.p.data_kind_weight == d.data_kind_weight &&
          t.p.test_code_weight == d.test_code_weight &&
          w.name == dl.name && w.doc == dl.doc && w.path == dl.path && w.qualified_name == dl.qualified_name &&
          w.body == dl.body)
        std::cout << (t.p.vector_depth == d.vector_depth ? "  defaults:" : "  defaults but depth:") << show(t);
    }
  }
  PATINA_RETURN 0;
}

task<int> run_latency(const options& opt) {
  auto model_dir = find_asset(asset::model_dir, nullptr).value();
  auto query_engine = embed::use_lite_engine::load(model_dir).value();
  auto index_engine = embed::hashing_engine::create(query_engine->dimension()).value();
  fs::create_directories(opt.work);
  auto db = PATINA_AWAIT open_db(opt.work / "latency.db");
  // One tree holding every code base: a folder of symlinks would be skipped by
  // the walker, so the code bases are scraped from the sources root itself.
  PATINA_AWAIT prepare(db, opt.sources, index_engine);
  auto store = domain::lexical_store::open(opt.work / "latency.local.db");
  domain::LexicalIndex<database> lexical(db, store);
  const double t0 = now_s();
  auto refreshed = PATINA_AWAIT lexical.refresh();
  std::fprintf(stderr, "  lexical index: %zu symbols (re)indexed in %.1f s\n", refreshed.symbols_indexed,
               now_s() - t0);
  domain::CodeSearch<database> search(db, *query_engine, lexical);

  std::vector<std::string> queries;
  for (const auto& q : load_questions(opt.questions)) queries.push_back(q.text);
  domain::search_request warm;
  warm.query = "warm up";
  auto first = PATINA_AWAIT search.search(warm);
  std::fprintf(stderr, "  index: %lld symbols\n", static_cast<long long>(first.symbols));

  auto pct = [](std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const auto i = static_cast<std::size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
    return v[std::min(i, v.size() - 1)];
  };
  std::cout << fmt::format("latency on {} symbols (backend {}, query engine {}), {} queries x {} rounds:\n",
                           first.symbols, backend_name, query_engine->model_id(), queries.size(), opt.rounds);
  std::vector<double> embed_ms;
  for (const auto& q : queries) {
    const double e0 = now_s();
    (void)query_engine->embed(q);
    embed_ms.push_back((now_s() - e0) * 1000);
  }
  std::vector<double> refresh_ms;
  for (int i = 0; i < 20; ++i) {
    const double r0 = now_s();
    PATINA_AWAIT lexical.refresh();
    refresh_ms.push_back((now_s() - r0) * 1000);
  }
  std::cout << fmt::format("  query embedding alone          p50 {:6.1f} ms  p95 {:6.1f} ms\n", pct(embed_ms, 0.5),
                           pct(embed_ms, 0.95));
  std::cout << fmt::format("  lexical index check (no change) p50 {:6.1f} ms  p95 {:6.1f} ms\n",
                           pct(refresh_ms, 0.5), pct(refresh_ms, 0.95));
  const std::pair<const char*, domain::search_signals> modes[] = {{"lexical only", domain::search_signals::lexical},
                                                                  {"vector only", domain::search_signals::vector},
                                                                  {"hybrid", domain::search_signals::hybrid}};
  for (const auto& [label, signals] : modes) {
    std::vector<double> ms;
    for (int round = 0; round < opt.rounds; ++round) {
      for (const auto& q : queries) {
        domain::search_request r;
        r.query = q;
        r.signals = signals;
        const double s0 = now_s();
        auto res = PATINA_AWAIT search.search(r);
        ms.push_back((now_s() - s0) * 1000);
        (void)res;
      }
    }
    std::cout << fmt::format("  whole search, {:<16} p50 {:6.1f} ms  p95 {:6.1f} ms  max {:6.1f} ms\n", label,
                             pct(ms, 0.5), pct(ms, 0.95), pct(ms, 1.0));
  }
  PATINA_RETURN 0;
}

task<int> run(const options& opt) {
  if (opt.mode == "quality") {
    auto rc = PATINA_AWAIT run_quality(opt);
    PATINA_RETURN rc;
  }
  auto rc = PATINA_AWAIT run_latency(opt);
  PATINA_RETURN rc;
}

}  // namespace

int main(int argc, char** argv) {
  options opt;
  const char* env_sources = std::getenv("PATINA_EVAL_SOURCES");
  const char* home = std::getenv("HOME");
  opt.sources = env_sources != nullptr ? fs::path(env_sources)
                                       : fs::path(home != nullptr ? home : ".") / ".cache" / "patina" / "eval-sources";
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || (args[0] != "quality" && args[0] != "latency")) {
    std::cerr << "usage: search_bench quality|latency [--sources DIR] [--questions FILE] [--work DIR] "
                 "[--split test|tuning|all] [--tune] [--rounds N]\n";
    return 2;
  }
  opt.mode = args[0];
  for (std::size_t i = 1; i < args.size(); ++i) {
    auto next = [&]() -> std::string {
      if (i + 1 >= args.size()) throw std::runtime_error(args[i] + " needs a value");
      return args[++i];
    };
    if (args[i] == "--sources") opt.sources = next();
    else if (args[i] == "--questions") opt.questions = next();
    else if (args[i] == "--work") opt.work = next();
    else if (args[i] == "--split") opt.split = next();
    else if (args[i] == "--tune") opt.tune = true;
    else if (args[i] == "--rounds") opt.rounds = std::stoi(next());
    else {
      std::cerr << "search_bench: unknown argument " << args[i] << '\n';
      return 2;
    }
  }
  if (opt.work.empty()) opt.work = opt.sources.parent_path() / (std::string("eval-work-") + backend_name);
  try {
#if defined(PATINA_BACKEND_TURSO)
    int rc = 3;
    std::exception_ptr failure;
    boost::asio::co_spawn(io, run(opt), [&](std::exception_ptr e, int value) {
      failure = e;
      rc = value;
    });
    io.run();
    if (failure) std::rethrow_exception(failure);
    return rc;
#else
    return run(opt);
#endif
  } catch (const std::exception& e) {
    std::cerr << "search_bench: " << e.what() << '\n';
    return 1;
  }
}
