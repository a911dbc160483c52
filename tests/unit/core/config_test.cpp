#include "patina/core/config.hpp"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using patina::config;
using patina::errc;
using patina::test::scoped_cwd;
using patina::test::scoped_env;
using patina::test::temp_dir;
using patina::test::write_file;
using ::testing::HasSubstr;
using ::testing::Not;

// A project directory with a config file holding `text`.
struct project {
  temp_dir dir;
  fs::path file;
  explicit project(const std::string& text) : file(patina::config_file_path(dir.path())) {
    write_file(file, text);
  }
};

// Loads `text` as a config file and returns the error it must produce.
patina::error load_error(const std::string& text, std::string* file_name = nullptr) {
  project p(text);
  if (file_name != nullptr) *file_name = p.file.string();
  auto cfg = patina::load_config(p.file);
  EXPECT_FALSE(cfg.has_value()) << "expected an error for:\n" << text;
  if (cfg) return {};
  return cfg.err();
}

TEST(Config, Defaults) {
  const config cfg;
  EXPECT_EQ(cfg.database.path, fs::path(".patina/patina.db"));
  EXPECT_EQ(cfg.embeddings.engine, patina::embedding_engine::automatic);
  EXPECT_EQ(cfg.embeddings.hashing_dimension, 256u);
  EXPECT_TRUE(cfg.assets.sqlite_vec.empty());
  EXPECT_TRUE(cfg.assets.model_dir.empty());
  EXPECT_TRUE(cfg.turso.url.empty());
  EXPECT_EQ(cfg.turso.mode, patina::turso_mode::local);
  EXPECT_EQ(cfg.scrape.max_file_size, 2097152u);
  EXPECT_TRUE(cfg.scrape.exclude.empty());
  EXPECT_TRUE(cfg.turso_token.empty());
}

TEST(Config, DefaultTextLoadsAsTheDefaults) {
  project p(patina::default_config_text());
  auto cfg = patina::load_config(p.file);
  ASSERT_TRUE(cfg) << cfg.err().describe();
  config expected;
  expected.root = p.dir.path();
  EXPECT_EQ(*cfg, expected);
  EXPECT_EQ(cfg->database_path(), p.dir.path() / ".patina" / "patina.db");
}

TEST(Config, EmptyFileGivesTheDefaults) {
  project p("");
  auto cfg = patina::load_config(p.file);
  ASSERT_TRUE(cfg) << cfg.err().describe();
  config expected;
  expected.root = p.dir.path();
  EXPECT_EQ(*cfg, expected);
}

TEST(Config, EveryKeyIsParsed) {
  project p(R"([database]
path = "data/k.db"

[embeddings]
engine = "use-lite"
hashing_dimension = 512

[assets]
sqlite_vec = "/opt/vec0.so"
model_dir = "models/use"

[turso]
url = "libsql://example.turso.io"
mode = "embedded"

[scrape]
max_file_size = 1000
exclude = ["vendor/**", "*.min.js"]
)");
  auto cfg = patina::load_config(p.file);
  ASSERT_TRUE(cfg) << cfg.err().describe();
  EXPECT_EQ(cfg->root, p.dir.path());
  EXPECT_EQ(cfg->database.path, fs::path("data/k.db"));
  EXPECT_EQ(cfg->database_path(), p.dir.path() / "data" / "k.db");
  EXPECT_EQ(cfg->embeddings.engine, patina::embedding_engine::use_lite);
  EXPECT_EQ(cfg->embeddings.hashing_dimension, 512u);
  EXPECT_EQ(cfg->assets.sqlite_vec, fs::path("/opt/vec0.so"));
  EXPECT_EQ(cfg->resolve(cfg->assets.sqlite_vec), fs::path("/opt/vec0.so"));
  EXPECT_EQ(cfg->resolve(cfg->assets.model_dir), p.dir.path() / "models" / "use");
  EXPECT_EQ(cfg->turso.url, "libsql://example.turso.io");
  EXPECT_EQ(cfg->turso.mode, patina::turso_mode::embedded);
  EXPECT_EQ(cfg->scrape.max_file_size, 1000u);
  EXPECT_EQ(cfg->scrape.exclude, (std::vector<std::string>{"vendor/**", "*.min.js"}));
}

