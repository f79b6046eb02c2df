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

// Resolves every SPEC of `texts`, all or nothing (`*out` is appended to only on success), into
// at most `max_requests` requests: E2BIG, naming the limit, for more once cpus[LIST] is
// expanded (checked before any CPU beyond it is listed: a caller's short list of SPECs cannot
// make the loop build millions). EINVAL names the SPEC and what is wrong (syntax, knob, value
// and its allowed range); ENODEV names the device.
Status resolve_specs(const Broker& broker, const Admission& admission,
                     const std::vector<std::string>& texts, std::size_t max_requests,
                     std::vector<ResolvedSpec>* out);

// `text`, a SPEC's VALUE (a number, with or without a unit, or a word of a named knob), as a
// value of `knob`; EINVAL names `what` ("policy0.min") and the allowed values. `*value` is set
// only on success.
Status resolve_value(const Knob& knob, const std::string& what, const std::string& text,
                     std::int32_t* value);

}  // namespace perfqos::admission
