// Vector table specs and vector checks shared by both backends.
#include "db/common/vector_specs.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "db/common/schema.hpp"

namespace patina::db::detail {
namespace {

TEST(VectorSpecs, EveryTableHasItsNameAndFilterColumns) {
  EXPECT_EQ(spec_for(vector_table::beliefs).name, "belief_vectors");
  EXPECT_TRUE(spec_for(vector_table::beliefs).filter_columns.empty());
  const auto& obs = spec_for(vector_table::observations);
  EXPECT_EQ(obs.name, "observation_vectors");
  ASSERT_EQ(obs.filter_columns.size(), 1U);
  EXPECT_EQ(obs.filter_columns[0].name, "obs_type");
  const auto& sym = spec_for(vector_table::symbols);
  EXPECT_EQ(sym.name, "symbol_vectors");
  ASSERT_EQ(sym.filter_columns.size(), 2U);
  EXPECT_EQ(sym.filter_columns[0].name, "language");
  EXPECT_EQ(sym.filter_columns[1].name, "kind");
  EXPECT_EQ(vector_table_specs().size(), 3U);
}

TEST(VectorSpecs, FilterTermsFollowTheTable) {
  vector_filter f;
  f.kind = "function";
  f.language = "rust";
  auto terms = filter_terms(spec_for(vector_table::symbols), f).value();
  ASSERT_EQ(terms.size(), 2U);
  EXPECT_EQ(terms[0].first, "language");
  EXPECT_EQ(terms[0].second, "rust");
  EXPECT_EQ(terms[1].first, "kind");
  EXPECT_EQ(terms[1].second, "function");
  EXPECT_TRUE(filter_terms(spec_for(vector_table::beliefs), vector_filter{})->empty());
}

TEST(VectorSpecs, FilterOnAMissingColumnIsInvalid) {
  vector_filter f;
  f.obs_type = "decision";
  auto r = filter_terms(spec_for(vector_table::symbols), f);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::invalid_argument);
  EXPECT_NE(r.err().message.find("symbol_vectors"), std::string::npos);
  EXPECT_NE(r.err().message.find("obs_type"), std::string::npos);
  vector_filter lang;
  lang.language = "go";
  EXPECT_EQ(filter_terms(spec_for(vector_table::beliefs), lang).err().code,
            errc::invalid_argument);
}

TEST(VectorSpecs, MetadataValuesFollowColumnOrder) {
  vector_metadata m{"pattern", "cpp", "class"};
  EXPECT_EQ(metadata_values(spec_for(vector_table::symbols), m),
            (std::vector<std::string>{"cpp", "class"}));
  EXPECT_EQ(metadata_values(spec_for(vector_table::observations), m),
            (std::vector<std::string>{"pattern"}));
  EXPECT_TRUE(metadata_values(spec_for(vector_table::beliefs), m).empty());
}

TEST(VectorChecks, DimensionMismatchNamesBothDimensions) {
  EXPECT_TRUE(check_dimension(512, 512, "the query vector"));
  auto r = check_dimension(512, 384, "the query vector");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::dimension_mismatch);
  EXPECT_NE(r.err().message.find("384"), std::string::npos);
  EXPECT_NE(r.err().message.find("512"), std::string::npos);
  EXPECT_NE(r.err().message.find("the query vector"), std::string::npos);
}

TEST(VectorChecks, DimensionRange) {
  EXPECT_EQ(check_dimension_allowed(0).err().code, errc::invalid_argument);
  EXPECT_TRUE(check_dimension_allowed(1));
  EXPECT_TRUE(check_dimension_allowed(max_vector_dimension));
  EXPECT_EQ(check_dimension_allowed(max_vector_dimension + 1).err().code, errc::invalid_argument);
}

TEST(VectorChecks, ValuesMustBeFiniteAndNonZero) {
  const std::vector<float> ok{0.0F, 1.0F};
  EXPECT_TRUE(check_vector_values(ok, "v"));
  const std::vector<float> zero{0.0F, 0.0F};
  EXPECT_EQ(check_vector_values(zero, "v").err().code, errc::invalid_argument);
  const std::vector<float> nan{1.0F, std::numeric_limits<float>::quiet_NaN()};
  EXPECT_EQ(check_vector_values(nan, "v").err().code, errc::invalid_argument);
  const std::vector<float> inf{std::numeric_limits<float>::infinity()};
  EXPECT_EQ(check_vector_values(inf, "v").err().code, errc::invalid_argument);
}

TEST(VectorChecks, BlobIsLittleEndianFloat32) {
  const std::vector<float> v{1.0F, -2.0F};
  const blob b = to_vector_blob(v);
  EXPECT_EQ(b, (blob{0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0}));
  EXPECT_TRUE(to_vector_blob({}).empty());
}

TEST(VectorChecks, DimensionIsReadFromMeta) {
  auto db = connection::open(":memory:").value();
  ASSERT_TRUE(apply_migrations(db));
  EXPECT_EQ(read_vector_dimension(db).value(), 0U);
  ASSERT_TRUE(write_meta(db, meta_vector_dimension, "384"));
  EXPECT_EQ(read_vector_dimension(db).value(), 384U);
  ASSERT_TRUE(write_meta(db, meta_vector_dimension, "12abc"));
  EXPECT_EQ(read_vector_dimension(db).err().code, errc::corrupt_database);
}

}  // namespace
}  // namespace patina::db::detail
