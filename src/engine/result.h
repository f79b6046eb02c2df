// Result of one operation on a constraint: "the effective value changed", "it did not", or an
// error. It is the engine's only way of reporting; nothing throws across the API.
//
// Thread safety: a Result is an immutable value.
#pragma once

#include <cerrno>
#include <cstdint>

namespace perfqos {

enum class Error : std::uint8_t {
  kNone = 0,
  kInvalidValue,   // value outside the list's valid range (EINVAL)
  kInactive,       // update/remove on a request that is not in any list (ENOENT)
  kAlreadyActive,  // add of a request that is already in a list (EEXIST)
};

class [[nodiscard]] Result {
 public:
  static constexpr Result Changed() { return Result(true, Error::kNone); }
  static constexpr Result Unchanged() { return Result(false, Error::kNone); }
  static constexpr Result Failed(Error e) { return Result(false, e); }

  constexpr bool ok() const { return error_ == Error::kNone; }
  // True when the operation changed the effective value; false when unchanged or failed.
  constexpr bool changed() const { return changed_; }
  constexpr Error error() const { return error_; }

  // 0 when ok, otherwise the positive errno that names the error.
  constexpr int errno_code() const {
    switch (error_) {
      case Error::kNone:
        return 0;
      case Error::kInvalidValue:
        return EINVAL;
      case Error::kInactive:
        return ENOENT;
      case Error::kAlreadyActive:
        return EEXIST;
    }
    return EINVAL;
  }

  const char* message() const {
    switch (error_) {
      case Error::kNone:
        return changed_ ? "effective value changed" : "effective value unchanged";
      case Error::kInvalidValue:
        return "value out of range";
      case Error::kInactive:
        return "request is not active";
      case Error::kAlreadyActive:
        return "request is already active";
    }
    return "unknown error";
  }

  constexpr bool operator==(const Result&) const = default;

 private:
  constexpr Result(bool changed, Error error) : changed_(changed), error_(error) {}
  bool changed_;
  Error error_;
};

}  // namespace perfqos
