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
  ASSERT_TRUE(
      expand_cpu_sets({"cpu_dma_latency=20", "cpus[0,2-3].resume_latency=0"}, 16, &out).ok());
  EXPECT_EQ(out, (std::vector<std::string>{"cpu_dma_latency=20", "cpu0.resume_latency=0",
                                           "cpu2.resume_latency=0", "cpu3.resume_latency=0"}));
  EXPECT_EQ(expand_cpu_sets({"cpus[0-1]=0"}, 16, &out).code(), EINVAL);
  EXPECT_EQ(expand_cpu_sets({"cpus[0-1.resume_latency=0"}, 16, &out).code(), EINVAL);
  const Status s = expand_cpu_sets({"cpus[9-x].resume_latency=0"}, 16, &out);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_NE(s.message().find("'cpus[9-x].resume_latency=0': CPU list '9-x'"), std::string::npos)
      << s.message();
}

// The cap bounds the work too: a list naming more than it is refused before it is listed.
TEST(CpuSetSpec, ExpansionStopsAtTheCapAndNamesIt) {
  std::vector<std::string> out{"kept"};
  ASSERT_TRUE(expand_cpu_sets({"a=1", "cpus[0-2].resume_latency=0"}, 4, &out).ok());
  EXPECT_EQ(out.size(), 4u);
  out = {"kept"};
  for (const std::vector<std::string>& texts :
       {std::vector<std::string>{"a=1", "cpus[0-3].resume_latency=0"},
        std::vector<std::string>{"cpus[0-8191].resume_latency=0"},
        std::vector<std::string>{"cpus[0-1,2-3,4].resume_latency=0"},
        std::vector<std::string>{"cpus[0-3].resume_latency=0", "a=1"},
        std::vector<std::string>{"a=1", "b=1", "c=1", "d=1", "e=1"}}) {
    const Status s = expand_cpu_sets(texts, 4, &out);
    EXPECT_EQ(s.code(), E2BIG) << texts.back();
    EXPECT_NE(s.message().find("more than 4 requests in all"), std::string::npos) << s.message();
  }
  EXPECT_EQ(out, std::vector<std::string>{"kept"});
  // Overlapping parts count once; a sparse stride costs what it names.
  ASSERT_TRUE(expand_cpu_sets({"cpus[0-3,0-3,1].x=0", "cpus[0-8191:1/4096].y=0"}, 6, &out).ok());
  EXPECT_EQ(out, (std::vector<std::string>{"cpu0.x=0", "cpu1.x=0", "cpu2.x=0", "cpu3.x=0",
                                           "cpu0.y=0", "cpu4096.y=0"}));
  // 256 SPECs of the largest list, the D-Bus amplification: refused at the first.
  const std::vector<std::string> flood(256, "cpus[0-8191].resume_latency=0");
  EXPECT_EQ(expand_cpu_sets(flood, 256, &out).code(), E2BIG);
}

}  // namespace
}  // namespace perfqos::tools
