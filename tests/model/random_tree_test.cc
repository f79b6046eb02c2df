// Randomized: a device tree with ancestor requests, timed requests, holders that go away and
// subtrees that are unregistered and come back, checked after every step against a brute-force
// model of every knob, and against what the backend was last told.
#include <gtest/gtest.h>

#include <climits>
#include <cstdlib>
#include <map>
#include <random>

#include "model/broker.h"
#include "model/device_specs.h"
#include "model/recording_backend.h"

namespace perfqos {
namespace {

struct DeviceShape {
  std::string name;
  std::string parent;
  std::vector<KnobSpec> knobs;
};

// Brute-force record of one request.
struct Modelled {
  int holder;
  RequestId id;
  std::string device;  // empty once detached
  KnobId knob;
  RangeEnd end;
  std::int32_t value;
  std::optional<Deadline> deadline;
};

class RandomTree {
 public:
  explicit RandomTree(std::uint64_t seed) : rng_(seed) {
    // d0 is the root; each later device hangs from an earlier one.
    const std::vector<std::vector<KnobSpec>> knob_sets = {
        {resume_latency_knob(), latency_tolerance_knob(), flags_knob()},
        {flags_knob()},
        {latency_tolerance_knob(), range_knob("kHz", 200, 3000)},
        {resume_latency_knob()},
        {range_knob("normal", 0, 1024), flags_knob()},
    };
    for (int i = 0; i < 8; ++i) {
      DeviceShape s;
      s.name = "d" + std::to_string(i);
      if (i > 0) s.parent = "d" + std::to_string(pick(0, i - 1));
      s.knobs = knob_sets[i % knob_sets.size()];
      shapes_.push_back(s);
      registered_[s.name] = true;
      EXPECT_TRUE(
          broker_.register_device({s.name, "device", s.parent, PerfUnit::kNone, s.knobs}, backend_)
              .ok());
    }
    for (int h = 0; h < 4; ++h) holders_.push_back(broker_.make_holder({}));
  }

  void step() {
    const int op = pick(0, 99);
    if (op < 40) {
      add();
    } else if (op < 60) {
      update();
    } else if (op < 75) {
      remove();
    } else if (op < 85) {
      advance_time();
    } else if (op < 90) {
      replace_holder();
    } else if (op < 94) {
      unregister();
    } else {
      reregister();
    }
    check();
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }

  const DeviceShape& shape(const std::string& name) {
    for (const auto& s : shapes_) {
      if (s.name == name) return s;
    }
    std::abort();
  }
  const KnobSpec* knob_of(const std::string& device, KnobId id) {
    for (const auto& k : shape(device).knobs) {
      if (k.id == id) return &k;
    }
    return nullptr;
  }
  ListSpec spec_of(const KnobSpec& k, RangeEnd end) {
    if (k.id != KnobId::kRange) return k.list;
    ListSpec s;
    s.type = end == RangeEnd::kMin ? ListType::kMax : ListType::kMin;
    s.default_value = s.no_constraint_value = end == RangeEnd::kMin ? k.limits.min : k.limits.max;
    s.min_request = k.limits.min;
    s.max_request = k.limits.max;
    return s;
  }

