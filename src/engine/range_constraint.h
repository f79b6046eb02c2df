// RangeConstraint: a [min, max] knob (frequency QoS, perf QoS devices) made of two lists:
//
//   min requests are MAX-aggregated (the highest floor wins),
//   max requests are MIN-aggregated (the lowest cap wins),
//   an empty side reads its hard limit, so an empty constraint reads [limit_min, limit_max],
//   and when the floor exceeds the cap the cap wins: effective min = effective max.
//
// Requests on either end accept values in [limit_min, limit_max], or -1 for "no constraint"
// (limit_min for a min request, limit_max for a max request).
//
// Both ends are published together in one atomic word: effective() never returns a min from one
// state and a max from another.
//
// Cost, notifications and thread safety: as ConstraintList. A notification carries both ends.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>

#include "engine/constraint_list.h"
#include "engine/request.h"
#include "engine/result.h"

namespace perfqos {

struct Range {
  std::int32_t min = 0;
  std::int32_t max = 0;
  constexpr bool operator==(const Range&) const = default;
};

class RangeConstraint final : public detail::RequestOwner {
 public:
  using Notifier = std::function<void(Range old_value, Range new_value)>;

  // REQUIRES: limits.min <= limits.max.
  explicit RangeConstraint(Range limits);
  ~RangeConstraint();
  RangeConstraint(const RangeConstraint&) = delete;
  RangeConstraint& operator=(const RangeConstraint&) = delete;

  Range limits() const { return limits_; }
  // The list spec each end validates against (type, default, valid range).
  ListSpec spec(RangeEnd end) const;

  // Lock-free; both ends from the same state.
  Range effective() const { return unpack(effective_.load(std::memory_order_acquire)); }
  // The RFC's perf_qos_is_allowed(), done right: an empty side is the hard limit.
  bool is_allowed(std::int32_t perf) const {
    const Range r = effective();
    return r.min <= perf && perf <= r.max;
  }

  // Number of active requests on one end.
  std::size_t size(RangeEnd end) const;

  // As ConstraintList::add/update/remove. The end is fixed at add() time.
  Result add(Request& request, RangeEnd end, std::int32_t value);
  Result update(Request& request, std::int32_t value) override;
  Result remove(Request& request) override;
  // As ConstraintList::remove_all, the requests on either end: both ends published together
  // once, at most one notification.
  Result remove_all(std::span<Request* const> requests);
  // As ConstraintList::retain_only, over both ends: `removed` counts those of either end.
  Result retain_only(std::span<Request* const> keep, std::size_t removed);
  // As ConstraintList::release_retired.
  static void release_retired(Request& request) { request.owner_ = nullptr; }

  SubscriptionId subscribe(Notifier notifier);
  bool unsubscribe(SubscriptionId id);

 private:
  struct State;
  template <typename Mutate>
  Result change(Mutate&& mutate);
  static constexpr std::uint64_t pack(Range r) {
    return (std::uint64_t{static_cast<std::uint32_t>(r.min)} << 32) |
           static_cast<std::uint32_t>(r.max);
  }
  static constexpr Range unpack(std::uint64_t word) {
    return Range{static_cast<std::int32_t>(static_cast<std::uint32_t>(word >> 32)),
                 static_cast<std::int32_t>(static_cast<std::uint32_t>(word))};
  }

  const Range limits_;
  std::atomic<std::uint64_t> effective_;
  std::unique_ptr<State> state_;
};

}  // namespace perfqos
