#include "daemon/knob_discovery.h"

#include "backends/discovery.h"

namespace perfqos::daemon {

Status KnobDiscovery::rescan(std::uint32_t* added, std::uint32_t* removed) {
  backends::Discovery found = backends::discover_devices(root_, journal_);
  for (const std::string& w : found.warnings) log_.info("discovery: " + w);
  std::map<std::string, const DeviceSpec*> now;
  for (const auto& d : found.devices) now.emplace(d.spec.name, &d.spec);

  std::uint32_t gone = 0, fresh = 0;
  for (auto it = specs_.begin(); it != specs_.end();) {
    const auto found_it = now.find(it->first);
    if (found_it != now.end() && *found_it->second == it->second) {
      ++it;
      continue;
    }
    // A changed device is still there: its knobs go back before it is registered again.
    if (broker_.unregister_device(it->first, /*release=*/found_it != now.end()).ok()) ++gone;
    log_.info("device " + it->first +
              (found_it == now.end() ? " vanished: unregistered"
                                     : " changed: registered again, its requests ended"));
    it = specs_.erase(it);
  }
  for (auto& d : found.devices) {
    if (specs_.contains(d.spec.name)) continue;
    DeviceSpec spec = d.spec;
    if (Status s = broker_.register_device(std::move(d.spec), std::move(d.backend)); !s.ok()) {
      log_.warning("discovery: " + s.message());
      continue;
    }
    specs_.emplace(spec.name, std::move(spec));
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
