// The hook's pure parts: the OCI state JSON, the annotations, /proc/PID/cgroup and CPU lists,
// on good input and on garbage.
#include <gtest/gtest.h>

#include <cerrno>
#include <random>
#include <string>

#include "oci_hook/annotations.h"
#include "oci_hook/container_cgroup.h"
#include "oci_hook/oci_state.h"

namespace perfqos::oci {
namespace {

TEST(OciState, ReadsTheFieldsOfARuntimeState) {
  ContainerState s;
  ASSERT_TRUE(parse_container_state(R"({"ociVersion":"1.0.2","id":"c1","status":"creating",
      "pid":4242,"bundle":"/b","annotations":{"perfqos.io/request.a":"cpu_dma_latency=25"},
      "runtimeExtra":{"x":[1,2]}})",
                                    &s)
                  .ok());
  EXPECT_EQ(s.id, "c1");
  EXPECT_EQ(s.pid, 4242);
  EXPECT_EQ(s.status, "creating");
  EXPECT_EQ(s.annotations.at("perfqos.io/request.a"), "cpu_dma_latency=25");
  ASSERT_TRUE(parse_container_state(R"({"id":"c2","annotations":null})", &s).ok());
  EXPECT_TRUE(s.annotations.empty());
  EXPECT_FALSE(need_pid(s).ok());
}

TEST(OciState, GarbageIsRefusedNamingTheField) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not a JSON document"},
      {"{", "not a JSON document"},
      {"[]", "must be a JSON object"},
      {R"({"pid":"12"})", "pid must be a positive integer"},
      {R"({"pid":-1})", "pid must be a positive integer"},
      {R"({"pid":99999999999})", "pid must be a positive integer"},
      {R"({"pid":1.5})", "pid must be a positive integer"},
      {R"({"id":7})", "id must be a string"},
      {R"({"annotations":[]})", "annotations must be an object"},
      {R"({"annotations":{"k":1}})", "annotations.\"k\" must be a string"},
  };
  for (const auto& [text, message] : cases) {
    ContainerState s;
    s.id = "untouched";
    const Status st = parse_container_state(text, &s);
    EXPECT_EQ(st.code(), EINVAL) << text;
    EXPECT_NE(st.message().find(message), std::string::npos) << text << ": " << st.message();
    EXPECT_EQ(s.id, "untouched");
  }
  ContainerState s;
  EXPECT_EQ(parse_container_state(std::string(kMaxStateBytes + 1, ' '), &s).code(), EINVAL);
}

TEST(OciState, RandomBytesNeverCrash) {
  std::mt19937 rng(18);
  const std::string alphabet = "{}[]\":,0123456789.-eE truefalsnul\\u\x01\xff";
  for (int i = 0; i < 2000; ++i) {
    std::string text;
    const int n = static_cast<int>(rng() % 64);
    for (int k = 0; k < n; ++k) text += alphabet[rng() % alphabet.size()];
    ContainerState s;
    (void)parse_container_state(text, &s);
  }
}

TEST(Annotations, OnlyOursMatter) {
  EXPECT_FALSE(has_hook_annotations({}));
  EXPECT_FALSE(has_hook_annotations({{"io.kubernetes.pod.name", "x"}, {"perfqos.iox", "y"}}));
  EXPECT_TRUE(has_hook_annotations({{"perfqos.io/reason", "r"}}));
  EXPECT_TRUE(has_hook_annotations({{"cpu-c-states.crio.io", "enable"}}));
}

