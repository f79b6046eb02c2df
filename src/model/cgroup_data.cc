#include "perfqos/cgroup_data.h"

namespace perfqos {

std::vector<CgroupLimit> CgroupDataTable::limits_of(const Device& device, const std::string& cgroup,
                                                    const Policy& policy) {
  std::vector<CgroupLimit> out;
  for (const Knob* knob : device.knobs()) {
    std::vector<std::string> names;
    if (knob->is_range()) {
      names = {"min", "max"};
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
  auto [it, inserted] = data_.try_emplace({device.name(), cgroup});
  if (inserted) {
    it->second.device = device.name();
    it->second.cgroup = cgroup;
    it->second.limits = limits_of(device, cgroup, policy);
  }
  if (created != nullptr) *created = inserted;
  return it->second;
}

const CgroupData* CgroupDataTable::find(const std::string& device,
                                        const std::string& cgroup) const {
  auto it = data_.find({device, cgroup});
  return it == data_.end() ? nullptr : &it->second;
}

bool CgroupDataTable::has_cgroup(const std::string& cgroup) const {
  for (const auto& [key, data] : data_) {
    if (key.second == cgroup) return true;
  }
  return false;
}

std::size_t CgroupDataTable::remove_cgroup(const std::string& cgroup) {
  return std::erase_if(data_, [&](const auto& entry) { return entry.first.second == cgroup; });
}

std::size_t CgroupDataTable::release_device(const std::string& device) {
  return std::erase_if(data_, [&](const auto& entry) { return entry.first.first == device; });
}

void CgroupDataTable::refresh(const Policy& policy, const Registry& registry) {
  for (auto& [key, data] : data_) {
    if (auto device = registry.find(key.first))
      data.limits = limits_of(*device, key.second, policy);
  }
}

std::vector<const CgroupData*> CgroupDataTable::entries() const {
  std::vector<const CgroupData*> out;
  out.reserve(data_.size());
  for (const auto& [key, data] : data_) out.push_back(&data);
  return out;
}

}  // namespace perfqos
