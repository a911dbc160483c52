#include "patina/core/vector.hpp"

#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "vector_kernels.hpp"

namespace {

using patina::errc;
using ::testing::HasSubstr;
namespace vec = patina::vec;
using kernels = patina::vec::detail::kernel_table;

std::vector<std::uint8_t> bytes(std::initializer_list<int> values) {
  std::vector<std::uint8_t> out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

std::string hex(const std::vector<std::uint8_t>& b) {
  static constexpr char digits[] = "0123456789ABCDEF";
  std::string out;
  for (std::uint8_t x : b) {
    out += digits[x >> 4];
    out += digits[x & 0xF];
  }
  return out;
}

// ---- codec -----------------------------------------------------------------------------

TEST(VectorBlob, EncodesLikeTursoVector32) {
  const std::vector<float> v{1, 2, 3};
  EXPECT_EQ(hex(vec::encode(v)), "0000803F0000004000004040");
  EXPECT_TRUE(vec::encode({}).empty());
}

TEST(VectorBlob, DecodesRawAndTaggedF32) {
  const auto raw = bytes({0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x40, 0x40});
  EXPECT_EQ(vec::decode(raw).value(), (std::vector<float>{1, 2, 3}));
  auto tagged = raw;
  tagged.push_back(1);
  EXPECT_EQ(vec::decode(tagged).value(), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(vec::blob_dimension(tagged).value(), 3u);
  EXPECT_TRUE(vec::decode({}).value().empty());
  EXPECT_TRUE(vec::decode(bytes({1})).value().empty());  // just the f32 tag: the empty vector
}

TEST(VectorBlob, RoundTripKeepsEveryBit) {
  std::mt19937 rng(7);
  std::vector<float> v;
  for (int i = 0; i < 1000; ++i) v.push_back(std::bit_cast<float>(static_cast<std::uint32_t>(rng())));
  v.push_back(-0.0f);
  v.push_back(std::numeric_limits<float>::denorm_min());
  v.push_back(std::numeric_limits<float>::infinity());
  v.push_back(std::numeric_limits<float>::quiet_NaN());
  const auto back = vec::decode(vec::encode(v)).value();
  ASSERT_EQ(back.size(), v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    EXPECT_EQ(std::bit_cast<std::uint32_t>(back[i]), std::bit_cast<std::uint32_t>(v[i])) << i;
  }
}

TEST(VectorBlob, LengthsThatAreNotFloatsAreParseErrors) {
  for (std::size_t n : {2u, 6u, 10u, 14u}) {
    auto r = vec::decode(std::vector<std::uint8_t>(n, 0));
    ASSERT_FALSE(r) << n;
    EXPECT_EQ(r.err().code, errc::parse_error);
    EXPECT_THAT(r.err().message, HasSubstr(std::to_string(n) + " bytes"));
    EXPECT_THAT(r.err().message, HasSubstr("multiple of 4"));
  }
  // Odd length with the f32 tag but a payload that is not whole floats.
  auto r = vec::decode(bytes({0, 0, 1}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.err().code, errc::parse_error);
}

TEST(VectorBlob, OtherTursoTypesAreUnsupportedAndUnknownTagsMalformed) {
  auto f64 = vec::decode(std::vector<std::uint8_t>{0, 0, 0, 0, 0, 0, 0xF0, 0x3F, 2});
  ASSERT_FALSE(f64);
  EXPECT_EQ(f64.err().code, errc::unsupported);
  EXPECT_THAT(f64.err().message, HasSubstr("float64"));
  for (int tag : {3, 4, 9}) {
    auto r = vec::decode(bytes({0, 0, tag}));
    ASSERT_FALSE(r) << tag;
    EXPECT_EQ(r.err().code, errc::unsupported) << tag;
  }
  for (int tag : {0, 5, 6, 7, 255}) {
    auto r = vec::decode(bytes({0, 0, 0, 0, tag}));
    ASSERT_FALSE(r) << tag;
    EXPECT_EQ(r.err().code, errc::parse_error) << tag;
    EXPECT_THAT(r.err().message, HasSubstr("type byte " + std::to_string(tag)));
  }
}

TEST(VectorBlob, DecodeIntoReusesAndClearsOnFailure) {
  std::vector<float> out{9, 9, 9, 9, 9};
  ASSERT_TRUE(vec::decode_into(vec::encode(std::vector<float>{4, 5}), out));
  EXPECT_EQ(out, (std::vector<float>{4, 5}));
  EXPECT_FALSE(vec::decode_into(bytes({1, 2, 3, 4, 5, 6}), out));
  EXPECT_TRUE(out.empty());
}

// ---- text -----------------------------------------------------------------------------

std::vector<float> parsed(std::string_view text) {
  auto r = vec::parse(text);
  EXPECT_TRUE(r) << "'" << text << "': " << (r ? "" : r.err().message);
  return r ? *r : std::vector<float>{};
}

TEST(VectorText, ParsesTheTursoCases) {
  EXPECT_TRUE(parsed("[]").empty());
  EXPECT_TRUE(parsed("  [ \t ]  ").empty());
  EXPECT_EQ(parsed("  [  1  ,  2  ,  3  ]  "), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(parsed("[-1000000000000000000]"), (std::vector<float>{-1e18f}));
  EXPECT_EQ(parsed("[1, 2.5, -3]"), (std::vector<float>{1, 2.5f, -3}));
  EXPECT_EQ(parsed("[4.000000,5.000000,6.000000]"), (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(parsed("[\n1,\r\n\t2\n]\n"), (std::vector<float>{1, 2}));
}

TEST(VectorText, NumberForms) {
  EXPECT_EQ(parsed("[+2, .5, 5., 1e3, -1.5E-3, 0.1]"),
            (std::vector<float>{2, 0.5f, 5, 1000, -1.5e-3f, 0.1f}));
  // Beyond float's smallest subnormal: zero, as the server reads it.
  const auto tiny = parsed("[1e-50, -1e-50]");
  ASSERT_EQ(tiny.size(), 2u);
  EXPECT_EQ(tiny[0], 0.0f);
  EXPECT_TRUE(std::signbit(tiny[1]));
  EXPECT_EQ(parsed("[3.4028235e38]"), (std::vector<float>{std::numeric_limits<float>::max()}));
  EXPECT_EQ(parsed("[1e-45]"), (std::vector<float>{std::numeric_limits<float>::denorm_min()}));
}

struct malformed_case {
  const char* text;
  const char* expected;  // a substring of the message
};

TEST(VectorText, MalformedTextIsAParseErrorNamingPositionAndProblem) {
  const malformed_case cases[] = {
      {"", "empty vector text"},
      {"   ", "empty vector text"},
      {"1,2", "position 1: expected '['"},
      {"(1,2)", "position 1: expected '['"},
      {"  x[1]", "position 3: expected '['"},
      {"[1,2", "position 5: missing closing ']'"},
      {"[1,2,", "position 6: missing closing ']'"},
      {"[", "position 2: missing closing ']'"},
      {"[1,,2]", "position 4: empty element"},
      {"[,1]", "position 2: empty element"},
      {"[1,]", "position 4: empty element"},
      {"[1, ]", "position 5: empty element"},
      {"[1 2]", "position 4: expected ',' or ']'"},
      {"[abc]", "position 2: 'abc' is not a number"},
      {"[1, 2x]", "position 5: '2x' is not a number"},
      {"[0x10]", "'0x10' is not a number"},
      {"[--1]", "'--1' is not a number"},
      {"[+]", "'+' is not a number"},
      {"[+-1]", "'+-1' is not a number"},
      {"[1;2]", "'1;2' is not a number"},
      {"[nan]", "position 2: 'nan' is not a finite number"},
      {"[1, inf]", "position 5: 'inf' is not a finite number"},
      {"[-infinity]", "'-infinity' is not a finite number"},
      {"[1e39]", "position 2: '1e39' is outside the range of a 32-bit float"},
      {"[-3.5e38]", "outside the range"},
      {"[1] x", "position 5: unexpected text after the closing ']'"},
      {"[1]]", "position 4: unexpected text after the closing ']'"},
      {"[[1]]", "position 2: '[1' is not a number"},
  };
  for (const auto& c : cases) {
    auto r = vec::parse(c.text);
    ASSERT_FALSE(r) << "'" << c.text << "' parsed";
    EXPECT_EQ(r.err().code, errc::parse_error) << c.text;
    EXPECT_THAT(r.err().message, HasSubstr(c.expected)) << "'" << c.text << "'";
    EXPECT_THAT(r.err().message, HasSubstr("[1, 2.5, -3]")) << "names the fix";
  }
}

TEST(VectorText, FormatsShortestDigitsWithoutExponent) {
  const auto f = [](std::vector<float> v) { return vec::format(v); };
  EXPECT_EQ(f({}), "[]");
  EXPECT_EQ(f({1, 2, 3}), "[1,2,3]");
  EXPECT_EQ(f({1.5f, -2, 0.003f}), "[1.5,-2,0.003]");
  EXPECT_EQ(f({-1e18f}), "[-1000000000000000000]");
  EXPECT_EQ(f({1e-7f}), "[0.0000001]");
  EXPECT_EQ(f({0.1f, 100, 123456789.0f}), "[0.1,100,123456790]");
  EXPECT_EQ(f({12.375f, -0.5f, 1234.5f}), "[12.375,-0.5,1234.5]");
  EXPECT_EQ(f({0, -0.0f}), "[0,-0]");
  EXPECT_EQ(f({std::numeric_limits<float>::max()}), "[340282350000000000000000000000000000000]");
  EXPECT_EQ(f({std::numeric_limits<float>::denorm_min()}),
            "[0.000000000000000000000000000000000000000000001]");
  EXPECT_EQ(f({std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity(),
               -std::numeric_limits<float>::infinity()}),
            "[NaN,inf,-inf]");
}

TEST(VectorText, FormatThenParseGivesBackEveryFiniteFloat) {
  std::mt19937 rng(11);
  std::vector<float> v;
  while (v.size() < 100'000) {
    const float x = std::bit_cast<float>(static_cast<std::uint32_t>(rng()));
    if (std::isfinite(x)) v.push_back(x);
  }
  v.push_back(std::numeric_limits<float>::min());
  v.push_back(std::numeric_limits<float>::lowest());
  const std::string text = vec::format(v);
  EXPECT_EQ(text.find('e'), std::string::npos);
  EXPECT_EQ(text.find('E'), std::string::npos);
  const auto back = vec::parse(text).value();
  ASSERT_EQ(back.size(), v.size());
  for (std::size_t i = 0; i < v.size(); ++i) {
    ASSERT_EQ(std::bit_cast<std::uint32_t>(back[i]), std::bit_cast<std::uint32_t>(v[i]))
        << vec::format(std::span(&v[i], 1));
  }
}

// ---- kernels ------------------------------------------------------------------------

// Every implementation this CPU can run.
std::vector<const kernels*> available_kernels() {
  std::vector<const kernels*> all{&patina::vec::detail::portable_kernels()};
  if (const auto* avx = patina::vec::detail::avx2_fma_kernels()) all.push_back(avx);
  return all;
}

struct reference {
  double dot = 0, l2_squared = 0, abs_dot = 0, aa = 0, bb = 0;
};
reference naive(const float* a, const float* b, std::size_t n) {
  reference r;
  for (std::size_t i = 0; i < n; ++i) {
    const double x = a[i], y = b[i];
    r.dot += x * y;
    r.abs_dot += std::fabs(x * y);
    r.l2_squared += (x - y) * (x - y);
    r.aa += x * x;
    r.bb += y * y;
  }
  return r;
}

constexpr double rel_tol = 1e-5;
// Error bound for a float sum of products: relative to the sum of magnitudes (a
// sum that cancels to ~0 cannot be known more precisely than that).
void expect_close(double got, double want, double scale, const std::string& what) {
  EXPECT_LE(std::fabs(got - want), rel_tol * scale + 1e-35)
      << what << ": got " << got << " want " << want;
}

std::vector<float> random_vector(std::mt19937& rng, std::size_t n, float lo = -1, float hi = 1) {
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

const std::size_t dims[] = {0, 1, 2, 3, 4, 7, 8, 9, 15, 16, 17, 31, 32, 33, 47, 63, 64, 65,
                            100, 255, 256, 257, 384, 512, 768, 1000, 1536, 4095, 4096};

TEST(VectorKernels, MatchADoublePrecisionReference) {
  std::mt19937 rng(42);
  for (const kernels* k : available_kernels()) {
    for (std::size_t n : dims) {
      for (int trial = 0; trial < 3; ++trial) {
        // One float of slack in front: the kernels must not need aligned data.
        std::vector<float> a = random_vector(rng, n + 1);
        std::vector<float> b = random_vector(rng, n + 1, -3, 5);
        const float* pa = a.data() + 1;
        const float* pb = b.data() + 1;
        const reference ref = naive(pa, pb, n);
        const std::string what = std::string(k->name) + " n=" + std::to_string(n);
        expect_close(k->dot(pa, pb, n), ref.dot, ref.abs_dot, "dot " + what);
        expect_close(k->l2_squared(pa, pb, n), ref.l2_squared, ref.l2_squared, "l2_squared " + what);
        const auto s = k->dot_norms(pa, pb, n);
        expect_close(s.dot, ref.dot, ref.abs_dot, "dot_norms.dot " + what);
        expect_close(s.a_squared, ref.aa, ref.aa, "dot_norms.a " + what);
        expect_close(s.b_squared, ref.bb, ref.bb, "dot_norms.b " + what);
      }
    }
  }
}

TEST(VectorKernels, PublicFunctionsMatchTheReference) {
  std::mt19937 rng(5);
  for (std::size_t n : dims) {
    const auto a = random_vector(rng, n);
    const auto b = random_vector(rng, n);
    const reference ref = naive(a.data(), b.data(), n);
    const std::string what = "n=" + std::to_string(n);
    expect_close(vec::dot(a, b), ref.dot, ref.abs_dot, "dot " + what);
    expect_close(vec::l2_squared(a, b), ref.l2_squared, ref.l2_squared, "l2_squared " + what);
    expect_close(vec::l2(a, b), std::sqrt(ref.l2_squared), std::sqrt(ref.l2_squared), "l2 " + what);
    expect_close(vec::norm(a), std::sqrt(ref.aa), std::sqrt(ref.aa), "norm " + what);
    if (n > 0) {
      // |dot error| <= 1e-5 * sum|a_i b_i| <= 1e-5 * |a||b|, so the distance is within ~1e-5.
      expect_close(vec::cosine_distance(a, b), 1.0 - ref.dot / std::sqrt(ref.aa * ref.bb), 2.0,
                   "cosine " + what);
    }
  }
}

TEST(VectorKernels, KnownValues) {
  const std::vector<float> a{1, 2}, b{3, 4}, z{0, 0}, p{3, 4};
  EXPECT_EQ(vec::dot(a, b), 11.0f);
  EXPECT_EQ(vec::l2(p, z), 5.0f);
  EXPECT_EQ(vec::l2_squared(p, z), 25.0f);
  EXPECT_EQ(vec::norm(p), 5.0f);
  EXPECT_EQ(vec::cosine_distance(std::vector<float>{1, 0, 0}, std::vector<float>{0, 1, 0}), 1.0f);
  EXPECT_NEAR(vec::cosine_distance(std::vector<float>{1, 2, 3}, std::vector<float>{2, 4, 6}), 0.0f, 1e-6);
  EXPECT_NEAR(vec::cosine_distance(std::vector<float>{1, 2, 3}, std::vector<float>{-1, -2, -3}), 2.0f,
              1e-6);
  EXPECT_EQ(vec::dot(std::vector<float>{7}, std::vector<float>{-3}), -21.0f);  // dimension 1
}

TEST(VectorKernels, ZeroVectors) {
  for (std::size_t n : {std::size_t{0}, std::size_t{1}, std::size_t{9}, std::size_t{512}}) {
    const std::vector<float> zero(n, 0.0f);
    std::vector<float> ones(n, 1.0f);
    EXPECT_EQ(vec::dot(zero, ones), 0.0f);
    EXPECT_EQ(vec::norm(zero), 0.0f);
    EXPECT_EQ(vec::l2(zero, zero), 0.0f);
    // Documented: a zero vector is at distance 1 from everything, itself included.
    EXPECT_EQ(vec::cosine_distance(zero, ones), 1.0f);
    EXPECT_EQ(vec::cosine_distance(ones, zero), 1.0f);
    EXPECT_EQ(vec::cosine_distance(zero, zero), 1.0f);
    std::vector<float> z = zero;
    EXPECT_EQ(vec::normalize(z), 0.0f);
    EXPECT_EQ(z, zero);
  }
}

TEST(VectorKernels, Denormals) {
  const float d = std::numeric_limits<float>::denorm_min() * 1000;
  for (const kernels* k : available_kernels()) {
    for (std::size_t n : {std::size_t{1}, std::size_t{13}, std::size_t{64}, std::size_t{333}}) {
      const std::vector<float> small(n, d);
      const std::vector<float> ones(n, 1.0f);
      const std::vector<float> zero(n, 0.0f);
      // Products by 1 and sums of subnormals are exact, so no flush-to-zero may happen.
      EXPECT_EQ(k->dot(small.data(), ones.data(), n), static_cast<float>(n) * d) << k->name;
      EXPECT_EQ(k->dot_norms(small.data(), ones.data(), n).dot, static_cast<float>(n) * d) << k->name;
      // d*d underflows to 0 in float, exactly as in Turso's float kernels.
      EXPECT_EQ(k->l2_squared(small.data(), zero.data(), n), 0.0f) << k->name;
    }
  }
  // A vector of subnormals has norm 0 in float: the zero-vector rule applies.
  const std::vector<float> small(8, std::numeric_limits<float>::denorm_min());
  EXPECT_EQ(vec::cosine_distance(small, small), 1.0f);
}

TEST(VectorKernels, NormalizeMakesUnitLength) {
  std::mt19937 rng(3);
  for (std::size_t n : {std::size_t{1}, std::size_t{5}, std::size_t{512}, std::size_t{4096}}) {
    auto v = random_vector(rng, n, -10, 10);
    const double before = std::sqrt(naive(v.data(), v.data(), n).aa);
    const float returned = vec::normalize(v);
    EXPECT_NEAR(returned, before, before * rel_tol);
    EXPECT_NEAR(vec::norm(v), 1.0, 1e-5);
  }
  std::vector<float> nan_vec{1, std::numeric_limits<float>::quiet_NaN()};
  vec::normalize(nan_vec);
  EXPECT_EQ(nan_vec[0], 1.0f);  // a non-finite norm leaves the vector unchanged
}

TEST(VectorKernels, DotManyMatchesTheReferenceForEveryRow) {
  std::mt19937 rng(9);
  const std::size_t row_counts[] = {1, 2, 3, 4, 5, 7, 8, 13};
  for (const kernels* k : available_kernels()) {
    for (std::size_t dim : dims) {
      for (std::size_t rows : row_counts) {
        const auto matrix = random_vector(rng, rows * dim + 1);
        const auto query = random_vector(rng, dim + 1);
        std::vector<float> out(rows + 1, -12345.0f);
        k->dot_many(matrix.data() + 1, rows, dim, query.data() + 1, out.data());
        for (std::size_t r = 0; r < rows; ++r) {
          const reference ref = naive(matrix.data() + 1 + r * dim, query.data() + 1, dim);
          expect_close(out[r], ref.dot, ref.abs_dot,
                       std::string(k->name) + " dim=" + std::to_string(dim) + " rows=" +
                           std::to_string(rows) + " row " + std::to_string(r));
        }
        EXPECT_EQ(out[rows], -12345.0f) << "wrote past the last row";
      }
    }
  }
}

TEST(VectorKernels, PublicDotManyHandlesEmptyShapes) {
  std::vector<float> out(3, 7.0f);
  vec::dot_many(nullptr, 0, 16, nullptr, out.data());
  EXPECT_EQ(out, (std::vector<float>(3, 7.0f)));
  vec::dot_many(nullptr, 3, 0, nullptr, out.data());
  EXPECT_EQ(out, (std::vector<float>(3, 0.0f)));

  std::mt19937 rng(1);
  const std::size_t rows = 1000, dim = 512;
  const auto matrix = random_vector(rng, rows * dim);
  const auto query = random_vector(rng, dim);
  std::vector<float> got(rows);
  vec::dot_many(matrix.data(), rows, dim, query.data(), got.data());
  for (std::size_t r = 0; r < rows; ++r) {
    const reference ref = naive(matrix.data() + r * dim, query.data(), dim);
    expect_close(got[r], ref.dot, ref.abs_dot, "row " + std::to_string(r));
  }
}

TEST(VectorKernels, IsaNameMatchesTheSelectedTable) {
  const bool has_avx2 = patina::vec::detail::avx2_fma_kernels() != nullptr;
  EXPECT_EQ(vec::kernel_isa(), has_avx2 ? "avx2+fma" : "portable");
}

}  // namespace
