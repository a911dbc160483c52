#include "patina/core/id.hpp"

#include <pthread.h>
#include <sys/random.h>
#include <unistd.h>

#include <atomic>
#include <cassert>
#include <chrono>
#include <random>

namespace patina {
namespace {

constexpr std::int64_t random_mask = (std::int64_t{1} << id_random_bits) - 1;
constexpr std::int64_t max_time_field = (std::int64_t{1} << 41) - 1;

// splitmix64 over an atomic counter: lock-free, and every thread draws a distinct
// counter value, so two threads never get the same random bits from one draw.
constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ULL;

std::uint64_t mix(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::uint64_t seed_from_random_device() {
  std::random_device device;
  return (std::uint64_t{device()} << 32) ^ device();
}

struct id_state {
  std::atomic<std::uint64_t> counter{0};
  std::atomic<std::int64_t> last{0};
};

// A forked child starts with the parent's generator and last id, so its next ids
// would repeat the parent's: reseed it and forget the parent's last id (the child's
// own ids stay increasing). Only async-signal-safe calls here (getrandom).
void reseed_after_fork() noexcept;

id_state& state() {
  static id_state* s = [] {
    auto* created = new id_state;  // never destroyed: ids may be drawn during static destruction
    created->counter.store(seed_from_random_device(), std::memory_order_relaxed);
    pthread_atfork(nullptr, nullptr, &reseed_after_fork);
    return created;
  }();
  return *s;
}

void reseed_after_fork() noexcept {
  std::uint64_t fresh = 0;
  if (getrandom(&fresh, sizeof fresh, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof fresh)) {
    // Defensive: no entropy available yet; the pid still separates parent and child.
    fresh = mix(static_cast<std::uint64_t>(getpid()) ^ golden_gamma);
  }
  state().counter.fetch_xor(fresh, std::memory_order_relaxed);
  state().last.store(0, std::memory_order_relaxed);
}

std::int64_t time_field_now() noexcept {
  const auto since_unix = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::system_clock::now().time_since_epoch());
  const std::int64_t ms = since_unix.count() - id_epoch_unix_ms;
  if (ms < 0) return 0;  // a clock set before 2024: monotonicity below still holds
  return ms > max_time_field ? max_time_field : ms;
}

}  // namespace

std::int64_t new_id() noexcept {
  id_state& s = state();
  const std::uint64_t draw = mix(s.counter.fetch_add(golden_gamma, std::memory_order_relaxed));
  const std::int64_t candidate =
      (time_field_now() << id_random_bits) | static_cast<std::int64_t>(draw & random_mask);

  std::int64_t last = s.last.load(std::memory_order_relaxed);
  std::int64_t next = 0;
  do {
    next = candidate > last ? candidate : last + 1;
  } while (!s.last.compare_exchange_weak(last, next, std::memory_order_relaxed));
  return next;
}

std::int64_t id_timestamp_ms(std::int64_t id) noexcept {
  assert(id > 0 && "id_timestamp_ms: not an id from new_id()");
  return (id >> id_random_bits) + id_epoch_unix_ms;
}

}  // namespace patina
