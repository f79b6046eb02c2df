// DiskSysfs against a generated tree: trimmed reads, whole-value writes that never create
// files, faithful errno, sorted listings, symlink resolution inside the root, and the helpers.
#include "backends/sysfs.h"
#include "util/errno_status.h"

#include <gtest/gtest.h>

#include <cerrno>

#include "backends/sysfs_tree.h"

namespace perfqos::backends {
namespace {

using perfqos::testing::SysfsTree;

TEST(DiskSysfsTest, ReadsTrimmedAndWritesWholeValues) {
  SysfsTree tree;
  tree.write_file("/sys/a/value", "  1200000 \n");
  auto fs = tree.sysfs();
  std::string text;
  ASSERT_TRUE(fs->read("/sys/a/value", &text).ok());
  EXPECT_EQ(text, "1200000");
  ASSERT_TRUE(fs->write("/sys/a/value", "5").ok());
  EXPECT_EQ(tree.read_file("/sys/a/value"), "5");  // truncated, not "500000"
}

TEST(DiskSysfsTest, ErrorsCarryErrnoAndNameTheFileAndValue) {
  SysfsTree tree;
  tree.make_dir("/sys/dir");
  auto fs = tree.sysfs();
  Status s = fs->write("/sys/missing", "42");
  EXPECT_EQ(s.code(), ENOENT);
  EXPECT_NE(s.message().find("/sys/missing"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("'42'"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("ENOENT"), std::string::npos) << s.message();
  EXPECT_FALSE(fs->exists("/sys/missing"));  // never created
  EXPECT_EQ(fs->write("/sys/dir", "1").code(), EISDIR);
  std::string text;
  EXPECT_EQ(fs->read("/sys/missing", &text).code(), ENOENT);
  std::vector<std::string> names;
  EXPECT_EQ(fs->list("/sys/missing", &names).code(), ENOENT);
}

TEST(DiskSysfsTest, ListsSortedAndResolvesClassLinksInsideTheRoot) {
  SysfsTree tree;
  const std::string dir = tree.add_devfreq("gpu", "/sys/devices/platform/soc/gpu", 100, 200);
  tree.add_cooling_device(1, "Processor", 3);
  tree.add_cooling_device(0, "Processor", 3);
  auto fs = tree.sysfs();
  std::vector<std::string> names;
  ASSERT_TRUE(fs->list("/sys/class/thermal", &names).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"cooling_device0", "cooling_device1"}));
  std::string resolved;
  ASSERT_TRUE(fs->canonical("/sys/class/devfreq/gpu", &resolved).ok());
  EXPECT_EQ(resolved, dir);
  EXPECT_TRUE(fs->exists("/sys/class/devfreq/gpu/min_freq"));
  EXPECT_EQ(fs->canonical("/sys/class/devfreq/none", &resolved).code(), ENOENT);
}

TEST(DiskSysfsTest, HeldNodeKeepsTheLatestValue) {
  SysfsTree tree;
  tree.add_cpu_latency_node();
  std::unique_ptr<HeldNode> node;
  ASSERT_TRUE(tree.sysfs()->open_node(kCpuLatencyNode, &node).ok());
  const std::int32_t a = 100, b = 7;
  ASSERT_TRUE(node->write(std::string_view(reinterpret_cast<const char*>(&a), 4)).ok());
  ASSERT_TRUE(node->write(std::string_view(reinterpret_cast<const char*>(&b), 4)).ok());
  EXPECT_EQ(tree.cpu_latency_node_value(), 7);
  std::unique_ptr<HeldNode> none;
  EXPECT_EQ(tree.sysfs()->open_node("/dev/nothing", &none).code(), ENOENT);
}

TEST(SysfsHelpersTest, ParseAndPaths) {
  long long v = 0;
  EXPECT_TRUE(parse_int64("-12", &v));
  EXPECT_EQ(v, -12);
  EXPECT_FALSE(parse_int64("12a", &v));
  EXPECT_FALSE(parse_int64("", &v));
  EXPECT_FALSE(parse_int64(" 1", &v));
  EXPECT_FALSE(parse_int64("99999999999999999999", &v));
  EXPECT_EQ(trim("\t a b \n"), "a b");
  EXPECT_EQ(parent_path("/a/b/c"), "/a/b");
  EXPECT_EQ(parent_path("/a"), "/");
  EXPECT_EQ(base_name("/a/b/c"), "c");
  EXPECT_EQ(errno_text(EBUSY).substr(0, 5), "EBUSY");
}

}  // namespace
}  // namespace perfqos::backends
