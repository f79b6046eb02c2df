// What the daemon benchmarks do through libperfqos again and again: connect or die, read a
// knob's effective value and request count, wait until a knob is back at its default.
// Failures end the benchmark with the program's name, what failed and the library's message.
#pragma once

#include <errno.h>  // program_invocation_short_name

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include "perfqos/client.h"

namespace perfqos::bench {

[[noreturn]] inline void die(const std::string& what, const perfqos_client* c = nullptr) {
  std::fprintf(stderr, "%s: %s: %s\n", program_invocation_short_name, what.c_str(),
               perfqos_last_error(c));
  std::exit(1);
}

inline perfqos_client* connect_or_die(const std::string& socket, int timeout_ms = 60000) {
  perfqos_client* c = nullptr;
  if (perfqos_connect(socket.c_str(), timeout_ms, &c) != 0) die("connect");
  return c;
}

struct KnobState {
  std::int32_t effective;
  std::uint32_t active;  // requests held
};

// The first knob of `device`.
inline KnobState knob_state(perfqos_client* ctl, const char* device) {
  perfqos_device_info info{};
  if (perfqos_describe(ctl, device, &info) != 0) die("describe", ctl);
  return {info.knobs[0].effective.value, info.knobs[0].active_requests};
}

// Polls every 200 µs until `device` holds no request and reads `default_value`; returns the
// milliseconds from `since`, or -1 (and says so) after 60 s.
inline double wait_until_released(perfqos_client* ctl, const char* device,
                                  std::int32_t default_value,
                                  std::chrono::steady_clock::time_point since) {
  for (;;) {
    const KnobState s = knob_state(ctl, device);
    const auto now = std::chrono::steady_clock::now();
    if (s.active == 0 && s.effective == default_value) {
      return std::chrono::duration<double, std::milli>(now - since).count();
    }
    if (now - since > std::chrono::seconds(60)) {
      std::printf("  NOT released after 60 s: %u requests left, effective %d\n", s.active,
                  s.effective);
      return -1;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
}

}  // namespace perfqos::bench
