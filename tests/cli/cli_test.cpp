// End-to-end tests of the `patina` command: the built binary, run as a
// subprocess in a temporary directory, checked by exit code and output.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "temp_dir.hpp"
#include "patina/backend.hpp"
#include "subprocess.hpp"

namespace fs = std::filesystem;
using patina::test::process_options;
using patina::test::process_result;

namespace {

using patina::test::temp_dir;

class cli : public ::testing::Test {
 protected:
  process_result patina(std::vector<std::string> args, process_options opts = {}) {
    args.insert(args.begin(), PATINA_CLI_PATH);
    if (opts.cwd.empty()) opts.cwd = dir_.path();
    // Tests must not depend on the developer's environment.
    for (const char* v : {"PATINA_DB", "PATINA_TURSO_URL", "PATINA_TURSO_TOKEN", "PATINA_MODEL_DIR"})
      opts.unset_env.emplace_back(v);
    return patina::test::run_process(args, opts);
  }

  void init_project() {
    auto r = patina({"init"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }

  temp_dir dir_;
};

TEST_F(cli, version_names_the_backend) {
  auto r = patina({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_NE(r.out.find("patina "), std::string::npos);
  EXPECT_NE(r.out.find(std::string("backend: ") + patina::backend_name), std::string::npos) << r.out;
}

TEST_F(cli, help_lists_commands) {
  auto r = patina({"--help"});
  EXPECT_EQ(r.exit_code, 0);
  for (const char* c : {"init", "sql"}) EXPECT_NE(r.out.find(c), std::string::npos) << c;
}

TEST_F(cli, unknown_command_is_usage_error) {
  auto r = patina({"frobnicate"});
  EXPECT_EQ(r.exit_code, 2) << r.out << r.err;
}

TEST_F(cli, unknown_option_is_usage_error) {
  auto r = patina({"--no-such-option"});
  EXPECT_EQ(r.exit_code, 2);
  auto s = patina({"sql", "select 1", "--bogus"});
  EXPECT_EQ(s.exit_code, 2);
}

TEST_F(cli, no_command_prints_help_and_is_usage_error) {
  auto r = patina({});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("init"), std::string::npos);
}

TEST_F(cli, init_creates_project_and_refuses_to_clobber) {
  auto r = patina({"init"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_.path() / ".patina" / "config.toml"));
  EXPECT_TRUE(fs::exists(dir_.path() / ".patina" / "patina.db"));

  auto again = patina({"init"});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_NE(again.err.find("--force"), std::string::npos) << again.err;

  auto forced = patina({"init", "--force"});
  EXPECT_EQ(forced.exit_code, 0) << forced.err;
}

// A re-init that cannot create its new database (here: a Turso server nobody
// listens on; the SQLite build refuses --remote) leaves the old project whole.
TEST_F(cli, failed_forced_reinit_keeps_the_old_project) {
  init_project();
  auto added = patina({"belief", "add", "retries wait longer after each failure"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  const auto config = dir_.path() / ".patina" / "config.toml";
  std::ifstream before_in(config);
  const std::string before((std::istreambuf_iterator<char>(before_in)), std::istreambuf_iterator<char>());

  auto r = patina({"init", "--force", "--remote", "http://127.0.0.1:9", "--mode", "remote"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_FALSE(r.err.empty());

  std::ifstream after_in(config);
  const std::string after((std::istreambuf_iterator<char>(after_in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(after, before);
  auto listed = patina({"belief", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("retries wait longer"), std::string::npos) << listed.out;
  for (const auto& entry : fs::directory_iterator(dir_.path() / ".patina")) {
    EXPECT_EQ(entry.path().string().find(".replaced"), std::string::npos) << entry.path();
  }

  // A forced re-init that succeeds replaces the database and leaves nothing aside.
  auto again = patina({"init", "--force"});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  auto empty = patina({"belief", "list", "--json"});
  ASSERT_EQ(empty.exit_code, 0) << empty.err;
  EXPECT_EQ(empty.out.find("retries wait longer"), std::string::npos) << empty.out;
  for (const auto& entry : fs::directory_iterator(dir_.path() / ".patina")) {
    EXPECT_EQ(entry.path().string().find(".replaced"), std::string::npos) << entry.path();
  }
}

// `init --db PATH` records PATH in the config: later commands find the
// database without --db (relative inside the project, absolute outside).
TEST_F(cli, init_with_db_records_the_path_in_the_config) {
  auto r = patina({"--db", (dir_.path() / "data" / "team.db").string(), "init"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(dir_.path() / "data" / "team.db"));
  EXPECT_FALSE(fs::exists(dir_.path() / ".patina" / "patina.db"));
  std::ifstream in(dir_.path() / ".patina" / "config.toml");
  const std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(config.find("path = \"data/team.db\""), std::string::npos) << config;
  auto added = patina({"belief", "add", "the data folder holds the database"});
  ASSERT_EQ(added.exit_code, 0) << added.err;
  auto listed = patina({"--db", (dir_.path() / "data" / "team.db").string(), "belief", "list", "--json"});
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_NE(listed.out.find("the data folder holds"), std::string::npos) << listed.out;

  const auto outside = fs::temp_directory_path() / ("patina-outside-" + std::to_string(::getpid()) + ".db");
  auto forced = patina({"--db", outside.string(), "init", "--force"});
  ASSERT_EQ(forced.exit_code, 0) << forced.err;
  std::ifstream again(dir_.path() / ".patina" / "config.toml");
  const std::string absolute((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_NE(absolute.find("path = \"" + outside.generic_string() + "\""), std::string::npos) << absolute;
  auto status = patina({"status", "--json"});
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find(outside.filename().string()), std::string::npos) << status.out;
  for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(outside.string() + suffix);
}

TEST_F(cli, sql_without_project_is_user_error) {
  auto r = patina({"sql", "select 1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("patina init"), std::string::npos) << r.err;
}

TEST_F(cli, sql_with_missing_db_file_is_user_error) {
  auto r = patina({"--db", (dir_.path() / "nope.db").string(), "sql", "select 1"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("nope.db"), std::string::npos) << r.err;
}

TEST_F(cli, sql_prints_table_and_json) {
  init_project();
  auto r = patina({"sql", "select 1 as one, 'two' as two, NULL as three, x'0102' as four"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("one"), std::string::npos);
  EXPECT_NE(r.out.find("two"), std::string::npos);

  auto j = patina({"sql", "select 1 as one, 2.5 as half, 'two' as two, NULL as three, x'0102' as four", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["columns"], nlohmann::json({"one", "half", "two", "three", "four"}));
  ASSERT_EQ(doc["rows"].size(), 1u);
  EXPECT_EQ(doc["rows"][0][0], 1);
  EXPECT_EQ(doc["rows"][0][1], 2.5);
  EXPECT_EQ(doc["rows"][0][2], "two");
  EXPECT_TRUE(doc["rows"][0][3].is_null());
  EXPECT_EQ(doc["rows"][0][4]["base64"], "AQI=");
}

// Text that is not valid UTF-8 (here a BLOB cast to TEXT) is printed with each
// bad byte replaced by U+FFFD, not a crash (it was exit 3, "invalid UTF-8 byte").
TEST_F(cli, json_output_replaces_invalid_utf8) {
  init_project();
  auto j = patina({"sql", "select cast(x'ff41' as text) as t", "--json"});
  ASSERT_EQ(j.exit_code, 0) << j.err;
  auto doc = nlohmann::json::parse(j.out);
  EXPECT_EQ(doc["rows"][0][0], "\xef\xbf\xbd" "A");
}

// A confidence that is not a number is a usage error like one out of range
// (CLI::Range lets NaN through: it was exit 1 from the store).
TEST_F(cli, belief_confidence_must_be_a_number_from_0_to_1) {
  init_project();
  for (const char* bad : {"nan", "-nan", "1.5", "inf"}) {
    auto r = patina({"belief", "add", "x", "--confidence", bad});
    EXPECT_EQ(r.exit_code, 2) << bad << ": " << r.err;
  }
  auto ok = patina({"belief", "add", "x", "--confidence", "0.5"});
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
}

// Scraping a file says it is a file (the message once ended "detail: Success").
TEST_F(cli, scrape_of_a_file_names_the_problem) {
  init_project();
  std::ofstream(dir_.path() / "main.c") << "int main(void) { return 0; }\n";
  auto r = patina({"scrape", "main.c"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("it is a file, not a folder"), std::string::npos) << r.err;
  EXPECT_EQ(r.err.find("Success"), std::string::npos) << r.err;
}

// A blank query is a usage error (it used to return arbitrary results).
TEST_F(cli, search_with_a_blank_query_is_a_usage_error) {
  init_project();
  for (const char* blank : {"", "   "}) {
    auto r = patina({"search", blank});
    EXPECT_EQ(r.exit_code, 2) << r.err;
    EXPECT_NE(r.err.find("the query is empty"), std::string::npos) << r.err;
  }
}

TEST_F(cli, sql_is_read_only_unless_write) {
  init_project();
  auto r = patina({"sql", "create table t(x)"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("--write"), std::string::npos) << r.err;
  auto w = patina({"sql", "create table t(x)", "--write"});
  EXPECT_EQ(w.exit_code, 0) << w.err;
  auto q = patina({"sql", "select count(*) from t", "--json"});
  EXPECT_EQ(q.exit_code, 0) << q.err;
}

TEST_F(cli, sql_refuses_transaction_control_with_a_cli_fix) {
  init_project();
  for (const char* stmt : {"BEGIN", "  commit;", "Rollback", "savepoint a", "END TRANSACTION"}) {
    auto r = patina({"sql", stmt, "--write"});
    EXPECT_EQ(r.exit_code, 1) << stmt;
    EXPECT_NE(r.err.find("one statement per call"), std::string::npos) << r.err;
    EXPECT_EQ(r.err.find("execute_batch"), std::string::npos) << r.err;
  }
  auto fine = patina({"sql", "select 1 as begin_time"});
  EXPECT_EQ(fine.exit_code, 0) << fine.err;
}

TEST_F(cli, sql_error_is_user_error) {
  init_project();
  auto r = patina({"sql", "select * from no_such_table"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("no_such_table"), std::string::npos) << r.err;
}

TEST_F(cli, sql_has_the_backends_vector_functions) {
  init_project();
#if defined(PATINA_BACKEND_TURSO)
  auto r = patina({"sql", "select vector_extract(vector32('[1, 2.5, -3]')) as v", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["rows"][0][0], "[1,2.5,-3]");
#else
  auto r = patina({"sql", "select vec_version() as v", "--json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["rows"][0][0], "v0.1.9");
#endif
}

#if defined(PATINA_BACKEND_SQLITE)
TEST_F(cli, missing_sqlite_vec_names_path_and_fix) {
  init_project();
  process_options opts;
  opts.env["PATINA_SQLITE_VEC"] = (dir_.path() / "missing" / "vec0.so").string();
  auto r = patina({"sql", "select 1"}, opts);
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("missing/vec0.so"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("scripts/setup"), std::string::npos) << r.err;
}
#endif

}  // namespace
