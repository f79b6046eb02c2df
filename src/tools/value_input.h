// Knob values as people write and read them in perfqosctl (issue #20 point 3).
//
// Reading (parse_knob_value): a number in the knob's unit, or a decimal number with a unit
// suffix converted to the knob's unit when the result is a whole number:
//   us knobs        us (µs), ms, s, and ns            20us, 1.5ms, 2s
//   kHz/Hz knobs    Hz, kHz, MHz, GHz (any case)      1.5GHz, 800MHz (cpufreq and devfreq
//                                                     devices are described in kHz)
//   uW/mW knobs     uW (µW), mW, W                    15W, 1500mW (powercap zones are mW)
//   normal knobs    % of 1024                         50%
//   kbit/s, Mbit/s, kbps                              kbit/s, Mbit/s, Gbit/s (kbps, Mbps, Gbps)
// plus the words of "no constraint": `default` (-1, the knob's default request), `none` (flags:
// no flag; else -1) and `any` (resume_latency/latency_tolerance: INT32_MAX, the kernel's
// PM_QOS_LATENCY_ANY; else -1), and flag names for flags knobs. A value outside the knob's
// valid requests, however many digits it has, is refused with the allowed range. A named knob
// (epp, profile) takes one of its words, or default/none; never a number.
//
// Showing (show_value): the one vocabulary of list, get, status and monitor: `none` for -1 and
// the knob's no-constraint value, `auto`/`any` for latency_tolerance, flag names, else the
// decimal number (show_value_with_unit adds the unit to numbers); a named knob's word.
//
// Thread safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/knob.h"
#include "perfqos/client.h"
#include "util/status.h"

namespace perfqos::tools {

// What one knob accepts, from the daemon's description of it.
struct KnobValues {
  KnobId id = KnobId::kLatency;
  std::string unit;  // "us", "kbit/s", "Mbit/s", "kHz", "Hz", "normal", "kbps", "uW", "mW"
  std::int32_t no_constraint = 0;  // one-valued knobs: the effective value with no request
  std::int32_t min_request = 0;    // valid requests: min_request..max_request, or -1
  std::int32_t max_request = 0;
  std::vector<std::string> choices;  // named knobs: the words of values 0..n-1

  // From a knob of perfqos_describe()/perfqos_list(); "range" knobs give kRange. A named
  // knob's words come from perfqos_list_choices() (see ChoiceBook).
  static KnobValues of(const perfqos_knob_info& knob, std::vector<std::string> choices = {});
};

// Parses `text` as a request value for `knob`. Errors (EINVAL) name `what` ("cpu0.resume_latency")
// and say what is wrong: "WHAT: value 3000000000 out of range: allowed 0..2000000000 or -1",
// "WHAT: '1.5us' is not a whole number of us (between 1 and 2)", "WHAT: unknown unit 'kHz' for
// a us knob: use us, ms, s or none". *out is untouched on error.
Status parse_knob_value(const KnobValues& knob, std::string_view text, std::string_view what,
                        std::int32_t* out);

// The suffixes `knob` accepts ("us, ms, s"); "" when only plain numbers.
std::string accepted_units(const KnobValues& knob);

// "none", "auto", "any", "no_power_off", or the decimal number.
std::string show_value(const KnobValues& knob, std::int32_t value);
// As show_value, with " UNIT" after a number ("20 us", "none").
std::string show_value_with_unit(const KnobValues& knob, std::int32_t value);
// An effective value: show_value of one-valued knobs, "MIN..MAX" of ranges (unit once, after).
std::string show_effective(const KnobValues& knob, const perfqos_effective& e, bool with_unit);

// A duration: components NUMBER UNIT with units h, m, s, ms (decimal fractions allowed when the
// total is a whole number of ms): "1m30s", "1.5s", "250ms", "2h", or a plain number of seconds.
// > 0 and at most 24 days (the protocol carries milliseconds in 32 bits). EINVAL otherwise.
Status parse_duration(std::string_view text, std::chrono::milliseconds* out);

}  // namespace perfqos::tools
