// db/turso/vector_functions.hpp — Turso's vector SQL functions, registered natively
// on a stock SQLite connection.
//
// A Turso server has built-in vector functions; stock SQLite has none. The Turso
// backend registers its own, with the server's byte formats, results and error
// messages (measured on tursodb 0.7.0), so that a statement gives the same answer
// on the local file and on the server:
//
//   vector32(v), vector(v)   text '[1,2]' or any vector blob -> raw little-endian f32
//                            bytes, no type byte (4n bytes)
//   vector64(v)              -> little-endian f64 bytes followed by the type byte 02
//   vector_extract(blob)     -> text '[1,2]': shortest round-trip digits, no exponent
//   vector_distance_cos(a,b) cosine distance, 0 for two zero vectors, 1 if one is zero
//   vector_distance_l2(a,b)  Euclidean distance
//   vector_distance_dot(a,b) negated dot product (smaller is nearer)
//
// Blob types: an even-length blob is f32; an odd-length blob ends in a type byte
// (1 f32, 2 f64, 3 float1bit, 4 float8, 9 sparse f32). float1bit, float8 and sparse
// blobs are validated and decoded for vector_extract and the conversions; the
// distance functions refuse them. Distances on f32 vectors accumulate in float
// (as the server does) and are returned as double. Every hostile blob (truncated,
// wrong type byte, out-of-range sparse index, huge sparse dimension) ends in an SQL
// error, never a crash; results larger than SQLite's length limit are "string or
// blob too big".
//
// Thread safety: registration affects one connection; the functions are
// deterministic and keep no state beyond SQLite's per-statement auxiliary data.
#pragma once

struct sqlite3;

namespace patina::db::turso {

// Registers the functions above on `db` (SQLITE_UTF8 | SQLITE_DETERMINISTIC |
// SQLITE_INNOCUOUS). Returns SQLITE_OK, or the result code of the first
// registration that failed.
int register_vector_functions(sqlite3* db) noexcept;

}  // namespace patina::db::turso
