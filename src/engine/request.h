// Request: one holder's value on one constraint list (the kernel's pm_qos_request).
//
// A Request is a handle. It is added to a list with ConstraintList::add() or
// RangeConstraint::add(); after that update() and remove() act on the list it is in, and the
// destructor removes it (RAII). A request is in at most one list at a time.
//
// Values: a request of kDefaultRequest (-1) stands for the list's default value; any other value
// must lie in the list's valid range (see ListSpec), otherwise the operation fails with
// Error::kInvalidValue and changes nothing.
//
// Lifetime: if the list is destroyed first, its requests become inactive (update/remove then fail
// with Error::kInactive); nothing dangles.
//
// Thread safety: different requests may be used concurrently, on the same list or not. One
// request must not be used by two threads at once, and a list must not be destroyed while one of
// its requests is being used.
#pragma once

#include <cstdint>

#include "engine/result.h"

namespace perfqos {

inline constexpr std::int32_t kDefaultRequest = -1;

// Which list of a RangeConstraint a request belongs to.
enum class RangeEnd : std::uint8_t { kMin = 0, kMax = 1 };

class Request;

namespace detail {
// What a Request is attached to; implemented by ConstraintList and RangeConstraint.
class RequestOwner {
 public:
  virtual Result update(Request& request, std::int32_t value) = 0;
  virtual Result remove(Request& request) = 0;

 protected:
  ~RequestOwner() = default;
};
class Aggregator;
class ValueIndex;
}  // namespace detail

class Request {
 public:
  Request() = default;
  ~Request() {
    if (owner_ != nullptr) (void)owner_->remove(*this);
  }
  // A request's address is known to its list, so it neither copies nor moves.
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  bool active() const { return owner_ != nullptr; }
  // The value this request stands for (-1 already replaced by the default).
  // REQUIRES: active().
  std::int32_t value() const { return value_; }
  // Which end of a range this request constrains (meaningful for range requests only).
  RangeEnd end() const { return end_; }

  Result update(std::int32_t value) {
    return owner_ ? owner_->update(*this, value) : Result::Failed(Error::kInactive);
  }
  Result remove() { return owner_ ? owner_->remove(*this) : Result::Failed(Error::kInactive); }

 private:
  friend class ConstraintList;
  friend class RangeConstraint;
  friend class detail::Aggregator;
  friend class detail::ValueIndex;

  detail::RequestOwner* owner_ = nullptr;
  std::int32_t value_ = 0;
  // kMin/kMax: the requests of the same value, and the value's node (value_index.h);
  // kSum/kFlags: the position in the owner's request array.
  Request* prev_ = nullptr;
  Request* next_ = nullptr;
  std::uint32_t slot_ = 0;
  RangeEnd end_ = RangeEnd::kMin;
};

}  // namespace perfqos
