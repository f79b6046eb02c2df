// ConstraintList: the aggregation of every request on one scalar knob into one effective value,
// with the Linux PM QoS rules (DESIGN §3):
//
//   kMin    effective = smallest request        (latency, latency tolerance)
//   kMax    effective = largest request         (throughput)
//   kSum    effective = sum, saturating at INT32_MAX (memory bandwidth)
//   kFlags  effective = bitwise OR of requests  (device flags)
//
// An empty list reads ListSpec::no_constraint_value.
//
// Cost for kMin/kMax (engine/value_index.h: one node per distinct value, a heap over the d
// distinct values): an add or update that makes a new value is O(log d), one that joins a held
// value O(1); a remove is O(1) unless it empties the top value (then O(log d)), amortized.
// kSum/kFlags are O(1) (a running sum, per-bit counters). effective() is O(1).
//
// Notifications: subscribe() registers a callback called exactly once per change of the
// effective value, with the old and new values, in the order the changes happened, and never
// with an internal lock held, so a callback may use the list (even change it). When several
// threads write at once, a change may be delivered by another writer thread, possibly after
// the call that caused it returned. Callbacks must not throw.
//
// Thread safety: internally synchronized. effective() is lock-free (one atomic load) and may be
// called from any thread while others write; it only ever returns values that were aggregates.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <span>

#include "engine/request.h"
#include "engine/result.h"

namespace perfqos {

enum class ListType : std::uint8_t { kMin, kMax, kSum, kFlags };

const char* to_string(ListType type);

struct ListSpec {
  ListType type = ListType::kMin;
  // What a request of kDefaultRequest (-1) stands for.
  std::int32_t default_value = 0;
  // The effective value of an empty list.
  std::int32_t no_constraint_value = 0;
  // Valid request values other than -1: [min_request, max_request]. For kFlags, max_request is
  // the mask of valid bits and a request is valid when it sets no other bit.
  std::int32_t min_request = 0;
  std::int32_t max_request = std::numeric_limits<std::int32_t>::max();

  // True when the spec is coherent: 0 <= min_request <= max_request (for kFlags: a
  // non-negative mask), and default_value itself a valid request, so that -1 resolves to one.
  bool valid() const;
  // True when `value` may be requested: -1, or a non-negative value in range. Other negative
  // values are never valid, whatever the spec says.
  bool accepts(std::int32_t value) const;
  // `value` with -1 replaced by default_value. REQUIRES: accepts(value).
  std::int32_t resolve(std::int32_t value) const {
    return value == kDefaultRequest ? default_value : value;
  }
  bool operator==(const ListSpec&) const = default;
};

using SubscriptionId = std::uint64_t;

namespace detail {
template <typename V>
class NotifierQueue;
}

class ConstraintList final : public detail::RequestOwner {
 public:
  using Notifier = std::function<void(std::int32_t old_value, std::int32_t new_value)>;

  // REQUIRES: spec.valid(). A violated precondition is a programming error: the process aborts
  // with a message rather than aggregate out of bounds (the model checks specs from
  // configuration with ListSpec::valid() and reports EINVAL before getting here).
  explicit ConstraintList(const ListSpec& spec);
  // Detaches every active request (they read as inactive afterwards).
  ~ConstraintList();
  ConstraintList(const ConstraintList&) = delete;
  ConstraintList& operator=(const ConstraintList&) = delete;

  const ListSpec& spec() const { return spec_; }

  // Lock-free; never blocks.
  std::int32_t effective() const { return effective_.load(std::memory_order_acquire); }

  // Number of active requests.
  std::size_t size() const;

  // Each returns Changed/Unchanged, or Failed with kInvalidValue (value not accepted),
  // kAlreadyActive (add of an active request) or kInactive (update/remove of a request that is
  // not in this list). A failed call changes nothing.
  Result add(Request& request, std::int32_t value);
  Result update(Request& request, std::int32_t value) override;
  Result remove(Request& request) override;
  // Removes every request of `requests` in one change: the effective value is published once
  // and subscribers are notified at most once, with the value before and after them all.
  // O(k) for k requests fewer than half of the n in the list, otherwise O(n) (one pass to find
  // the others, which move to a fresh index). Failed with kInactive, changing nothing, when
  // one of `requests` is not in this list. REQUIRES: no request twice in `requests`.
  Result remove_all(std::span<Request* const> requests);
  // Removes every request but those of `keep`, in one change as remove_all, in O(|keep|)
  // whatever the number removed: those are not even touched. They are *retired*: gone from
  // the list (its effective value, size and notifications) but still marked active, so each
  // must be given to release_retired() before it is destroyed, and nothing else may be done
  // with it meanwhile. `removed` is how many the caller says go (`keep` is checked against
  // it): Failed with kInactive, changing nothing, unless |keep| + removed == size() and each
  // of `keep` is in this list. REQUIRES: no request twice in `keep`.
  Result retain_only(std::span<Request* const> keep, std::size_t removed);
  // Marks a request retired by retain_only() inactive; touches nothing else (its list may be
  // gone). A no-op on an inactive request.
  // REQUIRES: `request` is inactive or was retired by retain_only(), and not released since.
  static void release_retired(Request& request) { request.owner_ = nullptr; }

  SubscriptionId subscribe(Notifier notifier);
  // Returns false if `id` was not subscribed. A delivery already under way on another thread may
  // still call the notifier once after this returns.
  bool unsubscribe(SubscriptionId id);

 private:
  struct State;
  template <typename Mutate>
  Result change(Mutate&& mutate);

  const ListSpec spec_;
  std::atomic<std::int32_t> effective_;
  std::unique_ptr<State> state_;
};

}  // namespace perfqos
