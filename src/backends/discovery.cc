#include "backends/discovery.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <set>
#include <sstream>

#include "backends/knob_dispatch.h"
#include "backends/knobs/choice_backend.h"
#include "backends/knobs/cooling_backend.h"
#include "backends/knobs/cpufreq_backend.h"
#include "backends/knobs/devfreq_backend.h"
#include "backends/knobs/rapl_backend.h"
#include "backends/knobs/resume_latency_backend.h"
#include "backends/knobs/runtime_pm_backend.h"
#include "backends/knobs/uclamp_backend.h"
#include "backends/named_choices.h"
#include "model/device_specs.h"

namespace perfqos::backends {

namespace {

constexpr char kCpuDir[] = "/sys/devices/system/cpu";
constexpr char kCpufreqDir[] = "/sys/devices/system/cpu/cpufreq";
constexpr char kDevfreqClass[] = "/sys/class/devfreq";
constexpr char kThermalClass[] = "/sys/class/thermal";
constexpr char kPowercapClass[] = "/sys/class/powercap";
constexpr char kAcpiPlatformProfile[] = "/sys/firmware/acpi/platform_profile";
constexpr char kPlatformProfileClass[] = "/sys/class/platform-profile";
constexpr char kCgroup2Root[] = "/sys/fs/cgroup";

// "cpu12" with prefix "cpu" -> 12; -1 when not prefix + digits.
long long numbered(const std::string& name, std::string_view prefix) {
  if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) return -1;
  long long n = 0;
  for (std::size_t i = prefix.size(); i < name.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(name[i])) || n > INT_MAX) return -1;
    n = n * 10 + (name[i] - '0');
  }
  return n;
}

// Entries named prefix + N, in numeric order.
std::vector<std::string> numbered_entries(SysfsRoot& root, const std::string& dir,
                                          std::string_view prefix) {
  std::vector<std::string> names;
  if (!root.list(dir, &names).ok()) return {};
  std::erase_if(names, [&](const std::string& n) { return numbered(n, prefix) < 0; });
  std::sort(names.begin(), names.end(), [&](const std::string& a, const std::string& b) {
    return numbered(a, prefix) < numbered(b, prefix);
  });
  return names;
}

std::int32_t to_int32(long long v) {
  return static_cast<std::int32_t>(std::clamp<long long>(v, INT_MIN, INT_MAX));
}

class Walker {
 public:
  Walker(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal)
      : root_(std::move(root)), journal_(std::move(journal)) {}

  Discovery run() {
    cpus();
    cpufreq_policies();
    devfreq_devices();
    cooling_devices();
    powercap_zones();
    platform_profiles();
    uclamp_cgroups();
    return std::move(out_);
  }

 private:
  void warn(std::string line) { out_.warnings.push_back(std::move(line)); }

  Status read_int(const std::string& path, long long* v) {
    std::string text;
    if (Status s = root_->read(path, &text); !s.ok()) return s;
    if (!parse_int64(text, v)) {
      return Status::Error(EINVAL, path + " holds '" + text + "', not a number");
    }
    return Status::Ok();
  }

