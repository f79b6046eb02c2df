// TestPerfDevices: perf QoS devices made up from the command line, for tests only. They live in
// perfqosd-testbed (tests/support/CMakeLists.txt), the daemon built with this one extra part,
// never in the installed perfqosd. It registers one per `--test-perf-device
// NAME:UNIT:MIN:MAX` (UNIT "normal" or "kbps"); they have no backend.
// SIGUSR1 unregisters all of them (their requests are dropped, their FUSE nodes vanish, open
// files get ENODEV) and the next SIGUSR1 registers them again: the tests' way to make a device
// disappear and come back.
//
// Thread safety: confined to the loop thread. start() must run before any other thread exists
// (it blocks SIGUSR1, which the threads created later inherit).
#pragma once

#include <string>
#include <vector>

#include "daemon/daemon.h"
#include "daemon/event_loop.h"
#include "model/broker.h"
#include "util/log.h"
#include "util/unique_fd.h"

namespace perfqos::daemon {

// "gpu:normal:0:1024" -> a perf device spec. EINVAL names what is wrong.
Status parse_test_perf_device(const std::string& text, DeviceSpec* out);

class TestPerfDevices final : public DaemonPart {
 public:
  explicit TestPerfDevices(std::vector<std::string> specs) : spec_texts_(std::move(specs)) {}
  ~TestPerfDevices() override = default;
  TestPerfDevices(const TestPerfDevices&) = delete;
  TestPerfDevices& operator=(const TestPerfDevices&) = delete;

  // Registers every spec; when there is any, watches SIGUSR1. Nothing happens for none.
  Status start(Broker& broker, EventLoop& loop, const Logger& log) override;
  // Stops watching SIGUSR1 (the loop is about to go); the devices stay with the broker.
  void stop() override;

 private:
  void toggle();

  std::vector<std::string> spec_texts_;
  Broker* broker_ = nullptr;
  EventLoop* loop_ = nullptr;
  const Logger* log_ = nullptr;
  std::vector<DeviceSpec> specs_;
  bool registered_ = false;
  UniqueFd signal_fd_;
};

}  // namespace perfqos::daemon
