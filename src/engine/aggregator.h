// Aggregator: the one piece that decides the aggregate of a set of requests for every list type.
// ConstraintList uses one; RangeConstraint uses two (a kMax for floors, a kMin for caps).
//
// For kMin/kMax the requests hang off one node per distinct value (value_index.h): insert, erase
// and change are O(1) while the values involved stay held, O(log d) at worst for d distinct
// values, and the aggregate is O(1). For kSum and kFlags the requests live in one dense array
// (each knowing its slot, so that every request can be enumerated and detached), with a running
// 64-bit sum or a count per bit: O(1).
//
// Not synchronized: the owner holds its lock around every call.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "engine/constraint_list.h"
#include "engine/request.h"
#include "engine/value_index.h"

namespace perfqos::detail {

class Aggregator {
 public:
  explicit Aggregator(ListType type) : type_(type), values_(type == ListType::kMax) {}

  ListType type() const { return type_; }
  bool empty() const { return size() == 0; }
  std::size_t size() const { return ordered() ? values_.size() : entries_.size(); }

  // The kMin/kMax paths are inline: a change of a request is a few loads and stores on a hot
  // list, and a call per layer was a measurable part of it (docs/benchmarks.md).
  // REQUIRES: request is not in any aggregator; request.value_ holds its value.
  void insert(Request& request) {
    if (ordered()) {
      values_.link(request);
    } else {
      unordered_insert(request);
    }
  }
  // REQUIRES: request is in this aggregator.
  void erase(Request& request) {
    if (ordered()) {
      values_.unlink(request);
    } else {
      unordered_erase(request);
    }
  }
  // REQUIRES: request is in this aggregator.
  void change(Request& request, std::int32_t value) {
    if (request.value_ == value) return;
    if (ordered()) {
      values_.unlink(request);
      request.value_ = value;
      values_.link(request);
    } else {
      unordered_change(request, value);
    }
  }

  // The aggregate of the current requests, or `if_empty` when there are none.
  std::int32_t aggregate(std::int32_t if_empty) const {
    if (ordered()) return values_.size() == 0 ? if_empty : values_.top();
    return entries_.empty() ? if_empty : unordered_aggregate();
  }

  // Calls f(Request&) for every request, in no particular order.
  template <typename F>
  void for_each(F&& f) const {
    if (ordered()) {
      values_.for_each(f);
    } else {
      for (Request* r : entries_) f(*r);
    }
  }

 private:
  bool ordered() const { return type_ == ListType::kMin || type_ == ListType::kMax; }
  void unordered_insert(Request& request);
  void unordered_erase(Request& request);
  void unordered_change(Request& request, std::int32_t value);
  void account(std::int32_t value, int direction);  // kSum/kFlags bookkeeping
  std::int32_t unordered_aggregate() const;

  ListType type_;
  ValueIndex values_;              // kMin, kMax
  std::vector<Request*> entries_;  // kSum, kFlags
  std::int64_t sum_ = 0;
  std::array<std::uint32_t, 31> bit_counts_{};
  std::int32_t flags_ = 0;
};

}  // namespace perfqos::detail