TEST(Config, EveryEnumSpellingIsAccepted) {
  for (auto [text, engine] : {std::pair{"auto", patina::embedding_engine::automatic},
                              std::pair{"hashing", patina::embedding_engine::hashing},
                              std::pair{"use-lite", patina::embedding_engine::use_lite}}) {
    project p(std::string("[embeddings]\nengine = \"") + text + "\"\n");
    auto cfg = patina::load_config(p.file);
    ASSERT_TRUE(cfg) << cfg.err().describe();
    EXPECT_EQ(cfg->embeddings.engine, engine);
    EXPECT_EQ(patina::to_string(engine), text);
    EXPECT_EQ(patina::parse_embedding_engine(text).value(), engine);
  }
  for (auto [text, mode] : {std::pair{"local", patina::turso_mode::local},
                            std::pair{"remote", patina::turso_mode::remote},
                            std::pair{"embedded", patina::turso_mode::embedded}}) {
    project p(std::string("[turso]\nmode = \"") + text + "\"\n");
    auto cfg = patina::load_config(p.file);
    ASSERT_TRUE(cfg) << cfg.err().describe();
    EXPECT_EQ(cfg->turso.mode, mode);
    EXPECT_EQ(patina::to_string(mode), text);
    EXPECT_EQ(patina::parse_turso_mode(text).value(), mode);
  }
  auto bad = patina::parse_turso_mode("replica");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.err().code, errc::invalid_argument);
  EXPECT_THAT(bad.err().message, HasSubstr("\"local\", \"remote\", \"embedded\""));
}

TEST(Config, ChangedValuesRoundTripThroughConfigText) {
  config cfg;
  cfg.database.path = "db/\"quoted\" name\\x.db";
  cfg.embeddings.engine = patina::embedding_engine::hashing;
  cfg.embeddings.hashing_dimension = 64;
  cfg.assets.sqlite_vec = "/usr/lib/vec0.so";
  cfg.assets.model_dir = "m\tdir";
  cfg.turso.url = "http://127.0.0.1:8080";
  cfg.turso.mode = patina::turso_mode::remote;
  cfg.scrape.max_file_size = 12345;
  cfg.scrape.exclude = {"a/**", "b\"c", "\x01"};
  cfg.turso_token = "secret-token-value";
  const std::string text = patina::config_text(cfg);
  EXPECT_THAT(text, Not(HasSubstr("secret-token-value")));

  project p(text);
  auto loaded = patina::load_config(p.file);
  ASSERT_TRUE(loaded) << loaded.err().describe() << "\n" << text;
  config expected = cfg;
  expected.root = p.dir.path();
  expected.turso_token.clear();
  EXPECT_EQ(*loaded, expected);
}

TEST(Config, UnknownKeyNamesTheKeyAndTheFile) {
  std::string file;
  const auto e = load_error("[embeddings]\nengine = \"auto\"\nengin = \"hashing\"\n", &file);
  EXPECT_EQ(e.code, errc::config_error);
  EXPECT_THAT(e.message, HasSubstr("embeddings.engin'"));
  EXPECT_THAT(e.message, HasSubstr(file));
  EXPECT_THAT(e.message, HasSubstr("line 3"));
  EXPECT_THAT(e.message, HasSubstr("engine, hashing_dimension"));
}

TEST(Config, UnknownSectionIsAnError) {
  std::string file;
  const auto e = load_error("[database]\npath = \"x.db\"\n\n[databse]\npath = \"y.db\"\n", &file);
  EXPECT_EQ(e.code, errc::config_error);
  EXPECT_THAT(e.message, HasSubstr("'databse'"));
  EXPECT_THAT(e.message, HasSubstr(file));
  EXPECT_THAT(e.message, HasSubstr("[embeddings]"));
}

TEST(Config, TopLevelKeyIsAnError) {
  const auto e = load_error("path = \"x.db\"\n");
  EXPECT_EQ(e.code, errc::config_error);
  EXPECT_THAT(e.message, HasSubstr("'path'"));
}

TEST(Config, SectionThatIsNotATableIsAnError) {
  const auto e = load_error("database = \"x.db\"\n");
  EXPECT_EQ(e.code, errc::config_error);
  EXPECT_THAT(e.message, HasSubstr("'database' must be a table"));
}

