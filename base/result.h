// Result<T>: a value or an Error{code, message}, for operations whose failure
// is an expected outcome (a missing file, a malformed record). Not for bugs
// (CLUSTERD_ASSERT) and not for bad script or config text, which produce a
// list of Diagnostics with positions instead.
#pragma once

#include <string>
#include <utility>
#include <variant>

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

/// Either a T or an Error. Accessing the wrong alternative is a bug and throws
/// std::bad_variant_access.
template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const Error& error() const { return std::get<1>(v_); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  std::variant<T, Error> v_;
};

}  // namespace clusterd
