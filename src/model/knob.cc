#include "model/knob.h"

#include <algorithm>
#include <cstdint>

namespace perfqos {

namespace {
struct KnobName {
  KnobId id;
  const char* name;
};
constexpr KnobName kKnobNames[] = {
    {KnobId::kLatency, "latency"},
    {KnobId::kThroughput, "throughput"},
    {KnobId::kBandwidth, "bandwidth"},
    {KnobId::kResumeLatency, "resume_latency"},
    {KnobId::kLatencyTolerance, "latency_tolerance"},
    {KnobId::kFlags, "flags"},
    {KnobId::kRange, "range"},
    {KnobId::kEpp, "epp"},
    {KnobId::kProfile, "profile"},
};
struct EndName {
  KnobId id;
  RangeEnd end;
  const char* name;
};
constexpr EndName kEndNames[] = {
    {KnobId::kRange, RangeEnd::kMin, "min"},
    {KnobId::kRange, RangeEnd::kMax, "max"},
    {KnobId::kEpp, RangeEnd::kMin, "epp.min"},
    {KnobId::kEpp, RangeEnd::kMax, "epp.max"},
    {KnobId::kProfile, RangeEnd::kMin, "profile.min"},
    {KnobId::kProfile, RangeEnd::kMax, "profile.max"},
};
}  // namespace

const char* knob_name(KnobId id) {
  for (const KnobName& k : kKnobNames) {
    if (k.id == id) return k.name;
  }
  return "unknown";
}

const char* knob_request_name(KnobId id, RangeEnd end) {
  for (const EndName& e : kEndNames) {
    if (e.id == id && e.end == end) return e.name;
  }
  return knob_name(id);
}

bool knob_name_has_end(std::string_view name) {
  for (const EndName& e : kEndNames) {
    if (name == e.name) return true;
  }
  return false;
}

bool parse_knob_name(std::string_view name, KnobId* id, RangeEnd* end) {
  *end = RangeEnd::kMin;
  for (const EndName& e : kEndNames) {
    if (name == e.name) {
      *id = e.id;
      *end = e.end;
      return true;
    }
  }
  for (const KnobName& k : kKnobNames) {
    if (k.id != KnobId::kRange && name == k.name) {
      *id = k.id;
      return true;
    }
  }
  return false;
}

Knob::Knob(const KnobSpec& spec) : id_(spec.id), unit_(spec.unit), choices_(spec.choices) {
  if (is_range_knob(spec.id)) {
    range_ = std::make_unique<RangeConstraint>(spec.limits);
  } else {
    list_ = std::make_unique<ConstraintList>(spec.list);
  }
}

ListSpec Knob::spec(RangeEnd end) const {
  return range_ ? range_->spec(end) : list_->spec();
}

Range Knob::limits() const {
  if (range_) return range_->limits();
  const std::int32_t v = list_->spec().no_constraint_value;
  return Range{v, v};
}

std::size_t Knob::size() const {
  return range_ ? range_->size(RangeEnd::kMin) + range_->size(RangeEnd::kMax) : list_->size();
}

std::size_t Knob::size(RangeEnd end) const {
  return range_ ? range_->size(end) : list_->size();
}

Range Knob::would_be(RangeEnd end, std::int32_t value) const {
  const std::int32_t v = spec(end).resolve(value);
  const Range now = effective_range();
  if (range_) {
    // The effective ends are the aggregates, except that a floor above the cap reads as the
    // cap; that clamp gives the same answer whether it is applied before or after.
    Range r = now;
    if (end == RangeEnd::kMin) {
      r.min = size(RangeEnd::kMin) == 0 ? v : std::max(now.min, v);
    } else {
      r.max = size(RangeEnd::kMax) == 0 ? v : std::min(now.max, v);
    }
    if (r.min > r.max) r.min = r.max;
    return r;
  }
  const bool empty = list_->size() == 0;
  std::int32_t out = v;
  if (!empty) {
    switch (list_->spec().type) {
      case ListType::kMin:
        out = std::min(now.min, v);
        break;
      case ListType::kMax:
        out = std::max(now.min, v);
        break;
      case ListType::kSum: {
        const std::int64_t sum = std::int64_t{now.min} + v;
        out = sum > INT32_MAX ? INT32_MAX : static_cast<std::int32_t>(sum);
        break;
      }
      case ListType::kFlags:
        out = now.min | v;
        break;
    }
  }
  return Range{out, out};
}

Result Knob::add(Request& request, RangeEnd end, std::int32_t value) {
  return range_ ? range_->add(request, end, value) : list_->add(request, value);
}

Result Knob::remove_all(std::span<Request* const> requests) {
  return range_ ? range_->remove_all(requests) : list_->remove_all(requests);
}

Result Knob::retain_only(std::span<Request* const> keep, std::size_t removed) {
  return range_ ? range_->retain_only(keep, removed) : list_->retain_only(keep, removed);
}

SubscriptionId Knob::subscribe(std::function<void(Range, Range)> notifier) {
  if (range_) return range_->subscribe(std::move(notifier));
  return list_->subscribe([notifier = std::move(notifier)](std::int32_t o, std::int32_t n) {
    notifier(Range{o, o}, Range{n, n});
  });
}

bool Knob::unsubscribe(SubscriptionId id) {
  return range_ ? range_->unsubscribe(id) : list_->unsubscribe(id);
}

}  // namespace perfqos