  void add() {
    const std::string device = "d" + std::to_string(pick(0, 7));
    const KnobId knobs[] = {KnobId::kResumeLatency, KnobId::kLatencyTolerance, KnobId::kFlags,
                            KnobId::kRange};
    const KnobId knob = knobs[pick(0, 3)];
    const RangeEnd end = pick(0, 1) ? RangeEnd::kMin : RangeEnd::kMax;
    const bool ancestor = pick(0, 3) == 0;
    std::optional<Deadline> deadline;
    if (pick(0, 2) == 0) deadline = now_ + std::chrono::milliseconds(pick(1, 50));
    const int h = pick(0, 3);

    // Where the brute force says it lands.
    std::string target;
    int expected_errno = 0;
    if (!registered_[device]) {
      expected_errno = ENODEV;
    } else if (ancestor) {
      std::string d = shape(device).parent;
      while (!d.empty() && !knob_of(d, knob)) d = shape(d).parent;
      if (d.empty()) expected_errno = ENODEV;
      target = d;
    } else if (!knob_of(device, knob)) {
      expected_errno = EINVAL;
    } else {
      target = device;
    }
    const std::int32_t raw = random_value(knob);
    std::int32_t value = raw;
    if (expected_errno == 0) {
      const ListSpec spec = spec_of(*knob_of(target, knob), end);
      if (spec.accepts(raw)) {
        value = spec.resolve(raw);
      } else {
        expected_errno = EINVAL;
      }
    }
    RequestOutcome out;
    Status s = broker_.add(*holders_[h], {device, knob, end, ancestor}, raw, deadline, &out);
    ASSERT_EQ(s.code(), expected_errno) << s.message();
    ++outcomes[s.code()];
    if (s.ok()) {
      ASSERT_NE(out.device, nullptr);
      EXPECT_EQ(out.device->name(), target);
      requests_.push_back({h, out.id, target, knob, end, value, deadline});
    }
  }

  std::int32_t random_value(KnobId knob) {
    switch (pick(0, 9)) {
      case 0:
        return -1;
      case 1:
        return pick(-3, -2);  // invalid
      default:
        break;
    }
    if (knob == KnobId::kFlags) return pick(0, 2);  // 2 is invalid
    return pick(0, 3100);                           // sometimes outside a range's limits
  }

  Modelled* random_request() {
    if (requests_.empty()) return nullptr;
    return &requests_[static_cast<std::size_t>(pick(0, static_cast<int>(requests_.size()) - 1))];
  }

  void update() {
    Modelled* m = random_request();
    if (m == nullptr) return;
    const std::int32_t raw = random_value(m->knob);
    std::int32_t value = raw;
    int expected_errno = 0;
    if (m->device.empty()) {
      expected_errno = ENODEV;
    } else {
      const ListSpec spec = spec_of(*knob_of(m->device, m->knob), m->end);
      if (!spec.accepts(raw)) {
        expected_errno = EINVAL;
      } else {
        value = spec.resolve(raw);
      }
    }
    RequestOutcome out;
    Status s = broker_.update(*holders_[m->holder], m->id, raw, &out);
    ASSERT_EQ(s.code(), expected_errno) << s.message();
    if (s.ok()) m->value = value;
  }

  void remove() {
    Modelled* m = random_request();
    if (m == nullptr) return;
    RequestOutcome out;
    Status s = broker_.remove(*holders_[m->holder], m->id, &out);
    ASSERT_EQ(s.code(), m->device.empty() ? ENODEV : 0) << s.message();
    requests_.erase(requests_.begin() + (m - requests_.data()));
  }

  void advance_time() {
    now_ += std::chrono::milliseconds(pick(1, 20));
    std::size_t due = 0;
    std::erase_if(requests_, [&](const Modelled& m) {
      const bool due_now = m.deadline && !m.device.empty() && *m.deadline <= now_;
      due += due_now;
      return due_now;
    });
    EXPECT_EQ(broker_.expire(now_), due);
    expired += due;
  }

  void replace_holder() {
    const int h = pick(0, 3);
    holders_[static_cast<std::size_t>(h)] = broker_.make_holder({});
    std::erase_if(requests_, [h](const Modelled& m) { return m.holder == h; });
  }

  void unregister() {
    const std::string name = "d" + std::to_string(pick(1, 7));
    if (!registered_[name]) return;
    ASSERT_TRUE(broker_.unregister_device(name).ok());
    ++unregistered;
    // The brute force: the whole subtree goes.
    std::vector<std::string> gone{name};
    for (std::size_t i = 0; i < gone.size(); ++i) {
      for (const auto& s : shapes_) {
        if (s.parent == gone[i] && registered_[s.name]) gone.push_back(s.name);
      }
    }
    for (const auto& g : gone) {
      registered_[g] = false;
      applied_.erase(g);
    }
    for (auto& m : requests_) {
      if (std::find(gone.begin(), gone.end(), m.device) != gone.end()) {
        m.device.clear();
        m.deadline.reset();
      }
    }
  }

