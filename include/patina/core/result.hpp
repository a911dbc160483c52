/// @file
/// patina/core/result.hpp — `result<T>`: a value or a `patina::error`.
///
/// A small stand-in for std::expected (not in g++ 12). Used by core and domain
/// code for expected failures. `value()` on an error throws `patina::exception`,
/// which is the throwing form of every fallible operation.
///
/// Thread safety: a value type; no shared state.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

#include "patina/core/error.hpp"

namespace patina {

/// Tag to build a failed result: `return fail(errc::not_found, "no such belief");`
struct failure {
  error err;  ///< The error the result will hold.
};
/// A failure with `code`, a message for people (what went wrong, how to fix it) and
/// optional outside `detail`; converts to any result<T>.
inline failure fail(errc code, std::string message, std::string detail = {}) {
  return failure{error{code, std::move(message), std::move(detail)}};
}
/// A failure holding `e`; converts to any result<T>.
inline failure fail(error e) { return failure{std::move(e)}; }

/// A value of type T or a patina::error: the return type of every fallible
/// operation's non-throwing form. Must not be ignored ([[nodiscard]]).
///
/// Thread safety: a value type; distinct objects may be used from different threads.
template <class T>
class [[nodiscard]] result {
 public:
  /// The type of the value held on success.
  using value_type = T;

  /// A successful result holding `value`.
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit on purpose
  /// A failed result holding `f`'s error.
  result(failure f) : state_(std::in_place_index<1>, std::move(f.err)) {}  // NOLINT

  /// True when the result holds a value.
  bool has_value() const noexcept { return state_.index() == 0; }
  /// Same as has_value().
  explicit operator bool() const noexcept { return has_value(); }

  /// The value; throws patina::exception carrying the error when there is none.
  T& value() & {
    throw_if_error();
    return std::get<0>(state_);
  }
  /// The value; throws patina::exception carrying the error when there is none.
  const T& value() const& {
    throw_if_error();
    return std::get<0>(state_);
  }
  /// Moves the value out; throws patina::exception carrying the error when there is none.
  T&& value() && {
    throw_if_error();
    return std::get<0>(std::move(state_));
  }
  /// The value without a check. REQUIRES: has_value().
  T& operator*() & {
    assert(has_value() && "result: dereferenced an error");
    return std::get<0>(state_);
  }
  /// The value without a check. REQUIRES: has_value().
  const T& operator*() const& {
    assert(has_value() && "result: dereferenced an error");
    return std::get<0>(state_);
  }
  /// Member access to the value without a check. REQUIRES: has_value().
  T* operator->() {
    assert(has_value() && "result: dereferenced an error");
    return &std::get<0>(state_);
  }
  /// Member access to the value without a check. REQUIRES: has_value().
  const T* operator->() const {
    assert(has_value() && "result: dereferenced an error");
    return &std::get<0>(state_);
  }

  /// REQUIRES: !has_value()
  const error& err() const& {
    assert(!has_value() && "result: err() on a value");
    return std::get<1>(state_);
  }
  /// Moves the error out. REQUIRES: !has_value()
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

/// result<void>: success or an error.
template <>
class [[nodiscard]] result<void> {
 public:
  /// A successful result.
  result() = default;
  /// A failed result holding `f`'s error.
  result(failure f) : err_(std::move(f.err)), ok_(false) {}  // NOLINT

  /// True on success.
  bool has_value() const noexcept { return ok_; }
  /// Same as has_value().
  explicit operator bool() const noexcept { return ok_; }
  /// Returns on success; throws patina::exception carrying the error otherwise.
  void value() const {
    if (!ok_) throw exception(err_);
  }
  /// The error. REQUIRES: !has_value()
  const error& err() const& {
    assert(!ok_ && "result: err() on a value");
    return err_;
  }

 private:
  error err_;
  bool ok_ = true;
};

}  // namespace patina
