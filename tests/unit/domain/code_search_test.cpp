// Symbol embeddings, the lexical index and hybrid code search over this build's
// backend, with the hashing engine. The same test bodies run in both builds.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "backend_harness.hpp"
#include "db/common/connection.hpp"
#include "patina/domain/code_search.hpp"
#include "patina/domain/detail/search.hpp"
#include "patina/domain/detail/sql.hpp"
#include "patina/domain/embeddings_database.hpp"
#include "patina/domain/knowledge_store.hpp"
#include "patina/domain/lexical_follower.hpp"
#include "patina/domain/lexical_index.hpp"
#include "patina/embed/hashing_engine.hpp"
#include "patina/scrape/database.hpp"

namespace {

using namespace patina;
using patina::cli::task;
using patina::test::database;
using patina::test::harness;
using embeddings_t = domain::EmbeddingsDatabase<database>;
using lexical_t = domain::LexicalIndex<database>;
using search_t = domain::CodeSearch<database>;
using code_t = scrape::Database<database>;
namespace fs = std::filesystem;

class counting_engine final : public embed::embedding_engine {
 public:
  explicit counting_engine(std::size_t dim = 256) : inner_(embed::hashing_engine::create(dim).value()) {}
  std::string model_id() const override { return inner_.model_id(); }
  std::size_t dimension() const override { return inner_.dimension(); }
  std::vector<float> embed(std::string_view text) const override {
    ++calls;
    return inner_.embed(text);
  }
  mutable std::atomic<int> calls{0};

