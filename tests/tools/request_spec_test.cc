// SPEC syntax of perfqosctl (DESIGN §6).
#include "tools/request_spec.h"

#include <gtest/gtest.h>

#include "tools/cpu_set_spec.h"

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

namespace perfqos::tools {
namespace {

TEST(RequestSpec, NamedKnobEndsKeepTheirDot) {
  RequestSpec s = parse_ok("policy0.epp.min=balance_performance");
  EXPECT_EQ(s.device, "policy0");
  EXPECT_EQ(s.knob, "epp.min");
  s = parse_ok("ff9a0000.gpu.profile.max=quiet");  // a dotted device name too
  EXPECT_EQ(s.device, "ff9a0000.gpu");
  EXPECT_EQ(s.knob, "profile.max");
  s = parse_ok("a.b.min=3");  // "b.min" is no named knob: b is part of the device
  EXPECT_EQ(s.device, "a.b");
  EXPECT_EQ(s.knob, "min");
}

TEST(CpuSetSpec, CpuListsInTheKernelsSyntax) {
  std::vector<int> cpus;
  ASSERT_TRUE(parse_cpu_list("2-5", &cpus).ok());
  EXPECT_EQ(cpus, (std::vector<int>{2, 3, 4, 5}));
  ASSERT_TRUE(parse_cpu_list("7,0-1,1,3", &cpus).ok());
  EXPECT_EQ(cpus, (std::vector<int>{0, 1, 3, 7}));
  ASSERT_TRUE(parse_cpu_list("0-15:2/4", &cpus).ok());  // the first 2 of every 4
  EXPECT_EQ(cpus, (std::vector<int>{0, 1, 4, 5, 8, 9, 12, 13}));
  for (const char* bad : {"", "5-2", "a", "1,,2", "0-8192", "-1", "0-3:3/2", "0-3:0/2", "1-"}) {
    const Status s = parse_cpu_list(bad, &cpus);
    EXPECT_EQ(s.code(), EINVAL) << bad;
    EXPECT_NE(s.message().find("expected N, N-M or N-M:USED/GROUP"), std::string::npos) << bad;
  }
}

TEST(CpuSetSpec, CpusListExpandsToOneSpecPerCpu) {
  std::vector<std::string> out;
  ASSERT_TRUE(expand_cpu_sets({"cpu_dma_latency=20", "cpus[0,2-3].resume_latency=0"}, &out).ok());
  EXPECT_EQ(out, (std::vector<std::string>{"cpu_dma_latency=20", "cpu0.resume_latency=0",
                                           "cpu2.resume_latency=0", "cpu3.resume_latency=0"}));
  EXPECT_EQ(expand_cpu_sets({"cpus[0-1]=0"}, &out).code(), EINVAL);
  EXPECT_EQ(expand_cpu_sets({"cpus[0-1.resume_latency=0"}, &out).code(), EINVAL);
  const Status s = expand_cpu_sets({"cpus[9-x].resume_latency=0"}, &out);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_NE(s.message().find("'cpus[9-x].resume_latency=0': CPU list '9-x'"), std::string::npos)
      << s.message();
}

}  // namespace
}  // namespace perfqos::tools
