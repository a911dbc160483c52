// The local vector SQL against a live Turso server (tursodb 0.7.0): the same
// expressions go to both, and the values (or error messages) must agree. Floats
// agree to 1e-6: the server's SimSIMD kernels sum in another order and use an
// approximate reciprocal square root.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "sql_eval.hpp"
#include "turso_server.hpp"
#include "vector_sql_cases.hpp"

namespace {

using patina::test::evaluation;
namespace vector_sql = patina::test::vector_sql;

// Decodes standard base64, padded or not (the server writes it unpadded).
std::string base64_to_hex(const std::string& in) {
  static constexpr std::string_view alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<unsigned char> bytes;
  unsigned buffer = 0;
  int bits = 0;
  for (const char c : in) {
    if (c == '=') break;
    const auto pos = alphabet.find(c);
    if (pos == std::string_view::npos) continue;
    buffer = (buffer << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(static_cast<unsigned char>((buffer >> bits) & 0xFF));
    }
  }
  return patina::test::to_hex(bytes.data(), static_cast<int>(bytes.size()));
}

// A server result in the shape of a local evaluation.
evaluation from_server(const nlohmann::json& result) {
  evaluation out;
  if (result.at("type") == "error") {
    out.error = result.at("error").at("message").get<std::string>();
    return out;
  }
  out.ok = true;
  const auto& rows = result.at("response").at("result").at("rows");
  if (rows.empty() || rows[0].empty()) return out;
  const auto& v = rows[0][0];
  const std::string type = v.at("type").get<std::string>();
  if (type == "null") {
    out.type = SQLITE_NULL;
  } else if (type == "integer") {
    out.type = SQLITE_INTEGER;
    out.text = v.at("value").get<std::string>();
  } else if (type == "float") {
    // Non-finite floats come back as null; SQLite turns a NaN result into NULL.
    if (v.at("value").is_null()) {
      out.type = SQLITE_NULL;
    } else {
      out.type = SQLITE_FLOAT;
      out.real = v.at("value").get<double>();
    }
  } else if (type == "text") {
    out.type = SQLITE_TEXT;
    out.text = v.at("value").get<std::string>();
  } else if (type == "blob") {
    out.type = SQLITE_BLOB;
    out.text = base64_to_hex(v.at("base64").get<std::string>());
  }
  return out;
}

class TursoServerVectorSql : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why_not;
    auto started = patina::test::turso_server::start(why_not);
    if (!started) {
      std::cerr << "\n*** SKIPPED: " << why_not << "\n";
      GTEST_SKIP() << why_not;
    }
    server_.emplace(std::move(*started));
  }

  // Evaluates every expression locally and on the server and compares.
  // `db` holds local state matching the server's (a fresh database if null).
  void compare(const std::vector<std::string>& sqls, double tolerance = 1e-6, sqlite3* db = nullptr) {
    constexpr std::size_t chunk = 100;
    auto fresh = patina::test::raw_db::open_memory_with_vector_functions();
    if (db == nullptr) db = fresh.get();
    for (std::size_t first = 0; first < sqls.size(); first += chunk) {
      const std::vector<std::string> part(sqls.begin() + static_cast<std::ptrdiff_t>(first),
                                          sqls.begin() + static_cast<std::ptrdiff_t>(std::min(first + chunk, sqls.size())));
      const auto response = server_->execute_all(part);
      const auto& results = response.at("results");
      ASSERT_EQ(results.size(), part.size());
      for (std::size_t i = 0; i < part.size(); ++i) {
        const evaluation remote = from_server(results[i]);
        const evaluation local = patina::test::eval(db, part[i]);
        ++compared_;
        SCOPED_TRACE(part[i]);
        ASSERT_EQ(local.ok, remote.ok) << "local: " << (local.ok ? local.text : local.error)
                                       << " | server: " << (remote.ok ? remote.text : remote.error);
        if (!local.ok) {
          EXPECT_EQ(local.error, remote.error);
          continue;
        }
        ASSERT_EQ(local.type, remote.type) << "local: " << local.text << " | server: " << remote.text;
        if (local.type == SQLITE_FLOAT) {
          EXPECT_NEAR(local.real, remote.real, tolerance * std::max(1.0, std::fabs(remote.real)));
          if (remote.real == 0.0 && local.real == 0.0) {
            EXPECT_EQ(std::signbit(local.real), std::signbit(remote.real)) << "sign of zero";
          }
        } else {
          EXPECT_EQ(local.text, remote.text);
        }
      }
    }
    ASSERT_TRUE(server_->running()) << "the server exited during the comparison";
  }

  std::optional<patina::test::turso_server> server_;
  int compared_ = 0;
};

