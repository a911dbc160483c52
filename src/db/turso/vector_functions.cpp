#include "db/turso/vector_functions.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "patina/core/vector.hpp"

namespace patina::db::turso {

namespace {

static_assert(std::endian::native == std::endian::little,
              "vector blobs are little-endian; this build assumes a little-endian CPU");

// The server prefixes its messages by error kind (Rust LimboError variants).
constexpr std::string_view conversion_prefix = "Conversion error: ";
constexpr std::string_view argument_prefix = "Invalid argument supplied: ";

constexpr unsigned char type_f32 = 1;
constexpr unsigned char type_f64 = 2;
constexpr unsigned char type_1bit = 3;
constexpr unsigned char type_f8 = 4;
constexpr unsigned char type_f16 = 5;   // libSQL only: refused by the server too
constexpr unsigned char type_bf16 = 6;  // libSQL only: refused by the server too
constexpr unsigned char type_sparse = 9;

// float8 layout: quantised bytes, padding to 4, alpha f32, shift f32, 0x00, trailing
// count, type byte. 8 bytes of alpha/shift + 2 marker bytes.
constexpr std::size_t f8_fixed_bytes = 10;

enum class vector_kind { f32, f64, bit1, f8, sparse };

const char* kind_name(vector_kind kind) noexcept {
  switch (kind) {
    case vector_kind::f32: return "float32";
    case vector_kind::f64: return "float64";
    case vector_kind::bit1: return "float1bit";
    case vector_kind::f8: return "float8";
    case vector_kind::sparse: return "float32 sparse";
  }
  return "unknown";  // defensive: every enumerator is handled above
}

// A decoded vector. f64 vectors keep doubles; every other kind is held as floats
// (float1bit as +1/-1, float8 dequantised, sparse expanded to dense).
struct vector_value {
  vector_kind kind = vector_kind::f32;
  std::vector<float> f;
  std::vector<double> d;

