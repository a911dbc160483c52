// Test fixtures: database files in the format each build of Patina writes, made
// with the shared schema code (db/common) and plain SQL, so that either build's
// tests can produce the other build's files.
//
// SQLite build: the shared schema plus sqlite-vec `vec0` virtual tables (cosine,
// filter columns as metadata), as db::SqliteDatabase creates them; vec0.so is
// loaded at run time from the usual places (patina/core/assets.hpp).
// Turso build: the shared schema plus ordinary tables of vector32 BLOBs and the
// patina_vector_generation change counters, as the Turso backend creates them.
#pragma once

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "db/common/connection.hpp"
#include "db/common/schema.hpp"
#include "db/common/sqlite_vec.hpp"
#include "db/common/vector_specs.hpp"

namespace patina::test {

// How much of each kind a SQLite-build fixture holds.
struct fixture_size {
  int beliefs = 5;
  int observations = 7;
  int files = 3;
  int symbols_per_file = 4;
  std::size_t dimension = 16;
  std::string model = "hashing-v1-16";
};

inline db::detail::connection open_fixture(const std::filesystem::path& path, bool with_vec0) {
  auto conn = db::detail::connection::open(path).value();
  if (with_vec0) {
    const auto vec0 = db::detail::locate_sqlite_vec({}).value();
    db::detail::load_sqlite_vec(conn, vec0).value();
  }
  return conn;
}

inline std::vector<float> fixture_vector(std::mt19937& rng, std::size_t dimension) {
  std::uniform_real_distribution<float> dist(-1.0F, 1.0F);
  std::vector<float> v(dimension);
  for (auto& x : v) x = dist(rng);
  v[0] = 1.5F;  // never the zero vector
  return v;
}

// Ids of the fixture's rows: large, as patina::new_id() and the code index's
// content hashes make them.
inline std::int64_t fixture_id(std::int64_t kind, std::int64_t n) {
  return (std::int64_t{1} << 60) + kind * 1'000'000 + n;
}

// Creates a database at `path` as the SQLite build writes it, with content in every
// table (beliefs, observations, embeddings, files, symbols, imports, calls, skipped
// files, patina_meta) and a vector for every belief, observation and symbol.
inline void make_sqlite_build_database(const std::filesystem::path& path, const fixture_size& size = {}) {
  using db::value;
  auto conn = open_fixture(path, true);
  db::detail::prepare_schema(conn).value();
  const auto d = std::to_string(size.dimension);
  conn.exec_script("CREATE VIRTUAL TABLE belief_vectors USING vec0(id INTEGER PRIMARY KEY, embedding float[" + d +
                   "] distance_metric=cosine);"
                   "CREATE VIRTUAL TABLE observation_vectors USING vec0(id INTEGER PRIMARY KEY, embedding float[" +
                   d +
                   "] distance_metric=cosine, obs_type text);"
                   "CREATE VIRTUAL TABLE symbol_vectors USING vec0(id INTEGER PRIMARY KEY, embedding float[" + d +
                   "] distance_metric=cosine, language text, kind text)")
      .value();
  db::detail::write_meta(conn, db::detail::meta_vector_dimension, d).value();
  db::detail::write_meta(conn, db::detail::meta_embedding_model, size.model).value();
  db::detail::write_meta(conn, "scrape_root", "/home/dev/project").value();

  std::mt19937 rng(42);
  const std::int64_t t0 = 1'700'000'000'000;
  auto embed = [&](std::int64_t id, const std::string& type) {
    const std::vector<value> row{id, type, size.model, static_cast<std::int64_t>(size.dimension),
                                 "hash-" + std::to_string(id), t0 + id % 1000};
    conn.execute("INSERT INTO embeddings VALUES (?1, ?2, ?3, ?4, ?5, ?6)", row).value();
  };
  auto vector_blob = [&] { return db::detail::to_vector_blob(fixture_vector(rng, size.dimension)); };

  for (int i = 0; i < size.beliefs; ++i) {
    const auto id = fixture_id(1, i);
    const std::vector<value> row{id, "Belief " + std::to_string(i) + ": uploads retry — «three» times",
                                 0.05 + 0.1 * i, std::int64_t{i % 2}, t0 + i, t0 + 2 * i};
    conn.execute("INSERT INTO beliefs VALUES (?1, ?2, ?3, ?4, ?5, ?6)", row).value();
    embed(id, "belief");
    const std::vector<value> vec{id, vector_blob()};
    conn.execute("INSERT INTO belief_vectors (id, embedding) VALUES (?1, ?2)", vec).value();
  }
  const char* types[] = {"pattern", "decision", "challenge", "technology", "note"};
  for (int i = 0; i < size.observations; ++i) {
    const auto id = fixture_id(2, i);
    const std::string type = types[i % 5];
    const value source = i % 3 == 0 ? value{} : value{std::string("session-") + std::to_string(i)};
    const std::vector<value> row{id, "Observation " + std::to_string(i), type, source, t0 + i, t0 + i};
    conn.execute("INSERT INTO observations VALUES (?1, ?2, ?3, ?4, ?5, ?6)", row).value();
    embed(id, "observation");
    const std::vector<value> vec{id, vector_blob(), type};
    conn.execute("INSERT INTO observation_vectors (id, embedding, obs_type) VALUES (?1, ?2, ?3)", vec).value();
  }
  const char* languages[] = {"cpp", "python", "rust"};
  for (int f = 0; f < size.files; ++f) {
    const auto file_id = fixture_id(3, f);
    const std::string language = languages[f % 3];
    const std::vector<value> file{file_id, "src/file" + std::to_string(f) + ".x", language,
                                  std::int64_t{1000 + f}, "content-" + std::to_string(f), std::int64_t{40 + f},
                                  std::int64_t{123456789}, f == 0 ? value{std::string("[\"odd\"]")} : value{},
                                  t0};
    conn.execute("INSERT INTO files VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", file).value();
    std::int64_t previous = 0;
    for (int s = 0; s < size.symbols_per_file; ++s) {
      const auto id = fixture_id(4, f * 100 + s);
      const std::string kind = s % 2 == 0 ? "function" : "class";
      const std::vector<value> symbol{
          id, file_id, "name" + std::to_string(s), "ns::name" + std::to_string(s), kind, language,
          std::int64_t{s * 10 + 1}, std::int64_t{s * 10 + 9}, "void name(int)", "Does things.",
          s == 0 ? value{} : value{previous}, "[{\"name\":\"x\",\"type\":\"int\"}]", "void",
          std::int64_t{s % 4}, std::int64_t{0}, "helper x total"};
      conn.execute("INSERT INTO symbols VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
                   symbol)
          .value();
      embed(id, "symbol");
      const std::vector<value> vec{id, vector_blob(), language, kind};
      conn.execute("INSERT INTO symbol_vectors (id, embedding, language, kind) VALUES (?1, ?2, ?3, ?4)", vec)
          .value();
      const std::vector<value> call{fixture_id(5, f * 100 + s), file_id, s == 0 ? value{} : value{previous},
                                    "ns::helper", "helper", s == 1 ? value{id} : value{}, "direct",
                                    std::int64_t{s * 10 + 3}};
      conn.execute("INSERT INTO calls VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)", call).value();
      previous = id;
    }
    const std::vector<value> import{fixture_id(6, f), file_id, "module" + std::to_string(f),
                                    value{std::string("a,b")}, std::int64_t{1}};
    conn.execute("INSERT INTO imports VALUES (?1, ?2, ?3, ?4, ?5)", import).value();
  }
  const std::vector<value> skipped{fixture_id(7, 0), "assets/big.bin", "binary", "", t0};
  conn.execute("INSERT INTO skipped_files VALUES (?1, ?2, ?3, ?4, ?5)", skipped).value();
}

// Creates a database at `path` whose vector tables have the Turso build's layout
// (ordinary BLOB tables and their change counters), with one belief vector.
inline void make_turso_build_database(const std::filesystem::path& path, std::size_t dimension = 4) {
  auto conn = open_fixture(path, false);
  db::detail::prepare_schema(conn).value();
  conn.exec_script(
          "CREATE TABLE patina_vector_generation (name TEXT PRIMARY KEY, generation INTEGER NOT NULL);"
          "CREATE TABLE belief_vectors (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL);"
          "CREATE TABLE observation_vectors (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL,"
          " obs_type TEXT NOT NULL DEFAULT '');"
          "CREATE TABLE symbol_vectors (id INTEGER PRIMARY KEY, embedding BLOB NOT NULL,"
          " language TEXT NOT NULL DEFAULT '', kind TEXT NOT NULL DEFAULT '')")
      .value();
  db::detail::write_meta(conn, db::detail::meta_vector_dimension, std::to_string(dimension)).value();
  std::vector<float> v(dimension, 0.5F);
  const std::vector<db::value> row{std::int64_t{1}, db::detail::to_vector_blob(v)};
  conn.execute("INSERT INTO belief_vectors (id, embedding) VALUES (?1, ?2)", row).value();
}

}  // namespace patina::test
