// PlistMinList: a baseline for bench/engine_bench.cc, written from scratch in the style of the
// Linux kernel's plist (include/linux/plist.h, lib/plist.c) as kernel/power/qos.c uses it for
// MIN lists such as CPU latency QoS.
//
// Requests are kept sorted by value. One request per distinct value (its "leader") is linked
// into a sorted doubly linked list of distinct values; the other requests with that value hang
// off the leader in a ring. Like the kernel, nodes live inside the requests (no allocation):
//
//   add     walks the distinct values from the smallest to the insertion point:
//           O(number of distinct values), O(1) when the value sorts first;
//   remove  unlinks, promoting the next same-valued request when a leader leaves: O(1);
//   update  remove + add under one lock (the kernel's pm_qos_update_target does the same);
//   read    the first leader's value, cached in an atomic like the kernel's target_value.
//
// Each change takes a mutex, as the kernel takes pm_qos_lock, and reports whether the effective
// value changed. Not part of perfqos; benchmark use only.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <numeric>
#include <span>
#include <vector>

namespace perfqos::bench {

class PlistMinList {
 public:
  class Request {
   public:
    Request() = default;
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;
    bool active() const { return active_; }

   private:
    friend class PlistMinList;
    std::int32_t value_ = 0;
    bool active_ = false;
    bool leader_ = false;       // linked in the distinct-value list
    Request* vprev_ = nullptr;  // distinct-value list (leaders only)
    Request* vnext_ = nullptr;
    Request* sprev_ = nullptr;  // ring of the requests with this value
    Request* snext_ = nullptr;
  };

  explicit PlistMinList(std::int32_t no_constraint_value)
      : no_constraint_(no_constraint_value), effective_(no_constraint_value) {
    head_.vprev_ = head_.vnext_ = &head_;
  }
  PlistMinList(const PlistMinList&) = delete;
  PlistMinList& operator=(const PlistMinList&) = delete;

  std::int32_t effective() const { return effective_.load(std::memory_order_acquire); }

  // Each returns true when the effective value changed. REQUIRES: the request's state fits.
  bool add(Request& r, std::int32_t value) {
    std::lock_guard lock(mu_);
    link(r, value);
    return publish();
  }
  bool update(Request& r, std::int32_t value) {
    std::lock_guard lock(mu_);
    unlink(r);
    link(r, value);
    return publish();
  }
  bool remove(Request& r) {
    std::lock_guard lock(mu_);
    unlink(r);
    return publish();
  }

  // Adds requests[i] with values[i] for every i in one O(n log n) pass (one sort), for
  // pre-filling large lists. REQUIRES: the list is empty and the requests inactive.
  void bulk_fill(std::span<Request> requests, std::span<const std::int32_t> values) {
    std::lock_guard lock(mu_);
    std::vector<std::uint32_t> order(requests.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return values[a] < values[b]; });
    Request* leader = nullptr;
    for (std::uint32_t i : order) {
      Request& r = requests[i];
      r.value_ = values[i];
      r.active_ = true;
      if (leader != nullptr && leader->value_ == r.value_) {
        join_ring(*leader, r);
      } else {
        insert_leader_before(head_, r);  // appends: values arrive in ascending order
        leader = &r;
      }
    }
    publish();
  }

 private:
  void link(Request& r, std::int32_t value) {
    Request* p = head_.vnext_;
    while (p != &head_ && p->value_ < value) p = p->vnext_;
    r.value_ = value;
    r.active_ = true;
    if (p != &head_ && p->value_ == value) {
      join_ring(*p, r);
    } else {
      insert_leader_before(*p, r);
    }
  }

  void unlink(Request& r) {
    r.active_ = false;
    if (!r.leader_) {
      r.sprev_->snext_ = r.snext_;
      r.snext_->sprev_ = r.sprev_;
      return;
    }
    if (r.snext_ != &r) {  // the next request with this value takes the leader's place
      Request* next = r.snext_;
      r.sprev_->snext_ = next;
      next->sprev_ = r.sprev_;
      next->leader_ = true;
      next->vprev_ = r.vprev_;
      next->vnext_ = r.vnext_;
      r.vprev_->vnext_ = next;
      r.vnext_->vprev_ = next;
      return;
    }
    r.vprev_->vnext_ = r.vnext_;
    r.vnext_->vprev_ = r.vprev_;
  }

  static void join_ring(Request& leader, Request& r) {
    r.leader_ = false;
    r.snext_ = &leader;
    r.sprev_ = leader.sprev_;
    leader.sprev_->snext_ = &r;
    leader.sprev_ = &r;
  }

  static void insert_leader_before(Request& at, Request& r) {
    r.leader_ = true;
    r.sprev_ = r.snext_ = &r;
    r.vnext_ = &at;
    r.vprev_ = at.vprev_;
    at.vprev_->vnext_ = &r;
    at.vprev_ = &r;
  }

  bool publish() {
    const std::int32_t v = head_.vnext_ == &head_ ? no_constraint_ : head_.vnext_->value_;
    const bool changed = v != effective_.load(std::memory_order_relaxed);
    effective_.store(v, std::memory_order_release);
    return changed;
  }

  const std::int32_t no_constraint_;
  std::mutex mu_;
  Request head_;  // sentinel of the distinct-value list
  std::atomic<std::int32_t> effective_;
};

}  // namespace perfqos::bench
