// Test helper: drives a coroutine to completion on a private io_context.
//
// Tests write `run_io([&]() -> sync::awaitable<void> { ... co_await ...; });` and
// read results from variables they captured. Exceptions thrown by the coroutine are
// rethrown by run_io. The io_context lives in io_runner.cpp, so test files need only
// <boost/asio/awaitable.hpp>.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>

namespace patina::test {

// Runs body() with `threads` threads on the io_context; returns when it completes.
void run_io(const std::function<boost::asio::awaitable<void>()>& body, int threads = 1);

// Runs `count` copies of body(i) concurrently (all started at once) and waits for all.
void run_io_concurrently(int count, const std::function<boost::asio::awaitable<void>(int)>& body, int threads = 1);

}  // namespace patina::test