  std::size_t dims() const noexcept { return kind == vector_kind::f64 ? d.size() : f.size(); }
};

// Why a function failed: an SQL error message, or SQLite's "too big" / "out of memory".
struct failure_info {
  enum class kind { message, too_big };
  kind what = kind::message;
  std::string message;
};
using outcome = std::optional<failure_info>;

outcome conversion_error(std::string_view text) {
  return failure_info{failure_info::kind::message, std::string(conversion_prefix) + std::string(text)};
}
outcome argument_error(std::string_view text) {
  return failure_info{failure_info::kind::message, std::string(argument_prefix) + std::string(text)};
}
outcome too_big() { return failure_info{failure_info::kind::too_big, {}}; }

std::int64_t length_limit(sqlite3_context* ctx) noexcept {
  return sqlite3_limit(sqlite3_context_db_handle(ctx), SQLITE_LIMIT_LENGTH, -1);
}

float load_f32(const unsigned char* p) noexcept {
  float v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
std::uint32_t load_u32(const unsigned char* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// ---- blobs ------------------------------------------------------------------------------

outcome decode_f32(std::span<const unsigned char> data, vector_value& out) {
  if (data.size() % sizeof(float) != 0) {
    return argument_error("f32 dense vector unexpected data length: " + std::to_string(data.size()));
  }
  out.kind = vector_kind::f32;
  out.f.resize(data.size() / sizeof(float));
  if (!data.empty()) std::memcpy(out.f.data(), data.data(), data.size());
  return {};
}

outcome decode_f64(std::span<const unsigned char> data, vector_value& out) {
  if (data.size() % sizeof(double) != 0) {
    return argument_error("f64 dense vector unexpected data length: " + std::to_string(data.size()));
  }
  out.kind = vector_kind::f64;
  out.d.resize(data.size() / sizeof(double));
  if (!data.empty()) std::memcpy(out.d.data(), data.data(), data.size());
  return {};
}

// [data bytes][padding][trailing-bits count][0x03]; dims = 8*(n) - trailing bits.
outcome decode_1bit(std::span<const unsigned char> blob, vector_value& out) {
  const std::size_t n = blob.size() - 1;  // without the type byte
  if (n == 0 || n % 2 != 0) {
    return conversion_error("float1bit vector blob length must be even and non-empty");
  }
  const std::size_t trailing_bits = blob[n - 1];
  if (trailing_bits > n * 8) {
    return conversion_error("float1bit vector trailing bits " + std::to_string(trailing_bits) +
                            " exceed blob capacity");
  }
  const std::size_t dims = n * 8 - trailing_bits;
  const std::size_t data_size = (dims + 7) / 8;
  if (data_size >= n) {
    return conversion_error("float1bit vector needs " + std::to_string(data_size) +
                            " data bytes but blob holds " + std::to_string(n));
  }
  if (dims == 0) return argument_error("f1bit vector data length mismatch: got 0 expected 0 for 0 dims");
  out.kind = vector_kind::bit1;
  out.f.resize(dims);
  for (std::size_t i = 0; i < dims; ++i) {
    out.f[i] = ((blob[i / 8] >> (i % 8)) & 1U) != 0 ? 1.0f : -1.0f;
  }
  return {};
}

outcome decode_f8(std::span<const unsigned char> blob, vector_value& out) {
  const std::size_t n = blob.size() - 1;  // without the type byte
  if (n < 2 || n % 2 != 0) {
    return conversion_error("float8 vector blob must have even length >= 2 (excluding type byte)");
  }
  const std::size_t trailing = blob[n - 1];
  if (n < f8_fixed_bytes + trailing) {
    return conversion_error("float8 vector blob of " + std::to_string(n) +
                            " bytes is too short for " + std::to_string(trailing) +
                            " trailing bytes");
  }
  const std::size_t dims = n - f8_fixed_bytes - trailing;
  const std::size_t data_size = n - 2;
  const std::size_t aligned = (dims + 3) / 4 * 4;
  if (dims == 0 || data_size != aligned + 8) {
    return argument_error("f8 vector data length mismatch: got " + std::to_string(data_size) +
                          " expected " + std::to_string(aligned + 8) + " for " +
                          std::to_string(dims) + " dims");
  }
  const float alpha = load_f32(blob.data() + aligned);
  const float shift = load_f32(blob.data() + aligned + 4);
  out.kind = vector_kind::f8;
  out.f.resize(dims);
  for (std::size_t i = 0; i < dims; ++i) out.f[i] = alpha * static_cast<float>(blob[i]) + shift;
  return {};
}

// [values: k f32][indices: k u32][dims: u32][0x09]
outcome decode_sparse(std::span<const unsigned char> blob, std::int64_t limit, vector_value& out) {
  const std::span<const unsigned char> data = blob.first(blob.size() - 1);
  if (data.empty() || data.size() % 4 != 0 || (data.size() - 4) % 8 != 0) {
    return argument_error("f32 sparse vector unexpected data length: " + std::to_string(data.size()));
  }
  const std::size_t dims = load_u32(data.data() + data.size() - 4);
  const std::size_t entries = (data.size() - 4) / 8;
  for (std::size_t e = 0; e < entries; ++e) {
    const std::size_t index = load_u32(data.data() + (entries + e) * 4);
    if (index >= dims) {
      return argument_error("f32 sparse vector index " + std::to_string(index) +
                            " out of range for " + std::to_string(dims) + " dims");
    }
  }
  // The dimension comes from the blob: expanding 2^32 zeros must not be attempted.
  if (static_cast<std::uint64_t>(dims) * sizeof(float) > static_cast<std::uint64_t>(limit)) {
    return too_big();
  }
  out.kind = vector_kind::sparse;
  out.f.assign(dims, 0.0f);
  for (std::size_t e = 0; e < entries; ++e) {
    out.f[load_u32(data.data() + (entries + e) * 4)] = load_f32(data.data() + e * 4);
  }
  return {};
}

// The server's type detection: even length is f32; odd length ends in a type byte.
outcome decode_blob(std::span<const unsigned char> blob, std::int64_t limit, vector_value& out) {
  if (blob.size() % 2 == 0) return decode_f32(blob, out);
  const unsigned char type = blob.back();
  switch (type) {
    case type_f32: return decode_f32(blob.first(blob.size() - 1), out);
    case type_f64: return decode_f64(blob.first(blob.size() - 1), out);
    case type_1bit: return decode_1bit(blob, out);
    case type_f8: return decode_f8(blob, out);
    case type_sparse: return decode_sparse(blob, limit, out);
    case type_f16:
    case type_bf16: return conversion_error("unsupported vector type from LibSQL");
    default: return conversion_error("unknown vector type: " + std::to_string(type));
  }
}

// ---- text -------------------------------------------------------------------------------

// Length of a Unicode White_Space character (what the server's str::trim removes)
// starting at s[0], or 0.
std::size_t leading_space(std::string_view s) noexcept {
  if (s.empty()) return 0;
  const auto b0 = static_cast<unsigned char>(s[0]);
  if ((b0 >= 0x09 && b0 <= 0x0D) || b0 == 0x20) return 1;
  if (s.size() >= 2 && b0 == 0xC2) {
    const auto b1 = static_cast<unsigned char>(s[1]);
    if (b1 == 0x85 || b1 == 0xA0) return 2;
  }
  if (s.size() >= 3) {
    const auto b1 = static_cast<unsigned char>(s[1]);
    const auto b2 = static_cast<unsigned char>(s[2]);
    if (b0 == 0xE1 && b1 == 0x9A && b2 == 0x80) return 3;  // U+1680
    if (b0 == 0xE2 && b1 == 0x80 &&
        ((b2 >= 0x80 && b2 <= 0x8A) || b2 == 0xA8 || b2 == 0xA9 || b2 == 0xAF)) {
      return 3;  // U+2000..U+200A, U+2028, U+2029, U+202F
    }
    if (b0 == 0xE2 && b1 == 0x81 && b2 == 0x9F) return 3;  // U+205F
    if (b0 == 0xE3 && b1 == 0x80 && b2 == 0x80) return 3;  // U+3000
  }
  return 0;
}

std::string_view trim(std::string_view s) noexcept {
  while (const std::size_t n = leading_space(s)) s.remove_prefix(n);
  for (;;) {
    std::size_t cut = 0;
    for (std::size_t len = 1; len <= 3 && len <= s.size(); ++len) {
      if (leading_space(s.substr(s.size() - len)) == len) {
        cut = len;
        break;
      }
    }
    if (cut == 0) return s;
    s.remove_suffix(cut);
  }
}

bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

// One number with the server's (Rust's) grammar: [+-] digits [. digits] [e [+-] digits],
// at least one mantissa digit. Rounded to the nearest T; a value too small for T is 0,
// a value too large, NaN or infinity is refused.
template <class T>
bool parse_number(std::string_view token, T& out) {
  const std::size_t n = token.size();
  std::size_t i = 0;
  const bool negative = n > 0 && token[0] == '-';
  if (n > 0 && (token[0] == '+' || token[0] == '-')) ++i;
  const std::size_t int_start = i;
  while (i < n && is_digit(token[i])) ++i;
  const std::size_t int_len = i - int_start;
  std::size_t frac_start = i;
  std::size_t frac_len = 0;
  if (i < n && token[i] == '.') {
    frac_start = ++i;
    while (i < n && is_digit(token[i])) ++i;
    frac_len = i - frac_start;
  }
  if (int_len + frac_len == 0) return false;
  std::int64_t exponent = 0;
  if (i < n && (token[i] == 'e' || token[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < n && (token[i] == '+' || token[i] == '-')) exp_negative = token[i++] == '-';
    const std::size_t exp_start = i;
    constexpr std::int64_t exponent_cap = 1'000'000'000;  // far beyond any float range
    while (i < n && is_digit(token[i])) {
      exponent = std::min<std::int64_t>(exponent * 10 + (token[i] - '0'), exponent_cap);
      ++i;
    }
    if (i == exp_start) return false;
    if (exp_negative) exponent = -exponent;
  }
  if (i != n) return false;

  // from_chars takes no leading '+'.
  const char* first = token.data() + (token[0] == '+' ? 1 : 0);
  const char* last = token.data() + n;
  T value{};
  const auto [end, ec] = std::from_chars(first, last, value, std::chars_format::general);
  if (ec == std::errc{} && end == last) {
    if (!std::isfinite(value)) return false;
    out = value;
    return true;
  }
  if (ec != std::errc::result_out_of_range) return false;
  // Out of range: underflow (read as zero, as the server does) or overflow (refused).
  // The decimal magnitude is the position of the first non-zero digit plus the exponent.
  std::int64_t first_nonzero = -1;
  for (std::size_t k = 0; k < int_len + frac_len; ++k) {
    const char c = k < int_len ? token[int_start + k] : token[frac_start + (k - int_len)];
    if (c != '0') {
      first_nonzero = static_cast<std::int64_t>(k);
      break;
    }
  }
  if (first_nonzero < 0) return false;  // defensive: zero never overflows
  const std::int64_t magnitude = static_cast<std::int64_t>(int_len) - first_nonzero - 1 + exponent;
  if (magnitude >= 0) return false;
  out = negative ? -T{0} : T{0};
  return true;
}

// The server's text form: optional white space, '[', numbers separated by ',' (each
// with optional white space), ']', optional white space. '[]' and '[ ]' are empty.
template <class T>
outcome parse_text(std::string_view text, std::vector<T>& out) {
  out.clear();
  text = trim(text);
  if (text.size() < 2 || text.front() != '[' || text.back() != ']') {
    return conversion_error("Invalid vector value");
  }
  const std::string_view inner = text.substr(1, text.size() - 2);
  if (trim(inner).empty()) return {};
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = inner.find(',', start);
    const std::string_view token =
        trim(inner.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    T value{};
    if (!parse_number(token, value)) return conversion_error("Invalid vector value");
    out.push_back(value);
    if (comma == std::string_view::npos) return {};
    start = comma + 1;
  }
}

// Appends `v` with the fewest digits that read back as the same double, never with an
// exponent (the server's Display formatting).
void append_plain(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
    return;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-inf" : "inf";
    return;
  }
  char buf[40];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  if (ec != std::errc{}) return;  // defensive: 40 bytes hold any double in scientific form
  std::string_view sci(buf, static_cast<std::size_t>(end - buf));
  const std::size_t e_pos = sci.find('e');
  std::string_view mantissa = sci.substr(0, e_pos);
  std::string_view exp_text = sci.substr(e_pos + 1);
  if (!exp_text.empty() && exp_text[0] == '+') exp_text.remove_prefix(1);
  int exponent = 0;
  std::from_chars(exp_text.data(), exp_text.data() + exp_text.size(), exponent);
  if (!mantissa.empty() && mantissa[0] == '-') {
    out += '-';
    mantissa.remove_prefix(1);
  }
  std::string digits;
  for (const char c : mantissa) {
    if (c != '.') digits += c;
  }
  const int count = static_cast<int>(digits.size());
  if (exponent >= count - 1) {
    out += digits;
    out.append(static_cast<std::size_t>(exponent - (count - 1)), '0');
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

std::string format_f64(std::span<const double> values) {
  std::string out;
  out.reserve(2 + values.size() * 20);
  out += '[';
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i != 0) out += ',';
    append_plain(out, values[i]);
  }
  out += ']';
  return out;
}

// ---- arguments ----------------------------------------------------------------------------

// A function argument as a vector: text is parsed as `text_kind`, a blob is decoded.
outcome read_argument(sqlite3_context* ctx, sqlite3_value* arg, vector_kind text_kind,
                      vector_value& out) {
  switch (sqlite3_value_type(arg)) {
    case SQLITE_TEXT: {
      const auto* text = sqlite3_value_text(arg);
      const auto size = static_cast<std::size_t>(sqlite3_value_bytes(arg));
      const std::string_view view(reinterpret_cast<const char*>(text), text == nullptr ? 0 : size);
      out.kind = text_kind;
      if (text_kind == vector_kind::f64) return parse_text(view, out.d);
      return parse_text(view, out.f);
    }
    case SQLITE_BLOB: {
      const auto* data = static_cast<const unsigned char*>(sqlite3_value_blob(arg));
      const auto size = static_cast<std::size_t>(sqlite3_value_bytes(arg));
      return decode_blob(std::span<const unsigned char>(data, data == nullptr ? 0 : size),
                         length_limit(ctx), out);
    }
    default: return conversion_error("Invalid vector type");
  }
}

// Reports `failure` on `ctx`.
void report(sqlite3_context* ctx, const failure_info& failure) {
  if (failure.what == failure_info::kind::too_big) {
    sqlite3_result_error_toobig(ctx);
    return;
  }
  sqlite3_result_error(ctx, failure.message.c_str(), static_cast<int>(failure.message.size()));
}

// Hands `bytes` (malloc'd by SQLite) to the result; SQLite frees it.
void result_bytes(sqlite3_context* ctx, const void* data, std::size_t size) {
  if (static_cast<std::int64_t>(size) > length_limit(ctx)) {
    sqlite3_result_error_toobig(ctx);
    return;
  }
  void* copy = sqlite3_malloc64(size == 0 ? 1 : size);
  if (copy == nullptr) {
    sqlite3_result_error_nomem(ctx);
    return;
  }
  if (size != 0) std::memcpy(copy, data, size);
  sqlite3_result_blob64(ctx, copy, size, sqlite3_free);
}

// Runs `body`, turning a C++ exception into an SQL error: nothing may unwind into SQLite.
template <class F>
void guarded(sqlite3_context* ctx, F&& body) noexcept {
  try {
    body();
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  } catch (...) {
    sqlite3_result_error(ctx, "internal error in a vector function", -1);
  }
}

// ---- conversions ----------------------------------------------------------------------------

// double -> float with IEEE semantics (a finite value beyond the float range becomes
// an infinity, as the server's `as f32` does) without the undefined cast.
float narrow(double x) noexcept {
  constexpr double max = std::numeric_limits<float>::max();
  if (x > max) {
    // Values that round down to FLT_MAX stay finite.
    const double halfway = max + std::ldexp(1.0, 127 - 24);
    return x < halfway ? std::numeric_limits<float>::max() : std::numeric_limits<float>::infinity();
  }
  if (x < -max) {
    const double halfway = -max - std::ldexp(1.0, 127 - 24);
    return x > halfway ? -std::numeric_limits<float>::max() : -std::numeric_limits<float>::infinity();
  }
  return static_cast<float>(x);
}

void vector32_function(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  guarded(ctx, [&] {
    vector_value v;
    if (auto failed = read_argument(ctx, argv[0], vector_kind::f32, v)) return report(ctx, *failed);
    if (v.kind == vector_kind::f64) {
      v.f.resize(v.d.size());
      for (std::size_t i = 0; i < v.d.size(); ++i) v.f[i] = narrow(v.d[i]);
    }
    result_bytes(ctx, v.f.data(), v.f.size() * sizeof(float));
  });
}

void vector64_function(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  guarded(ctx, [&] {
    vector_value v;
    if (auto failed = read_argument(ctx, argv[0], vector_kind::f64, v)) return report(ctx, *failed);
    if (v.kind != vector_kind::f64) v.d.assign(v.f.begin(), v.f.end());
    std::vector<unsigned char> bytes(v.d.size() * sizeof(double) + 1);
    if (!v.d.empty()) std::memcpy(bytes.data(), v.d.data(), v.d.size() * sizeof(double));
    bytes.back() = type_f64;
    result_bytes(ctx, bytes.data(), bytes.size());
  });
}

void vector_extract_function(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  guarded(ctx, [&] {
    if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
      return report(ctx, *conversion_error("Expected blob value"));
    }
    if (sqlite3_value_bytes(argv[0]) == 0) {
      sqlite3_result_text(ctx, "[]", 2, SQLITE_STATIC);
      return;
    }
    vector_value v;
    if (auto failed = read_argument(ctx, argv[0], vector_kind::f32, v)) return report(ctx, *failed);
    // Every value takes at least one character and a separator.
    if (2 * static_cast<std::int64_t>(v.dims()) + 1 > length_limit(ctx)) {
      sqlite3_result_error_toobig(ctx);
      return;
    }
    const std::string text = v.kind == vector_kind::f64 ? format_f64(v.d) : vec::format(v.f);
    sqlite3_result_text64(ctx, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  });
}

// ---- distances ------------------------------------------------------------------------------

enum class metric { cosine, l2, dot };

const char* metric_function_name(metric m) noexcept {
  switch (m) {
    case metric::cosine: return "vector_distance_cos";
    case metric::l2: return "vector_distance_l2";
    case metric::dot: return "vector_distance_dot";
  }
  return "vector_distance";  // defensive
}

// A decoded constant argument (the query vector of a scan), kept by SQLite between
// rows as auxiliary data, with its squared norm.
struct cached_argument {
  vector_value value;
  double squared_norm = 0;
};

void delete_cached_argument(void* p) noexcept { delete static_cast<cached_argument*>(p); }

double squared_norm(const vector_value& v) noexcept {
  if (v.kind == vector_kind::f64) {
    double sum = 0;
    for (const double x : v.d) sum += x * x;
    return sum;
  }
  return static_cast<double>(vec::dot(v.f, v.f));
}

// The server's zero conventions: two zero vectors are identical, a zero vector is
// maximally distant from any other.
double cosine_from(double dot, double norm_a, double norm_b) noexcept {
  if (norm_a == 0 && norm_b == 0) return 0.0;
  if (dot == 0) return 1.0;
  return 1.0 - dot / std::sqrt(norm_a * norm_b);
}

double distance_f32(metric m, const vector_value& a, double norm_a, const vector_value& b,
                    double norm_b) noexcept {
  switch (m) {
    case metric::cosine: return cosine_from(static_cast<double>(vec::dot(a.f, b.f)), norm_a, norm_b);
    case metric::l2: return std::sqrt(static_cast<double>(vec::l2_squared(a.f, b.f)));
    case metric::dot: return -static_cast<double>(vec::dot(a.f, b.f));
  }
  return 0.0;  // defensive
}

double distance_f64(metric m, const vector_value& a, double norm_a, const vector_value& b,
                    double norm_b) noexcept {
  double dot = 0;
  double l2 = 0;
  for (std::size_t i = 0; i < a.d.size(); ++i) {
    dot += a.d[i] * b.d[i];
    const double diff = a.d[i] - b.d[i];
    l2 += diff * diff;
  }
  switch (m) {
    case metric::cosine: return cosine_from(dot, norm_a, norm_b);
    case metric::l2: return std::sqrt(l2);
    case metric::dot: return -dot;
  }
  return 0.0;  // defensive
}

template <metric M>
void distance_function(sqlite3_context* ctx, int /*argc*/, sqlite3_value** argv) {
  guarded(ctx, [&] {
    // Per-thread scratch vectors: a scan calls this once per row.
    thread_local vector_value scratch[2];
    const vector_value* args[2] = {nullptr, nullptr};
    double norms[2] = {0, 0};
    cached_argument* cached[2] = {nullptr, nullptr};
    for (int i = 0; i < 2; ++i) {
      cached[i] = static_cast<cached_argument*>(sqlite3_get_auxdata(ctx, i));
      if (cached[i] != nullptr) {
        args[i] = &cached[i]->value;
        norms[i] = cached[i]->squared_norm;
        continue;
      }
      if (auto failed = read_argument(ctx, argv[i], vector_kind::f32, scratch[i])) {
        return report(ctx, *failed);
      }
      args[i] = &scratch[i];
    }
    const vector_value& a = *args[0];
    const vector_value& b = *args[1];
    if (a.dims() != b.dims()) return report(ctx, *conversion_error("Vectors must have the same dimensions"));
    if (a.kind != b.kind) return report(ctx, *conversion_error("Vectors must be of the same type"));
    if (a.kind != vector_kind::f32 && a.kind != vector_kind::f64) {
      return report(ctx, *conversion_error(std::string(metric_function_name(M)) + " on " +
                                           kind_name(a.kind) +
                                           " vectors is not supported by Patina's local vector "
                                           "SQL; convert them with vector32() first"));
    }
    for (int i = 0; i < 2; ++i) {
      if (cached[i] == nullptr && M == metric::cosine) norms[i] = squared_norm(*args[i]);
    }
    const double distance = a.kind == vector_kind::f64 ? distance_f64(M, a, norms[0], b, norms[1])
                                                       : distance_f32(M, a, norms[0], b, norms[1]);
    // Offer each decoded argument to SQLite for the next row. SQLite keeps it only for
    // constant arguments (the query vector); once one argument is cached the other is
    // known to vary per row, so it is not offered again.
    for (int i = 0; i < 2; ++i) {
      if (cached[i] != nullptr || cached[1 - i] != nullptr) continue;
      auto* keep = new cached_argument{*args[i], M == metric::cosine ? norms[i] : squared_norm(*args[i])};
      sqlite3_set_auxdata(ctx, i, keep, delete_cached_argument);
    }
    if (std::isnan(distance)) {
      sqlite3_result_null(ctx);
    } else {
      sqlite3_result_double(ctx, distance);
    }
  });
}

struct function_entry {
  const char* name;
  int arity;
  void (*fn)(sqlite3_context*, int, sqlite3_value**);
};

constexpr function_entry functions[] = {
    {"vector32", 1, vector32_function},
    {"vector", 1, vector32_function},
    {"vector64", 1, vector64_function},
    {"vector_extract", 1, vector_extract_function},
    {"vector_distance_cos", 2, distance_function<metric::cosine>},
    {"vector_distance_l2", 2, distance_function<metric::l2>},
    {"vector_distance_dot", 2, distance_function<metric::dot>},
};

}  // namespace

int register_vector_functions(sqlite3* db) noexcept {
  constexpr int flags = SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS;
  for (const auto& f : functions) {
    const int rc = sqlite3_create_function_v2(db, f.name, f.arity, flags, nullptr, f.fn, nullptr,
                                              nullptr, nullptr);
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

}  // namespace patina::db::turso
