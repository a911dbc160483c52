#include "patina/core/assets.hpp"

#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "patina/build_config.hpp"
#include "patina/core/config.hpp"
#include "test_support.hpp"

namespace {

namespace fs = std::filesystem;
using patina::asset;
using patina::asset_locations;
using patina::errc;
using patina::test::scoped_cwd;
using patina::test::scoped_env;
using patina::test::temp_dir;
using patina::test::write_file;
using ::testing::HasSubstr;

// Every test starts with the asset variables unset, whatever the caller's shell has.
class Assets : public ::testing::Test {
 protected:
  scoped_env vec_{"PATINA_SQLITE_VEC", std::nullopt};
  scoped_env model_{"PATINA_MODEL_DIR", std::nullopt};
  scoped_env turso_{"PATINA_TURSODB", std::nullopt};
  temp_dir dir_;

  fs::path make_vec0(const fs::path& base) {
    const fs::path p = base / "sqlite-vec" / "vec0.so";
    write_file(p, "not really an ELF file");
    return p;
  }
  fs::path make_model(const fs::path& base, bool with_vocab = true) {
    const fs::path p = base / "model-embeddings-en" / "dist";
    write_file(p / "model.json", "{}");
    if (with_vocab) write_file(p / "vocab.json", "[]");
    return p;
  }
  fs::path make_tursodb(const fs::path& base, bool executable = true) {
    const fs::path p = base / "tursodb" / "tursodb";
    write_file(p, "#!/bin/sh\n");
    fs::permissions(p, executable ? fs::perms::owner_all : fs::perms::owner_read | fs::perms::owner_write);
    return p;
  }
  asset_locations builtin() const {
    return {dir_.path() / "deps", dir_.path() / "share", dir_.path() / "relocated"};
  }
};

TEST_F(Assets, NamesAndLocations) {
  EXPECT_EQ(patina::env_var_name(asset::sqlite_vec), "PATINA_SQLITE_VEC");
  EXPECT_EQ(patina::env_var_name(asset::model_dir), "PATINA_MODEL_DIR");
  EXPECT_EQ(patina::env_var_name(asset::tursodb), "PATINA_TURSODB");
  EXPECT_EQ(patina::relative_location(asset::sqlite_vec), "sqlite-vec/vec0.so");
  EXPECT_EQ(patina::relative_location(asset::model_dir), "model-embeddings-en/dist");
  EXPECT_EQ(patina::relative_location(asset::tursodb), "tursodb/tursodb");
  const auto defaults = patina::default_asset_locations();
  EXPECT_EQ(defaults.deps_dir, fs::path(PATINA_DEPS_DIR));
  EXPECT_EQ(defaults.install_datadir, fs::path(PATINA_INSTALL_DATADIR));
  // This test program runs from <build>/bin: place 5 is <build>/share/patina.
  EXPECT_EQ(defaults.relocated_datadir.filename(), "patina");
  EXPECT_EQ(defaults.relocated_datadir.parent_path().filename(), "share");
}

TEST_F(Assets, DepsFolderIsFound) {
  const fs::path vec0 = make_vec0(dir_.path() / "deps");
  const fs::path model = make_model(dir_.path() / "deps");
  const fs::path tursodb = make_tursodb(dir_.path() / "deps");
  EXPECT_EQ(patina::find_asset(asset::sqlite_vec, nullptr, builtin()).value(), vec0);
  EXPECT_EQ(patina::find_asset(asset::model_dir, nullptr, builtin()).value(), model);
  EXPECT_EQ(patina::find_asset(asset::tursodb, nullptr, builtin()).value(), tursodb);
}

TEST_F(Assets, InstallFolderIsTheLastResort) {
  const fs::path installed = make_vec0(dir_.path() / "share");
  EXPECT_EQ(patina::find_asset(asset::sqlite_vec, nullptr, builtin()).value(), installed);
  const fs::path in_deps = make_vec0(dir_.path() / "deps");
  EXPECT_EQ(patina::find_asset(asset::sqlite_vec, nullptr, builtin()).value(), in_deps);
}

TEST_F(Assets, BesideTheProgramAfterTheInstallFolder) {
  const fs::path relocated = make_vec0(dir_.path() / "relocated");
  EXPECT_EQ(patina::find_asset(asset::sqlite_vec, nullptr, builtin()).value(), relocated);
  const fs::path installed = make_vec0(dir_.path() / "share");
  EXPECT_EQ(patina::find_asset(asset::sqlite_vec, nullptr, builtin()).value(), installed);
}

TEST_F(Assets, EnvironmentWinsOverEverything) {
  make_vec0(dir_.path() / "deps");
  const fs::path mine = make_vec0(dir_.path() / "mine");
  patina::config cfg;
  cfg.root = dir_.path();
  cfg.assets.sqlite_vec = make_vec0(dir_.path() / "configured");
  scoped_env env("PATINA_SQLITE_VEC", mine.string());
  EXPECT_EQ(patina::find_asset(asset::sqlite_vec, &cfg, builtin()).value(), mine);
}

TEST_F(Assets, RelativeEnvironmentPathIsFromTheWorkingDirectory) {
  make_vec0(dir_.path() / "mine");
  scoped_cwd cwd(dir_.path());
  scoped_env env("PATINA_SQLITE_VEC", "mine/sqlite-vec/vec0.so");
  EXPECT_EQ(patina::find_asset(asset::sqlite_vec, nullptr, builtin()).value(),
            dir_.path() / "mine" / "sqlite-vec" / "vec0.so");
}

TEST_F(Assets, EnvironmentPathThatDoesNotExistIsAnErrorNotAFallThrough) {
  make_vec0(dir_.path() / "deps");
  const fs::path missing = dir_.path() / "typo" / "vec0.so";
  scoped_env env("PATINA_SQLITE_VEC", missing.string());
  auto found = patina::find_asset(asset::sqlite_vec, nullptr, builtin());
  ASSERT_FALSE(found);
  EXPECT_EQ(found.err().code, errc::missing_asset);
  EXPECT_THAT(found.err().message, HasSubstr("PATINA_SQLITE_VEC"));
  EXPECT_THAT(found.err().message, HasSubstr(missing.string()));
  EXPECT_THAT(found.err().message, HasSubstr("does not exist"));
}

TEST_F(Assets, EnvironmentPathOfTheWrongKindIsAnError) {
  scoped_env env("PATINA_SQLITE_VEC", dir_.path().string());
  auto found = patina::find_asset(asset::sqlite_vec, nullptr, builtin());
  ASSERT_FALSE(found);
  EXPECT_THAT(found.err().message, HasSubstr("is a directory"));
}

TEST_F(Assets, ConfigEntryIsRelativeToTheProjectRoot) {
  make_vec0(dir_.path() / "deps");
  const fs::path configured = make_vec0(dir_.path() / "project" / "tools");
  patina::config cfg;
  cfg.root = dir_.path() / "project";
  cfg.assets.sqlite_vec = "tools/sqlite-vec/vec0.so";
  EXPECT_EQ(patina::find_asset(asset::sqlite_vec, &cfg, builtin()).value(), configured);
}

TEST_F(Assets, ConfigEntryThatDoesNotExistIsAnErrorNamingTheKey) {
  make_model(dir_.path() / "deps");
  patina::config cfg;
  cfg.root = dir_.path();
  cfg.assets.model_dir = "no/such/model";
  auto found = patina::find_asset(asset::model_dir, &cfg, builtin());
  ASSERT_FALSE(found);
  EXPECT_EQ(found.err().code, errc::missing_asset);
  EXPECT_THAT(found.err().message, HasSubstr("assets.model_dir"));
  EXPECT_THAT(found.err().message, HasSubstr("no/such/model"));
}

TEST_F(Assets, UnsetConfigEntryFallsThrough) {
  const fs::path vec0 = make_vec0(dir_.path() / "deps");
  patina::config cfg;  // assets.sqlite_vec empty
  EXPECT_EQ(patina::find_asset(asset::sqlite_vec, &cfg, builtin()).value(), vec0);
}

TEST_F(Assets, ModelDirectoryNeedsModelAndVocab) {
  make_model(dir_.path() / "deps", /*with_vocab=*/false);
  auto found = patina::find_asset(asset::model_dir, nullptr, builtin());
  ASSERT_FALSE(found);
  EXPECT_THAT(found.err().message, HasSubstr("has no vocab.json"));

  const fs::path incomplete = dir_.path() / "deps" / "model-embeddings-en" / "dist";
  scoped_env env("PATINA_MODEL_DIR", incomplete.string());
  auto named = patina::find_asset(asset::model_dir, nullptr, builtin());
  ASSERT_FALSE(named);
  EXPECT_THAT(named.err().message, HasSubstr("PATINA_MODEL_DIR"));
  EXPECT_THAT(named.err().message, HasSubstr("has no vocab.json"));

  write_file(incomplete / "vocab.json", "[]");
  EXPECT_EQ(patina::find_asset(asset::model_dir, nullptr, builtin()).value(), incomplete);
}

TEST_F(Assets, TursodbMustBeExecutable) {
  const fs::path p = make_tursodb(dir_.path() / "deps", /*executable=*/false);
  scoped_env env("PATINA_TURSODB", p.string());
  auto found = patina::find_asset(asset::tursodb, nullptr, builtin());
  ASSERT_FALSE(found);
  EXPECT_THAT(found.err().message, HasSubstr("PATINA_TURSODB"));
  EXPECT_THAT(found.err().message, HasSubstr("not executable"));
}

TEST_F(Assets, MissingEverywhereNamesEveryPlaceAndTheFix) {
  patina::config cfg;
  cfg.root = dir_.path();
  auto found = patina::find_asset(asset::sqlite_vec, &cfg, builtin());
  ASSERT_FALSE(found);
  const auto& e = found.err();
  EXPECT_EQ(e.code, errc::missing_asset);
  EXPECT_THAT(e.message, HasSubstr("PATINA_SQLITE_VEC"));
  EXPECT_THAT(e.message, HasSubstr("assets.sqlite_vec"));
  EXPECT_THAT(e.message, HasSubstr((dir_.path() / "deps" / "sqlite-vec" / "vec0.so").string()));
  EXPECT_THAT(e.message, HasSubstr((dir_.path() / "share" / "sqlite-vec" / "vec0.so").string()));
  EXPECT_THAT(e.message, HasSubstr("scripts/setup"));

  auto no_config = patina::find_asset(asset::tursodb, nullptr, builtin());
  ASSERT_FALSE(no_config);
  EXPECT_THAT(no_config.err().message, HasSubstr("PATINA_TURSODB"));
  EXPECT_THAT(no_config.err().message, HasSubstr("tursodb/tursodb"));
  EXPECT_THAT(no_config.err().message, HasSubstr("scripts/setup"));
}

TEST_F(Assets, BuildTimeDepsFolderHoldsTheRealAssets) {
  // The default locations point at the deps/ folder scripts/setup filled.
  const fs::path deps(PATINA_DEPS_DIR);
  if (!fs::exists(deps / "sqlite-vec" / "vec0.so")) GTEST_SKIP() << "scripts/setup has not run";
  EXPECT_EQ(patina::find_asset(asset::sqlite_vec, nullptr).value(),
            (deps / "sqlite-vec" / "vec0.so").lexically_normal());
  if (fs::exists(deps / "model-embeddings-en" / "dist" / "model.json")) {
    EXPECT_TRUE(patina::find_asset(asset::model_dir, nullptr).has_value());
  }
}

}  // namespace
