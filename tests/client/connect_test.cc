// perfqos_connect against real listening sockets in a temporary directory.
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "client/fake_server.h"
#include "perfqos/client.h"

namespace perfqos {
namespace {

using namespace protocol;
using Clock = std::chrono::steady_clock;

class TempDir {
 public:
  TempDir() {
    char tmpl[] = "/tmp/perfqos-client-test-XXXXXX";
    EXPECT_NE(mkdtemp(tmpl), nullptr);
    path_ = tmpl;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A SOCK_SEQPACKET socket bound to `path`; listening with `backlog` unless backlog < 0.
int bound_socket(const std::string& path, int backlog) {
  int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  if (backlog >= 0) {
    EXPECT_EQ(listen(fd, backlog), 0);
  }
  return fd;
}

TEST(Connect, MissingSocketIsEnoent) {
  TempDir dir;
  std::string path = dir / "nothing.sock";
  perfqos_client* c = nullptr;
  EXPECT_EQ(perfqos_connect(path.c_str(), 500, &c), -ENOENT);
  EXPECT_EQ(errno, ENOENT);
  EXPECT_EQ(c, nullptr);
  EXPECT_NE(std::string(perfqos_last_error(nullptr)).find(path), std::string::npos)
      << perfqos_last_error(nullptr);
}

TEST(Connect, SocketWithoutListenerIsEconnrefused) {
  TempDir dir;
  std::string path = dir / "dead.sock";
  int fd = bound_socket(path, -1);
  perfqos_client* c = nullptr;
  EXPECT_EQ(perfqos_connect(path.c_str(), 500, &c), -ECONNREFUSED);
  close(fd);
}

TEST(Connect, FullBacklogTimesOut) {
  TempDir dir;
  std::string path = dir / "busy.sock";
  int fd = bound_socket(path, 0);  // never accepts
  std::vector<perfqos_client*> clients;
  int rc = 0;
  auto start = Clock::now();
  for (int i = 0; i < 8 && rc == 0; ++i) {  // fill the backlog until a connect has to wait
    perfqos_client* c = nullptr;
    start = Clock::now();
    rc = perfqos_connect(path.c_str(), 200, &c);
    if (rc == 0) clients.push_back(c);
  }
  auto waited = Clock::now() - start;
  EXPECT_EQ(rc, -ETIMEDOUT);
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  EXPECT_LT(waited, std::chrono::seconds(2));
  for (auto* c : clients) perfqos_close(c);
  close(fd);
}

TEST(Connect, PathTooLongIsRefused) {
  std::string path(200, 'x');
  perfqos_client* c = nullptr;
  EXPECT_EQ(perfqos_connect(path.c_str(), 100, &c), -ENAMETOOLONG);
}

TEST(Connect, EnvironmentNamesTheSocketAndCallsWork) {
  TempDir dir;
  std::string path = dir / "perfqosd.sock";
  int listener = bound_socket(path, 8);
  ASSERT_EQ(setenv(PERFQOS_SOCKET_ENV, path.c_str(), 1), 0);
  std::thread server([&] {
    int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(fd, 0);
    testing::FakeServer s(fd);
    std::uint32_t tag = 0;
    s.receive_as<ReadRequest>(&tag);
    s.send(Frame{tag, ReadReply{{}, Effective::Single(2000000000)}});
    // Closing the connection is what drops the client's requests: the client sees EOF.
    EXPECT_FALSE(s.receive(2000).has_value());
  });
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(nullptr, 1000, &c), 0);
  EXPECT_GE(perfqos_fd(c), 0);
  perfqos_effective value{};
  EXPECT_EQ(perfqos_read(c, "cpu_dma_latency", nullptr, &value), 0);
  EXPECT_EQ(value.value, 2000000000);
  perfqos_close(c);
  server.join();
  unsetenv(PERFQOS_SOCKET_ENV);
  close(listener);
}

// A client from perfqos_connect waits for a reply in one blocking recv bounded by SO_RCVTIMEO:
// the timeout still holds, and a notification arriving first does not stretch it.
TEST(Connect, OwnSocketRepliesTimeOutAndNotificationsDoNotStretchTheWait) {
  TempDir dir;
  std::string path = dir / "perfqosd.sock";
  int listener = bound_socket(path, 8);
  std::thread server([&] {
    int fd = accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    ASSERT_GE(fd, 0);
    testing::FakeServer s(fd);
    s.receive_as<UpdateRequest>();  // never answered
    std::uint32_t tag = 0;
    s.receive_as<UpdateRequest>(&tag);
    // A notification at once, and no reply.
    s.send(Frame{0, Notification{"gpu", "range", Effective::Range(0, 9), Effective::Range(1, 9)}});
    EXPECT_FALSE(s.receive(2000).has_value());
  });
  perfqos_client* c = nullptr;
  ASSERT_EQ(perfqos_connect(path.c_str(), 200, &c), 0);
  for (int i = 0; i < 2; ++i) {
    const auto start = Clock::now();
    EXPECT_EQ(perfqos_update(c, 1, 10, nullptr), -ETIMEDOUT) << i;
    const auto waited = Clock::now() - start;
    EXPECT_GE(waited, std::chrono::milliseconds(190)) << i;
    EXPECT_LT(waited, std::chrono::milliseconds(390)) << i;  // not 200 ms after the notification
  }
  perfqos_event event{};
  EXPECT_EQ(perfqos_next_event(c, &event, 0), 0);  // the notification was kept
  EXPECT_STREQ(event.device, "gpu");
  perfqos_close(c);
  server.join();
  close(listener);
}

}  // namespace
}  // namespace perfqos