 private:
  embed::hashing_engine inner_;
};

void write(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

// A small tree in three languages.
fs::path write_tree(const fs::path& root) {
  write(root / "net" / "upload.py",
        "def retry_upload(request, attempts):\n"
        "    \"\"\"Send the request again after a failure, waiting longer each time.\"\"\"\n"
        "    return None\n\n"
        "def parse_headers(text):\n"
        "    \"\"\"Split raw HTTP header lines into a dictionary.\"\"\"\n"
        "    return {}\n");
  write(root / "store" / "cache.c",
        "/* Drop the least recently used entry from the cache. */\n"
        "int cache_evict(struct cache *c) { return 0; }\n\n"
        "/* Look a key up in the cache. */\n"
        "int cache_lookup(struct cache *c, const char *key) { return 0; }\n");
  write(root / "util" / "strings.go",
        "package util\n\n"
        "// ReverseString returns its argument with the characters in reverse order.\n"
        "func ReverseString(s string) string { return s }\n\n"
        "// RetryLater schedules a job again.\n"
        "func RetryLater(job int) {}\n");
  return root;
}

scrape::scrape_options quiet_scrape() {
  scrape::scrape_options o;
  o.scan.threads = 1;
  return o;
}

bool has_symbol(const std::vector<domain::hybrid_hit>& hits, const std::string& name) {
  for (const auto& h : hits)
    if (h.type == domain::item_type::symbol && h.name == name) return true;
  return false;
}

TEST(fusion, reciprocal_rank_sums_weighted_ranks) {
  using domain::detail::ranked_item;
  const std::vector<ranked_item> vec = {{domain::item_type::symbol, 1, 0.9}, {domain::item_type::symbol, 2, 0.8}};
  const std::vector<ranked_item> lex = {{domain::item_type::symbol, 2, 7.0}, {domain::item_type::symbol, 3, 5.0}};
  domain::fusion_params p;
  p.k = 10;
  p.vector_weight = 1.0;
  p.lexical_weight = 2.0;
  const auto fused = domain::detail::fuse(vec, lex, p);
  ASSERT_EQ(fused.size(), 3u);
  // id 2: 1/12 + 2/11; id 3: 2/12; id 1: 1/11.
  EXPECT_EQ(fused[0].id, 2);
  EXPECT_NEAR(fused[0].score, 1.0 / 12 + 2.0 / 11, 1e-12);
  ASSERT_TRUE(fused[0].vector.has_value());
  EXPECT_EQ(fused[0].vector->rank, 2u);
  ASSERT_TRUE(fused[0].lexical.has_value());
  EXPECT_EQ(fused[0].lexical->rank, 1u);
  EXPECT_EQ(fused[1].id, 3);
  EXPECT_FALSE(fused[1].vector.has_value());
  EXPECT_EQ(fused[2].id, 1);
  EXPECT_FALSE(fused[2].lexical.has_value());
}

TEST(fusion, ties_prefer_the_better_vector_rank) {
  using domain::detail::ranked_item;
  const std::vector<ranked_item> vec = {{domain::item_type::symbol, 5, 0.9}};
  const std::vector<ranked_item> lex = {{domain::item_type::symbol, 4, 3.0}};
  domain::fusion_params equal;
  equal.vector_weight = 1.0;
  equal.lexical_weight = 1.0;
  const auto fused = domain::detail::fuse(vec, lex, equal);
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_EQ(fused[0].id, 5);
  EXPECT_DOUBLE_EQ(fused[0].score, fused[1].score);
}

TEST(fusion, priors_scale_scores_and_names_collapse_to_their_definition) {
  using domain::detail::ranked_item;
  domain::fusion_params p;
  p.k = 10;
  p.vector_weight = 1.0;
  p.data_kind_weight = 0.5;
  EXPECT_EQ(domain::detail::kind_prior("field", "", p), 0.5);
  EXPECT_EQ(domain::detail::kind_prior("macro", "#define N 4", p), 0.5);
  EXPECT_EQ(domain::detail::kind_prior("macro", "#define MIN(a, b)", p), 1.0);
  EXPECT_EQ(domain::detail::kind_prior("function", "int f(void)", p), 1.0);
  // A field ranked first loses to a function ranked second once its prior applies.
  const std::vector<ranked_item> vec = {{domain::item_type::symbol, 1, 0.9, 0.5},
                                        {domain::item_type::symbol, 2, 0.8, 1.0}};
  const auto fused = domain::detail::fuse(vec, {}, p);
  ASSERT_EQ(fused.size(), 2u);
  EXPECT_EQ(fused[0].id, 2);
  EXPECT_NEAR(fused[1].score, 0.5 / 11, 1e-12);

  // deflateBound: a renaming macro (data) ranked first, the header declaration
  // second, the definition third -> one result, the definition, at rank 1.
  std::vector<domain::detail::fused_item> items(4);
  for (std::size_t i = 0; i < items.size(); ++i) {
    items[i].id = static_cast<std::int64_t>(i + 1);
    items[i].score = 1.0 - 0.1 * static_cast<double>(i);
  }
  items[3].type = domain::item_type::belief;
  std::unordered_map<std::int64_t, domain::detail::symbol_key> keys = {
      {1, {"deflateBound", "zconf.h", domain::detail::symbol_preference("macro", "#define deflateBound z_x", 0)}},
      {2, {"deflateBound", "zlib.h", domain::detail::symbol_preference("function", "uLong deflateBound()",
                                                                         scrape::flag_declaration)}},
      {3, {"deflateBound", "deflate.c", domain::detail::symbol_preference("function", "uLong deflateBound()", 0)}},
  };
  const auto collapsed = domain::detail::collapse_by_name(items, keys);
  ASSERT_EQ(collapsed.size(), 2u);
  EXPECT_EQ(collapsed[0].id, 3);
  EXPECT_DOUBLE_EQ(collapsed[0].score, 1.0);
  EXPECT_EQ(collapsed[1].type, domain::item_type::belief);
}

TEST(fusion, lexical_lists_of_two_corpora_merge_by_scaled_score) {
  using domain::detail::ranked_item;
  // Symbols score high BM25, a lone knowledge item a tiny one: scaled to the
  // best of their own list, each list's best comes first, raw scores kept.
  std::vector<ranked_item> symbols = {{domain::item_type::symbol, 1, 9.0}, {domain::item_type::symbol, 2, 3.0}};
  std::vector<ranked_item> knowledge = {{domain::item_type::belief, 7, 1e-6}};
  const auto merged = domain::detail::merge_scaled(symbols, knowledge);
  ASSERT_EQ(merged.size(), 3u);
  EXPECT_EQ(merged[0].id, 1);
  EXPECT_EQ(merged[1].id, 7);
  EXPECT_DOUBLE_EQ(merged[1].score, 1e-6);
  EXPECT_EQ(merged[2].id, 2);
}

TEST(fusion, query_terms_drop_common_words_and_split_identifiers) {
  const auto terms = domain::detail::query_terms("Where do we retryUpload when the upload_fails?");
  EXPECT_EQ(terms, (std::vector<std::string>{"retry", "upload", "fails"}));
  EXPECT_EQ(domain::detail::fts_any_of(terms), "\"retry\" OR \"upload\" OR \"fails\"");
  EXPECT_TRUE(domain::detail::query_terms("what is the").empty());
  const std::vector<std::string> args = {"arguments", "count"};
  EXPECT_EQ(domain::detail::expand_abbreviations(args),
            (std::vector<std::string>{"arguments", "argument", "arg", "args", "argv", "count"}));
  EXPECT_TRUE(domain::detail::path_matches("net/*", "net/deep/upload.py"));
  EXPECT_FALSE(domain::detail::path_matches("net/*", "store/cache.c"));
}

// A signature's keywords are left out of the lexical index: "function" (read
// also as `func`) must not match every Go symbol by its `func`.
TEST(fusion, signature_words_leave_out_keywords) {
  EXPECT_EQ(domain::detail::words_without_keywords("func (c *Command) Name() string"), "c command name string");
  EXPECT_EQ(domain::detail::words_without_keywords("static const char *gz_error(int err)"), "gz error err");
  EXPECT_EQ(domain::detail::words_without_keywords("def retry_upload(self, request)"), "retry upload request");
  EXPECT_EQ(domain::detail::words_of("def retry_upload(self, request)"), "def retry upload self request");
}

TEST(fusion, symbol_embedding_text_keeps_the_innermost_scopes_and_the_doc_prose) {
  using domain::detail::symbol_embedding_text;
  EXPECT_EQ(symbol_embedding_text("requests.models.Response.iter_lines", ""), "models response iter lines");
  EXPECT_EQ(symbol_embedding_text("a::net::Client::retryUpload", ""), "net client retry upload");
  EXPECT_EQ(symbol_embedding_text("cobra.Command.CommandPath", ""), "cobra command command path");
  EXPECT_EQ(symbol_embedding_text("gzprintf", "=====\n Writes formatted\n output.\n"),
            "gzprintf. Writes formatted output.");
  EXPECT_EQ(symbol_embedding_text("get", "Sends a GET request.\n\n:param url: URL.\n>>> get('x')\n@return it\nDone."),
            "get. Sends a GET request. Done.");
}

TEST(code_search, generate_missing_embeds_symbols_in_resumable_batches) {
  harness h;
  h.run([](harness& t) -> task<void> {
    const auto root = write_tree(t.db_path("tree"));
    auto db = PATINA_AWAIT t.open(t.db_path());
    code_t code(db);
    auto report = PATINA_AWAIT code.scrape(root, quiet_scrape());
    PATINA_ASSERT_TRUE(report.symbols >= 6u)
    counting_engine engine;
    embeddings_t embeddings(db, engine);
    PATINA_AWAIT embeddings.ensure_model();
    domain::KnowledgeStore<database> store(db, &embeddings);
    PATINA_AWAIT store.add_belief("uploads are retried three times");
    const int after_belief = engine.calls.load();

    // An interruption after the first batch keeps that batch.
    domain::generate_options interrupted;
    interrupted.batch_size = 2;
    interrupted.progress = [](const domain::embedding_progress& p) {
      if (p.done >= 2) throw std::runtime_error("interrupted");
    };
    bool threw = false;
    try {
      PATINA_AWAIT embeddings.generate_missing(interrupted);
    } catch (const std::runtime_error&) {
      threw = true;
    }
    EXPECT_TRUE(threw);
    auto partial = PATINA_AWAIT embeddings.counts();
    EXPECT_EQ(partial.symbols.embedded, 2);
    EXPECT_EQ(partial.beliefs.embedded, 1);

    std::vector<domain::embedding_progress> seen;
    domain::generate_options rest;
    rest.batch_size = 3;
    rest.progress = [&seen](const domain::embedding_progress& p) { seen.push_back(p); };
    auto n = PATINA_AWAIT embeddings.generate_missing(rest);
    auto counts = PATINA_AWAIT embeddings.counts();
    EXPECT_EQ(static_cast<std::int64_t>(n) + 2, counts.symbols.total);
    EXPECT_EQ(counts.symbols.embedded, counts.symbols.total);
    PATINA_ASSERT_TRUE(!seen.empty())
    EXPECT_EQ(seen.back().done, n);
    EXPECT_EQ(seen.back().total, n);
    EXPECT_EQ(seen.back().type, domain::item_type::symbol);

    // Nothing missing: nothing embedded. --force: everything again.
    const int before_rerun = engine.calls.load();
    auto again = PATINA_AWAIT embeddings.generate_missing();
    EXPECT_EQ(again, 0u);
    EXPECT_EQ(engine.calls.load(), before_rerun);
    domain::generate_options force;
    force.force = true;
    auto forced = PATINA_AWAIT embeddings.generate_missing(force);
    EXPECT_EQ(static_cast<std::int64_t>(forced), counts.symbols.total + 1);
    EXPECT_GT(engine.calls.load(), after_belief);

    // A changed doc comment makes that symbol (and only it) stale.
    write(root / "util" / "strings.go",
          "package util\n\n"
          "// ReverseString flips the order of the characters of its argument.\n"
          "func ReverseString(s string) string { return s }\n\n"
          "// RetryLater schedules a job again.\n"
          "func RetryLater(job int) {}\n");
    PATINA_AWAIT code.scrape(root, quiet_scrape());
    auto stale = PATINA_AWAIT embeddings.generate_missing();
    EXPECT_EQ(stale, 1u);
  });
}

TEST(fusion, glued_words_come_from_the_index_names) {
  const auto names = domain::detail::reversed_sorted(
      {"gzvprintf", "gzprintf", "printf", "gzbuffer", "buffer", "xbuffer2", "len", "superlen", "2buffer", "gzprintf"});
  EXPECT_EQ(names.size(), 9u);
  EXPECT_EQ(names.front(), "2reffubx");
  const std::vector<std::string> terms = {"printf", "buffers", "len"};
  // Shortest first, at most `per_term`; the term itself, words not ending in it,
  // words starting with a digit and terms under 4 letters add nothing.
  EXPECT_EQ(domain::detail::glued_words(terms, names, 8),
            (std::vector<std::string>{"gzprintf", "gzvprintf", "gzbuffer"}));
  EXPECT_EQ(domain::detail::glued_words(terms, names, 1), (std::vector<std::string>{"gzprintf", "gzbuffer"}));
}

TEST(fusion, test_and_example_code_is_recognised_by_folder_and_file_name) {
  for (const char* p : {"test/example.c", "src/tests/a.py", "pkg/testdata/x.go", "web/__tests__/a.js",
                        "examples/gzappend.c", "docs/example/main.go", "demo/app.js", "samples/Hello.java",
                        "command_test.go", "requests/test_utils.py", "conftest.py", "lib/a.spec.ts",
                        "ui/button.test.tsx", "src/FooTest.java", "net/socket_test.cc"})
    EXPECT_TRUE(domain::detail::is_test_or_example_path(p)) << p;
  for (const char* p : {"command.go", "requests/utils.py", "contest.py", "src/testament.c", "latest/a.c",
                        "attest.go", "test", "examples.c", "src/sample.py"})
    EXPECT_FALSE(domain::detail::is_test_or_example_path(p)) << p;
  domain::fusion_params params;
  params.data_kind_weight = 0.5;
  params.test_code_weight = 0.25;
  EXPECT_EQ(domain::detail::symbol_prior("function", "", "command_test.go", params), 0.25);
  EXPECT_EQ(domain::detail::symbol_prior("field", "", "test/a.c", params), 0.125);
  EXPECT_EQ(domain::detail::symbol_prior("function", "", "command.go", params), 1.0);
}

// A C function's lexical document, as the index stores it.
domain::lexical_symbol_doc c_function_doc(std::int64_t id, std::string name, std::string body = {}) {
  domain::lexical_symbol_doc d;
  d.id = id;
  d.file_id = 1;
  d.name = name;
  d.qualified_name = name;
  d.path = "zlib.c";
  d.language = "c";
  d.kind = "function";
  d.body_terms = std::move(body);
  return d;
}

TEST(fusion, lexical_store_matches_glued_names_and_follows_changes) {
  auto store = domain::lexical_store::open(":memory:");
  const auto doc = [](std::int64_t id, std::string name) { return c_function_doc(id, std::move(name)); };
  const std::vector<std::pair<std::int64_t, std::string>> files = {{1, "a"}};
  const std::vector<domain::lexical_symbol_doc> first = {doc(10, "gzprintf"), doc(11, "gzclose")};
  store.replace_files(files, {}, first);
  const domain::code_filter none;
  const domain::lexical_weights w;
  auto hits = store.search_symbols("formatted printf output", none, 5, w);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, 10);
  // New names are seen by the next search (the word list is read again).
  const std::vector<std::pair<std::int64_t, std::string>> again = {{1, "b"}};
  const std::vector<domain::lexical_symbol_doc> second = {doc(12, "gzvprintf")};
  store.replace_files(again, {}, second);
  hits = store.search_symbols("printf", none, 5, w);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, 12);
}

