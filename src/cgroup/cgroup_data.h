// CgroupDataTable: data a device keeps per client cgroup, after the cgroup driver-data model
// (a driver stores its own data per cgroup and per device it manages):
//   - created on the first request from a cgroup to a device (get()),
//   - destroyed when the cgroup is removed (remove_cgroup(): every device's data of it),
//   - released when the device goes away (release_device(): all of that device's data).
// Each entry holds the caps and floors the policy sets for that cgroup on that device's knobs
// (recomputed by refresh() when the policy changes) and counters of what members of the cgroup
// asked for.
//
// No I/O: noticing that a cgroup was removed is the caller's job (the daemon's cgroup watcher).
//
// Thread safety: confined to the thread that owns the Broker.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "model/device.h"
#include "model/registry.h"
#include "policy/policy.h"

namespace perfqos {

struct CgroupCounters {
  std::uint64_t admitted = 0;  // requests of members the policy admitted
  std::uint64_t refused = 0;   // requests the policy refused them
};

struct CgroupData {
  std::string device;
  std::string cgroup;
  // One entry per knob of the device that has a floor or a cap for this cgroup.
  std::vector<CgroupLimit> limits;
  CgroupCounters counters;
};

class CgroupDataTable {
 public:
  CgroupDataTable() = default;
  CgroupDataTable(const CgroupDataTable&) = delete;
  CgroupDataTable& operator=(const CgroupDataTable&) = delete;

  // The data of `cgroup` on `device`, created (with its limits from `policy`) if there is none;
  // `*created` (if not null) says whether it was. REQUIRES: cgroup is not empty.
  CgroupData& get(const Device& device, const std::string& cgroup, const Policy& policy,
                  bool* created = nullptr);
  // Null when there is none. Allocates nothing (the daemon looks up on every request).
  CgroupData* find(std::string_view device, std::string_view cgroup);
  const CgroupData* find(std::string_view device, std::string_view cgroup) const;

  // The cgroup was removed: destroys its data on every device. Returns how many entries.
  std::size_t remove_cgroup(const std::string& cgroup);
  // The device went away: releases all of its data. Returns how many entries.
  std::size_t release_device(const std::string& device);
  // The policy changed: recompute every entry's limits (counters are kept).
  void refresh(const Policy& policy, const Registry& registry);

  // Every entry, in (device, cgroup) order. O(n): a copy of them all.
  std::vector<const CgroupData*> entries() const;
  // How many entries `device` has ("" = every device). O(devices).
  std::size_t count(std::string_view device) const;
  // Calls `visit` on the entries of `device` ("" = every device) from position `first` of that
  // listing on, in entries() order, until it returns false. For a CGROUP_DATA page: whole
  // devices are skipped by their sizes, so O(devices + first's place within its device +
  // visited), never a copy of the table. `visit` must not change the table.
  void visit_from(std::string_view device, std::size_t first,
                  const std::function<bool(const CgroupData&)>& visit) const;
  std::size_t size() const { return size_; }

 private:
  static std::vector<CgroupLimit> limits_of(const Device& device, const std::string& cgroup,
                                            const Policy& policy);
  // device -> cgroup -> data; transparent comparators let lookups by string_view allocate nothing.
  using ByCgroup = std::map<std::string, CgroupData, std::less<>>;
  std::map<std::string, ByCgroup, std::less<>> data_;
  std::size_t size_ = 0;
};

}  // namespace perfqos
