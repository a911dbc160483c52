#include "patina/core/vector.hpp"

#include <bit>
#include <cassert>
#include <charconv>
#include <cmath>
#include <cstring>
#include <limits>
#include <system_error>

#include "vector_kernels.hpp"

namespace patina::vec {
namespace {

constexpr std::size_t float_bytes = sizeof(float);
static_assert(float_bytes == 4 && std::numeric_limits<float>::is_iec559,
              "vector32 blobs are IEEE-754 binary32");

// Trailing type bytes of Turso's odd-length vector blobs.
constexpr std::uint8_t type_f32 = 1;
constexpr std::uint8_t type_f64 = 2;
constexpr std::uint8_t type_1bit = 3;
constexpr std::uint8_t type_f8 = 4;
constexpr std::uint8_t type_sparse_f32 = 9;

constexpr const char* text_example = "write a vector as '[1, 2.5, -3]'";

result<std::size_t> f32_payload_size(std::span<const std::uint8_t> blob) {
  std::size_t payload = blob.size();
  if (payload % 2 == 1) {
    const std::uint8_t type = blob.back();
    const auto other_type = [&](const char* name) {
      return fail(errc::unsupported,
                  std::string("the vector blob holds ") + name + " values (type byte " +
                      std::to_string(type) + "); only float32 vectors are supported: convert it with vector32()");
    };
    switch (type) {
      case type_f32: break;
      case type_f64: return other_type("float64");
      case type_1bit: return other_type("1-bit");
      case type_f8: return other_type("8-bit quantised");
      case type_sparse_f32: return other_type("sparse float32");
      default:
        return fail(errc::parse_error,
                    "not a vector blob: " + std::to_string(blob.size()) +
                        " bytes ending in unknown type byte " + std::to_string(type) +
                        "; store vectors with vector32('[…]') or as 4 little-endian bytes per float");
    }
    --payload;
  }
  if (payload % float_bytes != 0) {
    return fail(errc::parse_error,
                "not a float32 vector blob: its length is " + std::to_string(blob.size()) +
                    " bytes, which is not a multiple of 4 (4 bytes per float, optionally followed "
                    "by type byte 1); store vectors with vector32('[…]')");
  }
  return payload / float_bytes;
}

float load_le_float(const std::uint8_t* p) noexcept {
  std::uint32_t bits = 0;
  std::memcpy(&bits, p, sizeof bits);
  if constexpr (std::endian::native == std::endian::big) {
    bits = ((bits & 0xFFu) << 24) | ((bits & 0xFF00u) << 8) | ((bits >> 8) & 0xFF00u) | (bits >> 24);
  }
  return std::bit_cast<float>(bits);
}

// ---- text parsing -------------------------------------------------------------------

bool is_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class text_parser {
 public:
  explicit text_parser(std::string_view text) : text_(text) {}

  result<std::vector<float>> run() {
    skip_space();
    if (at_end()) {
      return fail(errc::parse_error, std::string("empty vector text; ") + text_example);
    }
    if (text_[pos_] != '[') return problem("expected '[' to open the vector", pos_);
    ++pos_;
    std::vector<float> values;
    skip_space();
    if (!at_end() && text_[pos_] == ']') {
      ++pos_;
      return finish(std::move(values));
    }
    for (;;) {
      skip_space();
      if (at_end()) return problem("missing closing ']'", pos_);
      if (text_[pos_] == ',' || text_[pos_] == ']') return problem("empty element", pos_);
      auto value = number();
      if (!value) return fail(std::move(value).err());
      values.push_back(*value);
      skip_space();
      if (at_end()) return problem("missing closing ']'", pos_);
      if (text_[pos_] == ']') {
        ++pos_;
        return finish(std::move(values));
      }
      if (text_[pos_] != ',') return problem("expected ',' or ']'", pos_);
      ++pos_;
    }
  }

 private:
  bool at_end() const noexcept { return pos_ >= text_.size(); }
  void skip_space() noexcept {
    while (!at_end() && is_space(text_[pos_])) ++pos_;
  }

  // A message naming the 1-based character position.
  failure problem(const std::string& what, std::size_t at) const {
    return fail(errc::parse_error, "invalid vector text at position " + std::to_string(at + 1) +
                                       ": " + what + "; " + text_example);
  }

  result<std::vector<float>> finish(std::vector<float> values) {
    skip_space();
    if (!at_end()) return problem("unexpected text after the closing ']'", pos_);
    return values;
  }

  // One element: the token runs to the next separator and must be a number entirely.
  result<float> number() {
    const std::size_t start = pos_;
    while (!at_end() && !is_space(text_[pos_]) && text_[pos_] != ',' && text_[pos_] != ']') ++pos_;
    const std::string_view token = text_.substr(start, pos_ - start);
    constexpr std::size_t shown = 24;
    std::string quoted(1, '\'');
    quoted.append(token.substr(0, shown));
    quoted.append(token.size() > shown ? "…'" : "'");

    // from_chars takes no leading '+'; accept it as the server does.
    std::string_view digits = token;
    if (digits.size() > 1 && digits[0] == '+' && digits[1] != '-' && digits[1] != '+') {
      digits.remove_prefix(1);
    }
    const char* first = digits.data();
    const char* last = first + digits.size();
    float value = 0;
    const auto [end, ec] = std::from_chars(first, last, value, std::chars_format::general);
    if (ec == std::errc::invalid_argument || end != last) {
      return problem(quoted + " is not a number", start);
    }
    if (ec == std::errc::result_out_of_range) {
      // Tell underflow (read as zero, as the server does) from overflow.
      long double wide = 0;
      const auto wide_parse = std::from_chars(first, last, wide, std::chars_format::general);
      const bool underflow = wide_parse.ec == std::errc{} && std::fabs(wide) < 1.0L;
      if (!underflow) return problem(quoted + " is outside the range of a 32-bit float", start);
      return std::signbit(wide) ? -0.0f : 0.0f;
    }
    if (!std::isfinite(value)) {
      return problem(quoted + " is not a finite number (NaN and infinity are not allowed)", start);
    }
    return value;
  }

  std::string_view text_;
  std::size_t pos_ = 0;
};

// ---- text formatting ------------------------------------------------------------------

// Appends `v` in positional notation with the shortest round-trip digits.
void append_plain(std::string& out, float v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-inf" : "inf";
    return;
  }
  // Shortest scientific form, e.g. "-1.2345679e+08", then move the decimal point.
  char buf[32];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  assert(ec == std::errc{} && "32 bytes hold any float in scientific form");
  const std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  const std::size_t e_pos = sci.find('e');
  std::string_view mantissa = sci.substr(0, e_pos);
  int exponent = 0;
  const std::string_view exp_text = sci.substr(e_pos + 1);
  std::from_chars(exp_text.data() + (exp_text[0] == '+' ? 1 : 0), exp_text.data() + exp_text.size(),
                  exponent);

