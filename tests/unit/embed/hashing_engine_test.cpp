#include "patina/embed/hashing_engine.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>

namespace patina::embed {
namespace {

double dot(const std::vector<float>& a, const std::vector<float>& b) {
  double s = 0;
  for (std::size_t i = 0; i < a.size(); ++i) s += static_cast<double>(a[i]) * b[i];
  return s;
}

TEST(hashing_engine, model_id_records_the_dimension) {
  const hashing_engine engine;
  EXPECT_EQ(engine.model_id(), "hashing-v1-256");
  EXPECT_EQ(engine.dimension(), 256U);
  const auto wide = hashing_engine::create(1024);
  ASSERT_TRUE(wide);
  EXPECT_EQ(wide->model_id(), "hashing-v1-1024");
  EXPECT_EQ(wide->embed("parse command line").size(), 1024U);
}

TEST(hashing_engine, rejects_impossible_dimensions) {
  for (const std::size_t d : {std::size_t{0}, hashing_engine::max_dimension + 1}) {
    const auto engine = hashing_engine::create(d);
    ASSERT_FALSE(engine);
    EXPECT_EQ(engine.err().code, errc::invalid_argument);
    EXPECT_NE(engine.err().message.find(std::to_string(d)), std::string::npos);
  }
}

// Values computed by an independent implementation of the documented scheme
// (FNV-1a 64 over kind byte + bytes, fmix64, bucket = h mod D, sign = bit 63).
TEST(hashing_engine, feature_hash_is_the_documented_one) {
  EXPECT_EQ(hashing_engine::feature_hash('w', "parse"), 0x8d9accb30685e4d9ULL);
  EXPECT_EQ(hashing_engine::feature_hash('g', "<pa"), 0x6b2f2a025d9bcbc4ULL);
}

TEST(hashing_engine, vector_is_the_documented_one) {
  // parseHTTPResponse: words parse, http, response; sum of squares 53.
  const std::map<std::size_t, int> expected{
      {0, -1},  {2, 2},   {18, -1},  {21, -1},  {27, -1},  {31, 1},   {35, -1},  {43, 1},   {46, 2},
      {58, 1},  {64, -1}, {69, 1},   {76, 1},   {104, -2}, {107, -1}, {110, 2},  {139, 1},  {142, -1},
      {146, -1}, {167, 1}, {171, 1}, {187, -1}, {188, -1}, {193, -1}, {194, 1},  {196, 1},  {198, 1},
      {202, -1}, {206, 1}, {208, 1}, {213, 1},  {217, -1}, {218, 1},  {221, -1}, {226, 1},  {228, 1},
      {231, 1},  {237, 1}, {240, 1}, {246, 1},  {247, -1}};
  const auto v = hashing_engine().embed("parseHTTPResponse");
  ASSERT_EQ(v.size(), 256U);
  for (std::size_t i = 0; i < v.size(); ++i) {
    const auto found = expected.find(i);
    const double want = found == expected.end() ? 0.0 : found->second / std::sqrt(53.0);
    EXPECT_EQ(v[i], static_cast<float>(want)) << "component " << i;
  }
}

TEST(hashing_engine, same_text_gives_bit_identical_vectors) {
  const hashing_engine a;
  const hashing_engine b;
  for (const char* text : {"std::vector<int>::push_back", "parse command line args", "", "Ångström 東京"}) {
    const auto x = a.embed(text);
    const auto y = b.embed(text);
    ASSERT_EQ(x.size(), y.size());
    EXPECT_EQ(std::memcmp(x.data(), y.data(), x.size() * sizeof(float)), 0) << text;
  }
}

TEST(hashing_engine, vectors_have_unit_length) {
  const hashing_engine engine;
  for (const char* text : {"parseCommandLine", "a", "", ":: -> ;", "The stock market fell sharply today."}) {
    const auto v = engine.embed(text);
    EXPECT_NEAR(dot(v, v), 1.0, 1e-6) << '"' << text << '"';
  }
}

TEST(hashing_engine, texts_without_words_share_one_vector) {
  const hashing_engine engine;
  EXPECT_EQ(engine.embed(""), engine.embed("::  ->"));
  EXPECT_LT(dot(engine.embed(""), engine.embed("none")), 0.9);
}

TEST(hashing_engine, related_identifiers_score_higher_than_unrelated_text) {
  const hashing_engine engine;
  const auto query = engine.embed("parseCommandLine");
  const double related = dot(query, engine.embed("parse command line args"));
  const double unrelated = dot(query, engine.embed("The stock market fell sharply today."));
  const double other_code = dot(query, engine.embed("Mutex::unlock"));
  EXPECT_GT(related, 0.6);
  EXPECT_GT(related, unrelated + 0.4);
  EXPECT_GT(related, other_code + 0.4);
  // Shared words in another spelling still count.
  EXPECT_GT(dot(engine.embed("read_file_contents"), engine.embed("ReadFileContents")), 0.999);
}

TEST(hashing_engine, batch_equals_one_by_one) {
  const hashing_engine engine;
  const std::vector<std::string> texts{"parseCommandLine", "", "std::vector<int>::push_back", "café"};
  const auto batch = engine.embed_batch(texts);
  ASSERT_EQ(batch.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) EXPECT_EQ(batch[i], engine.embed(texts[i]));
}

TEST(hashing_engine, works_through_the_interface) {
  const hashing_engine engine;
  const embedding_engine& base = engine;
  EXPECT_EQ(base.dimension(), 256U);
  EXPECT_EQ(base.embed("x"), engine.embed("x"));
}

}  // namespace
}  // namespace patina::embed
