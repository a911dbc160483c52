/// @file
/// patina/core/id.hpp — globally unique, time-ordered 63-bit ids.
///
/// Every synced table's primary key comes from `new_id()`, never from AUTOINCREMENT or
/// max(id)+1: two replicas insert concurrently, and the sync protocol resolves conflicts
/// last-writer-wins by primary key, so a collision would silently lose a row.
///
/// Layout of an id (a positive int64): bit 63 is 0; bits 62..22 hold the milliseconds
/// since 2024-01-01T00:00:00Z (41 bits, enough until 2093); bits 21..0 are random
/// (22 bits, from a generator seeded once per process from std::random_device and
/// reseeded in a forked child). Ids from one process are strictly increasing; ids
/// from different processes sort by creation time to the millisecond and collide only
/// if two processes draw the same 22 random bits in the same millisecond (about one
/// in four million per pair of ids).
///
/// Thread safety: `new_id` is lock-free and may be called from any thread.
#pragma once

#include <cstdint>

namespace patina {

/// The epoch of the id's time field, in Unix milliseconds (2024-01-01T00:00:00Z).
inline constexpr std::int64_t id_epoch_unix_ms = 1'704'067'200'000;
/// Number of random low bits in an id.
inline constexpr int id_random_bits = 22;

/// Returns a new id: > 0, greater than every id this process returned before, with
/// the current wall-clock time in its high bits. If the clock stepped backwards (or
/// more than four million ids were drawn in one millisecond) the id is the previous
/// one plus one, so its time field may run slightly ahead of the clock. Never fails.
std::int64_t new_id() noexcept;

/// The creation time recorded in `id`, in Unix milliseconds.
/// REQUIRES: id > 0 (an id from new_id()).
std::int64_t id_timestamp_ms(std::int64_t id) noexcept;

}  // namespace patina
