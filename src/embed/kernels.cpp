#include "kernels.hpp"

#include <algorithm>
#include <cassert>
#include <cstring>

namespace patina::embed::detail {

namespace portable {
#define KERNEL_ROWS 3
#define KERNEL_VECTOR_FLOATS 4
#include "kernels_body.inc"
#undef KERNEL_VECTOR_FLOATS
#undef KERNEL_ROWS
}  // namespace portable

#if defined(__x86_64__) || defined(__i386__)
#define PATINA_HAVE_X86_64_V3 1
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace x86_64_v3 {
#define KERNEL_ROWS 6
#define KERNEL_VECTOR_FLOATS 8
#include "kernels_body.inc"
#undef KERNEL_VECTOR_FLOATS
#undef KERNEL_ROWS
}  // namespace x86_64_v3
#pragma GCC pop_options
#endif

packed_matrix pack_matrix(std::span<const float> row_major, std::size_t rows, std::size_t cols) {
  assert(row_major.size() == rows * cols && cols % panel_width == 0 && "pack_matrix: bad shape");
  packed_matrix packed{rows, cols, std::vector<float>(rows * cols)};
  float* dst = packed.data.data();
  for (std::size_t j0 = 0; j0 < cols; j0 += panel_width)
    for (std::size_t r = 0; r < rows; ++r, dst += panel_width)
      std::memcpy(dst, row_major.data() + r * cols + j0, panel_width * sizeof(float));
  return packed;
}

bool kernel_isa_supported(kernel_isa isa) noexcept {
  switch (isa) {
    case kernel_isa::portable: return true;
    case kernel_isa::x86_64_v3:
#ifdef PATINA_HAVE_X86_64_V3
      __builtin_cpu_init();
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
      return false;
#endif
  }
  return false;
}

kernel_isa best_kernel_isa() noexcept {
  static const kernel_isa best =
      kernel_isa_supported(kernel_isa::x86_64_v3) ? kernel_isa::x86_64_v3 : kernel_isa::portable;
  return best;
}

void matmul(kernel_isa isa, const float* x, std::size_t n, const packed_matrix& w,
            std::span<const float> bias, float* out) {
  assert((bias.empty() || bias.size() == w.cols) && "matmul: bias size");
  assert(kernel_isa_supported(isa) && "matmul: kernels for an ISA this CPU lacks");
  for (std::size_t i = 0; i < n; ++i) {
    float* row = out + i * w.cols;
    if (bias.empty())
      std::fill(row, row + w.cols, 0.0F);
    else
      std::copy(bias.begin(), bias.end(), row);
  }
#ifdef PATINA_HAVE_X86_64_V3
  if (isa == kernel_isa::x86_64_v3) {
    x86_64_v3::matmul_packed(x, n, w.rows, w.data.data(), w.cols, out);
    return;
  }
#endif
  (void)isa;
  portable::matmul_packed(x, n, w.rows, w.data.data(), w.cols, out);
}

void matmul_rowmajor(kernel_isa isa, const float* x, std::size_t n, std::size_t k, std::size_t ldx,
                     const float* w, std::size_t m, std::size_t ldw, float* out, std::size_t ldo) {
  assert(kernel_isa_supported(isa) && "matmul_rowmajor: kernels for an ISA this CPU lacks");
#ifdef PATINA_HAVE_X86_64_V3
  if (isa == kernel_isa::x86_64_v3) {
    x86_64_v3::matmul_rowmajor(x, n, k, ldx, w, m, ldw, out, ldo);
    return;
  }
#endif
  (void)isa;
  portable::matmul_rowmajor(x, n, k, ldx, w, m, ldw, out, ldo);
}

}  // namespace patina::embed::detail
