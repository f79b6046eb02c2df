// The CPUs of a `--cpus-of` request as clients see them (perfqosctl, perfqos-oci-hook): the
// SPEC names the device `cpus` (`cpus.resume_latency=0`) and its value is read as that knob of
// a CPU the daemon serves, so units and words are the same as for `cpuN.KNOB=V`.
//
// Thread safety: pure functions.
#pragma once

#include <string_view>
#include <vector>

#include "perfqos/client.h"

namespace perfqos::tools {

// The device a SPEC names for "the CPUs of the --cpus-of cgroup".
inline constexpr char kCpusDevice[] = "cpus";

// The first device of kind "cpu" that has a knob named `knob`; null when there is none.
const perfqos_device_info* first_cpu_with_knob(const std::vector<perfqos_device_info>& devices,
                                               std::string_view knob);

}  // namespace perfqos::tools