// Body words are a field of their own: a question that only a body answers
// finds the function, with a lower weight than a name match.
TEST(fusion, lexical_store_searches_body_words) {
  auto store = domain::lexical_store::open(":memory:");
  const auto doc = c_function_doc;
  const std::vector<std::pair<std::int64_t, std::string>> files = {{1, "a"}};
  const std::vector<domain::lexical_symbol_doc> docs = {doc(10, "updatewindow", "copy output into the circular wsize"),
                                                       doc(11, "inflateReset", "state reset mode"),
                                                       doc(12, "circularBuffer", "")};
  store.replace_files(files, {}, docs);
  const domain::code_filter none;
  const domain::lexical_weights w;
  auto hits = store.search_symbols("circular", none, 5, w);
  ASSERT_EQ(hits.size(), 2u);
  EXPECT_EQ(hits[0].id, 12) << "a name match outweighs a body match";
  EXPECT_EQ(hits[1].id, 10);
  hits = store.search_symbols("wsize", none, 5, w);
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].id, 10);
}

using follower_t = domain::LexicalFollower<database>;

task<follower_t> start_follower(harness& t, database& db, const fs::path& store_path) {
  auto store = domain::lexical_store::open(store_path);
#if defined(PATINA_BACKEND_TURSO)
  (void)t;  // the Turso build's follower reads through `db` itself
  auto follower = co_await follower_t::start(db, std::move(store), true);
  co_return follower;
#else
  std::optional<database> reader(t.open(t.db_path()));
  return follower_t::start(db, std::move(reader), std::move(store));
#endif
}

