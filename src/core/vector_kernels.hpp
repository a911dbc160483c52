// Private: the vector kernels' implementations, one table per instruction set.
// The public functions in patina/core/vector.hpp call `active_kernels()`; tests call
// every available table so that the portable path is tested on AVX2 machines too.
#pragma once

#include <cstddef>

namespace patina::vec::detail {

struct dot_and_norms {
  float dot = 0;
  float a_squared = 0;  // sum a[i]^2
  float b_squared = 0;  // sum b[i]^2
};

struct kernel_table {
  const char* name;
  float (*dot)(const float* a, const float* b, std::size_t n) noexcept;
  float (*l2_squared)(const float* a, const float* b, std::size_t n) noexcept;
  dot_and_norms (*dot_norms)(const float* a, const float* b, std::size_t n) noexcept;
  void (*dot_many)(const float* matrix, std::size_t rows, std::size_t dim, const float* query,
                   float* out) noexcept;
};

const kernel_table& portable_kernels() noexcept;
// Null when this CPU lacks AVX2 or FMA.
const kernel_table* avx2_fma_kernels() noexcept;
// The best table this CPU supports, chosen once.
const kernel_table& active_kernels() noexcept;

}  // namespace patina::vec::detail
