#include "patina/core/id.hpp"

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace {

std::int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

TEST(Id, StrictlyIncreasingAndPositiveWithinAThread) {
  std::int64_t previous = 0;
  for (int i = 0; i < 200'000; ++i) {
    const std::int64_t id = patina::new_id();
    ASSERT_GT(id, 0);
    ASSERT_GT(id, previous) << "at draw " << i;
    previous = id;
  }
}

TEST(Id, NoDuplicatesAcrossThreads) {
  constexpr int threads = 8;
  constexpr int per_thread = 100'000;
  std::vector<std::vector<std::int64_t>> drawn(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&drawn, t] {
      auto& mine = drawn[static_cast<std::size_t>(t)];
      mine.reserve(per_thread);
      for (int i = 0; i < per_thread; ++i) mine.push_back(patina::new_id());
    });
  }
  for (auto& w : workers) w.join();

  std::vector<std::int64_t> all;
  for (const auto& mine : drawn) {
    EXPECT_TRUE(std::is_sorted(mine.begin(), mine.end()));
    EXPECT_EQ(std::adjacent_find(mine.begin(), mine.end()), mine.end());
    all.insert(all.end(), mine.begin(), mine.end());
  }
  ASSERT_EQ(all.size(), std::size_t{threads} * per_thread);
  std::sort(all.begin(), all.end());
  EXPECT_EQ(std::adjacent_find(all.begin(), all.end()), all.end()) << "duplicate id";
  EXPECT_GT(all.front(), 0);
}

TEST(Id, TimestampIsTheCreationTime) {
  const std::int64_t before = unix_ms_now();
  const std::int64_t id = patina::new_id();
  const std::int64_t after = unix_ms_now();
  const std::int64_t ts = patina::id_timestamp_ms(id);
  // An id may run a millisecond or so ahead of the clock when its random bits
  // overflow into the time field (see new_id); a second is generous.
  EXPECT_GE(ts, before);
  EXPECT_LE(ts, after + 1000);
  EXPECT_GT(ts, patina::id_epoch_unix_ms);
}

TEST(Id, LayoutPutsTimeInTheHighBits) {
  const std::int64_t id = patina::new_id();
  const std::int64_t time_field = id >> patina::id_random_bits;
  EXPECT_EQ(patina::id_timestamp_ms(id), time_field + patina::id_epoch_unix_ms);
  EXPECT_LT(time_field, std::int64_t{1} << 41);
  // Two ids a few milliseconds apart sort by time.
  const std::int64_t early = patina::new_id();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const std::int64_t late = patina::new_id();
  EXPECT_GT(patina::id_timestamp_ms(late), patina::id_timestamp_ms(early));
}

TEST(Id, ForkedChildDrawsDifferentIds) {
  // Parent and child draw right after the fork, from the same millisecond and the
  // same inherited state; without reseeding they would return the same id.
  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  (void)patina::new_id();
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    const std::int64_t id = patina::new_id();
    const bool ok = write(fds[1], &id, sizeof id) == static_cast<ssize_t>(sizeof id);
    _exit(ok ? 0 : 1);
  }
  const std::int64_t parent_id = patina::new_id();
  std::int64_t child_id = 0;
  ASSERT_EQ(read(fds[0], &child_id, sizeof child_id), static_cast<ssize_t>(sizeof child_id));
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  close(fds[0]);
  close(fds[1]);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  EXPECT_GT(child_id, 0);
  EXPECT_NE(child_id, parent_id);
}

}  // namespace
