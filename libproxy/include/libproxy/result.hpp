// Result<T>: a value or the error_code that explains why there is none (setup and API calls).
#pragma once

#include <cassert>
#include <system_error>
#include <utility>
#include <variant>

namespace libproxy {

template <class T>
class Result {
public:
  Result(T value) : state_(std::move(value)) {}                     // NOLINT: implicit by design
  Result(std::error_code error) : state_(error) { assert(error); }  // NOLINT: implicit by design

  explicit operator bool() const { return std::holds_alternative<T>(state_); }
  const T& value() const& { return std::get<T>(state_); }
  T&& value() && { return std::get<T>(std::move(state_)); }
  const T& operator*() const& { return value(); }
  const T* operator->() const { return &value(); }
  /// The error; empty when there is a value.
  std::error_code error() const {
    return *this ? std::error_code{} : std::get<std::error_code>(state_);
  }

private:
  std::variant<T, std::error_code> state_;
};

}  // namespace libproxy