  if (mantissa[0] == '-') {
    out += '-';
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  const int n = static_cast<int>(digits.size());
  if (exponent >= n - 1) {
    out += digits;
    out.append(static_cast<std::size_t>(exponent - (n - 1)), '0');
  } else if (exponent >= 0) {
    out.append(digits, 0, static_cast<std::size_t>(exponent + 1));
    out += '.';
    out.append(digits, static_cast<std::size_t>(exponent + 1));
  } else {
    out += "0.";
    out.append(static_cast<std::size_t>(-exponent - 1), '0');
    out += digits;
  }
}

}  // namespace

// ---- codec -------------------------------------------------------------------------------

std::vector<std::uint8_t> encode(std::span<const float> values) {
  std::vector<std::uint8_t> blob(values.size() * float_bytes);
  if constexpr (std::endian::native == std::endian::little) {
    if (!values.empty()) std::memcpy(blob.data(), values.data(), blob.size());
  } else {
    for (std::size_t i = 0; i < values.size(); ++i) {
      const auto bits = std::bit_cast<std::uint32_t>(values[i]);
      for (std::size_t b = 0; b < float_bytes; ++b) {
        blob[i * float_bytes + b] = static_cast<std::uint8_t>(bits >> (8 * b));
      }
    }
  }
  return blob;
}

result<std::size_t> blob_dimension(std::span<const std::uint8_t> blob) {
  auto payload = f32_payload_size(blob);
  if (!payload) return fail(std::move(payload).err());
  return *payload;
}

result<void> decode_into(std::span<const std::uint8_t> blob, std::vector<float>& out) {
  out.clear();
  auto count = f32_payload_size(blob);
  if (!count) return fail(std::move(count).err());
  out.resize(*count);
  if constexpr (std::endian::native == std::endian::little) {
    if (*count != 0) std::memcpy(out.data(), blob.data(), *count * float_bytes);
  } else {
    for (std::size_t i = 0; i < *count; ++i) out[i] = load_le_float(blob.data() + i * float_bytes);
  }
  return {};
}

result<std::vector<float>> decode(std::span<const std::uint8_t> blob) {
  std::vector<float> out;
  auto ok = decode_into(blob, out);
  if (!ok) return fail(ok.err());
  return out;
}

// ---- text ----------------------------------------------------------------------------------

result<std::vector<float>> parse(std::string_view text) { return text_parser(text).run(); }

std::string format(std::span<const float> values) {
  std::string out;
  out.reserve(2 + values.size() * 12);
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    append_plain(out, values[i]);
  }
  out += ']';
  return out;
}