// The follower's store is complete when finish() returns: unnotified, finish()
// does all the work; notified after each commit, it does what is left. stop()
// ends the following without the last refresh.
TEST(code_search, lexical_follower_is_complete_after_finish) {
  harness h;
  h.run([](harness& t) -> task<void> {
    const auto root = write_tree(t.db_path("tree"));
    auto db = PATINA_AWAIT t.open(t.db_path());
    code_t code(db);
    {
      auto follower = PATINA_AWAIT start_follower(t, db, t.db_path("local.db"));
      PATINA_AWAIT code.scrape(root, quiet_scrape());
      PATINA_AWAIT follower.finish();
      lexical_t check(db, follower.store());
      auto left = PATINA_AWAIT check.refresh();
      EXPECT_EQ(left.files_updated, 0u);
      EXPECT_EQ(left.files_removed, 0u);
      const domain::code_filter none;
      auto hits = PATINA_AWAIT check.search_symbols("evict least recently used", none, 5);
      PATINA_ASSERT_TRUE(!hits.empty())
    }
    {
      write(root / "store" / "cache.c", "/* Throw away the oldest entry. */\nint cache_discard_oldest(void) { return 0; }\n");
      fs::remove(root / "util" / "strings.go");
      auto follower = PATINA_AWAIT start_follower(t, db, t.db_path("local.db"));
      auto opts = quiet_scrape();
      opts.committed = [&follower] { follower.notify(); };
      PATINA_AWAIT code.scrape(root, opts);
      PATINA_AWAIT follower.finish();
      lexical_t check(db, follower.store());
      auto left = PATINA_AWAIT check.refresh();
      EXPECT_EQ(left.files_updated, 0u);
      EXPECT_EQ(left.files_removed, 0u);
    }
    {
      auto follower = PATINA_AWAIT start_follower(t, db, t.db_path("local.db"));
      follower.notify();
      PATINA_AWAIT follower.stop();
    }
  });
}

