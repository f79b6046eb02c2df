#include "cgroup/cgroup_data_tracker.h"

namespace perfqos::daemon {

CgroupDataTracker::CgroupDataTracker(Registry& registry, const PolicyStore& policy,
                                     CgroupWatcher* watcher, const Logger& log)
    : registry_(registry), policy_(policy), watcher_(watcher), log_(log) {
  registry_listener_ =
      registry_.subscribe([this](RegistryEvent event, const std::shared_ptr<Device>& device) {
        if (event != RegistryEvent::kRemoved) return;
        if (const std::size_t n = table_.release_device(device->name()); n > 0) {
          log_.debug("per-cgroup data: device " + device->name() + " unregistered: released " +
                     std::to_string(n) + " entries");
        }
      });
}

CgroupDataTracker::~CgroupDataTracker() {
  registry_.unsubscribe(registry_listener_);
  if (watcher_ != nullptr) {
    for (const auto& [cgroup, id] : watches_) watcher_->unwatch(id);
  }
}

void CgroupDataTracker::record(const std::string& device, const std::string& cgroup,
                               bool admitted) {
  if (cgroup.empty()) return;
  if (CgroupData* data = table_.find(device, cgroup)) {  // the usual case: no allocation
    ++(admitted ? data->counters.admitted : data->counters.refused);
    return;
  }
  const std::shared_ptr<Device> d = registry_.find(device);
  if (!d) return;
  CgroupData& data = table_.get(*d, cgroup, *policy_.current());
  ++(admitted ? data.counters.admitted : data.counters.refused);
  log_.debug("per-cgroup data: created for " + cgroup + " on " + device);
  if (watcher_ == nullptr || cgroup == "/" || watches_.count(cgroup) != 0) return;
  CgroupState now = CgroupState::kMissing;
  const std::uint64_t id = watcher_->watch(
      cgroup,
      [this](const std::string& which, CgroupState state) {
        if (state == CgroupState::kMissing) forget_cgroup(which);
      },
      &now);
  watches_.emplace(cgroup, id);
  if (now == CgroupState::kMissing) forget_cgroup(cgroup);
}

void CgroupDataTracker::forget_cgroup(const std::string& cgroup) {
  const std::size_t n = table_.remove_cgroup(cgroup);
  if (auto it = watches_.find(cgroup); it != watches_.end()) {
    watcher_->unwatch(it->second);
    watches_.erase(it);
  }
  if (n > 0) {
    log_.debug("per-cgroup data: cgroup " + cgroup + " removed: destroyed " + std::to_string(n) +
               " entries");
  }
}

void CgroupDataTracker::refresh() {
  table_.refresh(*policy_.current(), registry_);
}

}  // namespace perfqos::daemon
