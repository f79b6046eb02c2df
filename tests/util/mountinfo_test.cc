// The one mountinfo parser (util/mountinfo.h) and its users' questions: where cgroup v2 is,
// and whether a line names a file system at all.
#include "util/mountinfo.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>

#include "cgroup/cgroup_mount.h"

namespace perfqos {
namespace {

class MountinfoFile : public ::testing::Test {
 protected:
  void TearDown() override { std::filesystem::remove(path_); }
  std::string write(const std::string& text) {
    std::ofstream(path_) << text;
    return path_.string();
  }
  std::filesystem::path path_ =
      std::filesystem::temp_directory_path() / ("pq-mi-" + std::to_string(::getpid()));
};

TEST(Mountinfo, ParsesTheMountPointAndTypeAcrossOptionalFields) {
  MountEntry e;
  ASSERT_TRUE(parse_mountinfo_line(
      "41 25 0:38 / /sys/fs/cgroup/unified rw,relatime shared:9 master:2 - cgroup2 cgroup2 rw",
      &e));
  EXPECT_EQ(e.mount_point, "/sys/fs/cgroup/unified");
  EXPECT_EQ(e.fs_type, "cgroup2");
}

TEST(Mountinfo, UnescapesOctalInTheMountPoint) {
  MountEntry e;
  ASSERT_TRUE(parse_mountinfo_line(
      "90 30 0:50 / /run/perf\\040qos/a\\134b rw - fuse.perfqos perfqos rw", &e));
  EXPECT_EQ(e.mount_point, "/run/perf qos/a\\b");
  EXPECT_EQ(e.fs_type, "fuse.perfqos");
}

TEST(Mountinfo, RefusesLinesWithoutASeparatorOrMountPoint) {
  MountEntry e;
  EXPECT_FALSE(parse_mountinfo_line("", &e));
  EXPECT_FALSE(parse_mountinfo_line("25 30 0:22 /", &e));
  EXPECT_FALSE(parse_mountinfo_line("25 30 0:22 / /sys rw tmpfs tmpfs rw", &e));
  EXPECT_FALSE(parse_mountinfo_line("25 30 0:22 / /sys rw -", &e));  // no type after "-"
}

TEST_F(MountinfoFile, ReadsEveryParsableLineInOrder) {
  std::vector<MountEntry> all;
  ASSERT_TRUE(read_mountinfo(&all, write("25 30 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                                         "garbage\n"
                                         "26 25 0:23 / /proc rw - proc proc rw\n"))
                  .ok());
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].mount_point, "/sys/fs/cgroup");
  EXPECT_EQ(all[1].fs_type, "proc");
}

TEST(Mountinfo, AMissingFileIsEnoentAndLeavesNothing) {
  std::vector<MountEntry> all{{"/x", "y"}};
  EXPECT_EQ(read_mountinfo(&all, "/nonexistent/mountinfo").code(), ENOENT);
  EXPECT_TRUE(all.empty());
}

TEST(Mountinfo, ThisProcessSeesItsRoot) {
  std::vector<MountEntry> all;
  ASSERT_TRUE(read_mountinfo(&all).ok());
  bool root = false;
  for (const MountEntry& e : all) root = root || e.mount_point == "/";
  EXPECT_TRUE(root);
}

TEST_F(MountinfoFile, Cgroup2MountIsTheFirstCgroup2Entry) {
  std::string mount;
  ASSERT_TRUE(daemon::find_cgroup2_mount(
                  &mount, write("25 30 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"
                                "41 25 0:38 / /sys/fs/cgroup/uni\\040fied rw,relatime shared:9 - "
                                "cgroup2 cgroup2 rw\n"))
                  .ok());
  EXPECT_EQ(mount, "/sys/fs/cgroup/uni fied");
  EXPECT_EQ(
      daemon::find_cgroup2_mount(&mount, write("25 30 0:22 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n"))
          .code(),
      ENOENT);
}

}  // namespace
}  // namespace perfqos
