// A DeviceBackend for tests: records every apply and fails on demand.
#pragma once

#include <cerrno>
#include <string>
#include <vector>

#include "model/device.h"

namespace perfqos::testing {

struct Apply {
  std::string device;
  KnobId knob;
  Range value;  // one-valued knobs: {v, v}
  bool operator==(const Apply&) const = default;
};

class RecordingBackend : public DeviceBackend {
 public:
  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override {
    return record(Apply{device.name(), knob, Range{value, value}});
  }
  Status apply_range(const Device& device, KnobId knob, Range range) override {
    return record(Apply{device.name(), knob, range});
  }

  std::vector<Apply> applied;
  int fail_with = 0;  // errno to fail every apply with; 0 = succeed

 private:
  Status record(Apply a) {
    if (fail_with != 0) return Status::Error(fail_with, "injected failure");
    applied.push_back(std::move(a));
    return Status::Ok();
  }
};

}  // namespace perfqos::testing
