// db/turso/sync/page_selector.hpp — the `server_pages_selector` of a pull request:
// a set of zero-based page ids in RoaringBitmap's portable serialization (CRoaring).
//
// Encoding uses array and bitmap containers only (no run containers), the form the
// Turso server was observed to accept.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "patina/core/result.hpp"

namespace patina::db::turso::sync {

// The portable serialization of `page_ids` (any order, duplicates allowed). An empty
// set serializes to a valid empty bitmap, which is not the same as "all pages":
// to ask for all pages, send no selector at all.
std::vector<std::uint8_t> encode_page_selector(std::span<const std::uint32_t> page_ids);

// The sorted page ids of a portable serialization. Errors: parse_error.
result<std::vector<std::uint32_t>> decode_page_selector(std::span<const std::uint8_t> bytes);

}  // namespace patina::db::turso::sync