TEST(Config, WrongTypeNamesKeyAndExpectedType) {
  std::string file;
  const auto e = load_error("[embeddings]\nhashing_dimension = \"256\"\n", &file);
  EXPECT_EQ(e.code, errc::config_error);
  EXPECT_THAT(e.message, HasSubstr("embeddings.hashing_dimension"));
  EXPECT_THAT(e.message, HasSubstr("must be an integer, not a string"));
  EXPECT_THAT(e.message, HasSubstr(file));
  EXPECT_THAT(e.message, HasSubstr("line 2"));

  EXPECT_THAT(load_error("[database]\npath = 5\n").message,
              HasSubstr("'database.path' must be a string, not an integer"));
  EXPECT_THAT(load_error("[scrape]\nmax_file_size = 1.5\n").message,
              HasSubstr("'scrape.max_file_size' must be an integer, not a float"));
  EXPECT_THAT(load_error("[scrape]\nexclude = \"*.js\"\n").message,
              HasSubstr("'scrape.exclude' must be an array of strings, not a string"));
  EXPECT_THAT(load_error("[scrape]\nexclude = [\"*.js\", 3]\n").message,
              HasSubstr("'scrape.exclude[1]' must be a string"));
  EXPECT_THAT(load_error("[turso]\nurl = true\n").message,
              HasSubstr("'turso.url' must be a string, not a boolean"));
}

TEST(Config, BadEnumValueListsTheAllowedValues) {
  std::string file;
  const auto e = load_error("[embeddings]\nengine = \"bert\"\n", &file);
  EXPECT_EQ(e.code, errc::config_error);
  EXPECT_THAT(e.message, HasSubstr("embeddings.engine"));
  EXPECT_THAT(e.message, HasSubstr("\"auto\", \"hashing\", \"use-lite\""));
  EXPECT_THAT(e.message, HasSubstr(file));
  EXPECT_THAT(e.detail, HasSubstr("bert"));

  const auto m = load_error("[turso]\nmode = \"replica\"\n");
  EXPECT_THAT(m.message, HasSubstr("turso.mode"));
  EXPECT_THAT(m.message, HasSubstr("\"local\", \"remote\", \"embedded\""));
}

TEST(Config, OutOfRangeValuesAreErrors) {
  EXPECT_THAT(load_error("[embeddings]\nhashing_dimension = 0\n").message,
              HasSubstr("'embeddings.hashing_dimension' must be between 1 and 65536"));
  EXPECT_THAT(load_error("[embeddings]\nhashing_dimension = 1000000\n").message,
              HasSubstr("embeddings.hashing_dimension"));
  EXPECT_THAT(load_error("[scrape]\nmax_file_size = -1\n").message,
              HasSubstr("'scrape.max_file_size' must be between 1"));
  EXPECT_THAT(load_error("[database]\npath = \"\"\n").message,
              HasSubstr("'database.path' must not be empty"));
}

TEST(Config, TokenInTheFileIsRefusedWithoutEchoingIt) {
  const auto e = load_error("[turso]\ntoken = \"tok-abc-123\"\n");
  EXPECT_EQ(e.code, errc::config_error);
  EXPECT_THAT(e.message, HasSubstr("turso.token"));
  EXPECT_THAT(e.message, HasSubstr("PATINA_TURSO_TOKEN"));
  EXPECT_THAT(e.describe(), Not(HasSubstr("tok-abc-123")));
}

TEST(Config, SyntaxErrorNamesFileLineAndColumn) {
  std::string file;
  const auto e = load_error("[database]\npath = \".patina/x.db\"\n[embeddings]\nengine = \n", &file);
  EXPECT_EQ(e.code, errc::config_error);
  EXPECT_THAT(e.message, HasSubstr(file));
  EXPECT_THAT(e.message, HasSubstr("line 4, column"));
  EXPECT_THAT(e.message, HasSubstr("syntax error"));
  EXPECT_FALSE(e.detail.empty());

  const auto unclosed = load_error("[database\n");
  EXPECT_THAT(unclosed.message, HasSubstr("line 1, column"));
}

TEST(Config, MissingFileIsNotFound) {
  temp_dir dir;
  auto cfg = patina::load_config(dir.path() / "nope.toml");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.err().code, errc::not_found);
  EXPECT_THAT(cfg.err().message, HasSubstr("nope.toml"));
  EXPECT_THAT(cfg.err().message, HasSubstr("patina init"));
}

TEST(Config, DirectoryInsteadOfFileIsAnError) {
  temp_dir dir;
  fs::create_directories(dir.path() / "config.toml");
  auto cfg = patina::load_config(dir.path() / "config.toml");
  ASSERT_FALSE(cfg);
  EXPECT_EQ(cfg.err().code, errc::config_error);
}

TEST(Config, RootOfAFileOutsideDotPatinaIsItsDirectory) {
  temp_dir dir;
  write_file(dir.path() / "custom.toml", "[database]\npath = \"k.db\"\n");
  auto cfg = patina::load_config(dir.path() / "custom.toml");
  ASSERT_TRUE(cfg) << cfg.err().describe();
  EXPECT_EQ(cfg->root, dir.path());
  EXPECT_EQ(cfg->database_path(), dir.path() / "k.db");
}

