// patina/core/result.hpp — `result<T>`: a value or a `patina::error`.
//
// A small stand-in for std::expected (not in g++ 12). Used by core and domain
// code for expected failures. `value()` on an error throws `patina::exception`,
// which is the throwing form of every fallible operation.
//
// Thread safety: a value type; no shared state.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "patina/core/error.hpp"

namespace patina {

// Tag to build a failed result: `return fail(errc::not_found, "no such belief");`
struct failure {
  error err;
};
inline failure fail(errc code, std::string message, std::string detail = {}) {
  return failure{error{code, std::move(message), std::move(detail)}};
}
inline failure fail(error e) { return failure{std::move(e)}; }

template <class T>
class [[nodiscard]] result {
 public:
  using value_type = T;

  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  result(failure f) : state_(std::in_place_index<1>, std::move(f.err)) {}  // NOLINT

  bool has_value() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& value() & {
    throw_if_error();
    return std::get<0>(state_);
  }
  const T& value() const& {
    throw_if_error();
    return std::get<0>(state_);
  }
  T&& value() && {
    throw_if_error();
    return std::get<0>(std::move(state_));
  }
  T& operator*() & {
    assert(has_value() && "result: dereferenced an error");
    return std::get<0>(state_);
  }
  const T& operator*() const& {
    assert(has_value() && "result: dereferenced an error");
    return std::get<0>(state_);
  }
  T* operator->() {
    assert(has_value() && "result: dereferenced an error");
    return &std::get<0>(state_);
  }
  const T* operator->() const {
    assert(has_value() && "result: dereferenced an error");
    return &std::get<0>(state_);
  }

  // REQUIRES: !has_value()
  const error& err() const& {
    assert(!has_value() && "result: err() on a value");
    return std::get<1>(state_);
  }
  error&& err() && {
    assert(!has_value() && "result: err() on a value");
    return std::get<1>(std::move(state_));
  }

 private:
  void throw_if_error() const {
    if (!has_value()) throw exception(std::get<1>(state_));
  }
  std::variant<T, error> state_;
};

// result<void>: success or an error.
template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(failure f) : err_(std::move(f.err)), ok_(false) {}  // NOLINT

  bool has_value() const noexcept { return ok_; }
  explicit operator bool() const noexcept { return ok_; }
  void value() const {
    if (!ok_) throw exception(err_);
  }
  const error& err() const& {
    assert(!ok_ && "result: err() on a value");
    return err_;
  }

 private:
  error err_;
  bool ok_ = true;
};

}  // namespace patina
