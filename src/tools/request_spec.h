// The SPEC syntax of DESIGN §6: `DEVICE=V` for a device's only knob, `DEVICE.KNOB=V` otherwise
// (`cpu0.resume_latency=20`, `gpu.min=600`, `policy0.max=1800000`, `eth0.flags=no_power_off`,
// `policy0.epp.min=balance_performance`, `platform_profile.profile.max=balanced`).
// Device names may contain dots (`ff9a0000.gpu`): the part after the last dot is a knob only
// when it is a knob name.
#pragma once

#include <string>
#include <string_view>

#include "util/status.h"

namespace perfqos::tools {

struct RequestSpec {
  std::string device;
  std::string knob;   // "" for the device's only knob; "min"/"max", "epp.min", ... for range ends
  std::string value;  // as written; its spelling is checked against the knob later
};

// EINVAL names the SPEC and what is expected.
Status parse_request_spec(std::string_view text, RequestSpec* out);

}  // namespace perfqos::tools
