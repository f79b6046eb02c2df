#include "engine/constraint_list.h"

#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "engine/aggregator.h"
#include "engine/bulk_removal.h"
#include "engine/notifier_queue.h"

namespace perfqos {

const char* to_string(ListType type) {
  switch (type) {
    case ListType::kMin:
      return "min";
    case ListType::kMax:
      return "max";
    case ListType::kSum:
      return "sum";
    case ListType::kFlags:
      return "flags";
  }
  return "unknown";
}

bool ListSpec::accepts(std::int32_t value) const {
  if (value == kDefaultRequest) return true;
  if (value < 0) return false;
  if (type == ListType::kFlags) return (value & ~max_request) == 0;
  return min_request <= value && value <= max_request;
}

bool ListSpec::valid() const {
  if (type == ListType::kFlags)
    return max_request >= 0 && default_value >= 0 && accepts(default_value);
  return 0 <= min_request && min_request <= max_request && default_value >= 0 &&
         accepts(default_value);
}

struct ConstraintList::State {
  explicit State(ListType type) : requests(type) {}
  mutable std::mutex mu;
  detail::Aggregator requests;
  detail::NotifierQueue<std::int32_t> notifiers;
};

ConstraintList::ConstraintList(const ListSpec& spec)
    : spec_(spec),
      effective_(spec.no_constraint_value),
      state_(std::make_unique<State>(spec.type)) {
  if (!spec.valid()) {
    std::fprintf(stderr,
                 "perfqos: invalid ListSpec (type %s, default %d, requests %d..%d): "
                 "ConstraintList requires ListSpec::valid()\n",
                 to_string(spec.type), spec.default_value, spec.min_request, spec.max_request);
    std::abort();
  }
}

ConstraintList::~ConstraintList() {
  std::lock_guard lock(state_->mu);
  state_->requests.for_each([](Request& r) { r.owner_ = nullptr; });
}

std::size_t ConstraintList::size() const {
  std::lock_guard lock(state_->mu);
  return state_->requests.size();
}

template <typename Mutate>
Result ConstraintList::change(Mutate&& mutate) {
  return detail::apply_change<std::int32_t>(
      state_->mu, state_->notifiers, [this] { return effective_.load(std::memory_order_relaxed); },
      [this] { return state_->requests.aggregate(spec_.no_constraint_value); }, mutate,
      [this](std::int32_t v) { effective_.store(v, std::memory_order_release); });
}

Result ConstraintList::add(Request& request, std::int32_t value) {
  if (request.owner_ != nullptr) return Result::Failed(Error::kAlreadyActive);
  if (!spec_.accepts(value)) return Result::Failed(Error::kInvalidValue);
  return change([&] {
    request.owner_ = this;
    request.value_ = spec_.resolve(value);
    state_->requests.insert(request);
  });
}

Result ConstraintList::update(Request& request, std::int32_t value) {
  if (request.owner_ != this) return Result::Failed(Error::kInactive);
  if (!spec_.accepts(value)) return Result::Failed(Error::kInvalidValue);
  return change([&] { state_->requests.change(request, spec_.resolve(value)); });
}

Result ConstraintList::remove(Request& request) {
  bool inactive = false;
  const Result r = change([&] {
    if (request.owner_ != this) {
      inactive = true;
      return;
    }
    state_->requests.erase(request);
    request.owner_ = nullptr;
  });
  return inactive ? Result::Failed(Error::kInactive) : r;
}

Result ConstraintList::remove_all(std::span<Request* const> requests) {
  bool valid = true;  // checked under the lock, as remove() does
  const Result r = change([&] {
    for (const Request* q : requests) valid = valid && q->owner_ == this;
    if (!valid) return;
    for (Request* q : requests) q->owner_ = nullptr;
    detail::remove_requests(state_->requests, requests,
                            [this](const Request& q) { return q.owner_ == this; });
  });
  return valid ? r : Result::Failed(Error::kInactive);
}

Result ConstraintList::retain_only(std::span<Request* const> keep, std::size_t removed) {
  // Checked and applied under one lock: the size must not change in between.
  bool valid = true;
  Result result = change([&] {
    valid = keep.size() + removed == state_->requests.size();
    for (const Request* r : keep) valid = valid && r->owner_ == this;
    if (valid) detail::keep_only(state_->requests, keep);
  });
  return valid ? result : Result::Failed(Error::kInactive);
}

SubscriptionId ConstraintList::subscribe(Notifier notifier) {
  return state_->notifiers.subscribe(std::move(notifier));
}

bool ConstraintList::unsubscribe(SubscriptionId id) {
  return state_->notifiers.unsubscribe(id);
}

}  // namespace perfqos
