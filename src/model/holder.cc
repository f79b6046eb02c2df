#include "model/holder.h"

#include <algorithm>

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
  HeldRequest* r = find_mutable(id);
  if (r == nullptr) return false;
  r->reason_ = std::move(reason);
  r->app_id_ = std::move(app_id);
  return true;
}

HeldRequest* Holder::find_mutable(RequestId id) {
  const auto it = std::lower_bound(ids_.begin(), ids_.end(), id);
  if (it == ids_.end() || *it != id) return nullptr;
  return slots_[static_cast<std::size_t>(it - ids_.begin())].get();
}

const HeldRequest* Holder::find(RequestId id) const {
  return const_cast<Holder*>(this)->find_mutable(id);
}

std::vector<const HeldRequest*> Holder::requests() const {
  std::vector<const HeldRequest*> out;
  out.reserve(live_);
  for (const auto& r : slots_) {
    if (r) out.push_back(r.get());
  }
  return out;
}

void Holder::place(std::unique_ptr<HeldRequest> request) {
  HeldRequest& r = *request;
  ids_.push_back(r.id_);
  slots_.push_back(std::move(request));
  ++live_;
  if (r.expiry_) ++timed_;
  if (r.device_ == nullptr) return;
  KnobShare& k = knobs_[r.device_->knob(r.knob_)];
  k.device = r.device_;
  if (k.count++ == 0) k.first = &r;
  DeviceShare& d = devices_[r.device_];
  ++d.count;
  d.handles.push_back(r.in_device_);
}

void Holder::forget(HeldRequest& r) {
  if (r.expiry_) --timed_;
  if (r.device_ != nullptr) {
    auto k = knobs_.find(r.device_->knob(r.knob_));
    if (k != knobs_.end()) {
      if (k->second.first == &r) k->second.first = nullptr;
      if (--k->second.count == 0) knobs_.erase(k);
    }
    auto d = devices_.find(r.device_);
    if (d != devices_.end()) {
      DeviceShare& share = d->second;
      if (--share.count == 0) {
        devices_.erase(d);
      } else if (share.handles.size() > 2 * share.count + 64) {
        // Requires `r` out of the device's sequence already: only the live ones stay.
        std::erase_if(share.handles,
                      [&](RequestSequence::Handle h) { return !r.device_->requests_.contains(h); });
      }
    }
  }
  const auto it = std::lower_bound(ids_.begin(), ids_.end(), r.id_);
  const auto at = static_cast<std::size_t>(it - ids_.begin());
  slots_[at].reset();  // frees r
  --live_;
  if (slots_.size() > 2 * live_ + 64) {
    std::size_t out = 0;
    for (std::size_t i = 0; i < slots_.size(); ++i) {
      if (!slots_[i]) continue;
      ids_[out] = ids_[i];
      slots_[out++] = std::move(slots_[i]);
    }
    slots_.resize(out);
    ids_.resize(out);
  }
}

void Holder::forget_device(const Device& device) {
  if (devices_.erase(&device) == 0) return;
  std::erase_if(knobs_, [&](const auto& entry) { return entry.second.device == &device; });
}

const HeldRequest* Holder::first_on(const Device* device, KnobId knob) const {
  for (const auto& r : slots_) {
    if (r && r->device_ == device && r->knob_ == knob) return r.get();
  }
  return nullptr;
}

}  // namespace perfqos
