// KnobDiscovery: keeps the broker's discovered devices in step with the sysfs root, at start and
// on RESCAN: devices that appeared are registered, devices that vanished are unregistered (their
// holders get ENODEV), devices still there are left alone with their requests. A device whose
// description changed (a named knob's choices, a frequency range's limits) is unregistered and
// registered again as found: its requests were judged against what is no longer true, so they
// end (ENODEV) and it counts as removed and added. The PM QoS class devices are not its business.
//
// Thread safety: the thread that owns the Broker.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "backends/journal/knob_journal.h"
#include "backends/sysfs.h"
#include "model/broker.h"
#include "util/log.h"

namespace perfqos::daemon {

class KnobDiscovery {
 public:
  KnobDiscovery(Broker& broker, std::shared_ptr<backends::SysfsRoot> root,
                std::shared_ptr<backends::KnobJournal> journal, const Logger& log)
      : broker_(broker), root_(std::move(root)), journal_(std::move(journal)), log_(log) {}

  // `added`/`removed` may be null. Devices that cannot be registered are logged and skipped, so
  // this always succeeds; the Status is for the RESCAN reply.
  Status rescan(std::uint32_t* added, std::uint32_t* removed);

 private:
  Broker& broker_;
  std::shared_ptr<backends::SysfsRoot> root_;
  std::shared_ptr<backends::KnobJournal> journal_;
  const Logger& log_;
  std::map<std::string, DeviceSpec> specs_;  // what discovery registered, by name
};

}  // namespace perfqos::daemon
