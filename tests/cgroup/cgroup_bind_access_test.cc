// cgroup_bind_access: the two BIND decisions on their own. The quota decision is pure; the
// cgroup decision reads only the owner of a directory, so a temporary directory stands for the
// cgroup2 mount. The daemon tests (binding_test.cc) hold both against real cgroups.
#include "cgroup/cgroup_bind_access.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>

namespace perfqos::daemon {
namespace {

HolderIdentity binder(uid_t uid, std::string cgroup) {
  HolderIdentity id;
  id.uid = uid;
  id.gid = uid;
  id.cgroup = std::move(cgroup);
  return id;
}

TEST(AdmitBinding, PerUidThenGlobalBoundWithTheKeyInTheMessage) {
  Quotas q;
  q.max_bindings_per_uid = 2;
  q.max_bindings = 5;
  EXPECT_TRUE(admit_binding(q, 1000, 1, 4).ok());
  Status s = admit_binding(q, 1000, 2, 2);
  EXPECT_EQ(s.code(), EDQUOT);
  EXPECT_NE(s.message().find("quotas.max_bindings_per_uid = 2"), std::string::npos) << s.message();
  s = admit_binding(q, 1000, 0, 5);
  EXPECT_EQ(s.code(), EDQUOT);
  EXPECT_NE(s.message().find("quotas.max_bindings = 5"), std::string::npos) << s.message();
}

TEST(AdmitBinding, ZeroIsUnlimitedAndRootIsExemptUnlessApplyToRoot) {
  Quotas q;
  q.max_bindings_per_uid = 0;
  q.max_bindings = 0;
  EXPECT_TRUE(admit_binding(q, 1000, 1u << 30, 1u << 30).ok());
  q.max_bindings_per_uid = 1;
  q.max_bindings = 1;
  EXPECT_TRUE(admit_binding(q, 0, 10, 10).ok());
  q.apply_to_root = true;
  EXPECT_EQ(admit_binding(q, 0, 1, 1).code(), EDQUOT);
}

class MayBindCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root to chown the stand-in cgroups";
    char tmpl[] = "/tmp/perfqos-bind-access-XXXXXX";
    mount_ = ::mkdtemp(tmpl);
    for (const char* dir : {"/others", "/owned", "/mine", "/mine/below", "/mine-too"}) {
      std::filesystem::create_directory(mount_ + dir);
    }
    ASSERT_EQ(::chown((mount_ + "/owned").c_str(), 4242, 4242), 0);
  }
  void TearDown() override {
    if (!mount_.empty()) std::filesystem::remove_all(mount_);
  }
  std::string mount_;
};

TEST_F(MayBindCgroup, RootMayBindAnyCgroup) {
  EXPECT_TRUE(may_bind_cgroup(binder(0, "/"), mount_, "/others").ok());
}

TEST_F(MayBindCgroup, OthersOnlyWhatTheyOwnOrAreIn) {
  EXPECT_TRUE(may_bind_cgroup(binder(4242, "/"), mount_, "/owned").ok());
  EXPECT_TRUE(may_bind_cgroup(binder(4242, "/mine"), mount_, "/mine").ok());
  EXPECT_TRUE(may_bind_cgroup(binder(4242, "/mine"), mount_, "/mine/below").ok());
  // A sibling that shares the prefix is not below.
  EXPECT_EQ(may_bind_cgroup(binder(4242, "/mine"), mount_, "/mine-too").code(), EACCES);
  EXPECT_EQ(may_bind_cgroup(binder(4242, "/mine/below"), mount_, "/mine").code(), EACCES);
  const Status s = may_bind_cgroup(binder(4242, "/mine"), mount_, "/others");
  EXPECT_EQ(s.code(), EACCES);
  EXPECT_NE(s.message().find("owned by uid 0"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("/mine or below it"), std::string::npos) << s.message();
}

TEST_F(MayBindCgroup, TheRootCgroupOrAnUnknownOneIsNoMembership) {
  EXPECT_EQ(may_bind_cgroup(binder(4242, "/"), mount_, "/others").code(), EACCES);
  EXPECT_EQ(may_bind_cgroup(binder(4242, ""), mount_, "/others").code(), EACCES);
  EXPECT_EQ(may_bind_cgroup(binder(4242, "/"), mount_, "/").code(), EACCES);
}

TEST_F(MayBindCgroup, AMissingCgroupIsEnoent) {
  EXPECT_EQ(may_bind_cgroup(binder(4242, "/mine"), mount_, "/mine/gone").code(), ENOENT);
}

}  // namespace
}  // namespace perfqos::daemon
