/// @file
/// patina/core/vector.hpp — dense float vectors: Turso's `vector32` byte format, the
/// text form `[1,2.5,-3]`, and the distance kernels behind exact vector search.
///
/// Blob format: a vector of n floats is stored as 4n bytes of little-endian IEEE-754
/// binary32, with no header and no type byte (what a Turso server's `vector32()`
/// writes). The decoder also accepts 4n+1 bytes ending in type byte 1 (libSQL's f32
/// tag), as the server does.
///
/// Kernels compute in float (as the server does) with several independent
/// accumulators, vectorised with AVX2+FMA when the CPU has it (chosen once at run time)
/// and portable code otherwise. Results of the two paths may differ in the last bits
/// because the summation order differs; both are within a few float ulps times the
/// vector's dimension. Inputs whose squares overflow float (|x| > ~1.8e19) give inf.
///
/// Thread safety: all functions are pure (they touch only their arguments) and may be
/// called concurrently; `normalize` and `dot_many` write only through their output
/// arguments.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "patina/core/result.hpp"

namespace patina::vec {

// ---- blob codec --------------------------------------------------------------------

/// Encodes `values` as a `vector32` blob (4 bytes per value, little-endian). Never fails;
/// NaN and infinities are stored as they are.
std::vector<std::uint8_t> encode(std::span<const float> values);

/// Decodes a `vector32` blob. An empty blob is the empty vector.
/// Fails with errc::parse_error if the length is neither 4n nor 4n+1, or if a 4n+1 blob
/// ends in an unknown type byte; with errc::unsupported if it is another Turso vector
/// type (f64, 1-bit, f8, sparse: type bytes 2, 3, 4, 9). Values are returned as stored
/// (NaN included).
result<std::vector<float>> decode(std::span<const std::uint8_t> blob);

/// As `decode`, writing into `out` (resized; its capacity is reused, which saves an
/// allocation per row in a scan). On failure `out` is left empty.
result<void> decode_into(std::span<const std::uint8_t> blob, std::vector<float>& out);

/// The number of floats in a `vector32` blob, with the same checks as `decode` but
/// without decoding.
result<std::size_t> blob_dimension(std::span<const std::uint8_t> blob);

// ---- text form -----------------------------------------------------------------------

/// Parses the text form: '[' numbers separated by ',' ']', with spaces, tabs and
/// newlines allowed around every token (`'  [ 1 , 2.5,-3 ] '`); `[]` is the empty
/// vector. A number is decimal, optionally signed, with optional fraction and exponent
/// (`-1.5e-3`, `+2`, `.5`), rounded to the nearest float; a value too small for float
/// becomes 0. Fails with errc::parse_error, naming the 1-based character position and
/// the problem, on: empty text, a missing '[' or ']', an empty element (`[1,,2]`,
/// `[1,]`), something that is not a number, NaN or infinity, a value beyond the float
/// range, or anything after the closing ']'.
result<std::vector<float>> parse(std::string_view text);

/// Formats `values` as `[v1,v2,…]` with no spaces. Each value is written with the
/// fewest significant digits that read back as the same float, and never with an
/// exponent: `[1,2,3]`, `[1.5,-2,0.003]`, `[-1000000000000000000]`, `[0.0000001]`.
/// -0 is `-0`; NaN and infinities (possible only from a decoded blob) are `NaN`, `inf`,
/// `-inf`. `parse(format(v)) == v` for every finite v.
std::string format(std::span<const float> values);

// ---- kernels ---------------------------------------------------------------------------
// REQUIRES (all two-vector kernels): a.size() == b.size(). Callers that take vectors
// from users check dimensions first and report errc::dimension_mismatch.

/// Sum of a[i]*b[i]. 0 for empty vectors.
float dot(std::span<const float> a, std::span<const float> b) noexcept;

/// Sum of (a[i]-b[i])^2, the squared Euclidean distance.
float l2_squared(std::span<const float> a, std::span<const float> b) noexcept;

/// Euclidean distance: sqrt(l2_squared(a, b)).
float l2(std::span<const float> a, std::span<const float> b) noexcept;

/// Cosine distance 1 - dot(a,b) / (|a| |b|), in [0, 2] up to rounding (0 for vectors
/// pointing the same way). If either vector has norm 0 (all zeros, or empty) the
/// distance is defined as 1.0: a zero vector is treated as unrelated to everything,
/// including another zero vector. NaN inputs give NaN.
float cosine_distance(std::span<const float> a, std::span<const float> b) noexcept;

/// Euclidean norm sqrt(sum v[i]^2).
float norm(std::span<const float> v) noexcept;

/// Scales `v` in place to unit length and returns its norm before scaling. A vector of
/// norm 0 (or a non-finite norm) is left unchanged.
float normalize(std::span<float> v) noexcept;

/// Exact-search kernel: out[r] = dot(row r of `matrix`, query) for r in [0, rows).
/// `matrix` is rows*dim contiguous floats, row-major. Streams the matrix once; it is
/// bound by memory bandwidth for large matrices.
/// REQUIRES: matrix and query point to rows*dim and dim floats (may be null if that is
/// 0), out to rows floats; out does not overlap the inputs.
void dot_many(const float* matrix, std::size_t rows, std::size_t dim, const float* query,
              float* out) noexcept;

/// The kernel implementation this process selected: "avx2+fma" or "portable".
/// For `patina status`, benchmarks and bug reports.
std::string_view kernel_isa() noexcept;

}  // namespace patina::vec
