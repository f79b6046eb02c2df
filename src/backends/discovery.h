// Discovery: walks a SysfsRoot at start and returns the devices it can drive, each as a
// DeviceSpec with its backend, ready for Broker::register_device (DESIGN §7). Names, units and
// limits are documented in docs/devices.md:
//
//   cpuN             kind cpu       resume_latency (us) if power/pm_qos_resume_latency_us,
//                                   flags (no_power_off) if power/control
//   policyN          kind cpufreq   range in kHz, limits cpuinfo_min_freq..cpuinfo_max_freq
//   <devfreq name>   kind devfreq   range in kHz (files in Hz); flags / resume_latency of the
//                                   parent device when it has power/control /
//                                   power/pm_qos_resume_latency_us
//   cooling_deviceN  kind cooling   perf device, unit normal 0..1024 (1024 = state 0)
//   <powercap name>  kind powercap  range in mW on constraint_0_power_limit_uw
//   policyN          (as above)     + epp, a named knob on energy_performance_preference with
//                                   the words of energy_performance_available_preferences
//   platform_profile kind platform-profile  profile, a named knob on
//                                   /sys/firmware/acpi/platform_profile (+ _choices)
//   platform-profile-N  kind platform-profile  profile on /sys/class/platform-profile/
//                                   platform-profile-N/profile (+ choices), Linux 6.14
//   uclamp:NAME      kind uclamp    perf device, unit normal 0..1024, on cpu.uclamp.min (floor)
//                                   and cpu.uclamp.max (cap) of /sys/fs/cgroup/NAME, for each
//                                   first-level cgroup that has them (CONFIG_UCLAMP_TASK_GROUP)
// (named knobs: backends/named_choices.h gives their orders)
//
// The CPU latency nodes are not discovered: the daemon registers the class devices itself
// (pm_qos_class_spec), gives cpu_dma_latency make_cpu_latency_backend(), and gives
// cpu_wakeup_latency make_cpu_wakeup_latency_backend() when /dev/cpu_wakeup_latency exists.
//
// Discovery only reads. Backends write through `journal` (may be null). If the daemon restores
// a journal left by a crash, it must do so before discovery: backends read current values
// (originals) lazily on their first write, and limits here come from the files.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "backends/journal/knob_journal.h"
#include "backends/sysfs.h"
#include "model/device.h"

namespace perfqos::backends {

struct DiscoveredDevice {
  DeviceSpec spec;
  std::shared_ptr<DeviceBackend> backend;
};

struct Discovery {
  std::vector<DiscoveredDevice> devices;  // no parents: register in any order
  // Things found but skipped, one line each ("cooling_device3: max_state is 0: skipped").
  std::vector<std::string> warnings;
};

Discovery discover_devices(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal);

}  // namespace perfqos::backends
