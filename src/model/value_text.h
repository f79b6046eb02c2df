// The user spellings of knob values, in one place: what `perfqosctl`, the config and the
// status output read and print.
//
//   every knob     decimal integers; "-1" or "default" for the knob's default request
//   latency-type   "any" = INT32_MAX (kernel PM_QOS_LATENCY_ANY): resume_latency,
//                  latency_tolerance
//   flags          "no_power_off" (bit 0), "none" (0), or a number; names join with ','
//   effective      latency_tolerance -1 prints "auto" (autonomous: nobody asked)
//   named knobs    (epp, profile) one of the knob's choices, e.g. "balance_performance";
//                  "default" or "-1" for the default request; never a number
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "model/knob.h"
#include "util/status.h"

namespace perfqos {

// Parses `text` as a request value for knob `id`. The result still has to pass the knob's
// ListSpec (parsing only checks the spelling and that it fits an int32). Errors: EINVAL with a
// message naming `what` (e.g. "cpu0.resume_latency") and the accepted spellings.
Status parse_request_value(KnobId id, std::string_view text, std::string_view what,
                           std::int32_t* value);

// A value for humans: special names where the knob has them, else the decimal number.
std::string format_value(KnobId id, std::int32_t value);

// The valid requests of `spec` in words: "0..2000000000 or -1", "flags no_power_off or -1".
std::string describe_allowed(KnobId id, const ListSpec& spec);

// EINVAL "WHAT: value V out of range: allowed A" for a value the spec refuses.
Status out_of_range(std::string_view what, KnobId id, std::int32_t value, const ListSpec& spec);

// Named knobs: `text` as one of `choices` (its index), or "default"/"-1" (-1). EINVAL
// "WHAT: 'turbo' is not a choice here: allowed power, balance_power, ... or default" otherwise
// (numbers too: the index of a word is not a spelling users write).
Status parse_choice(const std::vector<std::string>& choices, std::string_view text,
                    std::string_view what, std::int32_t* value);
// "power, balance_power, balance_performance, performance".
std::string join_choices(const std::vector<std::string>& choices);
// Named knobs: the word of `value`, "default" for -1, the number when outside the choices.
std::string format_choice(const std::vector<std::string>& choices, std::int32_t value);

}  // namespace perfqos
