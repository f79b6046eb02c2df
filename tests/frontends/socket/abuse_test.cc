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

#include "support/daemon_process.h"
#include "support/raw_client.h"
#include "support/run_as.h"

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

// A config file in its own directory, made before the daemon starts.
struct ConfigFile {
  explicit ConfigFile(const std::string& text) {
    char tmpl[] = "/tmp/perfqos-config-XXXXXX";
    dir = ::mkdtemp(tmpl);
    path = dir + "/perfqosd.toml";
    std::ofstream(path) << text;
  }
  ~ConfigFile() { std::filesystem::remove_all(dir); }
  std::string dir, path;
};

int subscribe(RawClient& c, std::vector<std::string> devices = {}) {
  return c.call_as<p::SubscribeReply>(p::SubscribeRequest{std::move(devices)}).status.error;
}

// Finding 6: every subscribed connection costs a notification frame per change; 5,000 that
// never read slowed root's UPDATE from 74 us to 14 ms. A uid gets max_subscriptions_per_uid
// subscribed connections; UNSUBSCRIBE of everything and closing give the place back.
TEST(AbuseTest, SubscribedConnectionsPerUidAreBounded) {
  ConfigFile config("[quotas]\nmax_subscriptions_per_uid = 2\nmax_subscriptions = 100\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();

  const std::vector<int> results = run_as(kNobody, kNogroup, [&](std::vector<int>& out) {
    std::optional<RawClient> a(std::in_place, d.socket());
    RawClient b(d.socket()), c(d.socket());
    out.push_back(subscribe(*a));                                         // 0: all devices
    out.push_back(subscribe(b, {"cpu_dma_latency", "network_latency"}));  // 1: two, one place
    out.push_back(subscribe(*a, {"cpu_dma_latency"}));  // 2: a already holds a place
    const auto refused = c.call_as<p::SubscribeReply>(p::SubscribeRequest{});
    out.push_back(refused.status.error);  // 3: over the quota
    out.push_back(contains(refused.status.message, "quotas.max_subscriptions_per_uid = 2"));
    // 5: UNSUBSCRIBE of one device of two keeps b's place, of everything gives it back.
    (void)b.call_as<p::UnsubscribeReply>(p::UnsubscribeRequest{{"network_latency"}});
    out.push_back(subscribe(c));
    (void)b.call_as<p::UnsubscribeReply>(p::UnsubscribeRequest{});
    out.push_back(subscribe(c));  // 6
    {
      RawClient e(d.socket());
      out.push_back(subscribe(e));  // 7: a and c hold both places
    }
    // 8: closing a connection gives its place back (the daemon may serve the next
    // connection before it sees the close, hence the bounded retries).
    a.reset();
    int rc = -1;
    testing::eventually([&] {
      RawClient f(d.socket());
      rc = subscribe(f);
      return rc == 0;
    });
    out.push_back(rc);
  });
  ASSERT_EQ(results.size(), 9u);
  EXPECT_EQ(results[0], 0);
  EXPECT_EQ(results[1], 0);
  EXPECT_EQ(results[2], 0);
  EXPECT_EQ(results[3], EDQUOT);
  EXPECT_EQ(results[4], 1) << "the refusal names the quota key and its value";
  EXPECT_EQ(results[5], EDQUOT);
  EXPECT_EQ(results[6], 0);
  EXPECT_EQ(results[7], EDQUOT);
  EXPECT_EQ(results[8], 0);
  EXPECT_TRUE(alive(d));
}

// max_subscriptions bounds every uid together; root is never refused, though it counts.
TEST(AbuseTest, SubscribedConnectionsInAllAreBoundedAndRootIsExempt) {
  ConfigFile config("[quotas]\nmax_subscriptions_per_uid = 10\nmax_subscriptions = 2\n");
  DaemonProcess d({"--config", config.path});
  ASSERT_TRUE(d.ready()) << d.log();
  const auto as_nobody = [&] {
    return run_as(kNobody, kNogroup, [&](std::vector<int>& out) {
      RawClient a(d.socket()), b(d.socket()), c(d.socket());
      out.push_back(subscribe(a));
      out.push_back(subscribe(b, {"cpu_dma_latency"}));
      const auto refused = c.call_as<p::SubscribeReply>(p::SubscribeRequest{{"cpu_dma_latency"}});
      out.push_back(refused.status.error);
      out.push_back(contains(refused.status.message, "quotas.max_subscriptions = 2"));
      // A refused SUBSCRIBE changed nothing: UNSUBSCRIBE is harmless.
      out.push_back(c.call_as<p::UnsubscribeReply>(p::UnsubscribeRequest{}).status.error);
    });
  };
  const std::vector<int> results = as_nobody();
  ASSERT_EQ(results.size(), 5u);
  EXPECT_EQ(results[0], 0);
  EXPECT_EQ(results[1], 0);
  EXPECT_EQ(results[2], EDQUOT);
  EXPECT_EQ(results[3], 1) << "the refusal names the quota key and its value";
  EXPECT_EQ(results[4], 0);
  // Root subscribes past the bound; its connections count, so nobody then gets no place.
  std::vector<std::unique_ptr<RawClient>> root;
  for (int i = 0; i < 3; ++i) {
    root.push_back(std::make_unique<RawClient>(d.socket()));
    EXPECT_EQ(subscribe(*root.back()), 0) << "root connection " << i;
  }
  const std::vector<int> none = run_as(kNobody, kNogroup, [&](std::vector<int>& out) {
    RawClient a(d.socket());
    out.push_back(subscribe(a));
  });
  EXPECT_EQ(none, std::vector<int>{EDQUOT});
}

// Finding 6: STATUS pages seek instead of rescanning; the pages must still concatenate to
// exactly the full listing (devices in registry order, each device's requests oldest first),
// with total and next_offset as docs/protocol.md says, after removals in the middle too.
TEST(AbuseTest, StatusPagesConcatenateToTheFullListingOverSeveralDevices) {
  DaemonProcess d;
  ASSERT_TRUE(d.ready());
  RawClient a(d.socket()), b(d.socket());
  struct Held {
    std::string device;
    std::int32_t value;
    bool by_a;
    std::uint32_t id;
  };
  const std::vector<std::pair<std::string, int>> plan{
      {"cpu_dma_latency", 700}, {"network_latency", 300}, {"memory_bandwidth", 500}};
  std::map<std::string, std::vector<Held>> by_device;
  std::int32_t value = 1000;
  for (const auto& [device, count] : plan) {
    for (int i = 0; i < count; ++i) {
      p::AddRequest add;
      add.device = device;
      add.value = ++value;
      const bool by_a = i % 3 != 0;
      const auto r = (by_a ? a : b).call_as<p::AddReply>(add);
      ASSERT_TRUE(r.status.ok()) << r.status.message;
      by_device[device].push_back(Held{device, value, by_a, r.request_id});
    }
  }
  // Removals in the middle, the oldest and the newest of a device included.
  for (auto& [device, held] : by_device) {
    for (std::size_t i = 0; i < held.size(); i += 5) {
      auto& client = held[i].by_a ? a : b;
      ASSERT_TRUE(client.call_as<p::RemoveReply>(p::RemoveRequest{held[i].id}).status.ok());
      held[i].value = -1;
    }
    auto& last = held.back();
    ASSERT_TRUE((last.by_a ? a : b).call_as<p::RemoveReply>(p::RemoveRequest{last.id}).status.ok());
    last.value = -1;
  }
  const auto expected_for = [&](const std::string& only) {
    std::vector<std::pair<std::string, std::int32_t>> out;
    const auto list = a.call_as<p::ListDevicesReply>(p::ListDevicesRequest{});
    for (const p::DeviceInfo& info : list.devices) {
      if (!only.empty() && info.name != only) continue;
      for (const Held& h : by_device[info.name]) {
        if (h.value != -1) out.emplace_back(h.device, h.value);
      }
    }
    return out;
  };
  for (const std::string device :
       {"", "cpu_dma_latency", "network_throughput", "memory_bandwidth"}) {
    const auto expected = expected_for(device);
    for (const std::uint16_t max_entries : {0, 1, 7, 333, 1024}) {
      SCOPED_TRACE("device '" + device + "', max_entries " + std::to_string(max_entries));
      std::vector<std::pair<std::string, std::int32_t>> got;
      std::uint32_t offset = 0;
      for (int pages = 0; pages < 5000; ++pages) {
        const auto r = a.call_as<p::StatusReply>(p::StatusRequest{device, offset, max_entries});
        ASSERT_TRUE(r.status.ok()) << r.status.message;
        EXPECT_EQ(r.total, expected.size());
        EXPECT_EQ(r.next_offset, offset + r.entries.size());
        if (max_entries != 0) {
          EXPECT_LE(r.entries.size(), max_entries);
        }
        for (const p::HolderEntry& e : r.entries) got.emplace_back(e.device, e.value);
        if (r.next_offset >= r.total) break;
        ASSERT_FALSE(r.entries.empty()) << "a page short of the end carries an entry";
        offset = r.next_offset;
      }
      EXPECT_EQ(got, expected);
    }
    // An offset at or past the end gives an empty page and the total.
    const auto past = a.call_as<p::StatusReply>(
        p::StatusRequest{device, static_cast<std::uint32_t>(expected.size()), 0});
    EXPECT_TRUE(past.entries.empty());
    EXPECT_EQ(past.total, expected.size());
  }
}

}  // namespace
}  // namespace perfqos
