// End-to-end tests of `patina migrate` (issue #10) and of each build refusing the
// other build's database: the built binary run as a subprocess. The other build's
// files are made with the shared schema code and, for the SQLite build's vec0
// tables, sqlite-vec loaded at run time (tests/common/build_format_fixtures.hpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "temp_dir.hpp"
#include "build_format_fixtures.hpp"
#include "patina/backend.hpp"
#include "subprocess.hpp"

namespace fs = std::filesystem;
using patina::test::process_options;
using patina::test::process_result;

namespace {

using patina::test::temp_dir;

std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

class migrate_cli : public ::testing::Test {
 protected:
  process_result patina(std::vector<std::string> args, const fs::path& cwd = {}) {
    args.insert(args.begin(), PATINA_CLI_PATH);
    process_options opts;
    opts.cwd = cwd.empty() ? dir_.path() : cwd;
    for (const char* v : {"PATINA_DB", "PATINA_TURSO_URL", "PATINA_TURSO_TOKEN", "PATINA_MODEL_DIR"})
      opts.unset_env.emplace_back(v);
    return patina::test::run_process(args, opts);
  }

  temp_dir dir_;
};

TEST_F(migrate_cli, from_is_required) {
  auto r = patina({"migrate"});
  EXPECT_EQ(r.exit_code, 2) << r.err;
  EXPECT_NE(r.err.find("--from"), std::string::npos) << r.err;
}

// Each build refuses the other's database at open, names the fix, and leaves it alone.
TEST_F(migrate_cli, the_other_builds_database_is_refused_and_left_alone) {
  const auto file = dir_.path() / "other.db";
#if defined(PATINA_BACKEND_TURSO)
  patina::test::make_sqlite_build_database(file);
  const std::string expected = "written by the SQLite build";
  const std::string fix = "`patina migrate --from " + file.string() + "`";
#else
  patina::test::make_turso_build_database(file);
  const std::string expected = "written by the Turso build";
  const std::string fix = "open it with the Turso build";
#endif
  const auto before = read_bytes(file);
  for (const std::vector<std::string>& command :
       {std::vector<std::string>{"status"}, std::vector<std::string>{"sql", "SELECT count(*) FROM beliefs"},
        std::vector<std::string>{"search", "uploads"}}) {
    std::vector<std::string> args{"--db", file.string()};
    args.insert(args.end(), command.begin(), command.end());
    auto r = patina(args);
    EXPECT_EQ(r.exit_code, 1) << command.front() << ": " << r.out << r.err;
    EXPECT_NE(r.err.find(expected), std::string::npos) << r.err;
    EXPECT_NE(r.err.find(fix), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("cannot create triggers"), std::string::npos) << r.err;
  }
  EXPECT_EQ(read_bytes(file), before);
}

#if !defined(PATINA_BACKEND_TURSO)

TEST_F(migrate_cli, exists_only_in_the_turso_build) {
  const auto file = dir_.path() / "old.db";
  patina::test::make_sqlite_build_database(file);
  auto r = patina({"migrate", "--from", file.string()});
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_NE(r.err.find("exists only in the Turso build"), std::string::npos) << r.err;
  EXPECT_TRUE(r.out.empty()) << r.out;
}

#else

using patina::db::value;
using patina::db::detail::connection;

// Every row of `table`, ordered by its first column. vec0 tables need `conn` to have
// sqlite-vec loaded.
std::vector<std::vector<value>> rows_of(connection& conn, const std::string& table, const std::string& columns = "*") {
  return conn.query("SELECT " + columns + " FROM " + table + " ORDER BY 1").value().rows;
}

std::string meta(connection& conn, const std::string& key) {
  const std::vector<value> params{key};
  auto rows = conn.query("SELECT value FROM patina_meta WHERE key = ?1", params).value().rows;
  return rows.empty() ? std::string() : std::get<std::string>(rows[0][0]);
}

class turso_migrate : public migrate_cli {
 protected:
  fs::path project_db() const { return dir_.path() / ".patina" / "patina.db"; }

