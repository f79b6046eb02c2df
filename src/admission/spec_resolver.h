// Requests written as perfqosctl SPECs (DESIGN §6, tools/request_spec.h) and read by the daemon
// itself: for D-Bus callers (Hold) and for profiles (profiles.h). The same syntax
// (cpus[LIST].KNOB=V too), the same value words and units as perfqosctl, errors worded as it words
// them.
//
// Thread safety: the thread that owns the Broker.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "admission/admission.h"
#include "model/broker.h"
#include "util/status.h"

namespace perfqos::admission {

struct ResolvedSpec {
  std::string text;  // one SPEC as written (after cpus[LIST] expansion)
  RequestTarget target;
  std::int32_t value = 0;
};

// Resolves every SPEC of `texts`, all or nothing (`*out` is appended to only on success).
// EINVAL names the SPEC and what is wrong (syntax, knob, value and its allowed range); ENODEV
// names the device.
Status resolve_specs(const Broker& broker, const Admission& admission,
                     const std::vector<std::string>& texts, std::vector<ResolvedSpec>* out);

}  // namespace perfqos::admission
