// Private: the dense linear-algebra kernels of the USE-lite forward pass.
//
// Two builds of the same code: a portable one and one for x86-64-v3 (AVX2 +
// FMA), chosen once at run time from the CPU's features. Both are compiled with
// -O3 even in debug builds (src/embed/CMakeLists.txt).
//
// Thread safety: pure functions over caller-owned memory.
#pragma once

#include <cstddef>
#include <span>
#include <vector>

namespace patina::embed::detail {

// Columns per panel of a packed matrix (two 8-float vectors).
inline constexpr std::size_t panel_width = 16;

// A rows x cols matrix (cols a multiple of panel_width) stored as cols/16 column
// panels, each `rows` runs of 16 contiguous floats, so a matmul reads the weights
// strictly in order.
struct packed_matrix {
  std::size_t rows = 0;
  std::size_t cols = 0;
  std::vector<float> data;
};

// REQUIRES: row_major.size() == rows * cols, cols % panel_width == 0.
packed_matrix pack_matrix(std::span<const float> row_major, std::size_t rows, std::size_t cols);

enum class kernel_isa { portable, x86_64_v3 };

// The best build this CPU runs (x86_64_v3 when it has AVX2 and FMA).
kernel_isa best_kernel_isa() noexcept;
// True when this CPU can run kernels built for `isa`.
bool kernel_isa_supported(kernel_isa isa) noexcept;

// out[n x w.cols] = x[n x w.rows] * w + bias, all row-major without padding.
// An empty bias means zero. REQUIRES: bias empty or of size w.cols.
void matmul(kernel_isa isa, const float* x, std::size_t n, const packed_matrix& w,
            std::span<const float> bias, float* out);
inline void matmul(const float* x, std::size_t n, const packed_matrix& w, std::span<const float> bias,
                   float* out) {
  matmul(best_kernel_isa(), x, n, w, bias, out);
}

// out[n x m] = x[n x k] * w[k x m], row-major with row strides ldx, ldw, ldo.
// For the small per-head products of attention.
void matmul_rowmajor(kernel_isa isa, const float* x, std::size_t n, std::size_t k, std::size_t ldx,
                     const float* w, std::size_t m, std::size_t ldw, float* out, std::size_t ldo);
inline void matmul_rowmajor(const float* x, std::size_t n, std::size_t k, std::size_t ldx, const float* w,
                            std::size_t m, std::size_t ldw, float* out, std::size_t ldo) {
  matmul_rowmajor(best_kernel_isa(), x, n, k, ldx, w, m, ldw, out, ldo);
}

}  // namespace patina::embed::detail
