// The metrics front end without a daemon: the exposition writer's escaping, the ADDR:PORT
// parser, the admission tally's bound, and render_metrics over a real Broker and per-cgroup
// table (the cardinality cut).
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "admission/admission_tally.h"
#include "cgroup/cgroup_data.h"
#include "frontends/metrics/exposition.h"
#include "frontends/metrics/metrics_render.h"
#include "model/broker.h"
#include "model/device_specs.h"
#include "util/inet_address.h"

namespace perfqos::metrics {
namespace {

std::string escaped(std::string_view v) {
  std::string out;
  append_label_value(v, &out);
  return out;
}

TEST(Exposition, EscapesLabelValues) {
  EXPECT_EQ(escaped("plain/path.slice"), "plain/path.slice");
  EXPECT_EQ(escaped("a\\b"), "a\\\\b");
  EXPECT_EQ(escaped("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(escaped("two\nlines"), "two\\nlines");
  EXPECT_EQ(escaped("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"),
            "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
  // Not UTF-8: a lone continuation byte, a truncated sequence, an overlong '/', a surrogate.
  EXPECT_EQ(escaped("a\x80z"), "a\xEF\xBF\xBDz");
  EXPECT_EQ(escaped("a\xE2\x82"), "a\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(escaped("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(escaped("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(Exposition, WritesFamiliesAndSamples) {
  Exposition out;
  out.family("perfqos_x_total", "counter", "Help with a \\ and a\nnewline.");
  out.sample("perfqos_x_total", {{"cgroup", "/a\"b"}, {"end", ""}}, std::uint64_t{7});
  out.sample("perfqos_x_total", {}, std::int64_t{-1});
  out.sample("perfqos_x_total", {}, 1.5);
  EXPECT_EQ(out.text(),
            "# HELP perfqos_x_total Help with a \\\\ and a\\nnewline.\n"
            "# TYPE perfqos_x_total counter\n"
            "perfqos_x_total{cgroup=\"/a\\\"b\",end=\"\"} 7\n"
            "perfqos_x_total -1\n"
            "perfqos_x_total 1.500\n");
}

TEST(InetAddress, ParsesNumericAddresses) {
  InetAddress a;
  ASSERT_TRUE(parse_inet_address("127.0.0.1:9464", "--metrics", &a).ok());
  EXPECT_EQ(a.host, "127.0.0.1");
  EXPECT_EQ(a.port, 9464);
  EXPECT_FALSE(a.ipv6);
  EXPECT_EQ(a.to_string(), "127.0.0.1:9464");
  ASSERT_TRUE(parse_inet_address("[::1]:0", "--metrics", &a).ok());
  EXPECT_EQ(a.host, "::1");
  EXPECT_EQ(a.port, 0);
  EXPECT_TRUE(a.ipv6);
  EXPECT_EQ(a.to_string(), "[::1]:0");
  ASSERT_TRUE(parse_inet_address("0.0.0.0:65535", "--metrics", &a).ok());
  EXPECT_EQ(a.port, 65535);
}

TEST(InetAddress, RefusesOtherTextNamingTheOption) {
  for (const char* bad :
       {"", "9464", ":9464", "localhost:9464", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
        "127.0.0.1:99999999", "127.0.0.1:-1", "127.0.0.1:9x", "::1:9464", "[::1:9464",
        "[127.0.0.1]:9464", "[]:1", "1.2.3:80", "127.0.0.1:9464\n"}) {
    InetAddress a;
    a.port = 1234;
    const Status s = parse_inet_address(bad, "--metrics", &a);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.code(), EINVAL);
    EXPECT_EQ(s.message().rfind("--metrics: \"", 0), 0u) << s.message();
    EXPECT_NE(s.message().find("ADDR:PORT"), std::string::npos) << s.message();
    EXPECT_EQ(a.port, 1234) << "changed on error: " << bad;
  }
  InetAddress a;
  const Status s = parse_inet_address("x", "", &a);
  EXPECT_EQ(s.message().rfind("\"x\": ", 0), 0u) << s.message();
}

TEST(AdmissionTally, CountsAndBoundsReasons) {
  admission::AdmissionTally tally;
  tally.count(admission::FrontEnd::kSocket, 0);
  tally.count(admission::FrontEnd::kSocket, 0);
  tally.count(admission::FrontEnd::kFuse, EACCES);
  EXPECT_EQ(tally.admitted(admission::FrontEnd::kSocket), 2u);
  EXPECT_EQ(tally.admitted(admission::FrontEnd::kFuse), 0u);
  EXPECT_EQ(tally.refused(admission::FrontEnd::kFuse).at(EACCES), 1u);
  // Every errno there is, many times: still at most kMaxReasons + 1 series.
  for (int round = 0; round < 3; ++round) {
    for (int e = 1; e < 4096; ++e) tally.count(admission::FrontEnd::kConfig, e);
  }
  const auto& reasons = tally.refused(admission::FrontEnd::kConfig);
  EXPECT_EQ(reasons.size(), admission::AdmissionTally::kMaxReasons + 1);
  std::uint64_t sum = 0;
  for (const auto& [e, n] : reasons) sum += n;
  EXPECT_EQ(sum, 3u * 4095u);
  EXPECT_EQ(errno_label(EACCES), "EACCES");
  EXPECT_EQ(errno_label(0), "other");
  EXPECT_EQ(errno_label(4000), "E4000");
}

// The sample line of `series` in `text`, its value as text; "" if absent.
std::string value_of(const std::string& text, const std::string& series) {
  const std::string key = "\n" + series + " ";
  const std::size_t at = text.find(key);
  if (at == std::string::npos) return "";
  const std::size_t begin = at + key.size();
  return text.substr(begin, text.find('\n', begin) - begin);
}

TEST(RenderMetrics, ModelTallyAndCgroupCut) {
  Broker broker;
  ASSERT_TRUE(broker.register_device(pm_qos_class_spec(PmQosClass::kCpuDmaLatency)).ok());
  DeviceSpec gpu;
  ASSERT_TRUE(perf_device_spec("gpu", PerfUnit::kNormal, 0, 1024, &gpu).ok());
  ASSERT_TRUE(broker.register_device(gpu).ok());
  auto holder = broker.make_holder(HolderIdentity{});
  RequestOutcome outcome;
  ASSERT_TRUE(broker
                  .add(*holder, RequestTarget{"cpu_dma_latency", KnobId::kLatency}, 25,
                       std::nullopt, &outcome)
                  .ok());
  ASSERT_TRUE(broker
                  .add(*holder, RequestTarget{"gpu", KnobId::kRange, RangeEnd::kMin}, 300,
                       std::nullopt, &outcome)
                  .ok());

  admission::AdmissionTally tally;
  tally.count(admission::FrontEnd::kSocket, 0);
  tally.count(admission::FrontEnd::kSocket, EDQUOT);

  Policy policy({}, {}, {});
  CgroupDataTable table;
  const Device& dev = *broker.registry().find("gpu");
  // 25 cgroups: cgroup i made i + 1 decisions, so /c/24 ... /c/5 are the top 20.
  for (int i = 0; i < 25; ++i) {
    table.get(dev, "/c/" + std::to_string(i), policy).counters.admitted = i + 1;
  }
  table.get(dev, "/c/24", policy).counters.refused = 100;
  table.get(*broker.registry().find("cpu_dma_latency"), "/c/24", policy).counters.admitted = 5;
  table.get(dev, "/we\"ird\n", policy);  // 0 decisions: lands in "other"

  const auto start = std::chrono::steady_clock::now();
  const std::string text = render_metrics(
      MetricsSources{&broker, &tally, &table, "9.9", std::chrono::system_clock::now(), start},
      start + std::chrono::milliseconds(2500));
  EXPECT_EQ(value_of(text, "perfqos_build_info{version=\"9.9\"}"), "1");
  EXPECT_EQ(value_of(text, "perfqos_uptime_seconds"), "2.500");
  EXPECT_EQ(value_of(text, "perfqos_devices"), "2");
  EXPECT_EQ(value_of(text,
                     "perfqos_effective_value{device=\"cpu_dma_latency\",knob=\"latency\","
                     "end=\"\",unit=\"us\"}"),
            "25");
  EXPECT_EQ(value_of(text,
                     "perfqos_effective_value{device=\"gpu\",knob=\"range\",end=\"min\","
                     "unit=\"normal\"}"),
            "300");
  EXPECT_EQ(value_of(text,
                     "perfqos_effective_value{device=\"gpu\",knob=\"range\",end=\"max\","
                     "unit=\"normal\"}"),
            "1024");
  EXPECT_EQ(value_of(text, "perfqos_requests{device=\"gpu\",knob=\"range\"}"), "1");
  EXPECT_EQ(value_of(text, "perfqos_admissions_total{frontend=\"socket\"}"), "1");
  EXPECT_EQ(value_of(text, "perfqos_refusals_total{frontend=\"socket\",reason=\"EDQUOT\"}"), "1");
  // No backend: no write counters for these devices.
  EXPECT_EQ(text.find("perfqos_knob_writes_total{"), std::string::npos);

  EXPECT_EQ(value_of(text, "perfqos_cgroups"), "26");
  EXPECT_EQ(value_of(text, "perfqos_cgroup_data_entries"), "27");
  // /c/24 sums both devices.
  EXPECT_EQ(value_of(text, "perfqos_cgroup_admitted_total{cgroup=\"/c/24\"}"), "30");
  EXPECT_EQ(value_of(text, "perfqos_cgroup_refused_total{cgroup=\"/c/24\"}"), "100");
  EXPECT_EQ(value_of(text, "perfqos_cgroup_admitted_total{cgroup=\"/c/5\"}"), "6");
  EXPECT_EQ(value_of(text, "perfqos_cgroup_admitted_total{cgroup=\"/c/4\"}"), "");
  // /c/0../c/4 made 1..5 decisions; the weird one none.
  EXPECT_EQ(value_of(text, "perfqos_cgroup_admitted_total{cgroup=\"other\"}"), "15");
  std::size_t series = 0;
  for (std::size_t at = text.find("\nperfqos_cgroup_admitted_total{"); at != std::string::npos;
       at = text.find("\nperfqos_cgroup_admitted_total{", at + 1)) {
    ++series;
  }
  EXPECT_EQ(series, kCgroupSeries + 1);
  // A weird cgroup that makes the cut is escaped.
  table.get(dev, "/we\"ird\n", policy).counters.refused = 1000;
  const std::string again = render_metrics(
      MetricsSources{&broker, &tally, &table, "9.9", std::chrono::system_clock::now(), start},
      start);
  EXPECT_EQ(value_of(again, "perfqos_cgroup_refused_total{cgroup=\"/we\\\"ird\\n\"}"), "1000");
}

}  // namespace
}  // namespace perfqos::metrics
