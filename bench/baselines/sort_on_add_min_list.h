// SortOnAddMinList: a baseline for bench/engine_bench.cc, written from scratch in the style of
// the perf QoS RFC's constraint list: every request is an element of one linked list, add()
// appends and then sorts the whole list, and the effective value is the first element.
//
//   add     append + sort of the whole list (a merge sort, like the kernel's list_sort()):
//           O(n log n);
//   remove  erase the element and read the new head: O(1);
//   update  remove + add under one lock;
//   read    the head's value, cached in an atomic on every change.
//
// Each change takes a mutex and reports whether the effective value changed. Not part of
// perfqos; benchmark use only.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <list>
#include <mutex>
#include <numeric>
#include <span>
#include <vector>

namespace perfqos::bench {

class SortOnAddMinList {
 public:
  class Request {
   public:
    Request() = default;
    Request(const Request&) = delete;
    Request& operator=(const Request&) = delete;
    bool active() const { return active_; }

   private:
    friend class SortOnAddMinList;
    std::list<std::int32_t>::iterator it_;
    bool active_ = false;
  };

  explicit SortOnAddMinList(std::int32_t no_constraint_value)
      : no_constraint_(no_constraint_value), effective_(no_constraint_value) {}
  SortOnAddMinList(const SortOnAddMinList&) = delete;
  SortOnAddMinList& operator=(const SortOnAddMinList&) = delete;

  std::int32_t effective() const { return effective_.load(std::memory_order_acquire); }

  // Each returns true when the effective value changed. REQUIRES: the request's state fits.
  bool add(Request& r, std::int32_t value) {
    std::lock_guard lock(mu_);
    append_and_sort(r, value);
    return publish();
  }
  bool update(Request& r, std::int32_t value) {
    std::lock_guard lock(mu_);
    values_.erase(r.it_);
    append_and_sort(r, value);
    return publish();
  }
  bool remove(Request& r) {
    std::lock_guard lock(mu_);
    values_.erase(r.it_);
    r.active_ = false;
    return publish();
  }

  // Adds requests[i] with values[i] for every i with one sort, for pre-filling large lists.
  // REQUIRES: the list is empty and the requests inactive.
  void bulk_fill(std::span<Request> requests, std::span<const std::int32_t> values) {
    std::lock_guard lock(mu_);
    std::vector<std::uint32_t> order(requests.size());
    std::iota(order.begin(), order.end(), 0u);
    std::stable_sort(order.begin(), order.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return values[a] < values[b]; });
    for (std::uint32_t i : order) {
      values_.push_back(values[i]);
      requests[i].it_ = std::prev(values_.end());
      requests[i].active_ = true;
    }
    publish();
  }

 private:
  void append_and_sort(Request& r, std::int32_t value) {
    values_.push_back(value);
    r.it_ = std::prev(values_.end());
    r.active_ = true;
    values_.sort();  // relinks nodes: iterators held by requests stay valid
  }

  bool publish() {
    const std::int32_t v = values_.empty() ? no_constraint_ : values_.front();
    const bool changed = v != effective_.load(std::memory_order_relaxed);
    effective_.store(v, std::memory_order_release);
    return changed;
  }

  const std::int32_t no_constraint_;
  std::mutex mu_;
  std::list<std::int32_t> values_;
  std::atomic<std::int32_t> effective_;
};

}  // namespace perfqos::bench