  // A device name from a kernel name: bytes outside [A-Za-z0-9_.:-] become '_', cut to 63.
  std::string device_name(std::string kernel_name) {
    for (char& c : kernel_name) {
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.' && c != ':' &&
          c != '-')
        c = '_';
    }
    if (kernel_name.size() > 63) kernel_name.resize(63);
    return kernel_name;
  }

  void add(DeviceSpec spec, std::shared_ptr<DeviceBackend> backend) {
    if (!check_device_name(spec.name).ok() || !names_.insert(spec.name).second) {
      warn(spec.name + ": name empty, invalid or already taken: skipped");
      return;
    }
    out_.devices.push_back(DiscoveredDevice{std::move(spec), std::move(backend)});
  }

  // The power/ knobs of a device directory: resume_latency and flags where the files exist.
  void power_knobs(const std::string& dir, DeviceSpec* spec, KnobDispatch* dispatch) {
    const std::string resume = dir + "/power/pm_qos_resume_latency_us";
    if (root_->exists(resume)) {
      spec->knobs.push_back(resume_latency_knob());
      dispatch->set(KnobId::kResumeLatency,
                    std::make_shared<ResumeLatencyBackend>(root_, journal_, resume));
    }
    const std::string control = dir + "/power/control";
    if (root_->exists(control)) {
      spec->knobs.push_back(flags_knob());
      dispatch->set(KnobId::kFlags, std::make_shared<RuntimePmBackend>(root_, journal_, control));
    }
  }

  void cpus() {
    for (const std::string& name : numbered_entries(*root_, kCpuDir, "cpu")) {
      DeviceSpec spec{device_name(name), "cpu", "", PerfUnit::kNone, {}};
      auto dispatch = std::make_shared<KnobDispatch>();
      power_knobs(std::string(kCpuDir) + "/" + name, &spec, dispatch.get());
      if (!spec.knobs.empty()) add(std::move(spec), std::move(dispatch));
    }
  }

  void cpufreq_policies() {
    for (const std::string& name : numbered_entries(*root_, kCpufreqDir, "policy")) {
      const std::string dir = std::string(kCpufreqDir) + "/" + name;
      long long lo = 0, hi = 0;
      Status s = read_int(dir + "/cpuinfo_min_freq", &lo);
      if (s.ok()) s = read_int(dir + "/cpuinfo_max_freq", &hi);
      if (!s.ok()) {
        warn(name + ": " + s.message() + ": skipped");
        continue;
      }
      if (lo > hi || lo < 0 || hi > INT_MAX || !root_->exists(dir + "/scaling_min_freq") ||
          !root_->exists(dir + "/scaling_max_freq")) {
        warn(name + ": no usable cpuinfo range or scaling files: skipped");
        continue;
      }
      const Range limits{to_int32(lo), to_int32(hi)};
      DeviceSpec spec{
          device_name(name), "cpufreq", "", PerfUnit::kNone, {range_knob("kHz", limits.min, limits.max)}};
      auto dispatch = std::make_shared<KnobDispatch>();
      dispatch->set(KnobId::kRange, std::make_shared<CpufreqBackend>(root_, journal_, dir, limits));
      named_knob_of(name, KnobId::kEpp, dir + "/energy_performance_preference",
                    dir + "/energy_performance_available_preferences", &spec, dispatch.get());
      add(std::move(spec), std::move(dispatch));
    }
  }

  void devfreq_devices() {
    std::vector<std::string> names;
    if (!root_->list(kDevfreqClass, &names).ok()) return;
    for (const std::string& name : names) {
      std::string dir;
      if (Status s = root_->canonical(std::string(kDevfreqClass) + "/" + name, &dir); !s.ok()) {
        warn(name + ": " + s.message() + ": skipped");
        continue;
      }
      long long lo = 0, hi = 0;
      Status s = read_int(dir + "/min_freq", &lo);
      if (s.ok()) s = read_int(dir + "/max_freq", &hi);
      if (!s.ok()) {
        warn(name + ": " + s.message() + ": skipped");
        continue;
      }
      std::string available;
      if (root_->read(dir + "/available_frequencies", &available).ok()) {
        std::istringstream in(available);
        std::string word;
        long long amin = LLONG_MAX, amax = LLONG_MIN, f = 0;
        while (in >> word) {
          if (!parse_int64(word, &f)) continue;
          amin = std::min(amin, f);
          amax = std::max(amax, f);
        }
        if (amin <= amax) lo = amin, hi = amax;
      }
      if (lo < 0 || lo > hi) {
        warn(name + ": frequencies " + std::to_string(lo) + ".." + std::to_string(hi) +
             " Hz are not a range: skipped");
        continue;
      }
      Range limits{to_int32((lo + 999) / 1000), to_int32(hi / 1000)};  // Hz -> kHz, inward
      if (limits.min > limits.max) limits.min = limits.max;
      DeviceSpec spec{device_name(name),
                      "devfreq",
                      "",
                      PerfUnit::kNone,
                      {range_knob("kHz", limits.min, limits.max)}};
      auto dispatch = std::make_shared<KnobDispatch>();
      dispatch->set(KnobId::kRange, std::make_shared<DevfreqBackend>(root_, journal_, dir, limits));
      // .../<device>/devfreq/<name>: the device's own power/ knobs belong to this device too.
      if (base_name(parent_path(dir)) == "devfreq") {
        power_knobs(parent_path(parent_path(dir)), &spec, dispatch.get());
      }
      add(std::move(spec), std::move(dispatch));
    }
  }

  void cooling_devices() {
    for (const std::string& name : numbered_entries(*root_, kThermalClass, "cooling_device")) {
      std::string dir;
      if (Status s = root_->canonical(std::string(kThermalClass) + "/" + name, &dir); !s.ok()) {
        warn(name + ": " + s.message() + ": skipped");
        continue;
      }
      long long max_state = 0;
      if (Status s = read_int(dir + "/max_state", &max_state); !s.ok()) {
        warn(name + ": " + s.message() + ": skipped");
        continue;
      }
      if (max_state <= 0 || max_state > INT_MAX || !root_->exists(dir + "/cur_state")) {
        warn(name + ": max_state " + std::to_string(max_state) +
             " (or no cur_state): nothing to control: skipped");
        continue;
      }
      DeviceSpec spec;
      if (!perf_device_spec(device_name(name), PerfUnit::kNormal, 0, kPerfNormalMax, &spec).ok())
        continue;
      spec.kind = "cooling";
      add(std::move(spec),
          std::make_shared<CoolingBackend>(root_, journal_, dir, to_int32(max_state)));
    }
  }

  void powercap_zones() {
    std::vector<std::string> names;
    if (!root_->list(kPowercapClass, &names).ok()) return;
    for (const std::string& name : names) {
      std::string dir;
      if (!root_->canonical(std::string(kPowercapClass) + "/" + name, &dir).ok()) continue;
      long long limit = 0;
      if (!root_->exists(dir + "/constraint_0_power_limit_uw")) continue;  // a control type
      if (Status s = read_int(dir + "/constraint_0_power_limit_uw", &limit); !s.ok()) {
        warn(name + ": " + s.message() + ": skipped");
        continue;
      }
      long long lo = 0, hi = 0;
      if (!read_int(dir + "/constraint_0_min_power_uw", &lo).ok() || lo < 0) lo = 0;
      if (!read_int(dir + "/constraint_0_max_power_uw", &hi).ok() || hi <= 0) hi = limit;
      Range limits{to_int32((lo + 999) / 1000), to_int32(hi / 1000)};  // µW -> mW, inward
      if (limits.min > limits.max) {
        warn(name + ": power limits " + std::to_string(lo) + ".." + std::to_string(hi) +
             " uW are not a range: skipped");
        continue;
      }
      add(DeviceSpec{device_name(name),
                     "powercap",
                     "",
                     PerfUnit::kNone,
                     {range_knob("mW", limits.min, limits.max)}},
          std::make_shared<RaplBackend>(root_, journal_, dir, limits));
    }
  }

  // A named knob on `file` with the words of `choices_file`, added to `spec` when both files
  // exist and at least two offered words are levels; otherwise a warning says why not.
  bool named_knob_of(const std::string& name, KnobId knob, const std::string& file,
                     const std::string& choices_file, DeviceSpec* spec, KnobDispatch* dispatch) {
    if (!root_->exists(file) || !root_->exists(choices_file)) return false;
    std::string offered;
    if (Status s = root_->read(choices_file, &offered); !s.ok()) {
      warn(name + "." + knob_name(knob) + ": " + s.message() + ": skipped");
      return false;
    }
    NamedChoices c = order_choices(knob, offered);
    if (!c.unknown.empty()) {
      std::string words;
      for (const std::string& w : c.unknown) words += (words.empty() ? "" : ", ") + w;
      warn(name + "." + knob_name(knob) + ": choices " + words +
           " have no known rank: left out");
    }
    if (c.choices.size() < 2) {
      warn(name + "." + knob_name(knob) + ": " + std::to_string(c.choices.size()) +
           " known choices in " + choices_file + ": nothing to choose: skipped");
      return false;
    }
    spec->knobs.push_back(named_knob(knob, c.choices));
    dispatch->set(knob,
                  std::make_shared<ChoiceBackend>(root_, journal_, file, knob, std::move(c.choices)));
    return true;
  }

  // The ACPI platform profile (device platform_profile) and, from Linux 6.14, one device per
  // profile handler (platform-profile-N), each with knob `profile`.
  void platform_profiles() {
    auto one = [this](const std::string& name, const std::string& file,
                      const std::string& choices) {
      DeviceSpec spec{name, "platform-profile", "", PerfUnit::kNone, {}};
      auto dispatch = std::make_shared<KnobDispatch>();
      if (named_knob_of(name, KnobId::kProfile, file, choices, &spec, dispatch.get())) {
        add(std::move(spec), std::move(dispatch));
      }
    };
    one("platform_profile", kAcpiPlatformProfile, std::string(kAcpiPlatformProfile) + "_choices");
    for (const std::string& name :
         numbered_entries(*root_, kPlatformProfileClass, "platform-profile-")) {
      const std::string dir = std::string(kPlatformProfileClass) + "/" + name;
      one(device_name(name), dir + "/profile", dir + "/choices");
    }
  }

  // The utilization clamps of each first-level cgroup v2 cgroup (the systemd slices:
  // system.slice, user.slice, machine.slice, ...) whose cpu controller offers them: device
  // uclamp:NAME, a perf QoS device in unit normal.
  void uclamp_cgroups() {
    std::vector<std::string> names;
    if (!root_->list(kCgroup2Root, &names).ok()) return;
    std::sort(names.begin(), names.end());
    for (const std::string& name : names) {
      const std::string dir = std::string(kCgroup2Root) + "/" + name;
      if (!root_->exists(dir + "/cpu.uclamp.min") || !root_->exists(dir + "/cpu.uclamp.max"))
        continue;
      DeviceSpec spec;
      if (!perf_device_spec(device_name("uclamp:" + name), PerfUnit::kNormal, 0, kPerfNormalMax,
                            &spec)
               .ok())
        continue;
      spec.kind = "uclamp";
      add(std::move(spec), std::make_shared<UclampBackend>(root_, journal_, dir));
    }
  }

  std::shared_ptr<SysfsRoot> root_;
  std::shared_ptr<KnobJournal> journal_;
  std::set<std::string> names_;
  Discovery out_;
};

}  // namespace

Discovery discover_devices(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal) {
  return Walker(std::move(root), std::move(journal)).run();
}

}  // namespace perfqos::backends
