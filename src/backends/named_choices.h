// The orders of the kernel's named knob values, from the most power saving to the most
// performant, and how a file of offered words becomes a named knob's choices.
//
//   epp      cpufreq energy_performance_available_preferences (intel_pstate, amd-pstate):
//            power < balance_power < balance_performance < performance;
//            "default" (the firmware's choice) is not a level: it is left out
//   profile  /sys/firmware/acpi/platform_profile_choices and, from Linux 6.14,
//            /sys/class/platform-profile/platform-profile-N/choices, in the kernel's own order
//            (enum platform_profile_option): low-power < cool < quiet < balanced <
//            balanced-performance < performance < max-power; "custom" is not a level
//
// The hardware may list its words in any order and offer any subset: the choices are the
// offered words sorted by the order above. Words the order does not know are left out and
// reported, so that a new kernel word is seen rather than placed at a guessed rank.
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "model/knob.h"

namespace perfqos::backends {

struct NamedChoices {
  std::vector<std::string> choices;  // ordered, no duplicates
  std::vector<std::string> unknown;  // offered words the order does not know, as offered
};

// `offered`: the words of the choices file, separated by white space. REQUIRES:
// is_named_knob(knob).
NamedChoices order_choices(KnobId knob, std::string_view offered);

}  // namespace perfqos::backends
