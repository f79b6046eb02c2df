// The FUSE device tree lazily unmounted (umount -l) while processes hold requests through open
// files on it. A lazy unmount only detaches the mount: the open files keep the FUSE connection
// alive, so their requests stay in force and can still be changed, and each goes when its last
// descriptor closes; once the last one is closed the kernel ends the session. perfqosd never
// stops serving its socket and still exits 0 on SIGTERM.
//
// Skipped, with the reason, without /dev/fuse, without root, or when mounting fails here.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>

#include <cstring>
#include <fstream>
#include <memory>

#include "faults/fault_support.h"
#include "perfqos/perf_qos_ioctl.h"
#include "support/daemon_process.h"
#include "support/fuse_mount_dir.h"

namespace perfqos {
namespace {

using testing::Children;
using testing::Client;
using testing::DaemonProcess;
using testing::eventually;
using testing::FuseMountDir;
using testing::kLatencyDefault;
using testing::mounted;

// A forked process that runs steps on command: the test sends a step's letter, the process
// answers with the step's result (0 or an errno). Its descriptors are its own, so closing them
// (or its death) is what the kernel reports to perfqosd.
class Holder {
 public:
  using Step = std::function<int(char)>;
  Holder(Children& children, Step step) {
    int to[2], from[2];
    if (::pipe2(to, O_CLOEXEC) != 0 || ::pipe2(from, O_CLOEXEC) != 0) return;
    pid_ = children.spawn([&] {
      ::close(to[1]);
      ::close(from[0]);
      char command;
      while (::read(to[0], &command, 1) == 1) {
        const int result = step(command);
        if (::write(from[1], &result, sizeof result) != sizeof result) return 1;
      }
      return 0;
    });
    ::close(to[0]);
    ::close(from[1]);
    to_ = to[1];
    from_ = from[0];
  }
  ~Holder() {
    if (to_ >= 0) ::close(to_);
    if (from_ >= 0) ::close(from_);
  }
  Holder(const Holder&) = delete;
  Holder& operator=(const Holder&) = delete;

  pid_t pid() const { return pid_; }
  // Runs step `command`; its result, or -1 if the process did not answer within 10 s.
  int run(char command) {
    if (::write(to_, &command, 1) != 1) return -1;
    pollfd p{from_, POLLIN, 0};
    int result = -1;
    if (::poll(&p, 1, 10000) != 1 || ::read(from_, &result, sizeof result) != sizeof result) {
      return -1;
    }
    return result;
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
};

int errno_of(bool ok) {
  return ok ? 0 : errno;
}

// Steps of a class-node holder: 'o' opens for writing (a request at the default) and writes
// 77, 'w' writes 55, 'c' closes.
Holder::Step class_node_steps(const std::string& node) {
  return [node, fd = -1](char command) mutable -> int {
    switch (command) {
      case 'o': {
        fd = ::open(node.c_str(), O_RDWR);
        if (fd < 0) return errno;
        const std::int32_t v = 77;
        return errno_of(::write(fd, &v, sizeof v) == sizeof v);
      }
      case 'w': {
        const std::int32_t v = 55;
        return errno_of(::write(fd, &v, sizeof v) == sizeof v);
      }
      case 'c':
        return errno_of(::close(fd) == 0);
    }
    return EINVAL;
  };
}

// Steps of a perf node holder: 'o' opens and sets the min to 300, 'w' sets it to 400, 'c'
// closes.
Holder::Step perf_node_steps(const std::string& node) {
  return [node, fd = -1](char command) mutable -> int {
    perf_qos_ioctl_arg arg{};
    switch (command) {
      case 'o':
        fd = ::open(node.c_str(), O_RDWR);
        if (fd < 0) return errno;
        arg.value = 300;
        return errno_of(::ioctl(fd, PERF_QOS_IOC_SET_MIN, &arg) == 0);
      case 'w':
        arg.value = 400;
        return errno_of(::ioctl(fd, PERF_QOS_IOC_SET_MIN, &arg) == 0);
      case 'c':
        return errno_of(::close(fd) == 0);
    }
    return EINVAL;
  };
}

class FuseUnmountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::access("/dev/fuse", R_OK | W_OK) != 0) {
      GTEST_SKIP() << "/dev/fuse is missing or not accessible: no FUSE here";
    }
    if (::geteuid() != 0) GTEST_SKIP() << "unmounting another's FUSE mount needs root";
    mount = dir.path();
    ASSERT_FALSE(mount.empty());
    daemon = std::make_unique<DaemonProcess>(
        std::vector<std::string>{"--mount", mount, "--test-perf-device", "gpu:normal:100:900"});
    if (!daemon->ready()) {
      const std::string log = daemon->log();
      if (log.find("cannot mount") != std::string::npos) {
        GTEST_SKIP() << "mounting FUSE failed (lack of privilege?): " << log;
      }
      FAIL() << log;
    }
    observer = std::make_unique<Client>(daemon->socket());
    ASSERT_TRUE(observer->ok());
  }

  void TearDown() override {
    observer.reset();
    daemon.reset();  // dir then detaches what is left and removes itself
  }

