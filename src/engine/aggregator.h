// Aggregator: the one piece that decides the aggregate of a set of requests for every list type.
// ConstraintList uses one; RangeConstraint uses two (a kMax for floors, a kMin for caps).
//
// Requests live in one dense array, so that every active request can be enumerated and detached.
// For kMin/kMax the array is a binary min-heap on a key (the value for kMin, its negation for
// kMax), each request knowing its slot: insert, erase and change are O(log n), the top is O(1).
// For kSum a running 64-bit sum, for kFlags a count per bit: O(1).
//
// Not synchronized: the owner holds its lock around every call.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/constraint_list.h"
#include "engine/request.h"

namespace perfqos::detail {

class Aggregator {
 public:
  explicit Aggregator(ListType type) : type_(type) {}

  ListType type() const { return type_; }
  bool empty() const { return entries_.empty(); }
  std::size_t size() const { return entries_.size(); }

  // REQUIRES: request is not in any aggregator; request.value_ holds its value.
  void insert(Request& request);
  // REQUIRES: request is in this aggregator.
  void erase(Request& request);
  void change(Request& request, std::int32_t value);

  // The aggregate of the current requests, or `if_empty` when there are none.
  std::int32_t aggregate(std::int32_t if_empty) const;

  // Calls f(Request&) for every request, in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    for (const Entry& e : entries_) f(*e.request);
  }

 private:
  struct Entry {
    std::int64_t key;
    Request* request;
  };
  bool ordered() const { return type_ == ListType::kMin || type_ == ListType::kMax; }
  std::int64_t key_of(std::int32_t value) const {
    return type_ == ListType::kMax ? -std::int64_t{value} : std::int64_t{value};
  }
  void place(std::size_t slot, const Entry& e) {
    entries_[slot] = e;
    e.request->slot_ = static_cast<std::uint32_t>(slot);
  }
  void sift_up(std::size_t slot);
  void sift_down(std::size_t slot);
  void account(std::int32_t value, int direction);  // kSum/kFlags bookkeeping

  ListType type_;
  std::vector<Entry> entries_;
  std::int64_t sum_ = 0;
  std::array<std::uint32_t, 31> bit_counts_{};
  std::int32_t flags_ = 0;
};

}  // namespace perfqos::detail
