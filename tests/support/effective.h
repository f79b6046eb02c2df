// What tests ask a real perfqosd most often, said once: the effective value of a device's only
// knob over a fresh libperfqos connection, names that parallel tests do not share, and the
// constants they compare with.
#pragma once

#include <sys/types.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "perfqos/client.h"

namespace perfqos::testing {

// cpu_dma_latency's effective value with no request (the kernel's PM_QOS default, 2 s in µs).
inline constexpr std::int32_t kLatencyNoConstraint = 2000000000;
// nobody, the unprivileged user tests run clients as.
inline constexpr uid_t kNobody = 65534;

// The effective value of `device`'s only knob; -1 when perfqosd cannot be reached, the negative
// errno of a failed read.
inline std::int32_t effective(const std::string& socket, const char* device) {
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), 5000, &c) != 0) return -1;
  perfqos_effective e{};
  const int rc = perfqos_read(c, device, nullptr, &e);
  perfqos_close(c);
  return rc == 0 ? e.value : rc;
}

// `prefix` and this process's pid: a cgroup or file name no parallel test run shares.
inline std::string unique(const std::string& prefix) {
  return prefix + std::to_string(::getpid());
}

}  // namespace perfqos::testing
