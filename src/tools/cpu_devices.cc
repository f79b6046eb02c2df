#include "tools/cpu_devices.h"

#include <string>

namespace perfqos::tools {

const perfqos_device_info* first_cpu_with_knob(const std::vector<perfqos_device_info>& devices,
                                               std::string_view knob) {
  for (const perfqos_device_info& d : devices) {
    if (std::string_view(d.kind) != "cpu") continue;
    for (std::size_t k = 0; k < d.knob_count; ++k) {
      if (knob == d.knobs[k].name) return &d;
    }
  }
  return nullptr;
}

}  // namespace perfqos::tools
