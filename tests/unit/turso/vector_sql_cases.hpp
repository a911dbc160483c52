// The vector SQL expressions and the results/errors the Turso server 0.7.0 gives for
// them (measured), shared by the unit test (expected values) and the integration
// test (which asks a live server the same questions).
#pragma once

namespace patina::test::vector_sql {

struct text_case {
  const char* sql;
  const char* expected;  // rendered value: text as is, blobs as hex (via hex())
};

inline constexpr text_case text_cases[] = {
    {"SELECT hex(vector32('[1,2,3]'))", "0000803F0000004000004040"},
    {"SELECT hex(vector('[1,2,3]'))", "0000803F0000004000004040"},
    {"SELECT hex(vector64('[1,2,3]'))",
     "000000000000F03F0000000000000040000000000000084002"},
    {"SELECT vector_extract(vector('[]'))", "[]"},
    {"SELECT vector_extract(vector('  [  1  ,  2  ,  3  ]  '))", "[1,2,3]"},
    {"SELECT vector_extract(vector('[-1000000000000000000]'))", "[-1000000000000000000]"},
    {"SELECT vector_extract(vector('[1e30]'))", "[1000000000000000000000000000000]"},
    {"SELECT vector_extract(vector('[0.1]'))", "[0.1]"},
    {"SELECT vector_extract(vector64('[0.1]'))", "[0.1]"},
    {"SELECT vector_extract(vector('[1e3]'))", "[1000]"},
    {"SELECT vector_extract(vector('[+1]'))", "[1]"},
    {"SELECT vector_extract(vector('[.5]'))", "[0.5]"},
    {"SELECT vector_extract(vector('[5.]'))", "[5]"},
    {"SELECT vector_extract(vector('[1E+2]'))", "[100]"},
    {"SELECT vector_extract(vector('[ 1 , 2 ]'))", "[1,2]"},
    {"SELECT vector_extract(vector('[ ]'))", "[]"},
    {"SELECT vector_extract(vector('[1e-50]'))", "[0]"},
    {"SELECT vector_extract(vector('[-1e-50]'))", "[-0]"},
    {"SELECT vector_extract(vector('[1e-40]'))", "[0.0000000000000000000000000000000000000001]"},
    {"SELECT vector_extract(vector64('[1e-400]'))", "[0]"},
    {"SELECT vector_extract(vector('[3.4028235e38]'))", "[340282350000000000000000000000000000000]"},
    {"SELECT vector_extract(vector('[-0]'))", "[-0]"},
    {"SELECT vector_extract(vector('[-0.0]'))", "[-0]"},
    {"SELECT vector_extract(vector('[00012]'))", "[12]"},
    {"SELECT vector_extract(vector('[1.5e-7]'))", "[0.00000015]"},
    {"SELECT vector_extract(vector('[123456789012]'))", "[123456790000]"},
    {"SELECT vector_extract(vector64('[0.1, 1e22, 123456789.125]'))",
     "[0.1,10000000000000000000000,123456789.125]"},
    {"SELECT vector_extract(vector('[0.1, 1e22, 123456789.125]'))",
     "[0.1,10000000000000000000000,123456790]"},
    {"SELECT vector_extract(vector('[-.5]'))", "[-0.5]"},
    {"SELECT vector_extract(vector('[1.e5]'))", "[100000]"},
    {"SELECT vector_extract(vector('[1e0005]'))", "[100000]"},
    {"SELECT vector_extract(vector('  [1]  '))", "[1]"},
    {"SELECT vector_extract(vector(char(9)||'[1]'||char(10)))", "[1]"},
    {"SELECT vector_extract(vector('[1' || char(160) || ']'))", "[1]"},
    {"SELECT vector_extract(vector(char(12288)||'[1]'))", "[1]"},
    {"SELECT vector_extract(vector('['||char(12288)||'1]'))", "[1]"},
    // Blobs and their type bytes.
    {"SELECT vector_extract(x'')", "[]"},
    {"SELECT hex(vector32(x''))", ""},
    {"SELECT hex(vector64(x''))", "02"},
    {"SELECT hex(vector32('[]'))", ""},
    {"SELECT hex(vector64('[]'))", "02"},
    {"SELECT typeof(vector32('[]'))", "blob"},
    {"SELECT vector_extract(x'0000803F01')", "[1]"},
    {"SELECT vector_extract(x'000000000000F03F02')", "[1]"},
    {"SELECT vector_extract(x'01')", "[]"},
    {"SELECT vector_extract(x'02')", "[]"},
    {"SELECT vector_extract(x'0000803F')", "[1]"},
    {"SELECT vector_extract(x'0000C07F')", "[NaN]"},
    {"SELECT vector_extract(x'0000807F')", "[inf]"},
    {"SELECT vector_extract(x'000080FF')", "[-inf]"},
    {"SELECT vector_extract(x'00000080')", "[-0]"},
    {"SELECT vector_extract(x'01000000')", "[0.000000000000000000000000000000000000000000001]"},
    {"SELECT hex(vector32(x'000000000000F03F02'))", "0000803F"},
    {"SELECT hex(vector64(x'0000803F'))", "000000000000F03F02"},
    {"SELECT hex(vector32(x'0000803F01'))", "0000803F"},
    // f64 beyond the float range narrows to an infinity, as `as f32` does.
    {"SELECT vector_extract(vector32(vector64('[1e300,-1e300]')))", "[inf,-inf]"},
    // float1bit, float8 and sparse blobs written by the server.
    {"SELECT vector_extract(x'050D03')", "[1,-1,1]"},
    {"SELECT hex(vector32(x'050D03'))", "0000803F000080BF0000803F"},
    {"SELECT vector_extract(x'007FFF008180003C0000803F000104')", "[1,1.9960785,3]"},
    {"SELECT hex(vector32(x'007FFF008180003C0000803F000104'))", "0000803F807FFF3F00004040"},
    {"SELECT vector_extract(x'0000C03F0000004001000000030000000400000009')", "[0,1.5,0,2]"},
    {"SELECT hex(vector32(x'0000C03F0000004001000000030000000400000009'))",
     "000000000000C03F0000000000000040"},
    {"SELECT vector_extract(x'0000803F000000000300000009')", "[1,0,0]"},
};

struct error_case {
  const char* sql;
  const char* message;
  // false: not sent to the 0.7.0 server, which panics on it or answers otherwise (the
  // local SQL follows the newer server's checks there).
  bool server = true;
};

inline constexpr const char* k_invalid = "Conversion error: Invalid vector value";

inline constexpr error_case error_cases[] = {
    {"SELECT vector('[1,2')", k_invalid},
    {"SELECT vector('abc')", k_invalid},
    {"SELECT vector('[1,,2]')", k_invalid},
    {"SELECT vector('[nan]')", k_invalid},
    {"SELECT vector('[NaN]')", k_invalid},
    {"SELECT vector('[inf]')", k_invalid},
    {"SELECT vector('[inF]')", k_invalid},
    {"SELECT vector('[infinity]')", k_invalid},
    {"SELECT vector('[1,]')", k_invalid},
    {"SELECT vector('[,1]')", k_invalid},
    {"SELECT vector('[,]')", k_invalid},
    {"SELECT vector('[1]x')", k_invalid},
    {"SELECT vector('[[1]]')", k_invalid},
    {"SELECT vector('[')", k_invalid},
    {"SELECT vector(']')", k_invalid},
    {"SELECT vector('')", k_invalid},
    {"SELECT vector64('')", k_invalid},
    {"SELECT vector('[1 2]')", k_invalid},
    {"SELECT vector('[.]')", k_invalid},
    {"SELECT vector('[1e]')", k_invalid},
    {"SELECT vector('[1e+]')", k_invalid},
    {"SELECT vector('[0x10]')", k_invalid},
    {"SELECT vector('[e5]')", k_invalid},
    {"SELECT vector('[--1]')", k_invalid},
    {"SELECT vector('[+-1]')", k_invalid},
    {"SELECT vector('[1.5.5]')", k_invalid},
    {"SELECT vector('[1e39]')", k_invalid},
    {"SELECT vector('[3.4028236e38]')", k_invalid},
    {"SELECT vector64('[1e400]')", k_invalid},
    {"SELECT vector('[1_000]')", k_invalid},
    {"SELECT vector32(NULL)", "Conversion error: Invalid vector type"},
    {"SELECT vector32(5)", "Conversion error: Invalid vector type"},
    {"SELECT vector32(1.5)", "Conversion error: Invalid vector type"},
    {"SELECT vector64(NULL)", "Conversion error: Invalid vector type"},
    {"SELECT vector_extract('[1,2]')", "Conversion error: Expected blob value"},
    {"SELECT vector_extract(NULL)", "Conversion error: Expected blob value"},
    {"SELECT vector_extract(5)", "Conversion error: Expected blob value"},
    {"SELECT vector_distance_cos(1,2)", "Conversion error: Invalid vector type"},
    {"SELECT vector_distance_cos(NULL,vector('[1]'))", "Conversion error: Invalid vector type"},
    {"SELECT vector_distance_cos(vector('[1,2]'),vector('[1,2,3]'))",
     "Conversion error: Vectors must have the same dimensions"},
    {"SELECT vector_distance_l2(vector('[1,2]'),vector('[1,2,3]'))",
     "Conversion error: Vectors must have the same dimensions"},
    {"SELECT vector_distance_dot(vector('[1,2]'),vector('[1,2,3]'))",
     "Conversion error: Vectors must have the same dimensions"},
    {"SELECT vector_distance_l2(vector('[1,2]'),vector64('[1,2,3]'))",
     "Conversion error: Vectors must have the same dimensions"},
    {"SELECT vector_distance_cos(vector('[1,2]'),vector64('[1,2]'))",
     "Conversion error: Vectors must be of the same type"},
    {"SELECT vector_distance_dot(vector('[1,2]'),vector64('[1,2]'))",
     "Conversion error: Vectors must be of the same type"},
    {"SELECT vector_distance_cos(vector64('[1,2]'),'[1,2]')",
     "Conversion error: Vectors must be of the same type"},
    {"SELECT vector_distance_cos(vector('[1,2]'),'[1,x]')", k_invalid},
    // Hostile and malformed blobs.
    {"SELECT vector_extract(x'0000803F02')",
     "Invalid argument supplied: f64 dense vector unexpected data length: 4"},
    {"SELECT vector_extract(x'0000803F0000')",
     "Invalid argument supplied: f32 dense vector unexpected data length: 6"},
    {"SELECT vector_extract(x'00')", "Conversion error: unknown vector type: 0"},
    {"SELECT vector_extract(x'000007')", "Conversion error: unknown vector type: 7"},
    {"SELECT vector_extract(x'0000FF')", "Conversion error: unknown vector type: 255"},
    {"SELECT vector_extract(x'05')", "Conversion error: unsupported vector type from LibSQL"},
    {"SELECT vector_extract(x'000005')", "Conversion error: unsupported vector type from LibSQL"},
    {"SELECT vector_extract(x'000006')", "Conversion error: unsupported vector type from LibSQL"},
    {"SELECT vector_extract(x'03')",
     "Conversion error: float1bit vector blob length must be even and non-empty"},
    {"SELECT vector_extract(x'00FF03')",
     "Conversion error: float1bit vector trailing bits 255 exceed blob capacity", false},  // 0.7.0 panics
    {"SELECT vector_extract(x'0000000003')",
     "Conversion error: float1bit vector needs 4 data bytes but blob holds 4", false},  // 0.7.0 reads 32 dims past the data
    {"SELECT vector_extract(x'000004')",
     "Conversion error: float8 vector blob of 2 bytes is too short for 0 trailing bytes", false},  // 0.7.0 panics
    {"SELECT vector_extract(x'0000000A04')",
     "Conversion error: float8 vector blob of 4 bytes is too short for 10 trailing bytes", false},  // 0.7.0 panics
    {"SELECT vector_extract(x'04')",
     "Conversion error: float8 vector blob must have even length >= 2 (excluding type byte)"},
    {"SELECT vector_extract(x'0000803FFFFFFFFF0100000009')",
     "Invalid argument supplied: f32 sparse vector index 4294967295 out of range for 1 dims", false},  // 0.7.0 panics
    {"SELECT vector32(x'0000803FFFFFFFFF0100000009')",
     "Invalid argument supplied: f32 sparse vector index 4294967295 out of range for 1 dims", false},  // 0.7.0 panics
    {"SELECT vector_extract(x'000009')",
     "Invalid argument supplied: f32 sparse vector unexpected data length: 2"},
    {"SELECT vector_extract(x'FFFFFFFF09')", "string or blob too big", false},  // the server would expand 2^32 dims
    {"SELECT vector32(x'FFFFFFFF09')", "string or blob too big", false},  // the server would expand 2^32 dims
    {"SELECT vector_distance_cos(x'050D03', x'050D03')",
     "Conversion error: vector_distance_cos on float1bit vectors is not supported by Patina's "
     "local vector SQL; convert them with vector32() first", false},  // 0.7.0 computes float1bit distances
};

struct real_case {
  const char* sql;
  double expected;
  // The server's SimSIMD kernels use an approximate reciprocal square root (about
  // 5e-10 off for f64) and sum f32 products in another order.
  double tolerance;
};

inline constexpr real_case real_cases[] = {
    {"SELECT vector_distance_cos(vector('[1,0,0]'),vector('[0,1,0]'))", 1.0, 0},
    {"SELECT vector_distance_cos(vector('[1,2,3]'),vector('[2,4,6]'))", 5.297449146013378e-10, 1e-6},
    {"SELECT vector_distance_cos(vector('[0,0,0]'),vector('[0,0,0]'))", 0.0, 0},
    {"SELECT vector_distance_cos(vector('[0,0,0]'),vector('[1,0,0]'))", 1.0, 0},
    {"SELECT vector_distance_cos(vector('[]'),vector('[]'))", 0.0, 0},
    {"SELECT vector_distance_l2(vector('[]'),vector('[]'))", 0.0, 0},
    {"SELECT vector_distance_cos(vector('[0.1,0.2,0.3]'),vector('[0.3,0.1,0.7]'))",
     0.0953442591068836, 1e-6},
    {"SELECT vector_distance_cos(vector64('[0.1,0.2,0.3]'),vector64('[0.3,0.1,0.7]'))",
     0.09534429965565727, 1e-9},
    {"SELECT vector_distance_l2(vector('[0.1,0.2,0.3]'),vector('[0.3,0.1,0.7]'))",
     0.45825756234184406, 1e-6},
    {"SELECT vector_distance_l2(vector64('[0.1,0.2,0.3]'),vector64('[0.3,0.1,0.7]'))",
     0.45825756949558394, 1e-9},
    {"SELECT vector_distance_dot(vector('[0.1,0.2,0.3]'),vector('[0.3,0.1,0.7]'))",
     -0.2600000202655792, 1e-7},
    {"SELECT vector_distance_dot(vector64('[0.1,0.2,0.3]'),vector64('[0.3,0.1,0.7]'))", -0.26, 1e-15},
    {"SELECT vector_distance_cos(vector('[1,2]'),'[1,2]')", 4.150822352499972e-09, 1e-6},
    {"SELECT vector_distance_cos('[1,2]','[1,2]')", 4.150822352499972e-09, 1e-6},
    {"SELECT vector_distance_l2(vector('[3,4]'),vector('[0,0]'))", 5.0, 0},
    {"SELECT vector_distance_dot(vector('[1, 2]'), vector('[3, 4]'))", -11.0, 0},
    {"SELECT vector_distance_dot(vector('[1, 1]'), vector('[-1, -1]'))", 2.0, 0},
    {"SELECT vector_distance_dot(vector('[0.5, 0.5]'), vector('[4.0, 4.0]'))", -4.0, 0},
    {"SELECT vector_distance_dot(vector('[1,2,3]'), vector('[4,5,6]'))", -32.0, 0},
};

}  // namespace patina::test::vector_sql
