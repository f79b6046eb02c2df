#include "engine/aggregator.h"

#include <limits>

namespace perfqos::detail {

void Aggregator::unordered_insert(Request& request) {
  entries_.push_back(&request);
  request.slot_ = static_cast<std::uint32_t>(entries_.size() - 1);
  account(request.value_, +1);
}

void Aggregator::unordered_erase(Request& request) {
  account(request.value_, -1);
  Request* const last = entries_.back();
  entries_[request.slot_] = last;
  last->slot_ = request.slot_;
  entries_.pop_back();
}

void Aggregator::unordered_change(Request& request, std::int32_t value) {
  account(request.value_, -1);
  request.value_ = value;
  account(value, +1);
}

std::int32_t Aggregator::unordered_aggregate() const {
  if (type_ == ListType::kFlags) return flags_;
  return sum_ > std::numeric_limits<std::int32_t>::max() ? std::numeric_limits<std::int32_t>::max()
                                                         : static_cast<std::int32_t>(sum_);
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
