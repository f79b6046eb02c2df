// Named knobs (issue #17 point 2): cpufreq EPP and platform profiles on generated trees. The
// words are ordered whatever order the hardware lists them in; a floor raises the preference
// the system had and a cap lowers it; with no request the original word goes back, even one
// that is not a level ("default", "custom").
#include <gtest/gtest.h>

#include "backends/discovery.h"
#include "backends/named_choices.h"
#include "backends/sysfs_tree.h"
#include "model/broker.h"
#include "model/value_text.h"

namespace perfqos::backends {
namespace {

using perfqos::testing::SysfsTree;
using Words = std::vector<std::string>;

constexpr char kPolicy0[] = "/sys/devices/system/cpu/cpufreq/policy0";
constexpr char kEpp0[] = "/sys/devices/system/cpu/cpufreq/policy0/energy_performance_preference";
constexpr char kAcpiProfile[] = "/sys/firmware/acpi/platform_profile";
constexpr char kHandler0[] = "/sys/class/platform-profile/platform-profile-0";

const Words kEpp = {"power", "balance_power", "balance_performance", "performance"};

void add_epp(SysfsTree& tree, const std::string& available, const std::string& current) {
  tree.add_cpufreq_policy(0, 400000, 3000000, {0, 1});
  tree.write_file(std::string(kPolicy0) + "/energy_performance_available_preferences", available);
  tree.write_file(kEpp0, current);
}

const DiscoveredDevice* find(const Discovery& d, const std::string& name) {
  for (const auto& dev : d.devices)
    if (dev.spec.name == name) return &dev;
  return nullptr;
}

const KnobSpec* knob_of(const DeviceSpec& spec, KnobId id) {
  for (const auto& k : spec.knobs)
    if (k.id == id) return &k;
  return nullptr;
}

bool warned(const Discovery& d, const std::string& text) {
  for (const auto& w : d.warnings)
    if (w.find(text) != std::string::npos) return true;
  return false;
}

TEST(NamedChoicesTest, OfferedWordsAreSortedFromPowerToPerformance) {
  EXPECT_EQ(order_choices(KnobId::kEpp, "default performance balance_performance balance_power power\n")
                .choices,
            kEpp);
  // Another driver, another order, a subset.
  EXPECT_EQ(order_choices(KnobId::kEpp, "performance power").choices,
            (Words{"power", "performance"}));
  const NamedChoices p =
      order_choices(KnobId::kProfile, "performance custom quiet balanced low-power turbo");
  EXPECT_EQ(p.choices, (Words{"low-power", "quiet", "balanced", "performance"}));
  EXPECT_EQ(p.unknown, (Words{"turbo"}));  // no known rank: left out, reported
  EXPECT_TRUE(order_choices(KnobId::kEpp, "").choices.empty());
}

TEST(NamedChoicesTest, DiscoveryGivesPoliciesAnEppAndFindsBothProfileFiles) {
  SysfsTree tree;
  add_epp(tree, "default performance balance_performance balance_power power", "balance_power");
  tree.write_file(kAcpiProfile, "balanced");
  tree.write_file(std::string(kAcpiProfile) + "_choices", "low-power balanced performance");
  tree.write_file(std::string(kHandler0) + "/profile", "quiet");
  tree.write_file(std::string(kHandler0) + "/choices", "quiet balanced balanced-performance custom");
  tree.write_file(std::string(kHandler0) + "/name", "thinkpad_acpi");
  const Discovery d = discover_devices(tree.sysfs(), nullptr);

  const DiscoveredDevice* policy = find(d, "policy0");
  ASSERT_NE(policy, nullptr);
  ASSERT_NE(knob_of(policy->spec, KnobId::kRange), nullptr);  // the frequencies stay
  const KnobSpec* epp = knob_of(policy->spec, KnobId::kEpp);
  ASSERT_NE(epp, nullptr);
  EXPECT_EQ(epp->choices, kEpp);
  EXPECT_EQ(epp->unit, "choice");
  EXPECT_EQ(epp->limits, (Range{0, 3}));

  const DiscoveredDevice* acpi = find(d, "platform_profile");
  ASSERT_NE(acpi, nullptr);
  EXPECT_EQ(acpi->spec.kind, "platform-profile");
  EXPECT_EQ(knob_of(acpi->spec, KnobId::kProfile)->choices,
            (Words{"low-power", "balanced", "performance"}));
  const DiscoveredDevice* handler = find(d, "platform-profile-0");
  ASSERT_NE(handler, nullptr);
  EXPECT_EQ(knob_of(handler->spec, KnobId::kProfile)->choices,
            (Words{"quiet", "balanced", "balanced-performance"}));
}

TEST(NamedChoicesTest, TooFewLevelsOrUnknownWordsAreReported) {
  SysfsTree tree;
  add_epp(tree, "default performance", "default");  // one level: nothing to choose
  tree.write_file(kAcpiProfile, "balanced");
  tree.write_file(std::string(kAcpiProfile) + "_choices", "balanced performance hyperdrive");
  const Discovery d = discover_devices(tree.sysfs(), nullptr);
  ASSERT_NE(find(d, "policy0"), nullptr);
  EXPECT_EQ(knob_of(find(d, "policy0")->spec, KnobId::kEpp), nullptr);
  EXPECT_TRUE(warned(d, "policy0.epp: 1 known choices")) << ::testing::PrintToString(d.warnings);
  ASSERT_NE(find(d, "platform_profile"), nullptr);
  EXPECT_TRUE(warned(d, "choices hyperdrive have no known rank"))
      << ::testing::PrintToString(d.warnings);
}

class NamedKnobTest : public ::testing::Test {
 protected:
  void start() {
    for (auto& dev : discover_devices(tree.sysfs(), nullptr).devices) {
      ASSERT_TRUE(broker.register_device(dev.spec, dev.backend).ok()) << dev.spec.name;
    }
  }
  Status add(const std::string& device, KnobId knob, RangeEnd end, const std::string& word,
             RequestId* id = nullptr) {
    const Knob* k = broker.registry().find(device)->knob(knob);
    std::int32_t v = 0;
    if (Status s = parse_choice(k->choices(), word, device, &v); !s.ok()) return s;
    RequestOutcome out;
    Status s = broker.add(*holder, RequestTarget{device, knob, end, false}, v, std::nullopt, &out);
    if (id != nullptr) *id = out.id;
    return s;
  }
  void TearDown() override { holder.reset(); }

