#include "engine/range_constraint.h"

#include <mutex>
#include <vector>

#include "engine/aggregator.h"
#include "engine/bulk_removal.h"
#include "engine/notifier_queue.h"

namespace perfqos {

struct RangeConstraint::State {
  mutable std::mutex mu;
  detail::Aggregator floors{ListType::kMax};  // min requests: the highest floor wins
  detail::Aggregator caps{ListType::kMin};    // max requests: the lowest cap wins
  detail::NotifierQueue<Range> notifiers;

  detail::Aggregator& side(RangeEnd end) { return end == RangeEnd::kMin ? floors : caps; }

  Range aggregate(Range limits) const {
    Range r{floors.aggregate(limits.min), caps.aggregate(limits.max)};
    if (r.min > r.max) r.min = r.max;  // a conflict is resolved in favour of the cap
    return r;
  }
};

RangeConstraint::RangeConstraint(Range limits)
    : limits_(limits), effective_(pack(limits)), state_(std::make_unique<State>()) {}

RangeConstraint::~RangeConstraint() {
  std::lock_guard lock(state_->mu);
  state_->floors.for_each([](Request& r) { r.owner_ = nullptr; });
  state_->caps.for_each([](Request& r) { r.owner_ = nullptr; });
}

ListSpec RangeConstraint::spec(RangeEnd end) const {
  ListSpec s;
  s.type = end == RangeEnd::kMin ? ListType::kMax : ListType::kMin;
  s.default_value = end == RangeEnd::kMin ? limits_.min : limits_.max;
  s.no_constraint_value = s.default_value;
  s.min_request = limits_.min;
  s.max_request = limits_.max;
  return s;
}

std::size_t RangeConstraint::size(RangeEnd end) const {
  std::lock_guard lock(state_->mu);
  return state_->side(end).size();
}

template <typename Mutate>
Result RangeConstraint::change(Mutate&& mutate) {
  return detail::apply_change<Range>(
      state_->mu, state_->notifiers,
      [this] { return unpack(effective_.load(std::memory_order_relaxed)); },
      [this] { return state_->aggregate(limits_); }, mutate,
      [this](Range r) { effective_.store(pack(r), std::memory_order_release); });
}

Result RangeConstraint::add(Request& request, RangeEnd end, std::int32_t value) {
  if (request.owner_ != nullptr) return Result::Failed(Error::kAlreadyActive);
  const ListSpec s = spec(end);
  if (!s.accepts(value)) return Result::Failed(Error::kInvalidValue);
  return change([&] {
    request.owner_ = this;
    request.end_ = end;
    request.value_ = s.resolve(value);
    state_->side(end).insert(request);
  });
}

Result RangeConstraint::update(Request& request, std::int32_t value) {
  if (request.owner_ != this) return Result::Failed(Error::kInactive);
  const ListSpec s = spec(request.end_);
  if (!s.accepts(value)) return Result::Failed(Error::kInvalidValue);
  return change([&] { state_->side(request.end_).change(request, s.resolve(value)); });
}

Result RangeConstraint::remove(Request& request) {
  if (request.owner_ != this) return Result::Failed(Error::kInactive);
  return change([&] {
    state_->side(request.end_).erase(request);
    request.owner_ = nullptr;
  });
}

Result RangeConstraint::remove_all(std::span<Request* const> requests) {
  bool valid = true;  // checked under the lock, as remove() does
  const Result result = change([&] {
    for (const Request* r : requests) valid = valid && r->owner_ == this;
    if (!valid) return;
    std::vector<Request*> ends[2];
    for (Request* r : requests) {
      r->owner_ = nullptr;
      ends[static_cast<int>(r->end_)].push_back(r);
    }
    for (const RangeEnd end : {RangeEnd::kMin, RangeEnd::kMax}) {
      detail::remove_requests(state_->side(end), ends[static_cast<int>(end)],
                              [this](const Request& r) { return r.owner_ == this; });
    }
  });
  return valid ? result : Result::Failed(Error::kInactive);
}

Result RangeConstraint::retain_only(std::span<Request* const> keep, std::size_t removed) {
  bool valid = true;
  Result result = change([&] {
    valid = keep.size() + removed == state_->floors.size() + state_->caps.size();
    std::vector<Request*> ends[2];
    for (Request* r : keep) {
      valid = valid && r->owner_ == this;
      ends[static_cast<int>(r->end_)].push_back(r);
    }
    if (!valid) return;
    detail::keep_only(state_->floors, ends[static_cast<int>(RangeEnd::kMin)]);
    detail::keep_only(state_->caps, ends[static_cast<int>(RangeEnd::kMax)]);
  });
  return valid ? result : Result::Failed(Error::kInactive);
}

SubscriptionId RangeConstraint::subscribe(Notifier notifier) {
  return state_->notifiers.subscribe(std::move(notifier));
}

bool RangeConstraint::unsubscribe(SubscriptionId id) {
  return state_->notifiers.unsubscribe(id);
}

}  // namespace perfqos