  void init_project() {
    auto r = patina({"init"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  // The model and dimension `patina init` recorded in the project.
  patina::test::fixture_size same_model_as_project() {
    auto conn = connection::open(project_db()).value();
    patina::test::fixture_size size;
    size.model = meta(conn, "embedding_model");
    size.dimension = std::stoul(meta(conn, "vector_dimension"));
    return size;
  }

  // Compares every table of the SQLite-build `source` with the project's database,
  // vectors byte for byte.
  void expect_same_content(const fs::path& source) {
    auto src = patina::test::open_fixture(source, true);
    auto dst = connection::open(project_db()).value();
    for (const char* table : {"beliefs", "observations", "embeddings", "files", "symbols", "imports", "calls",
                              "skipped_files"}) {
      const auto expected = rows_of(src, table);
      EXPECT_FALSE(expected.empty()) << table;
      EXPECT_EQ(rows_of(dst, table), expected) << table;
    }
    EXPECT_EQ(rows_of(dst, "belief_vectors", "id, embedding"), rows_of(src, "belief_vectors", "id, embedding"));
    EXPECT_EQ(rows_of(dst, "observation_vectors", "id, embedding, obs_type"),
              rows_of(src, "observation_vectors", "id, embedding, obs_type"));
    EXPECT_EQ(rows_of(dst, "symbol_vectors", "id, embedding, language, kind"),
              rows_of(src, "symbol_vectors", "id, embedding, language, kind"));
    for (const char* key : {"vector_dimension", "embedding_model", "scrape_root"}) {
      EXPECT_EQ(meta(dst, key), meta(src, key)) << key;
    }
  }
};

TEST_F(turso_migrate, imports_everything_verifies_and_is_idempotent) {
  init_project();
  const auto source = dir_.path() / "sqlite-build.db";
  const auto size = same_model_as_project();
  patina::test::make_sqlite_build_database(source, size);
  const auto source_bytes = read_bytes(source);

  auto r = patina({"migrate", "--from", source.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_TRUE(doc["changed"].get<bool>());
  EXPECT_FALSE(doc["adopted_model"].get<bool>());
  EXPECT_EQ(doc["model"]["id"], size.model);
  EXPECT_EQ(doc["model"]["dimension"], size.dimension);
  const int symbols = size.files * size.symbols_per_file;
  const std::vector<std::pair<std::string, int>> expected{
      {"beliefs", size.beliefs},
      {"observations", size.observations},
      {"embeddings", size.beliefs + size.observations + symbols},
      {"files", size.files},
      {"symbols", symbols},
      {"imports", size.files},
      {"calls", symbols},
      {"skipped_files", 1},
      {"belief_vectors", size.beliefs},
      {"observation_vectors", size.observations},
      {"symbol_vectors", symbols}};
  int total = 0;
  for (const auto& [table, n] : expected) {
    const auto& t = doc["tables"][table];
    EXPECT_EQ(t["source"], n) << table;
    EXPECT_EQ(t["imported"], n) << table;
    EXPECT_EQ(t["target"], n) << table;
    total += n;
  }
  EXPECT_EQ(doc["imported"].get<int>(), total + 1);  // + patina_meta's scrape_root
  EXPECT_EQ(doc["verified"]["vectors"], size.beliefs + size.observations + symbols);
  EXPECT_GE(doc["verified"]["rows"].get<int>(), total - size.beliefs - size.observations - symbols);
  EXPECT_EQ(read_bytes(source), source_bytes);
  expect_same_content(source);

  // A second run finds everything in place and changes nothing.
  auto again = patina({"migrate", "--from", source.string()});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_NE(again.out.find("Nothing to import"), std::string::npos) << again.out;
  auto again_json = patina({"migrate", "--from", source.string(), "--json"});
  ASSERT_EQ(again_json.exit_code, 0) << again_json.err;
  const auto second = nlohmann::json::parse(again_json.out);
  EXPECT_FALSE(second["changed"].get<bool>());
  EXPECT_EQ(second["imported"], 0);
  EXPECT_EQ(second["tables"]["symbol_vectors"]["already_present"], symbols);
  expect_same_content(source);
  EXPECT_EQ(read_bytes(source), source_bytes);

  // The imported project works: the Turso build opens it and finds the beliefs.
  auto status = patina({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(nlohmann::json::parse(status.out)["beliefs"], size.beliefs);
  auto search = patina({"search", "uploads retry", "--in", "beliefs", "--json"});
  ASSERT_EQ(search.exit_code, 0) << search.err;
  EXPECT_FALSE(nlohmann::json::parse(search.out)["results"].empty()) << search.out;
}

TEST_F(turso_migrate, an_empty_project_adopts_the_sources_model) {
  init_project();
  const auto source = dir_.path() / "other-model.db";
  patina::test::fixture_size size;  // hashing-v1-16: not the project's model
  patina::test::make_sqlite_build_database(source, size);
  auto r = patina({"migrate", "--from", source.string(), "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_TRUE(doc["adopted_model"].get<bool>());
  EXPECT_EQ(doc["model"]["dimension"], 16);
  expect_same_content(source);
}

TEST_F(turso_migrate, refuses_vectors_of_another_model_when_the_project_has_vectors) {
  init_project();
  auto added = patina({"belief", "add", "The config file is TOML"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const auto source = dir_.path() / "other-model.db";
  patina::test::make_sqlite_build_database(source);  // dimension 16
  auto r = patina({"migrate", "--from", source.string()});
  EXPECT_EQ(r.exit_code, 1) << r.out << r.err;
  EXPECT_NE(r.err.find("come from model hashing-v1-16 (dimension 16)"), std::string::npos) << r.err;
  auto conn = connection::open(project_db()).value();
  EXPECT_EQ(rows_of(conn, "beliefs").size(), 1U);
  EXPECT_TRUE(rows_of(conn, "observations").empty());
}

TEST_F(turso_migrate, refuses_what_is_not_a_sqlite_build_database) {
  init_project();
  const auto text = dir_.path() / "notes.txt";
  std::ofstream(text) << "these are my notes, not a database\n";
  auto r = patina({"migrate", "--from", text.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("is not a SQLite database"), std::string::npos) << r.err;

  const auto foreign = dir_.path() / "orders.db";
  connection::open(foreign).value().exec_script("CREATE TABLE orders (id INTEGER PRIMARY KEY)").value();
  r = patina({"migrate", "--from", foreign.string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("not a Patina one"), std::string::npos) << r.err;

  // A real Turso-build project's database.
  const auto other = dir_.path() / "other";
  fs::create_directories(other);
  ASSERT_EQ(patina({"init"}, other).exit_code, 0);
  ASSERT_EQ(patina({"belief", "add", "Turso side"}, other).exit_code, 0);
  r = patina({"migrate", "--from", (other / ".patina" / "patina.db").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("written by the Turso build already"), std::string::npos) << r.err;

  r = patina({"migrate", "--from", (dir_.path() / "missing.db").string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("does not exist"), std::string::npos) << r.err;

  r = patina({"migrate", "--from", project_db().string()});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("this project's own database"), std::string::npos) << r.err;

  auto conn = connection::open(project_db()).value();
  EXPECT_TRUE(rows_of(conn, "beliefs").empty());
}

// A difference found by the verification rolls the whole import back. The fault is
// injected through the target file: a trigger rewrites each imported belief.
TEST_F(turso_migrate, a_failed_verification_writes_nothing) {
  init_project();
  const auto source = dir_.path() / "sqlite-build.db";
  patina::test::make_sqlite_build_database(source, same_model_as_project());
  connection::open(project_db())
      .value()
      .exec_script("CREATE TRIGGER tamper AFTER INSERT ON beliefs BEGIN "
                   "UPDATE beliefs SET statement = 'tampered' WHERE id = new.id; END")
      .value();
  auto r = patina({"migrate", "--from", source.string()});
  EXPECT_EQ(r.exit_code, 3) << r.out << r.err;
  EXPECT_NE(r.err.find("did not verify (beliefs: a row differs from the source)"), std::string::npos) << r.err;
  auto conn = connection::open(project_db()).value();
  for (const char* table : {"beliefs", "observations", "symbols", "belief_vectors", "symbol_vectors"}) {
    EXPECT_TRUE(rows_of(conn, table).empty()) << table;
  }
}

#endif

}  // namespace
