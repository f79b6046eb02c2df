#include "policy/container_policy.h"

#include <cerrno>

#include "policy/policy.h"

namespace perfqos {

namespace {

// The [[container]] that would admit the request, as config lines to paste (docs/config.md).
std::string needed_rule(std::string_view device, std::string_view knob, std::int32_t value) {
  return "add to the perfqosd config:\n  [[container]]\n  device = \"" + std::string(device) +
         "\"\n  knob = \"" + std::string(knob) + "\"\n  min = " + std::to_string(value) +
         "\n  max = " + std::to_string(value);
}

}  // namespace

bool ContainerRule::matches_target(std::string_view device_name, std::string_view knob_name) const {
  return glob_matches(device, std::string(device_name)) && knob_matches(knob, knob_name);
}

std::vector<ContainerRule> default_container_rules() {
  std::vector<ContainerRule> rules;
  for (const char* device : {"cpu_dma_latency", "network_latency", "cpu_wakeup_latency"}) {
    rules.push_back(ContainerRule{device, "latency", 0, INT32_MAX, kBuiltInOrigin});
  }
  // "cpu[0-9]*", not "cpu*": the CPUs, not every device whose name begins so.
  rules.push_back(ContainerRule{"cpu[0-9]*", "resume_latency", 0, INT32_MAX, kBuiltInOrigin});
  return rules;
}

Status authorize_container(const std::vector<ContainerRule>& rules, std::string_view device,
                           std::string_view knob, std::int32_t value) {
  const std::string what =
      std::string(device) + "." + std::string(knob) + "=" + std::to_string(value);
  std::string ranges;
  for (const ContainerRule& r : rules) {
    if (!r.matches_target(device, knob)) continue;
    if (value == -1 || (r.min <= value && value <= r.max)) return Status::Ok();
    ranges += (ranges.empty() ? "" : ", ") + std::to_string(r.min) + ".." + std::to_string(r.max) +
              " (" + r.origin + ")";
  }
  if (!ranges.empty()) {
    return Status::Error(EACCES, what +
                                     ": outside what containers may ask: the [[container]] "
                                     "policy allows " +
                                     ranges + "; to allow it, " + needed_rule(device, knob, value));
  }
  return Status::Error(EACCES, what +
                                   ": containers may not ask for it: no [[container]] entry "
                                   "covers " +
                                   std::string(device) + "." + std::string(knob) +
                                   "; to allow it, " + needed_rule(device, knob, value));
}

}  // namespace perfqos
