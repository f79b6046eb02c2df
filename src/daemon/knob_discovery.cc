#include "daemon/knob_discovery.h"

#include "backends/discovery.h"

namespace perfqos::daemon {

Status KnobDiscovery::rescan(std::uint32_t* added, std::uint32_t* removed) {
  backends::Discovery found = backends::discover_devices(root_, journal_);
  for (const std::string& w : found.warnings) log_.info("discovery: " + w);
  std::set<std::string> now;
  for (const auto& d : found.devices) now.insert(d.spec.name);

  std::uint32_t gone = 0, fresh = 0;
  for (auto it = names_.begin(); it != names_.end();) {
    if (now.contains(*it)) {
      ++it;
      continue;
    }
    if (broker_.unregister_device(*it).ok()) ++gone;
    log_.info("device " + *it + " vanished: unregistered");
    it = names_.erase(it);
  }
  for (auto& d : found.devices) {
    if (names_.contains(d.spec.name)) continue;
    const std::string name = d.spec.name;
    if (Status s = broker_.register_device(std::move(d.spec), std::move(d.backend)); !s.ok()) {
      log_.warning("discovery: " + s.message());
      continue;
    }
    names_.insert(name);
    ++fresh;
  }
  if (fresh + gone > 0) {
    log_.info("discovery: " + std::to_string(fresh) + " devices added, " + std::to_string(gone) +
              " removed");
  }
  if (added != nullptr) *added = fresh;
  if (removed != nullptr) *removed = gone;
  return Status::Ok();
}

}  // namespace perfqos::daemon