TEST(code_search, lexical_index_follows_rescans) {
  harness h;
  h.run([](harness& t) -> task<void> {
    const auto root = write_tree(t.db_path("tree"));
    auto db = PATINA_AWAIT t.open(t.db_path());
    code_t code(db);
    PATINA_AWAIT code.scrape(root, quiet_scrape());
    auto store = domain::lexical_store::open(t.db_path("local.db"));
    lexical_t lexical(db, store);
    auto first = PATINA_AWAIT lexical.refresh();
    EXPECT_EQ(first.files_updated, 3u);
    auto second = PATINA_AWAIT lexical.refresh();
    EXPECT_EQ(second.files_updated, 0u);
    EXPECT_EQ(second.symbols_indexed, 0u);

    const domain::code_filter none;
    auto hits = PATINA_AWAIT lexical.search_symbols("evict least recently used", none, 5);
    PATINA_ASSERT_TRUE(!hits.empty())

    // Edit one file (rename a function), delete another, rescan.
    write(root / "store" / "cache.c",
          "/* Throw away the oldest entry of the cache. */\n"
          "int cache_discard_oldest(struct cache *c) { return 0; }\n");
    fs::remove(root / "util" / "strings.go");
    PATINA_AWAIT code.scrape(root, quiet_scrape());
    auto third = PATINA_AWAIT lexical.refresh();
    EXPECT_EQ(third.files_updated, 1u);
    EXPECT_EQ(third.files_removed, 1u);

    auto old_name = PATINA_AWAIT lexical.search_symbols("evict lookup", none, 5);
    EXPECT_TRUE(old_name.empty());
    auto gone = PATINA_AWAIT lexical.search_symbols("reverse string", none, 5);
    EXPECT_TRUE(gone.empty());
    auto renamed = PATINA_AWAIT lexical.search_symbols("discard oldest", none, 5);
    PATINA_ASSERT_EQ(renamed.size(), 1u)

    const std::vector<db::value> no_params;
    auto rows = PATINA_AWAIT db.query("SELECT count(*) FROM symbols", no_params);
    EXPECT_EQ(store.symbol_count(), domain::detail::count_from(rows));

    // A fresh store (the sidecar deleted) is rebuilt in full.
    auto fresh = domain::lexical_store::open(":memory:");
    lexical_t rebuilt(db, fresh);
    auto r = PATINA_AWAIT rebuilt.refresh();
    EXPECT_EQ(r.files_updated, 2u);
    EXPECT_EQ(fresh.symbol_count(), domain::detail::count_from(rows));
  });
}