// ---- kernels --------------------------------------------------------------------------------

float dot(std::span<const float> a, std::span<const float> b) noexcept {
  assert(a.size() == b.size() && "vec::dot: dimensions differ");
  return detail::active_kernels().dot(a.data(), b.data(), a.size());
}

float l2_squared(std::span<const float> a, std::span<const float> b) noexcept {
  assert(a.size() == b.size() && "vec::l2_squared: dimensions differ");
  return detail::active_kernels().l2_squared(a.data(), b.data(), a.size());
}

float l2(std::span<const float> a, std::span<const float> b) noexcept {
  return std::sqrt(l2_squared(a, b));
}

float cosine_distance(std::span<const float> a, std::span<const float> b) noexcept {
  assert(a.size() == b.size() && "vec::cosine_distance: dimensions differ");
  const detail::dot_and_norms s = detail::active_kernels().dot_norms(a.data(), b.data(), a.size());
  if (s.a_squared == 0.0f || s.b_squared == 0.0f) return 1.0f;
  // The final step in double: the float sums are the only rounding that remains.
  const double denominator = std::sqrt(static_cast<double>(s.a_squared)) *
                             std::sqrt(static_cast<double>(s.b_squared));
  return static_cast<float>(1.0 - static_cast<double>(s.dot) / denominator);
}

float norm(std::span<const float> v) noexcept {
  return std::sqrt(detail::active_kernels().dot(v.data(), v.data(), v.size()));
}

float normalize(std::span<float> v) noexcept {
  const float n = norm(v);
  if (n == 0.0f || !std::isfinite(n)) return n;
  for (float& x : v) x /= n;
  return n;
}

void dot_many(const float* matrix, std::size_t rows, std::size_t dim, const float* query,
              float* out) noexcept {
  if (rows == 0) return;
  if (dim == 0) {
    for (std::size_t r = 0; r < rows; ++r) out[r] = 0.0f;
    return;
  }
  detail::active_kernels().dot_many(matrix, rows, dim, query, out);
}

std::string_view kernel_isa() noexcept { return detail::active_kernels().name; }

}  // namespace patina::vec
