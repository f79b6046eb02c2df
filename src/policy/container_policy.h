// The container policy ([[container]], DESIGN §8): what a container may have its runtime's hook
// (perfqos-oci-hook) bind to its cgroup. The hook runs as root, but what it asks for is written
// by a pod author, who is not trusted: a BIND marked `container` (protocol version 4) is judged
// by these rules alone, never by the grants or root's "anything".
//
// A rule admits a value on device.knob when its device glob and knob pattern (as a Grant's:
// policy.h) match the target and its [min, max] holds the value; -1 ("default") imposes nothing
// and any matching rule admits it. No rule, or none whose range holds the value: EACCES naming
// device.knob=value, the ranges that do apply and the [[container]] lines to paste.
//
// Without any [[container]] in the config, default_container_rules() apply: containers may ask
// for the PM QoS latency classes (cpu_dma_latency, network_latency, cpu_wakeup_latency) and a
// CPU's resume_latency, any value: what perfqos-oci-hook bound before the policy existed
// (docs/kubernetes.md), so that a machine without a config keeps working.
//
// Thread safety: values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace perfqos {

struct ContainerRule {
  std::string device = "*";  // glob
  std::string knob = "*";    // as a Grant's: "latency", "resume_latency", "range", "*", ...
  std::int32_t min = 0;
  std::int32_t max = INT32_MAX;
  std::string origin;  // "file:line", or kBuiltInOrigin

  bool matches_target(std::string_view device, std::string_view knob) const;
};

inline constexpr const char* kBuiltInOrigin = "built-in default: the config has no [[container]]";

// The rules in force when the config has none (see the file comment).
std::vector<ContainerRule> default_container_rules();

// Ok when `rules` admit `value` on device.knob (`knob` as users write it); EACCES otherwise.
Status authorize_container(const std::vector<ContainerRule>& rules, std::string_view device,
                           std::string_view knob, std::int32_t value);

}  // namespace perfqos
