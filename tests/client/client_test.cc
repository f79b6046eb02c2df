#include "perfqos/client.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "client/fake_server.h"

namespace perfqos {
namespace {

using namespace protocol;
using testing::FakeServer;
using Clock = std::chrono::steady_clock;

// A client connected to a FakeServer over a socketpair; closed at the end of the test.
struct Connected {
  FakeServer server;
  perfqos_client* client = nullptr;
  Connected() { EXPECT_EQ(perfqos_connect_fd(server.take_client_fd(), 2000, &client), 0); }
  ~Connected() { perfqos_close(client); }
};

DeviceInfo named(const char* name) {
  DeviceInfo d;
  d.name = name;
  return d;
}

TEST(Client, AddUpdateRemoveReachTheServerAndReportChanges) {
  Connected c;
  std::thread server([&] {
    std::uint32_t tag = 0;
    auto add = c.server.receive_as<AddRequest>(&tag);
    EXPECT_EQ(add, (AddRequest{"policy0", "range", End::kMin, 600000, 0}));
    c.server.send(Frame{tag, AddReply{{}, 7, Change{true, Effective::Range(600000, 2400000)}}});
    auto update = c.server.receive_as<UpdateRequest>(&tag);
    EXPECT_EQ(update, (UpdateRequest{7, 800000}));
    c.server.send(Frame{tag, UpdateReply{{}, Change{true, Effective::Range(800000, 2400000)}}});
    auto remove = c.server.receive_as<RemoveRequest>(&tag);
    EXPECT_EQ(remove.request_id, 7u);
    c.server.send(Frame{tag, RemoveReply{{}, Change{true, Effective::Range(400000, 2400000)}}});
  });
  std::uint32_t id = 0;
  perfqos_change change{};
  ASSERT_EQ(perfqos_add(c.client, "policy0", "min", 600000, &id, &change), 0);
  EXPECT_EQ(id, 7u);
  EXPECT_EQ(change.changed, 1);
  EXPECT_EQ(change.effective.is_range, 1);
  EXPECT_EQ(change.effective.min, 600000);
  EXPECT_EQ(change.effective.max, 2400000);
  ASSERT_EQ(perfqos_update(c.client, id, 800000, &change), 0);
  EXPECT_EQ(change.effective.value, 800000);
  ASSERT_EQ(perfqos_remove(c.client, id, nullptr), 0);
  server.join();
}

TEST(Client, TimedAddCarriesTheDuration) {
  Connected c;
  std::thread server([&] {
    std::uint32_t tag = 0;
    auto add = c.server.receive_as<AddRequest>(&tag);
    EXPECT_EQ(add, (AddRequest{"cpu_dma_latency", "", End::kNone, 20, 1500}));
    c.server.send(Frame{tag, AddReply{{}, 1, Change{true, Effective::Single(20)}}});
  });
  std::uint32_t id = 0;
  EXPECT_EQ(perfqos_add_timed(c.client, "cpu_dma_latency", nullptr, 20, 1500, &id, nullptr), 0);
  EXPECT_EQ(id, 1u);
  server.join();
}

TEST(Client, DaemonErrorsBecomeErrnoAndMessage) {
  Connected c;
  const std::string message =
      "cpu_dma_latency.latency: value -5 out of range: allowed 0..2000000000 or -1";
  std::thread server([&] {
    std::uint32_t tag = 0;
    c.server.receive_as<AddRequest>(&tag);
    c.server.send(Frame{tag, failed_reply<AddReply>(EINVAL, message)});
  });
  std::uint32_t id = 99;
  errno = 0;
  EXPECT_EQ(perfqos_add(c.client, "cpu_dma_latency", "latency", -5, &id, nullptr), -EINVAL);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(perfqos_last_error(c.client), message);
  EXPECT_EQ(id, 99u);
  server.join();
}

TEST(Client, ArgumentsOverTheWireLimitsAreRefusedLocally) {
  Connected c;
  std::string long_name(64, 'd');
  EXPECT_EQ(perfqos_read(c.client, long_name.c_str(), "latency", nullptr), -EINVAL);
  perfqos_effective out{};
  EXPECT_EQ(perfqos_read(c.client, long_name.c_str(), "latency", &out), -EINVAL);
  EXPECT_STREQ(perfqos_last_error(c.client), "field 'device' longer than 63 bytes (64)");
  EXPECT_EQ(perfqos_read(c.client, "a b", "latency", &out), -EINVAL);
  EXPECT_FALSE(c.server.receive(50).has_value());  // nothing was sent
}

TEST(Client, PipelinedRequestsAreMatchedByTag) {
  Connected c;
  std::thread server([&] {
    std::vector<std::pair<std::uint32_t, AddRequest>> got;
    for (int i = 0; i < 3; ++i) {
      std::uint32_t tag = 0;
      auto add = c.server.receive_as<AddRequest>(&tag);
      got.emplace_back(tag, add);
    }
    // Reply in reverse order; the id encodes which request it answers.
    for (auto it = got.rbegin(); it != got.rend(); ++it) {
      AddReply reply{{},
                     static_cast<std::uint32_t>(1000 + it->second.value),
                     Change{true, Effective::Single(it->second.value)}};
      if (it->second.value == 2) reply = failed_reply<AddReply>(EPERM, "not allowed");
      c.server.send(Frame{it->first, reply});
    }
  });
  perfqos_add_spec specs[3] = {
      {"a", "latency", 1, 0}, {"b", "latency", 2, 0}, {"c", "latency", 3, 0}};
  std::uint32_t ids[3];
  int results[3];
  EXPECT_EQ(perfqos_add_many(c.client, specs, 3, ids, results), -EPERM);
  EXPECT_EQ(ids[0], 1001u);
  EXPECT_EQ(ids[1], 0u);
  EXPECT_EQ(ids[2], 1003u);
  EXPECT_EQ(results[0], 0);
  EXPECT_EQ(results[1], -EPERM);
  EXPECT_EQ(results[2], 0);
  EXPECT_STREQ(perfqos_last_error(c.client), "request 1: not allowed");
  server.join();
}

TEST(Client, NotificationArrivingDuringACallIsQueued) {
  Connected c;
  std::thread server([&] {
    std::uint32_t tag = 0;
    c.server.receive_as<ReadRequest>(&tag);
    c.server.send(Frame{
        0, Notification{"gpu", "range", Effective::Range(0, 1024), Effective::Range(600, 1024)}});
    c.server.send(Frame{tag, ReadReply{{}, Effective::Range(600, 1024)}});
  });
  perfqos_effective value{};
  ASSERT_EQ(perfqos_read(c.client, "gpu", "min", &value), 0);
  EXPECT_EQ(value.min, 600);
  server.join();
  perfqos_event event{};
  ASSERT_EQ(perfqos_next_event(c.client, &event, 0), 0);
  EXPECT_STREQ(event.device, "gpu");
  EXPECT_STREQ(event.knob, "range");
  EXPECT_EQ(event.old_value.min, 0);
  EXPECT_EQ(event.new_value.min, 600);
  EXPECT_EQ(event.dropped, 0u);
  EXPECT_EQ(perfqos_next_event(c.client, &event, 0), -EAGAIN);
}

TEST(Client, EventQueueIsBoundedAndCountsDrops) {
  Connected c;
  std::thread server([&] {
    std::uint32_t tag = 0;
    c.server.receive_as<RescanRequest>(&tag);
    for (int i = 0; i < PERFQOS_EVENT_QUEUE_MAX + 6; ++i) {
      c.server.send(Frame{0, Notification{"cpu_dma_latency", "latency", Effective::Single(i),
                                          Effective::Single(i + 1)}});
    }
    c.server.send(Frame{tag, RescanReply{}});
  });
  // The socket buffer cannot hold 1030 frames: the client must read them while it waits.
  ASSERT_EQ(perfqos_rescan(c.client, nullptr, nullptr), 0);
  server.join();
  perfqos_event event{};
  ASSERT_EQ(perfqos_next_event(c.client, &event, 0), 0);
  EXPECT_EQ(event.dropped, 6u);
  EXPECT_EQ(event.old_value.value, 6);
  int count = 1;
  while (perfqos_next_event(c.client, &event, 0) == 0) {
    EXPECT_EQ(event.dropped, 0u);
    ++count;
  }
  EXPECT_EQ(count, PERFQOS_EVENT_QUEUE_MAX);
}

TEST(Client, NextEventWaitsThenTimesOut) {
  Connected c;
  perfqos_event event{};
  auto start = Clock::now();
  EXPECT_EQ(perfqos_next_event(c.client, &event, 100), -ETIMEDOUT);
  EXPECT_GE(Clock::now() - start, std::chrono::milliseconds(90));
  std::thread server([&] {
    c.server.send(Frame{
        0, Notification{"cpu0", "resume_latency", Effective::Single(5), Effective::Single(10)}});
  });
  EXPECT_EQ(perfqos_next_event(c.client, &event, 2000), 0);
  EXPECT_STREQ(event.knob, "resume_latency");
  server.join();
}

TEST(Client, ReplyTimeoutThenLateReplyIsDiscarded) {
  Connected c;
  ASSERT_EQ(perfqos_set_timeout(c.client, 100), 0);
  std::uint32_t first_tag = 0;
  std::thread server([&] { c.server.receive_as<UpdateRequest>(&first_tag); });
  auto start = Clock::now();
  EXPECT_EQ(perfqos_update(c.client, 3, 10, nullptr), -ETIMEDOUT);
  auto waited = Clock::now() - start;
  EXPECT_GE(waited, std::chrono::milliseconds(90));
  EXPECT_LT(waited, std::chrono::seconds(2));
  EXPECT_NE(std::string(perfqos_last_error(c.client)).find("no reply"), std::string::npos);
  server.join();

  ASSERT_EQ(perfqos_set_timeout(c.client, 2000), 0);
  std::thread late([&] {
    std::uint32_t tag = 0;
    c.server.receive_as<UpdateRequest>(&tag);
    EXPECT_NE(tag, first_tag);
    // The late reply to the first update arrives first and must not be taken for this one.
    c.server.send(Frame{first_tag, UpdateReply{{}, Change{true, Effective::Single(10)}}});
    c.server.send(Frame{tag, UpdateReply{{}, Change{false, Effective::Single(42)}}});
  });
  perfqos_change change{};
  EXPECT_EQ(perfqos_update(c.client, 3, 42, &change), 0);
  EXPECT_EQ(change.changed, 0);
  EXPECT_EQ(change.effective.value, 42);
  late.join();
}

TEST(Client, ServerClosingWhileWaitingIsAnErrorNotAHang) {
  Connected c;
  std::thread server([&] {
    c.server.receive_as<ReadRequest>();
    c.server.close_server();
  });
  perfqos_effective value{};
  auto start = Clock::now();
  EXPECT_EQ(perfqos_read(c.client, "gpu", "max", &value), -ECONNRESET);
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
  server.join();
  // Every later call fails the same way, without SIGPIPE.
  EXPECT_EQ(perfqos_update(c.client, 1, 1, nullptr), -ECONNRESET);
  EXPECT_EQ(errno, ECONNRESET);
}

TEST(Client, SendingToAClosedServerIsEpipeWithoutSigpipe) {
  Connected c;
  c.server.close_server();
  int rc = perfqos_remove(c.client, 1, nullptr);  // SIGPIPE would kill the test binary
  EXPECT_TRUE(rc == -EPIPE || rc == -ECONNRESET) << rc;
}

TEST(Client, ErrorFrameFromServerBreaksTheConnection) {
  Connected c;
  std::thread server([&] {
    std::uint32_t tag = 0;
    c.server.receive_as<DescribeRequest>(&tag);
    c.server.send(error_frame(
        tag, Status::Error(EPROTONOSUPPORT, "unsupported version 2 (this side speaks 1)")));
  });
  perfqos_device_info info{};
  EXPECT_EQ(perfqos_describe(c.client, "gpu", &info), -EPROTONOSUPPORT);
  EXPECT_NE(std::string(perfqos_last_error(c.client)).find("unsupported version 2"),
            std::string::npos);
  server.join();
  EXPECT_EQ(perfqos_rescan(c.client, nullptr, nullptr), -EPROTONOSUPPORT);
}

TEST(Client, MalformedFrameFromServerIsEproto) {
  Connected c;
  std::thread server([&] {
    c.server.receive_as<RescanRequest>();
    c.server.send_raw({1, 0x8d, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0});
  });
  EXPECT_EQ(perfqos_rescan(c.client, nullptr, nullptr), -EPROTO);
  EXPECT_NE(std::string(perfqos_last_error(c.client)).find("frame truncated"), std::string::npos)
      << perfqos_last_error(c.client);
  server.join();
}

TEST(Client, ReplyWithWrongTypeIsEproto) {
  Connected c;
  std::thread server([&] {
    std::uint32_t tag = 0;
    c.server.receive_as<RescanRequest>(&tag);
    c.server.send(Frame{tag, UnbindReply{}});
  });
  EXPECT_EQ(perfqos_rescan(c.client, nullptr, nullptr), -EPROTO);
  EXPECT_STREQ(perfqos_last_error(c.client), "perfqosd answered RESCAN with UNBIND reply");
  server.join();
}

TEST(Client, ListFetchesEveryPage) {
  Connected c;
  std::thread server([&] {
    std::uint32_t tag = 0;
    auto first = c.server.receive_as<ListDevicesRequest>(&tag);
    EXPECT_EQ(first.offset, 0u);
    DeviceInfo a = named("cpu_dma_latency");
    a.kind = "class";
    KnobInfo latency;
    latency.name = "latency";
    latency.unit = "us";
    latency.effective = Effective::Single(2000000000);
    a.knobs.push_back(latency);
    c.server.send(Frame{tag, ListDevicesReply{{}, 3, 2, {a, named("policy0")}}});
    auto second = c.server.receive_as<ListDevicesRequest>(&tag);
    EXPECT_EQ(second.offset, 2u);
    // The registry changed: a device already listed comes again; it is not listed twice.
    c.server.send(Frame{tag, ListDevicesReply{{}, 3, 3, {named("policy0"), named("gpu")}}});
  });
  perfqos_device_info* devices = nullptr;
  size_t n = 0;
  ASSERT_EQ(perfqos_list(c.client, &devices, &n), 0);
  server.join();
  ASSERT_EQ(n, 3u);
  EXPECT_STREQ(devices[0].name, "cpu_dma_latency");
  EXPECT_STREQ(devices[0].kind, "class");
  ASSERT_EQ(devices[0].knob_count, 1u);
  EXPECT_STREQ(devices[0].knobs[0].unit, "us");
  EXPECT_EQ(devices[0].knobs[0].effective.value, 2000000000);
  EXPECT_STREQ(devices[1].name, "policy0");
  EXPECT_STREQ(devices[2].name, "gpu");
  perfqos_free(devices);
}

TEST(Client, StatusReturnsHolders) {
  Connected c;
  std::thread server([&] {
    std::uint32_t tag = 0;
    auto request = c.server.receive_as<StatusRequest>(&tag);
    EXPECT_EQ(request.device, "");
    HolderEntry h{"gpu",  "range",       End::kMax,    300,  2, HolderKind::kFuse, 42, 1000, 1000,
                  "game", "/user.slice", "process_42", true, 0};
    c.server.send(Frame{tag, StatusReply{{}, 1, 1, {h}}});
  });
  perfqos_holder_info* holders = nullptr;
  size_t n = 0;
  ASSERT_EQ(perfqos_status(c.client, nullptr, &holders, &n), 0);
  server.join();
  ASSERT_EQ(n, 1u);
  EXPECT_EQ(holders[0].end, PERFQOS_END_MAX);
  EXPECT_EQ(holders[0].holder_kind, PERFQOS_HOLDER_FUSE);
  EXPECT_STREQ(holders[0].comm, "game");
  EXPECT_STREQ(holders[0].label, "process_42");
  EXPECT_EQ(holders[0].binding, 1);
  perfqos_free(holders);
}

TEST(Client, SubscribeSplitsLongListsAndEmptyMeansAll) {
  Connected c;
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("dev" + std::to_string(i));
  std::vector<const char*> ptrs;
  for (auto& s : names) ptrs.push_back(s.c_str());
  std::thread server([&] {
    std::uint32_t tag = 0;
    EXPECT_EQ(c.server.receive_as<SubscribeRequest>(&tag).devices.size(), 256u);
    c.server.send(Frame{tag, SubscribeReply{}});
    EXPECT_EQ(c.server.receive_as<SubscribeRequest>(&tag).devices.size(), 44u);
    c.server.send(Frame{tag, SubscribeReply{}});
    EXPECT_TRUE(c.server.receive_as<SubscribeRequest>(&tag).devices.empty());
    c.server.send(Frame{tag, SubscribeReply{}});
    EXPECT_TRUE(c.server.receive_as<UnsubscribeRequest>(&tag).devices.empty());
    c.server.send(Frame{tag, UnsubscribeReply{}});
  });
  EXPECT_EQ(perfqos_subscribe(c.client, ptrs.data(), ptrs.size()), 0);
  EXPECT_EQ(perfqos_subscribe(c.client, nullptr, 0), 0);
  EXPECT_EQ(perfqos_unsubscribe(c.client, nullptr, 0), 0);
  server.join();
}

TEST(Client, BindUnbindHelloAndRescan) {
  Connected c;
  std::thread server([&] {
    std::uint32_t tag = 0;
    auto bind = c.server.receive_as<BindRequest>(&tag);
    EXPECT_EQ(bind, (BindRequest{"/batch.slice", "gpu", "range", End::kMax, 300}));
    c.server.send(Frame{tag, BindReply{{}, 5, Change{}}});
    EXPECT_EQ(c.server.receive_as<UnbindRequest>(&tag).binding_id, 5u);
    c.server.send(Frame{tag, UnbindReply{}});
    c.server.receive_as<HelloRequest>(&tag);
    c.server.send(Frame{tag, HelloReply{{}, 1, kMaxFrameSize, "perfqosd test"}});
    c.server.receive_as<RescanRequest>(&tag);
    c.server.send(Frame{tag, RescanReply{{}, 2, 1}});
  });
  std::uint32_t binding = 0;
  EXPECT_EQ(perfqos_bind(c.client, "/batch.slice", "gpu", "max", 300, &binding, nullptr), 0);
  EXPECT_EQ(binding, 5u);
  EXPECT_EQ(perfqos_unbind(c.client, binding, nullptr), 0);
  int version = 0;
  char name[64];
  EXPECT_EQ(perfqos_hello(c.client, &version, name), 0);
  EXPECT_EQ(version, 1);
  EXPECT_STREQ(name, "perfqosd test");
  std::uint32_t added = 0, removed = 0;
  EXPECT_EQ(perfqos_rescan(c.client, &added, &removed), 0);
  EXPECT_EQ(added, 2u);
  EXPECT_EQ(removed, 1u);
  server.join();
}

// A transient BIND needs version 3: the library agrees on it first, sends it at version 3 with
// the flag, and refuses (sending nothing) when the daemon speaks only version 2.
TEST(Client, BindTransientNeedsVersion3) {
  for (std::uint8_t daemon_version : {std::uint8_t{3}, std::uint8_t{2}}) {
    SCOPED_TRACE(int(daemon_version));
    Connected c;
    std::thread server([&] {
      std::uint32_t tag = 0;
      EXPECT_EQ(c.server.receive_as<HelloRequest>(&tag).max_version, kVersion);
      c.server.send(Frame{tag, HelloReply{{}, daemon_version, kMaxFrameSize, "perfqosd test"}});
      if (daemon_version < 3) return;
      auto bind = c.server.receive_as<BindRequest>(&tag);
      BindRequest expected{"/c.scope", "cpu_dma_latency", "", End::kNone, 25, "container c",
                           "oci:c"};
      expected.transient = true;
      EXPECT_EQ(bind, expected);
      c.server.send(Frame{tag, BindReply{{}, 9, Change{true, Effective::Single(25)}}, 3});
    });
    std::uint32_t id = 0;
    const int rc = perfqos_bind_transient(c.client, "/c.scope", "cpu_dma_latency", nullptr, 25,
                                          "container c", "oci:c", &id, nullptr);
    server.join();
    if (daemon_version == 3) {
      EXPECT_EQ(rc, 0) << perfqos_last_error(c.client);
      EXPECT_EQ(id, 9u);
    } else {
      EXPECT_EQ(rc, -EPROTONOSUPPORT);
      EXPECT_NE(std::string(perfqos_last_error(c.client)).find("version 3"), std::string::npos)
          << perfqos_last_error(c.client);
    }
  }
}

// A noted BIND needs version 2: the library agrees on it first and sends the notes, not
// transient; a daemon of version 1 is refused (nothing sent).
TEST(Client, BindNotedNeedsVersion2) {
  for (std::uint8_t daemon_version : {std::uint8_t{2}, std::uint8_t{1}}) {
    SCOPED_TRACE(int(daemon_version));
    Connected c;
    std::thread server([&] {
      std::uint32_t tag = 0;
      EXPECT_EQ(c.server.receive_as<HelloRequest>(&tag).max_version, kVersion);
      c.server.send(Frame{tag, HelloReply{{}, daemon_version, kMaxFrameSize, "perfqosd test"}});
      if (daemon_version < 2) return;
      auto bind = c.server.receive_as<BindRequest>(&tag);
      const BindRequest expected{"/batch.slice", "cpu_dma_latency", "", End::kNone, 25,
                                 "nightly build", "org.example.Ci"};
      EXPECT_EQ(bind, expected);
      c.server.send(Frame{tag, BindReply{{}, 4, Change{true, Effective::Single(25)}}, 2});
    });
    std::uint32_t id = 0;
    const int rc = perfqos_bind_noted(c.client, "/batch.slice", "cpu_dma_latency", nullptr, 25,
                                      "nightly build", "org.example.Ci", &id, nullptr);
    server.join();
    if (daemon_version == 2) {
      EXPECT_EQ(rc, 0) << perfqos_last_error(c.client);
      EXPECT_EQ(id, 4u);
    } else {
      EXPECT_EQ(rc, -EPROTONOSUPPORT);
      EXPECT_NE(std::string(perfqos_last_error(c.client)).find("version 2"), std::string::npos)
          << perfqos_last_error(c.client);
    }
  }
}

// A container's BIND needs version 4: sent at version 4 with the container and transient flags;
// refused (sending nothing) by a daemon that speaks only version 3.
TEST(Client, BindContainerNeedsVersion4) {
  for (std::uint8_t daemon_version : {std::uint8_t{4}, std::uint8_t{3}}) {
    SCOPED_TRACE(int(daemon_version));
    Connected c;
    std::thread server([&] {
      std::uint32_t tag = 0;
      EXPECT_EQ(c.server.receive_as<HelloRequest>(&tag).max_version, kVersion);
      c.server.send(Frame{tag, HelloReply{{}, daemon_version, kMaxFrameSize, "perfqosd test"}});
      if (daemon_version < 4) return;
      auto bind = c.server.receive_as<BindRequest>(&tag);
      BindRequest expected{"/c.scope", "cpu_dma_latency", "",     End::kNone,
                           25,         "container c",     "oci:c"};
      expected.transient = true;
      expected.container = true;
      EXPECT_EQ(bind, expected);
      c.server.send(Frame{tag, BindReply{{}, 9, Change{true, Effective::Single(25)}}, 4});
    });
    std::uint32_t id = 0;
    const int rc = perfqos_bind_container(c.client, "/c.scope", "cpu_dma_latency", nullptr, 25,
                                          "container c", "oci:c", &id, nullptr);
    server.join();
    if (daemon_version == 4) {
      EXPECT_EQ(rc, 0) << perfqos_last_error(c.client);
      EXPECT_EQ(id, 9u);
    } else {
      EXPECT_EQ(rc, -EPROTONOSUPPORT);
      EXPECT_NE(std::string(perfqos_last_error(c.client)).find("version 4"), std::string::npos)
          << perfqos_last_error(c.client);
    }
  }
}

TEST(Client, NullArgumentsAreEinval) {
  EXPECT_EQ(perfqos_rescan(nullptr, nullptr, nullptr), -EINVAL);
  EXPECT_EQ(perfqos_connect(nullptr, 0, nullptr), -EINVAL);
  EXPECT_EQ(perfqos_fd(nullptr), -EINVAL);
  perfqos_close(nullptr);
  perfqos_free(nullptr);
  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
  perfqos_client* c = nullptr;
  EXPECT_EQ(perfqos_connect_fd(fds[0], 0, &c), -EINVAL);  // not SOCK_SEQPACKET; fd is closed
  EXPECT_NE(std::string(perfqos_last_error(nullptr)).find("SOCK_SEQPACKET"), std::string::npos);
  close(fds[1]);
}

}  // namespace
}  // namespace perfqos
