// ConnectionQuota: slots count per uid while they live, moves keep one count, and a reload of
// the policy applies to the next admission only.
#include "policy/connection_quota.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <utility>

namespace perfqos::daemon {
namespace {

Policy with_connection_quota(std::uint32_t limit) {
  Quotas q;
  q.max_connections_per_uid = limit;
  return Policy({}, {}, q);
}

TEST(ConnectionQuota, SlotsCountPerUidUntilDestroyed) {
  PolicyStore policy(with_connection_quota(2));
  ConnectionQuota quota(&policy);
  ConnectionQuota::Slot a, b, c, other;
  ASSERT_TRUE(quota.admit(1000, &a).ok());
  ASSERT_TRUE(quota.admit(1000, &b).ok());
  const Status refused = quota.admit(1000, &c);
  EXPECT_EQ(refused.code(), EUSERS);
  EXPECT_NE(refused.message().find("max_connections_per_uid = 2"), std::string::npos)
      << refused.message();
  EXPECT_FALSE(c.admitted());
  EXPECT_EQ(quota.held(1000), 2u);
  EXPECT_TRUE(quota.admit(1001, &other).ok());  // another uid has its own count
  EXPECT_TRUE(quota.admit(0, &c).ok());         // root is exempt

  a = ConnectionQuota::Slot();  // released by assignment
  EXPECT_EQ(quota.held(1000), 1u);
  ConnectionQuota::Slot moved(std::move(b));  // a move keeps one count
  EXPECT_FALSE(b.admitted());
  EXPECT_TRUE(moved.admitted());
  EXPECT_EQ(quota.held(1000), 1u);
  {
    ConnectionQuota::Slot scoped;
    EXPECT_TRUE(quota.admit(1000, &scoped).ok());
    EXPECT_EQ(quota.held(1000), 2u);
  }
  EXPECT_EQ(quota.held(1000), 1u);
}

TEST(ConnectionQuota, ReloadAppliesToTheNextAdmission) {
  PolicyStore policy(with_connection_quota(1));
  ConnectionQuota quota(&policy);
  ConnectionQuota::Slot a, b;
  ASSERT_TRUE(quota.admit(7, &a).ok());
  EXPECT_EQ(quota.admit(7, &b).code(), EUSERS);
  policy.set(with_connection_quota(0));  // 0: unlimited
  EXPECT_TRUE(quota.admit(7, &b).ok());
  policy.set(with_connection_quota(1));  // held slots stay; new ones are refused
  ConnectionQuota::Slot c;
  EXPECT_EQ(quota.admit(7, &c).code(), EUSERS);
  EXPECT_EQ(quota.held(7), 2u);
}

TEST(ConnectionQuota, WithoutAPolicyEverythingIsAdmittedAndCounted) {
  ConnectionQuota quota;
  ConnectionQuota::Slot a, b;
  EXPECT_TRUE(quota.admit(5, &a).ok());
  EXPECT_TRUE(quota.admit(5, &b).ok());
  EXPECT_EQ(quota.held(5), 2u);
}

TEST(ConnectionQuota, GlobalBoundCountsRootButRefusesOnlyOthers) {
  Quotas q;
  q.max_connections = 2;
  PolicyStore policy(Policy({}, {}, q));
  ConnectionQuota quota(&policy);
  ConnectionQuota::Slot a, b, c, d;
  ASSERT_TRUE(quota.admit(0, &a).ok());
  ASSERT_TRUE(quota.admit(1000, &b).ok());
  EXPECT_EQ(quota.total(), 2u);
  const Status refused = quota.check(1001);
  EXPECT_EQ(refused.code(), EUSERS);
  EXPECT_NE(refused.message().find("quotas.max_connections = 2"), std::string::npos)
      << refused.message();
  EXPECT_EQ(quota.admit(1001, &c).code(), EUSERS);
  EXPECT_EQ(quota.total(), 2u);          // check() and a refusal count nothing
  EXPECT_TRUE(quota.admit(0, &d).ok());  // root is exempt, and counted
  EXPECT_EQ(quota.total(), 3u);
  a = ConnectionQuota::Slot();
  d = ConnectionQuota::Slot();
  EXPECT_TRUE(quota.check(1001).ok());
}

}  // namespace
}  // namespace perfqos::daemon
