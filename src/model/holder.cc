#include "model/holder.h"

#include "model/broker.h"
#include "model/device.h"

namespace perfqos {

const char* to_string(HolderKind kind) {
  switch (kind) {
    case HolderKind::kConnection:
      return "connection";
    case HolderKind::kFuse:
      return "fuse";
    case HolderKind::kCgroupBinding:
      return "cgroup";
    case HolderKind::kInternal:
      return "internal";
  }
  return "unknown";
}

bool HeldRequest::binding() const {
  if (device_ == nullptr) return false;
  const Knob* knob = device_->knob(knob_);
  const std::int32_t v = request_.value();
  if (knob->is_range()) {
    const Range r = knob->effective_range();
    return v == (end_ == RangeEnd::kMin ? r.min : r.max);
  }
  switch (knob->spec().type) {
    case ListType::kMin:
    case ListType::kMax:
      return v == knob->effective();
    case ListType::kSum:
      return v > 0;
    case ListType::kFlags:
      return (v & knob->effective()) != 0;
  }
  return false;
}

Holder::Holder(Broker& broker, HolderIdentity identity)
    : broker_(&broker), identity_(std::move(identity)) {}

Holder::~Holder() {
  broker_->drop_all(*this);
}

bool Holder::annotate(RequestId id, std::string reason, std::string app_id) {
  auto it = requests_.find(id);
  if (it == requests_.end()) return false;
  it->second->reason_ = std::move(reason);
  it->second->app_id_ = std::move(app_id);
  return true;
}

const HeldRequest* Holder::find(RequestId id) const {
  auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : it->second.get();
}

std::vector<const HeldRequest*> Holder::requests() const {
  std::vector<const HeldRequest*> out;
  out.reserve(requests_.size());
  for (const auto& [id, r] : requests_) out.push_back(r.get());
  return out;
}

}  // namespace perfqos
