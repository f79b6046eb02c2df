// Knob values as people write and read them (tools/value_input.h), table by table.
#include "tools/value_input.h"

#include <gtest/gtest.h>

#include <climits>

namespace perfqos::tools {
namespace {

KnobValues knob(KnobId id, const char* unit, std::int32_t no_constraint, std::int32_t min,
                std::int32_t max) {
  KnobValues k;
  k.id = id;
  k.unit = unit;
  k.no_constraint = no_constraint;
  k.min_request = min;
  k.max_request = max;
  return k;
}

const KnobValues kDmaLatency = knob(KnobId::kLatency, "us", 2000000000, 0, 2000000000);
const KnobValues kResume = knob(KnobId::kResumeLatency, "us", INT32_MAX, 0, INT32_MAX);
const KnobValues kTolerance = knob(KnobId::kLatencyTolerance, "us", -1, 0, INT32_MAX);
const KnobValues kCpufreq = knob(KnobId::kRange, "kHz", 400000, 400000, 3000000);
const KnobValues kDevfreq = knob(KnobId::kRange, "Hz", 100000000, 100000000, 800000000);
const KnobValues kRapl = knob(KnobId::kRange, "uW", 0, 0, 100000000);
const KnobValues kPowercap = knob(KnobId::kRange, "mW", 0, 0, 50000);
const KnobValues kNormal = knob(KnobId::kRange, "normal", 0, 0, 1024);
const KnobValues kThroughput = knob(KnobId::kThroughput, "kbit/s", 0, 0, INT32_MAX);
const KnobValues kFlags = knob(KnobId::kFlags, "flags", 0, 0, 1);

struct Accepted {
  const KnobValues* knob;
  const char* text;
  std::int32_t value;
};

TEST(ValueInput, UnitsConvertToTheKnobsUnit) {
  const Accepted cases[] = {
      {&kDmaLatency, "20", 20},
      {&kDmaLatency, "20us", 20},
      {&kDmaLatency, "20\xc2\xb5s", 20},
      {&kDmaLatency, "1ms", 1000},
      {&kDmaLatency, "1.5ms", 1500},
      {&kDmaLatency, "0.25ms", 250},
      {&kDmaLatency, "2s", 2000000},
      {&kDmaLatency, "2000000000", 2000000000},
      {&kDmaLatency, "5000ns", 5},
      {&kDmaLatency, "20 us", 20},
      {&kDmaLatency, "1.500ms", 1500},
      {&kCpufreq, "1800000", 1800000},
      {&kCpufreq, "1.5GHz", 1500000},
      {&kCpufreq, "800MHz", 800000},
      {&kCpufreq, "800mhz", 800000},
      {&kCpufreq, "400000kHz", 400000},
      {&kCpufreq, "400000000Hz", 400000},
      {&kDevfreq, "600MHz", 600000000},
      {&kDevfreq, "0.6GHz", 600000000},
      {&kDevfreq, "150000kHz", 150000000},
      {&kRapl, "15W", 15000000},
      {&kRapl, "1500mW", 1500000},
      {&kRapl, "2.5W", 2500000},
      {&kRapl, "7uW", 7},
      {&kPowercap, "10W", 10000},
      {&kPowercap, "2.5W", 2500},
      {&kPowercap, "3000uW", 3},
      {&kNormal, "50%", 512},
      {&kNormal, "100%", 1024},
      {&kNormal, "25%", 256},
      {&kNormal, "600", 600},
      {&kThroughput, "10Mbit/s", 10000},
      {&kThroughput, "1.5Gbit/s", 1500000},
  };
  for (const Accepted& c : cases) {
    std::int32_t v = -7;
    Status s = parse_knob_value(*c.knob, c.text, "dev.knob", &v);
    EXPECT_TRUE(s.ok()) << c.text << ": " << s.message();
    EXPECT_EQ(v, c.value) << c.text;
  }
}

TEST(ValueInput, WordsMeanNoConstraint) {
  const Accepted cases[] = {
      {&kDmaLatency, "default", -1}, {&kDmaLatency, "none", -1},   {&kDmaLatency, "any", -1},
      {&kDmaLatency, "-1", -1},      {&kCpufreq, "none", -1},      {&kNormal, "default", -1},
      {&kResume, "any", INT32_MAX},  {&kResume, "none", -1},       {&kTolerance, "any", INT32_MAX},
      {&kFlags, "none", 0},          {&kFlags, "no_power_off", 1}, {&kFlags, "default", -1},
  };
  for (const Accepted& c : cases) {
    std::int32_t v = -7;
    Status s = parse_knob_value(*c.knob, c.text, "dev.knob", &v);
    EXPECT_TRUE(s.ok()) << c.text << ": " << s.message();
    EXPECT_EQ(v, c.value) << c.text;
  }
}

struct Refused {
  const KnobValues* knob;
  const char* text;
  const char* message;  // the whole message, for "dev.knob"
};

TEST(ValueInput, RefusalsSayWhatIsWrong) {
  const Refused cases[] = {
      {&kDmaLatency, "3000000000",
       "dev.knob: value 3000000000 out of range: allowed 0..2000000000 us or -1"},
      {&kDmaLatency, "99999999999999999999999",
       "dev.knob: value 99999999999999999999999 out of range: allowed 0..2000000000 us or -1"},
      {&kDmaLatency, "3000s",
       "dev.knob: value 3000s (3000000000 us) out of range: allowed 0..2000000000 us or -1"},
      {&kDmaLatency, "-5", "dev.knob: value -5 out of range: allowed 0..2000000000 us or -1"},
      {&kDmaLatency, "1.5us", "dev.knob: '1.5us' is not a whole number of us (between 1 and 2)"},
      {&kDmaLatency, "1.5", "dev.knob: '1.5' is not a whole number of us (between 1 and 2)"},
      {&kDmaLatency, "1500ns", "dev.knob: '1500ns' is not a whole number of us (between 1 and 2)"},
      {&kDmaLatency, "20kHz",
       "dev.knob: unknown unit 'kHz' for a us knob: use us, ms, s, ns or none"},
      {&kDmaLatency, "fast",
       "dev.knob: cannot read 'fast': expected a number (with us, ms, s, ns or no unit for us), "
       "or none/default"},
      {&kDmaLatency, "5.",
       "dev.knob: cannot read '5.': expected a number (with us, ms, s, ns or no "
       "unit for us), or none/default"},
      {&kNormal, "10%", "dev.knob: '10%' is not a whole number of normal (between 102 and 103)"},
      {&kNormal, "200%",
       "dev.knob: value 200% (2048 normal) out of range: allowed 0..1024 normal "
       "or -1"},
      {&kCpufreq, "4GHz",
       "dev.knob: value 4GHz (4000000 kHz) out of range: allowed 400000..3000000 kHz or -1"},
      {&kCpufreq, "1.0000005GHz",
       "dev.knob: '1.0000005GHz' is not a whole number of kHz (between 1000000 and 1000001)"},
      {&kCpufreq, "1W", "dev.knob: unknown unit 'W' for a kHz knob: use kHz, MHz, GHz, Hz or none"},
      {&kRapl, "1.5uW", "dev.knob: '1.5uW' is not a whole number of uW (between 1 and 2)"},
      {&kPowercap, "60W", "dev.knob: value 60W (60000 mW) out of range: allowed 0..50000 mW or -1"},
      {&kFlags, "fast",
       "dev.knob: cannot read 'fast': expected a decimal integer or 'default' or flag names "
       "(no_power_off, none) joined by ','"},
  };
  for (const Refused& c : cases) {
    std::int32_t v = -7;
    Status s = parse_knob_value(*c.knob, c.text, "dev.knob", &v);
    EXPECT_EQ(s.code(), EINVAL) << c.text;
    EXPECT_EQ(s.message(), c.message) << c.text;
    EXPECT_EQ(v, -7) << c.text << ": *out is untouched on error";
  }
}

struct Shown {
  const KnobValues* knob;
  std::int32_t value;
  const char* text;
  const char* with_unit;
};

TEST(ValueInput, OneVocabularyForShowingValues) {
  const Shown cases[] = {
      {&kDmaLatency, 2000000000, "none", "none"},
      {&kDmaLatency, -1, "none", "none"},
      {&kDmaLatency, 20, "20", "20 us"},
      {&kResume, INT32_MAX, "none", "none"},
      {&kResume, 0, "0", "0 us"},
      {&kTolerance, -1, "auto", "auto"},
      {&kTolerance, INT32_MAX, "any", "any"},
      {&kTolerance, 30, "30", "30 us"},
      {&kFlags, 0, "none", "none"},
      {&kFlags, 1, "no_power_off", "no_power_off"},
      {&kThroughput, 0, "none", "none"},
      {&kThroughput, 700, "700", "700 kbit/s"},
      {&kCpufreq, 1800000, "1800000", "1800000 kHz"},
      {&kCpufreq, -1, "none", "none"},
  };
  for (const Shown& c : cases) {
    EXPECT_EQ(show_value(*c.knob, c.value), c.text) << c.value;
    EXPECT_EQ(show_value_with_unit(*c.knob, c.value), c.with_unit) << c.value;
  }
  perfqos_effective range{400000, 400000, 2800000, 1};
  EXPECT_EQ(show_effective(kCpufreq, range, true), "400000..2800000 kHz");
  EXPECT_EQ(show_effective(kCpufreq, range, false), "400000..2800000");
  perfqos_effective one{2000000000, 2000000000, 2000000000, 0};
  EXPECT_EQ(show_effective(kDmaLatency, one, true), "none");
}

TEST(ValueInput, KnobValuesFromTheDaemonsDescription) {
  perfqos_knob_info info{};
  std::snprintf(info.name, sizeof info.name, "range");
  std::snprintf(info.unit, sizeof info.unit, "kHz");
  info.list_type = PERFQOS_LIST_RANGE;
  info.limit_min = 400000;
  info.limit_max = 3000000;
  KnobValues k = KnobValues::of(info);
  EXPECT_EQ(k.id, KnobId::kRange);
  EXPECT_EQ(k.min_request, 400000);
  EXPECT_EQ(k.max_request, 3000000);
  EXPECT_EQ(accepted_units(k), "kHz, MHz, GHz, Hz");
  std::snprintf(info.name, sizeof info.name, "resume_latency");
  std::snprintf(info.unit, sizeof info.unit, "us");
  info.list_type = PERFQOS_LIST_MIN;
  info.no_constraint_value = INT32_MAX;
  info.min_request = 0;
  info.max_request = INT32_MAX;
  k = KnobValues::of(info);
  EXPECT_EQ(k.id, KnobId::kResumeLatency);
  EXPECT_EQ(k.no_constraint, INT32_MAX);
  EXPECT_EQ(accepted_units(k), "us, ms, s, ns");
}

struct DurationCase {
  const char* text;
  long long ms;
};

TEST(Duration, UnitsCompoundsAndFractions) {
  const DurationCase cases[] = {
      {"250ms", 250},      {"10s", 10000},    {"3", 3000},    {"5m", 300000},
      {"2h", 7200000},     {"1m30s", 90000},  {"1.5s", 1500}, {"0.5h", 1800000},
      {"1h1m1s", 3661000}, {"1s500ms", 1500}, {"1.25", 1250}, {"2min", 120000},
  };
  for (const DurationCase& c : cases) {
    std::chrono::milliseconds d{0};
    Status s = parse_duration(c.text, &d);
    EXPECT_TRUE(s.ok()) << c.text << ": " << s.message();
    EXPECT_EQ(d.count(), c.ms) << c.text;
  }
  for (const char* bad :
       {"", "0", "-5s", "10x", "25d", "999999h", "ms", "1m30", "s", "1..5s", "1.5ms"}) {
    std::chrono::milliseconds d{0};
    EXPECT_EQ(parse_duration(bad, &d).code(), EINVAL) << bad;
  }
  std::chrono::milliseconds d{0};
  EXPECT_EQ(parse_duration("1.0005s", &d).message(),
            "duration '1.0005s': not a whole number of milliseconds");
  EXPECT_EQ(parse_duration("10x", &d).message(),
            "duration '10x': expected a positive duration such as 250ms, 1.5s, 1m30s, 2h (or a "
            "number of seconds), at most 24 days");
}

}  // namespace
}  // namespace perfqos::tools
