// CpusetFollower on generated trees: which file gives a cgroup's CPUs (its own, its nearest
// ancestor's, the online CPUs), and that a change reaches the listener while one that is not a
// change does not, with the timer disarmed when nothing is followed.
#include "cgroup/cpuset_follower.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "daemon/event_loop.h"

namespace perfqos::daemon {
namespace {

namespace fs = std::filesystem;

class CpusetFollowerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/perfqos-cpuset-XXXXXX";
    root_ = ::mkdtemp(tmpl);
    write("/sys/devices/system/cpu/online", "0-7\n");
    fs::create_directories(root_ + "/cg");
    ASSERT_TRUE(loop_.init().ok());
  }
  void TearDown() override { fs::remove_all(root_); }
  void write(const std::string& path, const std::string& text) {
    fs::create_directories(fs::path(root_ + path).parent_path());
    std::ofstream(root_ + path) << text;
  }

  std::string root_;
  EventLoop loop_;
  Logger log_{LogLevel::kError};
};

TEST_F(CpusetFollowerTest, OwnFileThenNearestAncestorThenOnlineCpus) {
  CpusetFollower f(loop_, log_, root_, "/cg");
  write("/cg/a/cpuset.cpus.effective", "2-3,6\n");
  fs::create_directories(root_ + "/cg/a/b/c");
  fs::create_directories(root_ + "/cg/other");
  EXPECT_EQ(f.cpus_of("/a"), (std::vector<int>{2, 3, 6}));
  EXPECT_EQ(f.cpus_of("/a/b/c"), (std::vector<int>{2, 3, 6}));  // runs on its ancestor's CPUs
  EXPECT_EQ(f.cpus_of("/other"), (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));  // no cpuset
  EXPECT_TRUE(f.cpus_of("/gone").empty());
  EXPECT_FALSE(f.exists("/gone"));
  write("/cg/a/cpuset.cpus.effective", "\n");  // the kernel's way of saying no CPUs
  EXPECT_TRUE(f.cpus_of("/a").empty());
  write("/cg/a/cpuset.cpus.effective", "garbage\n");
  EXPECT_TRUE(f.cpus_of("/a").empty());
}

TEST_F(CpusetFollowerTest, ListenersHearChangesOnlyAndTheTimerStopsWithTheLastFollow) {
  CpusetFollower f(loop_, log_, root_, "/cg", std::chrono::milliseconds(5));
  write("/cg/a/cpuset.cpus.effective", "1\n");
  std::vector<std::vector<int>> heard;
  std::vector<int> now;
  std::uint64_t id = 0;
  ASSERT_TRUE(f.follow(
                   "/a",
                   [&](const std::vector<int>& cpus) {
                     heard.push_back(cpus);
                     loop_.stop();
                   },
                   &now, &id)
                  .ok());
  EXPECT_EQ(now, (std::vector<int>{1}));
  write("/cg/a/cpuset.cpus.effective", "1-2\n");
  ASSERT_TRUE(loop_.run().ok());
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_EQ(heard[0], (std::vector<int>{1, 2}));
  f.unfollow(id);
  EXPECT_EQ(f.followed(), 0u);
}

}  // namespace
}  // namespace perfqos::daemon
