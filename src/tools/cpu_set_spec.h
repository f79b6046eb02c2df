// CPU-set SPECs (issue #17 point 3): `cpus[LIST].KNOB=VALUE` stands for one request on each
// listed CPU's device (`cpus[2-5].resume_latency=0` is cpu2..cpu5 resume_latency=0), held and
// dropped as one unit with the rest of the command's requests. LIST is the kernel's cpulist
// syntax (Documentation/admin-guide/kernel-parameters.rst, "cpu lists"): comma-separated CPU
// numbers and ranges N-M, a range optionally strided as N-M:USED/GROUP (the first USED CPUs of
// every GROUP).
//
// Thread safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace perfqos::tools {

// The highest CPU number a list may name (the kernel's NR_CPUS is at most 8192).
inline constexpr int kMaxCpuNumber = 8191;
// Requests one perfqosctl command may expand to: a min and a max on every CPU of the largest
// machine. The daemon's own readers (D-Bus Hold) pass a smaller cap.
inline constexpr std::size_t kMaxRequestsPerCommand = 2 * (kMaxCpuNumber + 1);

// Parses a cpulist ("0-3,8,10-15:2/4") into ascending CPU numbers without duplicates. EINVAL
// names the list and the part that is wrong.
Status parse_cpu_list(std::string_view list, std::vector<int>* cpus);

// Each SPEC of `texts` as it is, except `cpus[LIST].REST` which becomes `cpuN.REST` for each
// listed N, in order. At most `max` SPECs come out: E2BIG names the SPEC that would pass it and
// the limit, found without listing more than `max` CPUs of any part of a list (so a caller's
// cap also bounds the work). EINVAL names the SPEC. *out is left alone on error.
Status expand_cpu_sets(const std::vector<std::string>& texts, std::size_t max,
                       std::vector<std::string>* out);

}  // namespace perfqos::tools
