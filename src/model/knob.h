// Knob: one aggregated quantity of a device (DESIGN §1, §4): a ConstraintList for one-valued
// knobs, a RangeConstraint for `range` (requested as `min` and `max`) and for the named knobs
// `epp` and `profile` (requested as `epp.min` / `epp.max`, ...).
//
// Knob names as users write them: latency, throughput, bandwidth, resume_latency,
// latency_tolerance, flags, min / max for the two ends of a range, and epp.min, epp.max,
// profile.min, profile.max for the ends of a named knob.
//
// A named knob's kernel spelling is a word (cpufreq energy_performance_preference, the platform
// profile). The engine stays integer: the knob is a range over the indices of its ordered
// choices (0 = the most power saving), so a `min` request is a floor ("at least
// balance_performance") and a `max` request a cap, aggregated like any range.
//
// Thread safety: effective() and effective_range() are lock-free and may be called from any
// thread; everything else belongs to the thread that owns the model.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/constraint_list.h"
#include "engine/range_constraint.h"
#include "engine/request.h"

namespace perfqos {

enum class KnobId : std::uint8_t {
  kLatency,           // µs, MIN (cpu_dma_latency, network_latency)
  kThroughput,        // kbit/s, MAX (network_throughput)
  kBandwidth,         // Mbit/s, SUM (memory_bandwidth)
  kResumeLatency,     // µs, MIN; INT32_MAX = no constraint, 0 = no power saving at all
  kLatencyTolerance,  // µs, MIN; empty = -1 "auto", INT32_MAX = "any"
  kFlags,             // FLAGS; bit 0 = no_power_off
  kRange,             // [min, max] in the device's unit
  kEpp,               // named range: cpufreq energy_performance_preference, power..performance
  kProfile,           // named range: the platform profile, low-power..max-power
};

// True for the knobs that hold a RangeConstraint: kRange and the named knobs.
inline constexpr bool is_range_knob(KnobId id) {
  return id == KnobId::kRange || id == KnobId::kEpp || id == KnobId::kProfile;
}
// True for the knobs whose values are the indices of words (kEpp, kProfile).
inline constexpr bool is_named_knob(KnobId id) {
  return id == KnobId::kEpp || id == KnobId::kProfile;
}
// The unit of a named knob: its values are choices, not quantities.
inline constexpr char kChoiceUnit[] = "choice";

inline constexpr std::int32_t kFlagNoPowerOff = 1 << 0;

// "latency", "throughput", ..., "range", "epp", "profile".
const char* knob_name(KnobId id);
// The name of a request's target as users write it: the knob name, "min"/"max" for a range,
// "epp.min", "profile.max", ... for a named knob.
const char* knob_request_name(KnobId id, RangeEnd end);
// Parses a knob name as users write it: "min" and "max" give kRange with that end, "epp.min"
// gives kEpp with end kMin, a bare "epp" or "profile" gives the knob with *end = kMin (the end
// is then said elsewhere). "range" is not a name users write. Returns false for an unknown name.
bool parse_knob_name(std::string_view name, KnobId* id, RangeEnd* end);
// True when `name` (which parse_knob_name accepts) says the end itself: "min", "epp.max".
bool knob_name_has_end(std::string_view name);

struct KnobSpec {
  KnobId id = KnobId::kLatency;
  std::string unit;  // "us", "kbit/s", "Mbit/s", "kHz", "mW", "normal", "kbps", "flags", "choice"
  ListSpec list;     // one-valued knobs
  Range limits;      // range knobs: the hard limits [limit_min, limit_max]
  // Named knobs: the words of values 0..n-1, from the most power saving to the most
  // performant; limits is then {0, n-1}.
  std::vector<std::string> choices{};
  bool operator==(const KnobSpec&) const = default;
};

class Knob {
 public:
  // REQUIRES: is_range_knob(spec.id) implies spec.limits.min <= spec.limits.max.
  explicit Knob(const KnobSpec& spec);
  Knob(const Knob&) = delete;
  Knob& operator=(const Knob&) = delete;

  KnobId id() const { return id_; }
  const std::string& unit() const { return unit_; }
  bool is_range() const { return range_ != nullptr; }
  // Named knobs: the words of values 0..n-1; empty for every other knob.
  const std::vector<std::string>& choices() const { return choices_; }

  // The list spec a request on `end` is checked against (`end` is ignored for one-valued knobs).
  ListSpec spec(RangeEnd end = RangeEnd::kMin) const;
  // kRange: the hard limits; one-valued: {no_constraint, no_constraint}.
  Range limits() const;

  // Lock-free. REQUIRES: !is_range() (use effective_range() for ranges).
  std::int32_t effective() const { return list_->effective(); }
  // Lock-free. A one-valued knob reads {value, value}.
  Range effective_range() const {
    if (range_) return range_->effective();
    const std::int32_t v = list_->effective();
    return Range{v, v};
  }

  // Active requests on `end` (both ends' sum when is_range() and end is not given).
  std::size_t size() const;
  std::size_t size(RangeEnd end) const;

  // What the effective value would be with one more request of `value` on `end`, the knob's
  // requests otherwise as they are now (explain's "would set it to"); changes nothing.
  // REQUIRES: spec(end).accepts(value). One-valued knobs read {v, v}.
  Range would_be(RangeEnd end, std::int32_t value) const;

  // As ConstraintList::add / RangeConstraint::add (`end` ignored for one-valued knobs).
  Result add(Request& request, RangeEnd end, std::int32_t value);

  // As ConstraintList::remove_all / RangeConstraint::remove_all: one change for them all.
  Result remove_all(std::span<Request* const> requests);

  // As ConstraintList::retain_only / RangeConstraint::retain_only.
  Result retain_only(std::span<Request* const> keep, std::size_t removed);
  // As ConstraintList::release_retired, for a request of any knob.
  static void release_retired(Request& request) { ConstraintList::release_retired(request); }

  // Subscribes to effective changes; one-valued knobs report {v, v} ranges.
  SubscriptionId subscribe(std::function<void(Range old_value, Range new_value)> notifier);
  bool unsubscribe(SubscriptionId id);

 private:
  KnobId id_;
  std::string unit_;
  std::unique_ptr<ConstraintList> list_;
  std::unique_ptr<RangeConstraint> range_;
  std::vector<std::string> choices_;
};

}  // namespace perfqos