TEST_F(TursoServerVectorSql, MeasuredCasesAgree) {
  std::vector<std::string> sqls;
  for (const auto& c : vector_sql::text_cases) sqls.emplace_back(c.sql);
  for (const auto& c : vector_sql::real_cases) sqls.emplace_back(c.sql);
  for (const auto& c : vector_sql::error_cases) {
    if (c.server) sqls.emplace_back(c.sql);
  }
  // Behaviour where the newer conformance file expects otherwise (see the unit test).
  sqls.emplace_back("SELECT vector_distance_dot(vector('[1, 0]'), vector('[0, 1]'))");
  sqls.emplace_back("SELECT vector_extract(vector(\"[4.000000,5.000000,6.000000]\"))");
  compare(sqls);
  std::cerr << "compared " << compared_ << " expressions with tursodb\n";
}

// Random values of every magnitude: the shortest round-trip text, never an exponent.
TEST_F(TursoServerVectorSql, RandomValuesFormatTheSame) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mantissa(-10.0, 10.0);
  std::uniform_int_distribution<int> exponent(-44, 38);
  std::uniform_int_distribution<int> digits(1, 17);
  std::vector<std::string> sqls;
  for (int i = 0; i < 300; ++i) {
    std::string text = "[";
    for (int j = 0; j < 4; ++j) {
      char buf[64];
      std::snprintf(buf, sizeof buf, "%.*g", digits(rng), mantissa(rng) * std::pow(10.0, exponent(rng)));
      if (j != 0) text += ",";
      text += buf;
    }
    text += "]";
    sqls.push_back("SELECT vector_extract(vector32('" + text + "'))");
    sqls.push_back("SELECT vector_extract(vector64('" + text + "'))");
    sqls.push_back("SELECT hex(vector32('" + text + "'))");
  }
  compare(sqls);
}

TEST_F(TursoServerVectorSql, RandomDistancesAgree) {
  std::mt19937_64 rng(11);
  std::normal_distribution<float> normal;
  auto random_vector = [&](int dims) {
    std::string text = "[";
    for (int j = 0; j < dims; ++j) {
      if (j != 0) text += ",";
      text += std::to_string(normal(rng));
    }
    return text + "]";
  };
  std::vector<std::string> sqls;
  for (int i = 0; i < 100; ++i) {
    const int dims = 1 + i % 40;
    const std::string a = random_vector(dims);
    const std::string b = random_vector(dims);
    for (const char* fn : {"vector_distance_cos", "vector_distance_l2", "vector_distance_dot"}) {
      sqls.push_back(std::string("SELECT ") + fn + "(vector32('" + a + "'), vector32('" + b + "'))");
      sqls.push_back(std::string("SELECT ") + fn + "(vector64('" + a + "'), vector64('" + b + "'))");
    }
  }
  compare(sqls, 1e-5);
}

// Stored vectors, sent as blobs the application encoded itself, ranked in SQL.
TEST_F(TursoServerVectorSql, RankingByDistanceInATableAgrees) {
  std::mt19937_64 rng(3);
  std::normal_distribution<float> normal;
  std::vector<std::string> setup = {"CREATE TABLE v (id INTEGER PRIMARY KEY, e BLOB NOT NULL)"};
  for (int id = 1; id <= 200; ++id) {
    std::string text = "[";
    for (int j = 0; j < 16; ++j) {
      if (j != 0) text += ",";
      text += std::to_string(normal(rng));
    }
    setup.push_back("INSERT INTO v VALUES (" + std::to_string(id) + ", vector32('" + text + "]'))");
  }
  const auto created = server_->execute_all(setup);
  for (const auto& r : created.at("results")) ASSERT_EQ(r.at("type"), "ok") << r.dump();
  auto db = patina::test::raw_db::open_memory_with_vector_functions();
  for (const auto& sql : setup) ASSERT_TRUE(patina::test::eval(db.get(), sql).ok) << sql;

  const std::string query =
      "SELECT group_concat(id, ',') FROM (SELECT id FROM v ORDER BY "
      "vector_distance_cos(e, vector32('[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,1]')), id LIMIT 20)";
  compare({query}, 0, db.get());
}

}  // namespace
