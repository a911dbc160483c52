#include "kernels.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace patina::embed::detail {
namespace {

struct shape {
  std::size_t n, k, m;
};

std::vector<float> random_values(std::size_t count, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0F, 1.0F);
  std::vector<float> v(count);
  for (auto& x : v) x = dist(rng);
  return v;
}

std::vector<kernel_isa> isas() {
  std::vector<kernel_isa> out{kernel_isa::portable};
  if (kernel_isa_supported(kernel_isa::x86_64_v3)) out.push_back(kernel_isa::x86_64_v3);
  return out;
}

TEST(kernels, portable_kernels_are_always_available) {
  EXPECT_TRUE(kernel_isa_supported(kernel_isa::portable));
  EXPECT_TRUE(kernel_isa_supported(best_kernel_isa()));
}

TEST(kernels, pack_matrix_lays_out_column_panels) {
  std::vector<float> m(3 * 32);
  for (std::size_t i = 0; i < m.size(); ++i) m[i] = static_cast<float>(i);
  const auto p = pack_matrix(m, 3, 32);
  ASSERT_EQ(p.data.size(), m.size());
  // Panel 0 holds columns 0..15 of rows 0..2, then panel 1 columns 16..31.
  EXPECT_EQ(p.data[0], 0.0F);
  EXPECT_EQ(p.data[16], 32.0F);
  EXPECT_EQ(p.data[47], 64.0F + 15.0F);
  EXPECT_EQ(p.data[48], 16.0F);
}

// Every ISA agrees with a double-precision reference, for row counts that are
// not multiples of the micro-kernel's and depths spanning several k blocks.
TEST(kernels, matmul_matches_reference) {
  std::mt19937 rng(42);
  for (const shape s : {shape{1, 16, 16}, shape{5, 256, 768}, shape{7, 600, 32}, shape{13, 1536, 48},
                        shape{128, 512, 64}, shape{0, 32, 16}}) {
    const auto x = random_values(s.n * s.k, rng);
    const auto w = random_values(s.k * s.m, rng);
    const auto bias = random_values(s.m, rng);
    const auto packed = pack_matrix(w, s.k, s.m);
    for (const auto isa : isas()) {
      for (const bool with_bias : {true, false}) {
        std::vector<float> out(s.n * s.m, -7.0F);
        matmul(isa, x.data(), s.n, packed, with_bias ? std::span<const float>(bias) : std::span<const float>(),
               out.data());
        for (std::size_t i = 0; i < s.n; ++i)
          for (std::size_t j = 0; j < s.m; ++j) {
            double ref = with_bias ? bias[j] : 0.0;
            for (std::size_t p = 0; p < s.k; ++p) ref += static_cast<double>(x[i * s.k + p]) * w[p * s.m + j];
            ASSERT_NEAR(out[i * s.m + j], ref, 1e-5 * static_cast<double>(s.k))
                << "isa " << static_cast<int>(isa) << " n=" << s.n << " k=" << s.k << " m=" << s.m;
          }
      }
    }
  }
}

TEST(kernels, matmul_rowmajor_honours_strides) {
  std::mt19937 rng(7);
  const std::size_t n = 9, k = 20, m = 11, ldx = 25, ldw = 13, ldo = 17;
  const auto x = random_values(n * ldx, rng);
  const auto w = random_values(k * ldw, rng);
  for (const auto isa : isas()) {
    std::vector<float> out(n * ldo, 99.0F);
    matmul_rowmajor(isa, x.data(), n, k, ldx, w.data(), m, ldw, out.data(), ldo);
    for (std::size_t i = 0; i < n; ++i) {
      for (std::size_t j = 0; j < m; ++j) {
        double ref = 0;
        for (std::size_t p = 0; p < k; ++p) ref += static_cast<double>(x[i * ldx + p]) * w[p * ldw + j];
        ASSERT_NEAR(out[i * ldo + j], ref, 1e-4);
      }
      for (std::size_t j = m; j < ldo; ++j) EXPECT_EQ(out[i * ldo + j], 99.0F) << "wrote past the row";
    }
  }
}

}  // namespace
}  // namespace patina::embed::detail
