// The C++ wrapper: RAII removal, moves, and status values.
#include "perfqos/client.hpp"

#include <gtest/gtest.h>

#include <thread>

#include "client/fake_server.h"

namespace perfqos {
namespace {

using namespace protocol;

client::Client connect(testing::FakeServer& server) {
  client::Client c;
  client::Status s = client::Client::adopt_fd(&c, server.take_client_fd(), 2000);
  EXPECT_TRUE(s.ok()) << s.message();
  return c;
}

// Serves one ADD with id `id`, then expects a REMOVE of that id and answers it.
void serve_add_then_remove(testing::FakeServer& server, std::uint32_t id) {
  std::uint32_t tag = 0;
  server.receive_as<AddRequest>(&tag);
  server.send(Frame{tag, AddReply{{}, id, Change{true, Effective::Single(20)}}});
  auto remove = server.receive_as<RemoveRequest>(&tag);
  EXPECT_EQ(remove.request_id, id);
  server.send(Frame{tag, RemoveReply{{}, Change{true, Effective::Single(2000000000)}}});
}

TEST(ClientHpp, HeldRequestRemovesItselfOnDestruction) {
  testing::FakeServer server;
  client::Client c = connect(server);
  std::thread daemon([&] { serve_add_then_remove(server, 11); });
  {
    client::HeldRequest held;
    client::Status s = c.add("cpu_dma_latency", "", 20, &held);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(held.held());
    EXPECT_EQ(held.id(), 11u);
  }  // REMOVE sent here
  daemon.join();
}

TEST(ClientHpp, MovedRequestIsRemovedOnceByItsLastOwner) {
  testing::FakeServer server;
  client::Client c = connect(server);
  std::thread daemon([&] { serve_add_then_remove(server, 12); });
  client::HeldRequest outer;
  {
    client::HeldRequest inner;
    ASSERT_TRUE(c.add("cpu_dma_latency", "latency", 20, &inner).ok());
    outer = std::move(inner);
    EXPECT_FALSE(inner.held());
  }
  EXPECT_TRUE(outer.held());
  EXPECT_TRUE(outer.remove().ok());
  EXPECT_FALSE(outer.held());
  daemon.join();
  EXPECT_FALSE(server.receive(50).has_value());  // no second REMOVE
}

TEST(ClientHpp, RequestOutlivingItsClientSendsNothing) {
  testing::FakeServer server;
  client::HeldRequest held;
  {
    client::Client c = connect(server);
    std::thread daemon([&] {
      std::uint32_t tag = 0;
      server.receive_as<AddRequest>(&tag);
      server.send(Frame{tag, AddReply{{}, 13, Change{}}});
    });
    ASSERT_TRUE(c.add("gpu", "min", 600, &held).ok());
    daemon.join();
  }  // the connection closes: the daemon drops the request
  EXPECT_TRUE(held.remove().ok());
  EXPECT_FALSE(server.receive(100).has_value());  // EOF, no REMOVE
}

TEST(ClientHpp, ReleasedRequestIsNotRemoved) {
  testing::FakeServer server;
  client::Client c = connect(server);
  std::thread daemon([&] {
    std::uint32_t tag = 0;
    server.receive_as<AddRequest>(&tag);
    server.send(Frame{tag, AddReply{{}, 14, Change{}}});
  });
  {
    client::HeldRequest held;
    ASSERT_TRUE(c.add("gpu", "max", 900, &held).ok());
    EXPECT_EQ(held.release(), 14u);
  }
  daemon.join();
  EXPECT_FALSE(server.receive(50).has_value());
}

TEST(ClientHpp, ErrorsAreStatusValues) {
  testing::FakeServer server;
  client::Client c = connect(server);
  std::thread daemon([&] {
    std::uint32_t tag = 0;
    server.receive_as<AddRequest>(&tag);
    server.send(Frame{tag, failed_reply<AddReply>(ENODEV, "no device 'nope'")});
  });
  client::HeldRequest held;
  client::Status s = c.add("nope", "", 1, &held);
  EXPECT_EQ(s.code(), ENODEV);
  EXPECT_EQ(s.message(), "no device 'nope'");
  EXPECT_FALSE(held.held());
  daemon.join();

  client::Client empty;
  EXPECT_EQ(empty.rescan().code(), ENOTCONN);
  client::Client missing;
  s = client::Client::connect(&missing, "/nonexistent/perfqos.sock", 100);
  EXPECT_EQ(s.code(), ENOENT);
  EXPECT_FALSE(missing.connected());
}

TEST(ClientHpp, CgroupDataCopiesEveryEntry) {
  testing::FakeServer server;
  client::Client c = connect(server);
  std::thread daemon([&] {
    std::uint32_t tag = 0;
    auto request = server.receive_as<CgroupDataRequest>(&tag);
    EXPECT_EQ(request.device, "gpu");
    CgroupDataReply reply;
    reply.total = 1;
    reply.entries.push_back(CgroupDataEntry{"gpu", "/batch.slice", {}, 3, 1});
    server.send(Frame{tag, reply});
  });
  std::vector<perfqos_cgroup_info> entries;
  client::Status s = c.cgroup_data("gpu", &entries);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_STREQ(entries[0].cgroup, "/batch.slice");
  EXPECT_EQ(entries[0].admitted, 3u);
  EXPECT_EQ(entries[0].refused, 1u);
  daemon.join();
}

}  // namespace
}  // namespace perfqos
