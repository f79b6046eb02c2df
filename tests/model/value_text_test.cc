// User spellings of knob values: one parser, one printer.
#include <gtest/gtest.h>

#include <climits>

#include "model/device_specs.h"
#include "model/value_text.h"

namespace perfqos {
namespace {

std::int32_t parse_ok(KnobId id, std::string_view text) {
  std::int32_t v = 12345;
  Status s = parse_request_value(id, text, "dev.knob", &v);
  EXPECT_TRUE(s.ok()) << text << ": " << s.message();
  return v;
}

TEST(ValueText, NumbersDefaultAndAny) {
  EXPECT_EQ(parse_ok(KnobId::kLatency, "20"), 20);
  EXPECT_EQ(parse_ok(KnobId::kLatency, "-1"), -1);
  EXPECT_EQ(parse_ok(KnobId::kLatency, "default"), -1);
  EXPECT_EQ(parse_ok(KnobId::kLatency, "-7"), -7);  // spelling is fine; the range check is later
  EXPECT_EQ(parse_ok(KnobId::kResumeLatency, "any"), INT_MAX);
  EXPECT_EQ(parse_ok(KnobId::kLatencyTolerance, "any"), INT_MAX);
  EXPECT_EQ(parse_ok(KnobId::kRange, "1800000"), 1800000);
}

TEST(ValueText, FlagNames) {
  EXPECT_EQ(parse_ok(KnobId::kFlags, "no_power_off"), kFlagNoPowerOff);
  EXPECT_EQ(parse_ok(KnobId::kFlags, "none"), 0);
  EXPECT_EQ(parse_ok(KnobId::kFlags, "none,no_power_off"), kFlagNoPowerOff);
  EXPECT_EQ(parse_ok(KnobId::kFlags, "1"), 1);
}

TEST(ValueText, BadSpellingsNameTheKnobAndWhatIsAccepted) {
  std::int32_t v = 99;
  for (const char* bad : {"", "20us", "0x10", "99999999999", "any", "no_power_off", " 5"}) {
    Status s = parse_request_value(KnobId::kLatency, bad, "cpu_dma_latency.latency", &v);
    EXPECT_EQ(s.code(), EINVAL) << bad;
    EXPECT_NE(s.message().find("cpu_dma_latency.latency"), std::string::npos) << s.message();
  }
  Status s = parse_request_value(KnobId::kLatencyTolerance, "auto", "i2c0.latency_tolerance", &v);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_NE(s.message().find("release the request"), std::string::npos) << s.message();
  EXPECT_EQ(v, 99);
}

TEST(ValueText, FormatUsesTheSpecialNames) {
  EXPECT_EQ(format_value(KnobId::kLatencyTolerance, -1), "auto");
  EXPECT_EQ(format_value(KnobId::kLatencyTolerance, INT_MAX), "any");
  EXPECT_EQ(format_value(KnobId::kResumeLatency, INT_MAX), "any");
  EXPECT_EQ(format_value(KnobId::kFlags, 1), "no_power_off");
  EXPECT_EQ(format_value(KnobId::kFlags, 0), "none");
  EXPECT_EQ(format_value(KnobId::kLatency, 2000000000), "2000000000");
}

TEST(ValueText, OutOfRangeMessageNamesFieldValueAndRange) {
  const DeviceSpec spec = pm_qos_class_spec(PmQosClass::kCpuDmaLatency);
  Status s = out_of_range("cpu_dma_latency.latency", KnobId::kLatency, -5, spec.knobs[0].list);
  EXPECT_EQ(s.code(), EINVAL);
  EXPECT_EQ(s.message(),
            "cpu_dma_latency.latency: value -5 out of range: allowed 0..2000000000 or -1");
}

TEST(KnobNames, ParseAndPrint) {
  KnobId id;
  RangeEnd end;
  ASSERT_TRUE(parse_knob_name("max", &id, &end));
  EXPECT_EQ(id, KnobId::kRange);
  EXPECT_EQ(end, RangeEnd::kMax);
  ASSERT_TRUE(parse_knob_name("resume_latency", &id, &end));
  EXPECT_EQ(id, KnobId::kResumeLatency);
  EXPECT_FALSE(parse_knob_name("range", &id, &end));  // users say min or max
  EXPECT_FALSE(parse_knob_name("bogus", &id, &end));
  EXPECT_STREQ(knob_request_name(KnobId::kRange, RangeEnd::kMin), "min");
  EXPECT_STREQ(knob_name(KnobId::kLatencyTolerance), "latency_tolerance");
}

}  // namespace
}  // namespace perfqos
