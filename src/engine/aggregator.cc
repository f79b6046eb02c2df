#include "engine/aggregator.h"

#include <limits>

namespace perfqos::detail {

void Aggregator::insert(Request& request) {
  entries_.push_back(Entry{key_of(request.value_), &request});
  request.slot_ = static_cast<std::uint32_t>(entries_.size() - 1);
  if (ordered()) {
    sift_up(entries_.size() - 1);
  } else {
    account(request.value_, +1);
  }
}

void Aggregator::erase(Request& request) {
  const std::size_t slot = request.slot_;
  if (!ordered()) account(request.value_, -1);
  const Entry last = entries_.back();
  entries_.pop_back();
  if (slot == entries_.size()) return;  // it was the last entry
  place(slot, last);
  if (ordered()) {
    // The last entry may belong above or below the hole it fills.
    sift_up(slot);
    if (last.request->slot_ == slot) sift_down(slot);
  }
}

void Aggregator::change(Request& request, std::int32_t value) {
  if (!ordered()) {
    account(request.value_, -1);
    request.value_ = value;
    account(value, +1);
    return;
  }
  const std::int64_t old_key = entries_[request.slot_].key;
  const std::int64_t new_key = key_of(value);
  request.value_ = value;
  entries_[request.slot_].key = new_key;
  if (new_key < old_key) {
    sift_up(request.slot_);
  } else if (new_key > old_key) {
    sift_down(request.slot_);
  }
}

std::int32_t Aggregator::aggregate(std::int32_t if_empty) const {
  if (entries_.empty()) return if_empty;
  switch (type_) {
    case ListType::kMin:
      return static_cast<std::int32_t>(entries_.front().key);
    case ListType::kMax:
      return static_cast<std::int32_t>(-entries_.front().key);
    case ListType::kSum:
      return sum_ > std::numeric_limits<std::int32_t>::max()
                 ? std::numeric_limits<std::int32_t>::max()
                 : static_cast<std::int32_t>(sum_);
    case ListType::kFlags:
      return flags_;
  }
  return if_empty;
}

void Aggregator::sift_up(std::size_t slot) {
  const Entry moving = entries_[slot];
  while (slot > 0) {
    const std::size_t parent = (slot - 1) / 2;
    if (entries_[parent].key <= moving.key) break;
    place(slot, entries_[parent]);
    slot = parent;
  }
  place(slot, moving);
}

void Aggregator::sift_down(std::size_t slot) {
  const std::size_t n = entries_.size();
  const Entry moving = entries_[slot];
  for (;;) {
    std::size_t child = 2 * slot + 1;
    if (child >= n) break;
    if (child + 1 < n && entries_[child + 1].key < entries_[child].key) ++child;
    if (moving.key <= entries_[child].key) break;
    place(slot, entries_[child]);
    slot = child;
  }
  place(slot, moving);
}

void Aggregator::account(std::int32_t value, int direction) {
  if (type_ == ListType::kSum) {
    sum_ += direction * std::int64_t{value};
    return;
  }
  // kFlags: values are non-negative (validated), so only bits 0..30 can be set.
  auto bits = static_cast<std::uint32_t>(value);
  while (bits != 0) {
    const int bit = __builtin_ctz(bits);
    bits &= bits - 1;
    std::uint32_t& count = bit_counts_[bit];
    count += static_cast<std::uint32_t>(direction);
    if (count == 0) {
      flags_ &= ~(std::int32_t{1} << bit);
    } else {
      flags_ |= std::int32_t{1} << bit;
    }
  }
}

}  // namespace perfqos::detail