// A search gives way to another process writing the lexical index (a scrape's
// follower holds it for a while): it searches the index as it is and says so,
// instead of failing with "database is locked"; once the writer is done, the
// next search catches up.
TEST(code_search, search_goes_on_while_another_process_writes_the_lexical_index) {
  harness h;
  h.run([](harness& t) -> task<void> {
    const auto root = write_tree(t.db_path("tree"));
    auto db = PATINA_AWAIT t.open(t.db_path());
    code_t code(db);
    PATINA_AWAIT code.scrape(root, quiet_scrape());
    counting_engine engine;
    embeddings_t embeddings(db, engine);
    PATINA_AWAIT embeddings.ensure_model();
    auto store = domain::lexical_store::open(t.db_path("local.db"), 0, std::chrono::milliseconds(50));
    lexical_t lexical(db, store);
    search_t search(db, engine, lexical);
    PATINA_AWAIT lexical.refresh();

    write(root / "store" / "cache.c", "/* Throw away the oldest entry. */\nint cache_discard_oldest(void) { return 0; }\n");
    PATINA_AWAIT code.scrape(root, quiet_scrape());
    auto writer = db::detail::connection::open(t.db_path("local.db")).value();
    PATINA_ASSERT_TRUE(writer.exec_script("BEGIN IMMEDIATE").has_value())

    domain::search_request r;
    r.query = "retry the upload after a failure";
    auto stale = PATINA_AWAIT search.search(r);
    EXPECT_TRUE(stale.lexical_stale);
    PATINA_ASSERT_TRUE(!stale.hits.empty())
    EXPECT_EQ(stale.hits[0].name, "retry_upload");  // from the index as it was
    r.query = "discard oldest";
    auto missing = PATINA_AWAIT search.search(r);
    EXPECT_TRUE(missing.lexical_stale);
    for (const auto& hit : missing.hits) EXPECT_NE(hit.name, "cache_discard_oldest");

    PATINA_ASSERT_TRUE(writer.exec_script("ROLLBACK").has_value())
    r.query = "discard oldest";
    auto fresh = PATINA_AWAIT search.search(r);
    EXPECT_FALSE(fresh.lexical_stale);
    PATINA_ASSERT_TRUE(!fresh.hits.empty())
    EXPECT_EQ(fresh.hits[0].name, "cache_discard_oldest");
  });
}