TEST(Config, ProjectRootIsFoundByWalkingUp) {
  project p(patina::default_config_text());
  const fs::path nested = p.dir.path() / "src" / "deep" / "er";
  fs::create_directories(nested);
  EXPECT_EQ(patina::find_project_root(nested).value(), p.dir.path());
  EXPECT_EQ(patina::find_project_root(p.dir.path()).value(), p.dir.path());
  EXPECT_EQ(patina::find_project_root(p.dir.path() / ".patina").value(), p.dir.path());
  EXPECT_EQ(patina::find_project_root(nested.string() + "/").value(), p.dir.path());
  // A relative start is taken from the working directory.
  scoped_cwd cwd(p.dir.path() / "src");
  EXPECT_EQ(patina::find_project_root("deep").value(), p.dir.path());
}

TEST(Config, InnermostProjectWins) {
  project outer(patina::default_config_text());
  const fs::path inner = outer.dir.path() / "sub";
  write_file(patina::config_file_path(inner), "");
  fs::create_directories(inner / "x");
  EXPECT_EQ(patina::find_project_root(inner / "x").value(), inner);
}

TEST(Config, NoProjectIsNotFoundAndSaysToRunInit) {
  temp_dir dir;
  fs::create_directories(dir.path() / ".patina");  // a .patina without config.toml does not count
  auto root = patina::find_project_root(dir.path());
  ASSERT_FALSE(root);
  EXPECT_EQ(root.err().code, errc::not_found);
  EXPECT_THAT(root.err().message, HasSubstr("patina init"));
  EXPECT_THAT(root.err().message, HasSubstr(dir.path().string()));
}

TEST(Config, EnvironmentOverrides) {
  temp_dir dir;
  scoped_cwd cwd(dir.path());
  scoped_env db("PATINA_DB", "other/k.db");
  scoped_env url("PATINA_TURSO_URL", "http://127.0.0.1:9000");
  scoped_env token("PATINA_TURSO_TOKEN", "tok-xyz");
  config cfg;
  cfg.turso.mode = patina::turso_mode::embedded;
  patina::apply_env_overrides(cfg);
  EXPECT_EQ(cfg.database.path, dir.path() / "other" / "k.db");
  EXPECT_EQ(cfg.database_path(), dir.path() / "other" / "k.db");
  EXPECT_EQ(cfg.turso.url, "http://127.0.0.1:9000");
  EXPECT_EQ(cfg.turso.mode, patina::turso_mode::embedded);
  EXPECT_EQ(cfg.turso_token, "tok-xyz");
  EXPECT_THAT(patina::config_text(cfg), Not(HasSubstr("tok-xyz")));
}

TEST(Config, UnsetOrEmptyEnvironmentChangesNothing) {
  scoped_env db("PATINA_DB", "");
  scoped_env url("PATINA_TURSO_URL", std::nullopt);
  scoped_env token("PATINA_TURSO_TOKEN", std::nullopt);
  config cfg;
  cfg.turso.url = "libsql://kept";
  const config before = cfg;
  patina::apply_env_overrides(cfg);
  EXPECT_EQ(cfg, before);
}

TEST(Config, LoadProjectConfigFindsLoadsAndOverrides) {
  project p("[turso]\nurl = \"libsql://from-file\"\n");
  const fs::path nested = p.dir.path() / "a" / "b";
  fs::create_directories(nested);
  scoped_env db("PATINA_DB", std::nullopt);
  scoped_env url("PATINA_TURSO_URL", "libsql://from-env");
  scoped_env token("PATINA_TURSO_TOKEN", std::nullopt);
  auto cfg = patina::load_project_config(nested);
  ASSERT_TRUE(cfg) << cfg.err().describe();
  EXPECT_EQ(cfg->root, p.dir.path());
  EXPECT_EQ(cfg->turso.url, "libsql://from-env");

  temp_dir empty;
  auto none = patina::load_project_config(empty.path());
  ASSERT_FALSE(none);
  EXPECT_EQ(none.err().code, errc::not_found);
}

TEST(Config, ResolveWithoutRootUsesTheWorkingDirectory) {
  temp_dir dir;
  scoped_cwd cwd(dir.path());
  const config cfg;
  EXPECT_EQ(cfg.database_path(), dir.path() / ".patina" / "patina.db");
  EXPECT_EQ(cfg.resolve("/abs/x"), fs::path("/abs/x"));
  EXPECT_TRUE(cfg.resolve("").empty());
}

}  // namespace
