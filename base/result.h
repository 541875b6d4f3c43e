// Result<T>: a value or an Error{code, message}, for operations whose failure
// is an expected outcome (a missing file, a malformed record). Result<void> is
// the value-less form: it worked, or why not. Not for bugs (CLUSTERD_ASSERT,
// base/assert.h) and not for bad script or config text, which produce a list
// of Diagnostics with positions instead (base/diagnostic.h).
//
// Both are [[nodiscard]]: a dropped Result is a compile error under
// CLUSTERD_WERROR. Where a caller truly has nothing to do with a failure, it
// says so with `(void)call();` and a comment giving the reason.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "base/assert.h"

namespace clusterd {

/// Why an operation failed. `code` is for programs, `message` for people:
/// one line, no trailing period, naming the thing that failed.
struct Error {
  enum class Code { NotFound, Invalid, Io, Unsupported };
  Code code;
  std::string message;

  static Error not_found(std::string m) { return {Code::NotFound, std::move(m)}; }
  static Error invalid(std::string m) { return {Code::Invalid, std::move(m)}; }
  static Error io(std::string m) { return {Code::Io, std::move(m)}; }
  static Error unsupported(std::string m) { return {Code::Unsupported, std::move(m)}; }
};

/// Either a T or an Error. Reading the alternative it does not hold is a bug
/// (CLUSTERD_ASSERT): test ok() first.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return *get(); }
  const T& value() const& { return *get(); }
  T&& value() && { return std::move(*get()); }
  /// The value, or `fallback` on an error (std::optional's spelling).
  template <typename U>
  T value_or(U&& fallback) const& {
    return ok() ? *std::get_if<0>(&v_) : static_cast<T>(std::forward<U>(fallback));
  }
  const Error& error() const {
    CLUSTERD_ASSERT(!ok());
    return *std::get_if<1>(&v_);
  }
  T* operator->() { return get(); }
  const T* operator->() const { return get(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  T* get() {
    CLUSTERD_ASSERT(ok());
    return std::get_if<0>(&v_);
  }
  const T* get() const {
    CLUSTERD_ASSERT(ok());
    return std::get_if<0>(&v_);
  }

  std::variant<T, Error> v_;
};

/// Success with nothing to return, or an Error: `return {};` for success,
/// `return Error::io("...");` for failure.
template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;                                // success
  Result(Error error) : error_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return !error_.has_value(); }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    CLUSTERD_ASSERT(!ok());
    return *error_;
  }

 private:
  std::optional<Error> error_;
};

}  // namespace clusterd