  SysfsTree tree;
  Broker broker;
  std::unique_ptr<Holder> holder = broker.make_holder(HolderIdentity{});
};

TEST_F(NamedKnobTest, AFloorRaisesTheOriginalACapLowersItAndReleaseRestoresIt) {
  add_epp(tree, "default performance balance_performance balance_power power", "balance_power");
  start();
  RequestId floor = 0, cap = 0;
  ASSERT_TRUE(add("policy0", KnobId::kEpp, RangeEnd::kMin, "balance_performance", &floor).ok());
  EXPECT_EQ(tree.read_file(kEpp0), "balance_performance");
  // A cap above the original with the floor gone: the original is within bounds again.
  ASSERT_TRUE(add("policy0", KnobId::kEpp, RangeEnd::kMax, "performance", &cap).ok());
  ASSERT_TRUE(broker.remove(*holder, floor, nullptr).ok());
  EXPECT_EQ(tree.read_file(kEpp0), "balance_power");
  ASSERT_TRUE(broker.update(*holder, cap, 0, nullptr).ok());  // cap at power
  EXPECT_EQ(tree.read_file(kEpp0), "power");
  ASSERT_TRUE(broker.remove(*holder, cap, nullptr).ok());
  EXPECT_EQ(tree.read_file(kEpp0), "balance_power");
}

TEST_F(NamedKnobTest, AnOriginalThatIsNotALevelGoesBackAsItWas) {
  add_epp(tree, "default performance balance_performance balance_power power", "default");
  tree.write_file(std::string(kHandler0) + "/profile", "custom");
  tree.write_file(std::string(kHandler0) + "/choices", "low-power balanced performance custom");
  start();
  RequestId id = 0;
  ASSERT_TRUE(add("policy0", KnobId::kEpp, RangeEnd::kMin, "performance", &id).ok());
  EXPECT_EQ(tree.read_file(kEpp0), "performance");
  ASSERT_TRUE(broker.remove(*holder, id, nullptr).ok());
  EXPECT_EQ(tree.read_file(kEpp0), "default");
  // With only a cap, the cap is what gets written.
  ASSERT_TRUE(add("platform-profile-0", KnobId::kProfile, RangeEnd::kMax, "balanced", &id).ok());
  EXPECT_EQ(tree.read_file(std::string(kHandler0) + "/profile"), "balanced");
  ASSERT_TRUE(broker.remove(*holder, id, nullptr).ok());
  EXPECT_EQ(tree.read_file(std::string(kHandler0) + "/profile"), "custom");
}

TEST_F(NamedKnobTest, FloorsAndCapsAggregateAsARange) {
  tree.write_file(kAcpiProfile, "balanced");
  tree.write_file(std::string(kAcpiProfile) + "_choices",
                  "low-power quiet balanced balanced-performance performance");
  start();
  auto other = broker.make_holder(HolderIdentity{});
  ASSERT_TRUE(add("platform_profile", KnobId::kProfile, RangeEnd::kMin, "quiet").ok());
  EXPECT_EQ(tree.read_file(kAcpiProfile), "balanced");  // already above the floor
  ASSERT_TRUE(broker
                  .add(*other, RequestTarget{"platform_profile", KnobId::kProfile, RangeEnd::kMin, false},
                       4, std::nullopt, nullptr)
                  .ok());  // performance
  EXPECT_EQ(tree.read_file(kAcpiProfile), "performance");  // the highest floor wins
  ASSERT_TRUE(add("platform_profile", KnobId::kProfile, RangeEnd::kMax, "balanced-performance").ok());
  // A cap below a floor: the range rule of DESIGN §3 keeps min <= max, the cap wins.
  const Range r = broker.registry().find("platform_profile")->knob(KnobId::kProfile)->effective_range();
  EXPECT_LE(r.min, r.max);
  EXPECT_EQ(tree.read_file(kAcpiProfile), "balanced-performance");
  other.reset();
}

TEST_F(NamedKnobTest, WordsAndIndicesOutsideTheChoicesAreRefusedWithTheList) {
  add_epp(tree, "performance power", "power");
  start();
  const Status word = add("policy0", KnobId::kEpp, RangeEnd::kMin, "balance_performance");
  EXPECT_EQ(word.code(), EINVAL);
  EXPECT_EQ(word.message(),
            "policy0: 'balance_performance' is not a choice here: allowed power, performance or "
            "default");
  const Status index = broker.add(*holder, RequestTarget{"policy0", KnobId::kEpp, RangeEnd::kMin, false},
                                  2, std::nullopt, nullptr);
  EXPECT_EQ(index.code(), EINVAL);
  EXPECT_NE(index.message().find("policy0.epp.min: value 2 out of range"), std::string::npos)
      << index.message();
  EXPECT_NE(index.message().find("(the indices of power, performance)"), std::string::npos)
      << index.message();
  EXPECT_EQ(tree.read_file(kEpp0), "power");  // nothing written
}

}  // namespace
}  // namespace perfqos::backends
