// KnobDiscovery: keeps the broker's discovered devices in step with the sysfs root, at start and
// on RESCAN: devices that appeared are registered, devices that vanished are unregistered (their
// holders get ENODEV), devices still there are left alone with their requests. The PM QoS class
// devices are not its business.
//
// Thread safety: the thread that owns the Broker.
#pragma once

#include <memory>
#include <set>
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
  std::set<std::string> names_;  // what discovery registered
};

}  // namespace perfqos::daemon