  // The daemon answers a new connection, and a request on it takes effect and goes.
  ::testing::AssertionResult serves_the_socket() {
    Client c(daemon->socket());
    if (!c.ok()) return ::testing::AssertionFailure() << "connect: " << c.error();
    std::uint32_t id = 0;
    if (perfqos_add(c.get(), "network_latency", nullptr, 9, &id, nullptr) != 0 ||
        c.effective("network_latency") != 9 || perfqos_remove(c.get(), id, nullptr) != 0 ||
        c.effective("network_latency") != kLatencyDefault) {
      return ::testing::AssertionFailure() << "not served: " << c.error();
    }
    return ::testing::AssertionSuccess();
  }

  std::int32_t gpu_min() {
    perfqos_effective e{};
    EXPECT_EQ(perfqos_read(observer->get(), "gpu", "range", &e), 0) << observer->error();
    return e.min;
  }

  FuseMountDir dir;
  std::string mount;
  std::unique_ptr<DaemonProcess> daemon;
  std::unique_ptr<Client> observer;
  Children children;
};

TEST_F(FuseUnmountTest, RequestsOnOpenFilesLiveUntilClosedAndThenGo) {
  Holder latency(children, class_node_steps(mount + "/cpu_dma_latency"));
  Holder perf(children, perf_node_steps(mount + "/perf_qos/gpu"));
  ASSERT_EQ(latency.run('o'), 0);
  ASSERT_EQ(perf.run('o'), 0);
  EXPECT_EQ(observer->effective("cpu_dma_latency"), 77);
  EXPECT_EQ(gpu_min(), 300);

  ASSERT_EQ(::umount2(mount.c_str(), MNT_DETACH), 0) << std::strerror(errno);
  EXPECT_FALSE(mounted(mount));
  EXPECT_TRUE(serves_the_socket());
  // Detached, not gone: the open files still reach perfqosd and their requests hold.
  EXPECT_EQ(observer->active("cpu_dma_latency"), 1u);
  EXPECT_EQ(observer->active("gpu"), 1u);
  EXPECT_EQ(latency.run('w'), 0);
  EXPECT_EQ(observer->effective("cpu_dma_latency"), 55);
  EXPECT_EQ(perf.run('w'), 0);
  EXPECT_EQ(gpu_min(), 400);

  // Each request goes with its file's last close.
  EXPECT_EQ(latency.run('c'), 0);
  EXPECT_TRUE(eventually([&] { return observer->active("cpu_dma_latency") == 0; }))
      << "the request of a closed file on the detached mount is still held";
  EXPECT_EQ(observer->effective("cpu_dma_latency"), kLatencyDefault);
  EXPECT_EQ(perf.run('c'), 0);
  EXPECT_TRUE(eventually([&] { return observer->active("gpu") == 0; }))
      << "the request of a closed file on the detached mount is still held";
  EXPECT_EQ(gpu_min(), 100);

  // The last file closed, the kernel ends the session; perfqosd notices and carries on.
  EXPECT_TRUE(eventually([&] {
    return daemon->log().find("was unmounted from outside perfqosd") != std::string::npos;
  })) << daemon->log();
  EXPECT_TRUE(serves_the_socket());
  const int status = daemon->stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << daemon->log();
  EXPECT_FALSE(mounted(mount));
}

TEST_F(FuseUnmountTest, HolderKilledAfterTheUnmountLosesItsRequests) {
  Holder latency(children, class_node_steps(mount + "/cpu_dma_latency"));
  Holder perf(children, perf_node_steps(mount + "/perf_qos/gpu"));
  ASSERT_EQ(latency.run('o'), 0);
  ASSERT_EQ(perf.run('o'), 0);
  ASSERT_EQ(::umount2(mount.c_str(), MNT_DETACH), 0) << std::strerror(errno);

  ::kill(latency.pid(), SIGKILL);
  ::kill(perf.pid(), SIGKILL);
  EXPECT_TRUE(eventually([&] {
    return observer->active("cpu_dma_latency") == 0 && observer->active("gpu") == 0;
  })) << "requests of killed holders on the detached mount are still held";
  EXPECT_EQ(observer->effective("cpu_dma_latency"), kLatencyDefault);
  EXPECT_EQ(gpu_min(), 100);
  EXPECT_TRUE(serves_the_socket());
  const int status = daemon->stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << daemon->log();
}

// SIGTERM while files on the detached mount are still open: perfqosd drops their requests,
// exits 0 and leaves nothing mounted; the holder's file then fails with ENOTCONN, its close
// too (the kernel's flush finds the connection gone; the descriptor is closed all the same).
TEST_F(FuseUnmountTest, SigtermWhileDetachedFilesAreOpenExitsCleanly) {
  Holder latency(children, class_node_steps(mount + "/cpu_dma_latency"));
  ASSERT_EQ(latency.run('o'), 0);
  ASSERT_EQ(::umount2(mount.c_str(), MNT_DETACH), 0) << std::strerror(errno);
  EXPECT_EQ(observer->active("cpu_dma_latency"), 1u);

  const int status = daemon->stop(SIGTERM);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status << "\n" << daemon->log();
  EXPECT_FALSE(mounted(mount));
  EXPECT_EQ(latency.run('w'), ENOTCONN);
  EXPECT_EQ(latency.run('c'), ENOTCONN);
}

}  // namespace
}  // namespace perfqos
