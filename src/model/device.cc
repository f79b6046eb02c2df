#include "model/device.h"

#include <cerrno>

#include "model/holder.h"

namespace perfqos {

const char* to_string(PerfUnit unit) {
  switch (unit) {
    case PerfUnit::kNormal:
      return "normal";
    case PerfUnit::kKbps:
      return "kbps";
    case PerfUnit::kNone:
      return "";
  }
  return "";
}

Status device_gone(std::string_view what) {
  return Status::Error(ENODEV, std::string(what) + ": its device is gone");
}

Status check_device_name(std::string_view name) {
  if (name.empty() || name.size() > 63) {
    return Status::Error(EINVAL, "device name '" + std::string(name) +
                                     "': length must be 1..63 bytes, not " +
                                     std::to_string(name.size()));
  }
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == ':' || c == '-';
    if (!ok) {
      return Status::Error(EINVAL, "device name '" + std::string(name) + "': byte " +
                                       std::to_string(static_cast<unsigned char>(c)) +
                                       " not allowed: use A-Z a-z 0-9 _ . : -");
    }
  }
  return Status::Ok();
}

Device::Device(DeviceSpec spec, std::shared_ptr<DeviceBackend> backend, Device* parent)
    : name_(std::move(spec.name)),
      kind_(std::move(spec.kind)),
      perf_unit_(spec.perf_unit),
      parent_(parent),
      backend_(std::move(backend)) {
  for (const KnobSpec& k : spec.knobs) knobs_.push_back(std::make_unique<Knob>(k));
}

Device::~Device() = default;

Knob* Device::knob(KnobId id) {
  for (auto& k : knobs_) {
    if (k->id() == id) return k.get();
  }
  return nullptr;
}

const Knob* Device::knob(KnobId id) const {
  return const_cast<Device*>(this)->knob(id);
}

std::vector<const Knob*> Device::knobs() const {
  std::vector<const Knob*> out;
  for (const auto& k : knobs_) out.push_back(k.get());
  return out;
}

std::string Device::knob_names() const {
  std::string out;
  for (const auto& k : knobs_) {
    if (!out.empty()) out += ", ";
    if (is_range_knob(k->id())) {
      out += knob_request_name(k->id(), RangeEnd::kMin);
      out += ", ";
      out += knob_request_name(k->id(), RangeEnd::kMax);
    } else {
      out += knob_name(k->id());
    }
  }
  return out.empty() ? "none" : out;
}

bool Device::is_allowed(std::int32_t perf) const {
  const Knob* range = knob(KnobId::kRange);
  if (range == nullptr) return false;
  const Range r = range->effective_range();
  return r.min <= perf && perf <= r.max;
}

std::vector<const HeldRequest*> Device::requests() const {
  std::vector<const HeldRequest*> out;
  out.reserve(requests_.size());
  requests_.for_each([&](const HeldRequest* r) { out.push_back(r); });
  return out;
}

}  // namespace perfqos