TEST(Annotations, RequestsReasonAndCStatesMakeAPlan) {
  HookPlan plan;
  ASSERT_TRUE(plan_from_annotations({{"perfqos.io/request.b", "cpu0.resume_latency=20us"},
                                     {"perfqos.io/request.a", "cpu_dma_latency=25"},
                                     {"perfqos.io/reason", "audio"},
                                     {"cpu-c-states.crio.io", "max_latency:10"},
                                     {"io.kubernetes.x", "ignored"}},
                                    &plan)
                  .ok());
  ASSERT_EQ(plan.requests.size(), 2u);
  EXPECT_EQ(plan.requests[0].source, "perfqos.io/request.a");
  EXPECT_EQ(plan.requests[0].spec.device, "cpu_dma_latency");
  EXPECT_EQ(plan.requests[1].spec.device, "cpu0");
  EXPECT_EQ(plan.requests[1].spec.knob, "resume_latency");
  EXPECT_EQ(plan.requests[1].spec.value, "20us");
  EXPECT_EQ(plan.reason, "audio");
  ASSERT_TRUE(plan.cpu_resume_latency.has_value());
  EXPECT_EQ(*plan.cpu_resume_latency, 10);
  const auto cpus = cpu_request(plan);  // on the container's CPUs, which perfqosd follows
  ASSERT_TRUE(cpus.has_value());
  EXPECT_EQ(cpus->spec.device, "cpus");
  EXPECT_EQ(cpus->spec.knob, "resume_latency");
  EXPECT_EQ(cpus->spec.value, "10");

  ASSERT_TRUE(plan_from_annotations({{"cpu-c-states.crio.io", "disable"}}, &plan).ok());
  EXPECT_EQ(plan.cpu_resume_latency, 0);
  ASSERT_TRUE(plan_from_annotations({{"cpu-c-states.crio.io", "enable"}}, &plan).ok());
  EXPECT_FALSE(plan.cpu_resume_latency.has_value());
  EXPECT_FALSE(cpu_request(plan).has_value());
}

TEST(Annotations, AProfileIsNamedForPerfqosdToResolve) {
  HookPlan plan;
  ASSERT_TRUE(plan_from_annotations({{"perfqos.io/profile", "low-latency_2"}}, &plan).ok());
  EXPECT_EQ(plan.profile, "low-latency_2");
  EXPECT_TRUE(plan.requests.empty());
  ASSERT_TRUE(plan_from_annotations({{"perfqos.io/request.a", "cpu_dma_latency=5"}}, &plan).ok());
  EXPECT_EQ(plan.profile, "");
}

TEST(Annotations, MalformedOnesAreRefusedNamingTheAnnotation) {
  const std::pair<std::map<std::string, std::string>, const char*> cases[] = {
      {{{"perfqos.io/request.a", "cpu_dma_latency"}}, "annotation perfqos.io/request.a: "},
      {{{"perfqos.io/request.a", "=5"}}, "expected DEVICE=VALUE"},
      {{{"perfqos.io/request.", "cpu_dma_latency=5"}}, "needs a name"},
      {{{"perfqos.io/requests.a", "cpu_dma_latency=5"}}, "unknown perfqos annotation"},
      {{{"perfqos.io/profile", "Low Latency"}}, "a profile name is 1..32 of a-z, 0-9, _ and -"},
      {{{"perfqos.io/profile", ""}}, "annotation perfqos.io/profile: \"\": a profile name"},
      {{{"perfqos.io/profile", std::string(33, 'p')}}, "a profile name is 1..32"},
      {{{"cpu-c-states.crio.io", "off"}}, "must be \"disable\", \"enable\" or"},
      {{{"cpu-c-states.crio.io", "max_latency:"}}, "max_latency:N"},
      {{{"cpu-c-states.crio.io", "max_latency:-1"}}, "max_latency:N"},
      {{{"cpu-c-states.crio.io", "max_latency:99999999999"}}, "max_latency:N"},
      {{{"cpu-c-states.crio.io", "max_latency:5us"}}, "max_latency:N"},
  };
  for (const auto& [annotations, message] : cases) {
    HookPlan plan;
    plan.reason = "untouched";
    const Status s = plan_from_annotations(annotations, &plan);
    EXPECT_FALSE(s.ok()) << annotations.begin()->second;
    EXPECT_NE(s.message().find(message), std::string::npos) << s.message();
    EXPECT_EQ(plan.reason, "untouched");
  }
}

TEST(ContainerCgroup, TheV2LineOfProcCgroup) {
  std::string path;
  ASSERT_TRUE(cgroup_v2_path("12:cpuset:/x\n1:name=systemd:/y\n0::/machine/c1\n", &path).ok());
  EXPECT_EQ(path, "/machine/c1");
  EXPECT_EQ(cgroup_v2_path("12:cpuset:/x\n", &path).code(), ENOENT);
  EXPECT_EQ(cgroup_v2_path("0::/\n", &path).code(), EINVAL);
  EXPECT_EQ(cgroup_v2_path("0::relative\n", &path).code(), EINVAL);
  EXPECT_EQ(cgroup_v2_path("", &path).code(), ENOENT);
  EXPECT_EQ(read_container_cgroup(0x7ffffff0, &path).code(), ESRCH);
}


}  // namespace
}  // namespace perfqos::oci
