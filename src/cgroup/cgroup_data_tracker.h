// CgroupDataTracker: keeps every device's per-cgroup data (perfqos/cgroup_data.h) through the
// life cycle of the cgroup driver-data model, on the daemon's loop:
//   - an entry is created on the first request a member of a cgroup places on a device, from
//     any front end (socket ADD/UPDATE/BIND, FUSE write/open/ioctl), admitted or refused;
//   - a cgroup's entries are destroyed when the cgroup is removed (CgroupWatcher reports it
//     missing; a cgroup already gone when its first entry is made is dropped at once);
//   - a device's entries are released when the device leaves the registry;
//   - reload(): every entry's caps and floors are recomputed from the policy now in force
//     (counters are kept).
// The root cgroup ("/") never goes away and is not watched; requests from callers whose cgroup
// is unknown ("") have no per-cgroup data.
//
// Thread safety: confined to the loop thread (which serves FUSE too).
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include "admission/admission.h"
#include "cgroup/cgroup_data.h"
#include "cgroup/cgroup_watcher.h"
#include "model/registry.h"
#include "policy/policy_store.h"
#include "util/log.h"

namespace perfqos::daemon {

class CgroupDataTracker : public admission::AdmissionCounter {
 public:
  // `watcher` may be null (no cgroup2): entries then live until their device goes.
  // REQUIRES: registry, policy, log and watcher (if any) outlive the tracker.
  CgroupDataTracker(Registry& registry, const PolicyStore& policy, CgroupWatcher* watcher,
                    const Logger& log);
  ~CgroupDataTracker() override;
  CgroupDataTracker(const CgroupDataTracker&) = delete;
  CgroupDataTracker& operator=(const CgroupDataTracker&) = delete;

  // A member of `cgroup` asked for something on `device`: counts it as admitted or refused,
  // creating the entry first if needed. No-op for an unknown cgroup or device. The Admission
  // calls it (AdmissionCounter) for every decision it counts.
  void record(const std::string& device, const std::string& cgroup, bool admitted) override;
  // The policy changed: recompute every entry's limits.
  void refresh();

  const CgroupDataTable& table() const { return table_; }

 private:
  void forget_cgroup(const std::string& cgroup);

  Registry& registry_;
  const PolicyStore& policy_;
  CgroupWatcher* watcher_;
  const Logger& log_;
  CgroupDataTable table_;
  std::uint64_t registry_listener_ = 0;
  std::map<std::string, std::uint64_t> watches_;  // cgroup -> CgroupWatcher id
};

}  // namespace perfqos::daemon
