// TestPerfDevices: perf QoS devices made up from the command line, FOR TESTS ONLY, until perf
// devices come from the config (DESIGN §8). perfqosd registers one per
// `--test-perf-device NAME:UNIT:MIN:MAX` (UNIT "normal" or "kbps"); they have no backend.
// SIGUSR1 unregisters all of them (their requests are dropped, their FUSE nodes vanish, open
// files get ENODEV) and the next SIGUSR1 registers them again: the tests' way to make a device
// disappear and come back.
//
// Thread safety: confined to the loop thread. start() must run before any other thread exists
// (it blocks SIGUSR1, which the threads created later inherit).
#pragma once

#include <string>
#include <vector>

#include "daemon/event_loop.h"
#include "daemon/log.h"
#include "daemon/unique_fd.h"
#include "perfqos/broker.h"

namespace perfqos::daemon {

// "gpu:normal:0:1024" -> a perf device spec. EINVAL names what is wrong.
Status parse_test_perf_device(const std::string& text, DeviceSpec* out);

class TestPerfDevices {
 public:
  TestPerfDevices(Broker& broker, EventLoop& loop, const Logger& log)
      : broker_(broker), loop_(loop), log_(log) {}
  ~TestPerfDevices();
  TestPerfDevices(const TestPerfDevices&) = delete;
  TestPerfDevices& operator=(const TestPerfDevices&) = delete;

  // Registers every spec; when there is any, watches SIGUSR1. Nothing happens for none.
  Status start(const std::vector<std::string>& specs);

 private:
  void toggle();

  Broker& broker_;
  EventLoop& loop_;
  const Logger& log_;
  std::vector<DeviceSpec> specs_;
  bool registered_ = false;
  UniqueFd signal_fd_;
};

}  // namespace perfqos::daemon
