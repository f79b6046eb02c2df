// What an unprivileged local user can send perfqosd (issue #13): a real daemon, real
// unprivileged clients (fork + setuid) speaking raw frames. Nothing they send may crash it,
// change what they may not change, or grow it past the quotas.
#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>

#include "daemon/daemon_process.h"
#include "daemon/raw_client.h"

namespace perfqos {
namespace {

namespace p = protocol;
using testing::DaemonProcess;
using testing::RawClient;
using testing::run_as;

constexpr uid_t kNobody = 65534;
constexpr gid_t kNogroup = 65534;

bool alive(const DaemonProcess& d) {
  return d.pid() > 0 && ::waitpid(d.pid(), nullptr, WNOHANG) == 0;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// Finding 1: READ of a range end ("min", "max") on a device with no range knob made
// resolve_knob succeed without the knob, and READ bound a reference to null: exit 139.
TEST(AbuseTest, ReadOfARangeEndTheDeviceLacksIsAnErrorAndTheDaemonSurvives) {
  DaemonProcess d;
  ASSERT_TRUE(d.ready());
  RawClient root(d.socket());
  ASSERT_TRUE(root.ok());
  p::AddRequest hold;
  hold.device = "cpu_dma_latency";
  hold.value = 42;
  const auto held = root.call_as<p::AddReply>(hold);
  ASSERT_TRUE(held.status.ok()) << held.status.message;

  const std::vector<int> results = run_as(kNobody, kNogroup, [&](std::vector<int>& out) {
    for (const char* device : {"cpu_dma_latency", "network_latency", "network_throughput"}) {
      for (const char* knob : {"min", "max"}) {
        RawClient c(d.socket());
        const auto r = c.call_as<p::ReadReply>(p::ReadRequest{device, knob});
        out.push_back(r.status.error);
        const std::string where = std::string(device) + "." + knob;
        out.push_back(contains(r.status.message, where) &&
                      contains(r.status.message, "has no such knob"));
      }
    }
  });
  ASSERT_EQ(results.size(), 12u);
  for (std::size_t i = 0; i < results.size(); i += 2) {
    EXPECT_EQ(results[i], EINVAL) << "reply " << i / 2;
    EXPECT_EQ(results[i + 1], 1) << "reply " << i / 2 << " names the knob";
  }
  ASSERT_TRUE(alive(d)) << d.log();
  // The holder that was there is still served, its request in force.
  const auto read = root.call_as<p::ReadReply>(p::ReadRequest{"cpu_dma_latency", ""});
  ASSERT_TRUE(read.status.ok()) << read.status.message;
  EXPECT_EQ(read.effective.min, 42);
  // The same names through ADD and BIND are refused the same way, nothing added.
  p::AddRequest add_min = hold;
  add_min.knob = "min";
  const auto add = root.call_as<p::AddReply>(add_min);
  EXPECT_EQ(add.status.error, EINVAL);
  EXPECT_TRUE(contains(add.status.message, "cpu_dma_latency.min")) << add.status.message;
  const auto status = root.call_as<p::StatusReply>(p::StatusRequest{});
  EXPECT_EQ(status.total, 1u);
}

}  // namespace
}  // namespace perfqos