  void reregister() {
    for (const auto& s : shapes_) {
      if (!registered_[s.name] && (s.parent.empty() || registered_[s.parent])) {
        ASSERT_TRUE(
            broker_
                .register_device({s.name, "device", s.parent, PerfUnit::kNone, s.knobs}, backend_)
                .ok());
        registered_[s.name] = true;
        return;
      }
    }
  }

  void check() {
    for (const auto& s : shapes_) {
      if (!registered_[s.name]) {
        EXPECT_EQ(broker_.registry().find(s.name), nullptr);
        continue;
      }
      const Device& device = *broker_.registry().find(s.name);
      for (const KnobSpec& k : s.knobs) {
        Range expected = brute_force(s.name, k);
        const Knob& knob = *device.knob(k.id);
        ASSERT_EQ(knob.effective_range(), expected) << s.name << "." << knob_name(k.id);
      }
    }
    // The backend was last told the effective value of every knob it was told anything about.
    for (const auto& a : backend_->applied) applied_[a.device][a.knob] = a.value;
    backend_->applied.clear();
    for (const auto& [device, knobs] : applied_) {
      for (const auto& [knob, value] : knobs) {
        ASSERT_EQ(value, broker_.registry().find(device)->knob(knob)->effective_range())
            << device << "." << knob_name(knob);
      }
    }
  }

  Range brute_force(const std::string& device, const KnobSpec& k) {
    if (k.id == KnobId::kRange) {
      Range r = k.limits;
      for (const auto& m : requests_) {
        if (m.device != device || m.knob != k.id) continue;
        if (m.end == RangeEnd::kMin) r.min = std::max(r.min, m.value);
        if (m.end == RangeEnd::kMax) r.max = std::min(r.max, m.value);
      }
      if (r.min > r.max) r.min = r.max;
      return r;
    }
    std::int64_t v = k.list.no_constraint_value;
    bool any = false;
    for (const auto& m : requests_) {
      if (m.device != device || m.knob != k.id) continue;
      if (k.list.type == ListType::kMin) v = any ? std::min<std::int64_t>(v, m.value) : m.value;
      if (k.list.type == ListType::kFlags) v = any ? (v | m.value) : m.value;
      any = true;
    }
    return Range{static_cast<std::int32_t>(v), static_cast<std::int32_t>(v)};
  }

  std::mt19937_64 rng_;
  std::vector<DeviceShape> shapes_;
  std::map<std::string, bool> registered_;
  std::shared_ptr<testing::RecordingBackend> backend_ =
      std::make_shared<testing::RecordingBackend>();
  Broker broker_;
  std::vector<std::unique_ptr<Holder>> holders_;
  std::vector<Modelled> requests_;
  std::map<std::string, std::map<KnobId, Range>> applied_;
  Deadline now_{};

 public:
  ~RandomTree() { holders_.clear(); }
  std::map<int, int> outcomes;  // add() results by errno, to show the walk covers them
  std::size_t expired = 0;
  int unregistered = 0;
};

TEST(RandomTree, MatchesBruteForceAfterEveryStep) {
  std::uint64_t seed = 20261121;
  if (const char* s = std::getenv("PERFQOS_SEED")) seed = std::strtoull(s, nullptr, 10);
  std::printf("seed %llu (set PERFQOS_SEED to replay)\n", static_cast<unsigned long long>(seed));
  RandomTree tree(seed);
  for (int i = 0; i < 200000; ++i) {
    tree.step();
    if (::testing::Test::HasFatalFailure()) {
      ADD_FAILURE() << "at step " << i;
      return;
    }
  }
  std::printf("adds ok %d, EINVAL %d, ENODEV %d; expired %zu; unregistered %d\n", tree.outcomes[0],
              tree.outcomes[EINVAL], tree.outcomes[ENODEV], tree.expired, tree.unregistered);
  EXPECT_GT(tree.outcomes[0], 1000);
  EXPECT_GT(tree.outcomes[EINVAL], 100);
  EXPECT_GT(tree.outcomes[ENODEV], 100);
  EXPECT_GT(tree.expired, 100u);
  EXPECT_GT(tree.unregistered, 100);
}

}  // namespace
}  // namespace perfqos
