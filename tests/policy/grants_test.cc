#include "policy/policy.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace perfqos {
namespace {

Grant grant(std::vector<uid_t> uids, std::vector<gid_t> gids, std::vector<std::string> cgroups,
            std::string device, std::string knob, std::int32_t min, std::int32_t max) {
  Grant g;
  g.uids = std::move(uids);
  g.gids = std::move(gids);
  g.cgroups = std::move(cgroups);
  g.device = std::move(device);
  g.knob = std::move(knob);
  g.min = min;
  g.max = max;
  g.origin = "test.toml:1";
  return g;
}

TEST(Policy, DefaultLetsOnlyRootWrite) {
  Policy p;
  EXPECT_TRUE(p.authorize({0, 0, "/"}, "cpu_dma_latency", "latency", 1).ok());
  Status s = p.authorize({1000, 1000, "/user.slice"}, "cpu_dma_latency", "latency", 100);
  EXPECT_EQ(s.code(), EACCES);
  EXPECT_NE(s.message().find("users = [1000]"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("device = \"cpu_dma_latency\""), std::string::npos);
  EXPECT_EQ(p.authorize_any({1000, 1000, ""}, "gpu", "min").code(), EACCES);
}

TEST(Policy, GrantsMatchByUidGidOrCgroupGlob) {
  Policy p({grant({1000}, {}, {}, "cpu_dma_latency", "latency", 20, 100),
            grant({}, {44}, {}, "gpu*", "range", 0, 512),
            grant({}, {}, {"/user.slice/*/app-*.scope"}, "network_latency", "*", 0, INT32_MAX)},
           {}, {});
  EXPECT_TRUE(p.authorize({1000, 1, ""}, "cpu_dma_latency", "latency", 20).ok());
  EXPECT_TRUE(p.authorize({1000, 1, ""}, "cpu_dma_latency", "latency", 100).ok());
  EXPECT_EQ(p.authorize({1000, 1, ""}, "cpu_dma_latency", "latency", 19).code(), EACCES);
  EXPECT_EQ(p.authorize({1000, 1, ""}, "cpu_dma_latency", "latency", 101).code(), EACCES);
  EXPECT_TRUE(p.authorize({1000, 1, ""}, "cpu_dma_latency", "latency", -1).ok());
  Status s = p.authorize({1000, 1, ""}, "cpu_dma_latency", "latency", 5);
  EXPECT_NE(s.message().find("20..100 (test.toml:1)"), std::string::npos) << s.message();
  EXPECT_EQ(p.authorize({1001, 1, ""}, "cpu_dma_latency", "latency", 50).code(), EACCES);

  EXPECT_TRUE(p.authorize({5, 44, ""}, "gpu0", "min", 512).ok());
  EXPECT_TRUE(p.authorize({5, 44, ""}, "gpu1", "max", 0).ok());
  EXPECT_EQ(p.authorize({5, 44, ""}, "gpu0", "max", 513).code(), EACCES);
  EXPECT_EQ(p.authorize({5, 44, ""}, "cpu0", "min", 1).code(), EACCES);
  EXPECT_EQ(p.authorize({5, 45, ""}, "gpu0", "min", 1).code(), EACCES);
  // A supplementary group matches as the primary one does.
  EXPECT_TRUE(p.authorize({5, 45, "", {3, 44}}, "gpu0", "min", 1).ok());
  EXPECT_EQ(p.authorize({5, 45, "", {3, 43}}, "gpu0", "min", 1).code(), EACCES);

  const Caller app{7, 7, "/user.slice/user-7.slice/app-x.scope"};
  EXPECT_TRUE(p.authorize(app, "network_latency", "latency", 1).ok());
  EXPECT_EQ(
      p.authorize({7, 7, "/system.slice/app-x.scope"}, "network_latency", "latency", 1).code(),
      EACCES);
  EXPECT_EQ(p.authorize({7, 7, ""}, "network_latency", "latency", 1).code(), EACCES);
  EXPECT_TRUE(p.authorize_any(app, "network_latency", "latency").ok());
  EXPECT_TRUE(p.names_groups());
}

TEST(Policy, NamesGroupsOnlyWhenAGrantDoes) {
  EXPECT_FALSE(Policy().names_groups());
  EXPECT_FALSE(Policy({grant({1000}, {}, {"/a/*"}, "*", "*", 0, 10)}, {}, {}).names_groups());
  EXPECT_TRUE(
      Policy({grant({1000}, {}, {}, "*", "*", 0, 10), grant({}, {7}, {}, "x", "*", 0, 1)}, {}, {})
          .names_groups());
}

TEST(Policy, CgroupCapsAndFloorsIntersect) {
  CgroupLimit a;
  a.cgroup = "/batch/*";
  a.device = "gpu";
  a.knob = "max";
  a.cap = 512;
  a.floor = 10;
  a.origin = "a:1";
  CgroupLimit b = a;
  b.cgroup = "/batch/low";
  b.cap = 256;
  b.floor.reset();
  b.origin = "b:1";
  Policy p({grant({1}, {}, {}, "*", "*", 0, INT32_MAX)}, {a, b}, {});
  EXPECT_TRUE(p.authorize({1, 1, "/batch/high"}, "gpu", "max", 512).ok());
  EXPECT_EQ(p.authorize({1, 1, "/batch/low"}, "gpu", "max", 300).code(), EACCES);
  EXPECT_EQ(p.authorize({1, 1, "/batch/low"}, "gpu", "max", 5).code(), EACCES);
  EXPECT_TRUE(p.authorize({1, 1, "/batch/low"}, "gpu", "min", 900).ok());   // other knob
  EXPECT_TRUE(p.authorize({0, 0, "/batch/low"}, "gpu", "max", 1024).ok());  // root
  const CgroupLimit l = p.limits_for("/batch/low", "gpu", "max");
  EXPECT_EQ(l.cap, 256);
  EXPECT_EQ(l.floor, 10);
}

TEST(Policy, Quotas) {
  Quotas q;
  q.max_requests_per_holder = 2;
  q.max_connections_per_uid = 3;
  Policy p({}, {}, q);
  EXPECT_TRUE(p.admit_request({5, 5, ""}, 1).ok());
  EXPECT_EQ(p.admit_request({5, 5, ""}, 2).code(), EDQUOT);
  EXPECT_TRUE(p.admit_request({0, 0, ""}, 100).ok());
  EXPECT_TRUE(p.admit_connection(5, 2).ok());
  EXPECT_EQ(p.admit_connection(5, 3).code(), EUSERS);
  EXPECT_TRUE(p.admit_connection(0, 300).ok());
  q.apply_to_root = true;
  EXPECT_EQ(Policy({}, {}, q).admit_connection(0, 3).code(), EUSERS);
  Quotas unlimited;
  unlimited.max_requests_per_holder = 0;  // 0 = unlimited
  EXPECT_TRUE(Policy({}, {}, unlimited).admit_request({5, 5, ""}, 1000000).ok());
  // The default bounds every holder.
  EXPECT_EQ(Policy().admit_request({5, 5, ""}, Quotas{}.max_requests_per_holder).code(), EDQUOT);
}

}  // namespace
}  // namespace perfqos
