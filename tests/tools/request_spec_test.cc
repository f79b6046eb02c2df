// SPEC syntax of perfqosctl (DESIGN §6).
#include "tools/request_spec.h"

#include <gtest/gtest.h>

namespace perfqos::tools {
namespace {

RequestSpec parse_ok(std::string_view text) {
  RequestSpec spec;
  Status s = parse_request_spec(text, &spec);
  EXPECT_TRUE(s.ok()) << text << ": " << s.message();
  return spec;
}

TEST(RequestSpec, DeviceOnlyKnobAndNamedKnobs) {
  RequestSpec s = parse_ok("cpu_dma_latency=20");
  EXPECT_EQ(s.device, "cpu_dma_latency");
  EXPECT_EQ(s.knob, "");
  EXPECT_EQ(s.value, "20");
  s = parse_ok("cpu0.resume_latency=20");
  EXPECT_EQ(s.device, "cpu0");
  EXPECT_EQ(s.knob, "resume_latency");
  s = parse_ok("gpu.min=600");
  EXPECT_EQ(s.knob, "min");
  s = parse_ok("policy0.max=1800000");
  EXPECT_EQ(s.device, "policy0");
  EXPECT_EQ(s.knob, "max");
  s = parse_ok("eth0.flags=no_power_off");
  EXPECT_EQ(s.value, "no_power_off");
}

TEST(RequestSpec, DottedDeviceNamesKeepTheirDots) {
  RequestSpec s = parse_ok("ff9a0000.gpu.max=400000000");
  EXPECT_EQ(s.device, "ff9a0000.gpu");
  EXPECT_EQ(s.knob, "max");
  s = parse_ok("ff9a0000.gpu=5");  // "gpu" is no knob name: all of it is the device
  EXPECT_EQ(s.device, "ff9a0000.gpu");
  EXPECT_EQ(s.knob, "");
}

TEST(RequestSpec, MalformedSpecsAreRejected) {
  RequestSpec spec;
  for (const char* bad : {"cpu0", "=5", "cpu0=", ".min=5", ""}) {
    Status s = parse_request_spec(bad, &spec);
    EXPECT_EQ(s.code(), EINVAL) << bad;
    EXPECT_NE(s.message().find("DEVICE"), std::string::npos) << s.message();
  }
}

}  // namespace
}  // namespace perfqos::tools