TEST(code_search, hybrid_search_ranks_filters_and_explains) {
  harness h;
  h.run([](harness& t) -> task<void> {
    const auto root = write_tree(t.db_path("tree"));
    auto db = PATINA_AWAIT t.open(t.db_path());
    code_t code(db);
    PATINA_AWAIT code.scrape(root, quiet_scrape());
    counting_engine engine;
    embeddings_t embeddings(db, engine);
    PATINA_AWAIT embeddings.ensure_model();
    auto store = domain::lexical_store::open(t.db_path("local.db"));
    lexical_t lexical(db, store);
    search_t search(db, engine, lexical);

    // No vectors yet: lexical alone still answers, and says how many lack one.
    domain::search_request r;
    r.query = "retry the upload after a failure";
    auto lexical_only = PATINA_AWAIT search.search(r);
    PATINA_ASSERT_TRUE(!lexical_only.hits.empty())
    EXPECT_EQ(lexical_only.hits[0].name, "retry_upload");
    EXPECT_EQ(lexical_only.symbols_without_vectors, lexical_only.symbols);
    EXPECT_FALSE(lexical_only.hits[0].vector.has_value());

    PATINA_AWAIT embeddings.generate_missing();
    auto hybrid = PATINA_AWAIT search.search(r);
    EXPECT_EQ(hybrid.symbols_without_vectors, 0);
    PATINA_ASSERT_TRUE(!hybrid.hits.empty())
    const auto& top = hybrid.hits[0];
    EXPECT_EQ(top.name, "retry_upload");
    EXPECT_EQ(top.path, "net/upload.py");
    EXPECT_EQ(top.line, 1u);
    EXPECT_EQ(top.kind, "function");
    EXPECT_EQ(top.language, "python");
    EXPECT_TRUE(top.vector.has_value());
    PATINA_ASSERT_TRUE(top.lexical.has_value())
    EXPECT_EQ(top.lexical->rank, 1u);
    EXPECT_NE(top.why.find("\"retry\", \"upload\" in name"), std::string::npos) << top.why;
    EXPECT_NE(top.why.find("\"failure\" in doc"), std::string::npos) << top.why;
    EXPECT_NE(top.why.find("cosine"), std::string::npos) << top.why;
    // A word of the module path is named as the scope's, not the name's.
    domain::search_request scoped = r;
    scoped.query = "net retry";
    auto in_scope = PATINA_AWAIT search.search(scoped);
    PATINA_ASSERT_TRUE(!in_scope.hits.empty())
    EXPECT_EQ(in_scope.hits[0].name, "retry_upload");
    EXPECT_NE(in_scope.hits[0].why.find("\"retry\" in name, \"net\" in scope"), std::string::npos)
        << in_scope.hits[0].why;
    for (std::size_t i = 1; i < hybrid.hits.size(); ++i) EXPECT_GE(hybrid.hits[i - 1].score, hybrid.hits[i].score);

    // Filters: language and kind inside both signals, path by glob.
    domain::search_request go = r;
    go.filter.language = "go";
    auto in_go = PATINA_AWAIT search.search(go);
    PATINA_ASSERT_TRUE(!in_go.hits.empty())
    for (const auto& hit : in_go.hits) EXPECT_EQ(hit.language, "go") << hit.qualified_name;
    EXPECT_EQ(in_go.hits[0].name, "RetryLater");

    domain::search_request under_store = r;
    under_store.filter.path_glob = "store/*";
    auto in_store = PATINA_AWAIT search.search(under_store);
    PATINA_ASSERT_TRUE(!in_store.hits.empty())
    for (const auto& hit : in_store.hits) EXPECT_EQ(hit.path, "store/cache.c");

    domain::search_request nothing = r;
    nothing.filter.kind = "class";
    auto no_classes = PATINA_AWAIT search.search(nothing);
    EXPECT_TRUE(no_classes.hits.empty());

    // Single-signal modes.
    domain::search_request vector_only = r;
    vector_only.signals = domain::search_signals::vector;
    auto v = PATINA_AWAIT search.search(vector_only);
    PATINA_ASSERT_TRUE(!v.hits.empty())
    for (const auto& hit : v.hits) EXPECT_FALSE(hit.lexical.has_value());

    // Scope all: knowledge items join the same ranking.
    domain::KnowledgeStore<database> knowledge(db, &embeddings);
    auto b = PATINA_AWAIT knowledge.add_belief("failed uploads are retried with a growing delay");
    domain::search_request all = r;
    all.scope = domain::search_scope::all;
    all.query = "failed uploads retried";
    auto mixed = PATINA_AWAIT search.search(all);
    bool found_belief = false;
    for (const auto& hit : mixed.hits)
      if (hit.type == domain::item_type::belief && hit.id == b.id) found_belief = true;
    EXPECT_TRUE(found_belief);
    EXPECT_TRUE(has_symbol(mixed.hits, "retry_upload"));
  });
}

}  // namespace
