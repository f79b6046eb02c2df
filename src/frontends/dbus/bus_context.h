// What every object of the D-Bus front end works with: the model, the one admission path, the
// connection quota a hold takes a slot of, the callers' identities and the bus itself.
//
// Thread safety: confined to the loop thread.
#pragma once

#include <systemd/sd-bus.h>

#include <cstddef>
#include <string>
#include <string_view>

#include "admission/admission.h"
#include "cgroup/cpuset_follower.h"
#include "frontends/dbus/bus_callers.h"
#include "model/broker.h"
#include "policy/connection_quota.h"
#include "util/log.h"

namespace perfqos::dbus {

struct BusContext {
  Broker& broker;
  admission::Admission& admission;
  daemon::ConnectionQuota* quota;  // null: holds are not counted per uid
  const daemon::Logger& log;
  daemon::CpusetFollower* cpusets = nullptr;  // null: no HoldCpusOf (no cgroup2)
  BusCallers callers{};
  sd_bus* bus = nullptr;
};

// At most this many holds per unique name (native and profile holds each): a bus connection is
// one caller, and the connection quota bounds the holds of a uid.
inline constexpr std::size_t kMaxHoldsPerName = 256;

// Ok when `text` is at most `max` bytes without control characters; EINVAL naming `field`
// otherwise.
Status check_text(std::string_view field, std::string_view text, std::size_t max);

}  // namespace perfqos::dbus
