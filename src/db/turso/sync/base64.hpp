// db/turso/sync/base64.hpp — standard-alphabet base64 (RFC 4648 §4) for Hrana blobs.
//
// Encoding writes padded output. Decoding accepts padded and unpadded input (the
// Turso server writes unpadded) and rejects anything else: characters outside the
// alphabet, misplaced padding, a dangling single character, or non-zero bits in the
// final character that the length does not use (so each blob has one encoding).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace patina::db::turso::sync {

std::string base64_encode(std::span<const std::uint8_t> bytes);

// nullopt if `text` is not valid base64.
std::optional<std::vector<std::uint8_t>> base64_decode(std::string_view text);

}  // namespace patina::db::turso::sync
