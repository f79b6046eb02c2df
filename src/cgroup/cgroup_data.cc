#include "cgroup/cgroup_data.h"

namespace perfqos {

std::vector<CgroupLimit> CgroupDataTable::limits_of(const Device& device, const std::string& cgroup,
                                                    const Policy& policy) {
  std::vector<CgroupLimit> out;
  for (const Knob* knob : device.knobs()) {
    std::vector<std::string> names;
    if (knob->is_range()) {
      names = {knob_request_name(knob->id(), RangeEnd::kMin),
               knob_request_name(knob->id(), RangeEnd::kMax)};
    } else {
      names = {knob_name(knob->id())};
    }
    for (const std::string& name : names) {
      CgroupLimit limit = policy.limits_for(cgroup, device.name(), name);
      if (limit.floor || limit.cap) out.push_back(std::move(limit));
    }
  }
  return out;
}

CgroupData& CgroupDataTable::get(const Device& device, const std::string& cgroup,
                                 const Policy& policy, bool* created) {
  if (CgroupData* data = find(device.name(), cgroup)) {
    if (created != nullptr) *created = false;
    return *data;
  }
  CgroupData& data = data_[device.name()][cgroup];
  ++size_;
  data.device = device.name();
  data.cgroup = cgroup;
  data.limits = limits_of(device, cgroup, policy);
  if (created != nullptr) *created = true;
  return data;
}

CgroupData* CgroupDataTable::find(std::string_view device, std::string_view cgroup) {
  auto d = data_.find(device);
  if (d == data_.end()) return nullptr;
  auto c = d->second.find(cgroup);
  return c == d->second.end() ? nullptr : &c->second;
}

const CgroupData* CgroupDataTable::find(std::string_view device, std::string_view cgroup) const {
  return const_cast<CgroupDataTable*>(this)->find(device, cgroup);
}

std::size_t CgroupDataTable::remove_cgroup(const std::string& cgroup) {
  std::size_t removed = 0;
  for (auto d = data_.begin(); d != data_.end();) {
    removed += d->second.erase(cgroup);
    d = d->second.empty() ? data_.erase(d) : std::next(d);
  }
  size_ -= removed;
  return removed;
}

std::size_t CgroupDataTable::release_device(const std::string& device) {
  auto d = data_.find(device);
  if (d == data_.end()) return 0;
  const std::size_t removed = d->second.size();
  data_.erase(d);
  size_ -= removed;
  return removed;
}

void CgroupDataTable::refresh(const Policy& policy, const Registry& registry) {
  for (auto& [device_name, by_cgroup] : data_) {
    const std::shared_ptr<Device> device = registry.find(device_name);
    if (!device) continue;
    for (auto& [cgroup, data] : by_cgroup) data.limits = limits_of(*device, cgroup, policy);
  }
}

std::vector<const CgroupData*> CgroupDataTable::entries() const {
  std::vector<const CgroupData*> out;
  out.reserve(size_);
  for (const auto& [device, by_cgroup] : data_) {
    for (const auto& [cgroup, data] : by_cgroup) out.push_back(&data);
  }
  return out;
}

std::size_t CgroupDataTable::count(std::string_view device) const {
  if (device.empty()) return size_;
  auto d = data_.find(device);
  return d == data_.end() ? 0 : d->second.size();
}

void CgroupDataTable::visit_from(std::string_view device, std::size_t first,
                                 const std::function<bool(const CgroupData&)>& visit) const {
  auto d = device.empty() ? data_.begin() : data_.find(device);
  const auto last = device.empty() || d == data_.end() ? data_.end() : std::next(d);
  for (; d != last; ++d) {
    const ByCgroup& by_cgroup = d->second;
    if (first >= by_cgroup.size()) {
      first -= by_cgroup.size();
      continue;
    }
    for (auto c = std::next(by_cgroup.begin(), static_cast<std::ptrdiff_t>(first));
         c != by_cgroup.end(); ++c) {
      if (!visit(c->second)) return;
    }
    first = 0;
  }
}

}  // namespace perfqos
