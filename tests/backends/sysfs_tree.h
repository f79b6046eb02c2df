// Test support for the backends: a generator of sysfs-shaped trees in a temp directory, and
// SysfsRoot decorators that record writes and inject failures.
//
// A SysfsTree is a temp directory laid out as the running system's /sys and /dev (relative
// symbolic links as sysfs has them: /sys/class/devfreq/X -> ../../devices/...). Paths given to
// its methods are the absolute paths the backends use ("/sys/..."); sysfs() is a DiskSysfs
// rooted at the tree. The directory is removed on destruction.
//
// Root does not respect file modes, so failures are injected with FaultInjectingSysfs (an errno
// per path) or by removing a file (remove()) for ENOENT.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backends/sysfs.h"

namespace perfqos::testing {

class SysfsTree {
 public:
  SysfsTree();
  ~SysfsTree();
  SysfsTree(const SysfsTree&) = delete;
  SysfsTree& operator=(const SysfsTree&) = delete;

  // The host directory standing for "/".
  const std::string& dir() const { return dir_; }
  std::string host(std::string_view path) const;
  std::shared_ptr<backends::DiskSysfs> sysfs() const { return sysfs_; }

  // Creates the file (and its directories) holding `content` plus a newline, as sysfs shows it.
  void write_file(std::string_view path, std::string_view content);
  // The file's content, trimmed; "<missing>" when absent.
  std::string read_file(std::string_view path) const;
  void make_dir(std::string_view path);
  // A relative symbolic link at `link` pointing to `target` (both absolute tree paths).
  void make_link(std::string_view link, std::string_view target);
  // Removes a file or an empty directory (a knob vanishing mid-run).
  void remove(std::string_view path);
  // Removes a directory tree (a device unplugged).
  void remove_tree(std::string_view path);

  // /sys/devices/system/cpu/cpuN with power/pm_qos_resume_latency_us (when `resume_latency`) and
  // power/control (when `control`). Returns the cpu directory.
  std::string add_cpu(int n, std::optional<std::string> resume_latency = "0",
                      std::optional<std::string> control = "auto");
  // /sys/devices/system/cpu/cpufreq/policyN, kHz; scaling_* default to the cpuinfo range.
  std::string add_cpufreq_policy(int n, long long cpuinfo_min, long long cpuinfo_max,
                                 const std::vector<int>& cpus, long long scaling_min = -1,
                                 long long scaling_max = -1);
  // A devfreq device: the device at `device_dir` (created, with power/control when
  // `parent_control`), its devfreq directory <device_dir>/devfreq/<name> with min_freq,
  // max_freq (Hz) and available_frequencies when not empty, and the class link
  // /sys/class/devfreq/<name>. Returns the devfreq directory.
  std::string add_devfreq(const std::string& name, const std::string& device_dir, long long min_hz,
                          long long max_hz, const std::vector<long long>& available = {},
                          std::optional<std::string> parent_control = std::nullopt);
  // /sys/devices/virtual/thermal/cooling_deviceN (type, cur_state, max_state) and its class
  // link /sys/class/thermal/cooling_deviceN. Returns the device directory.
  std::string add_cooling_device(int n, const std::string& type, long long max_state,
                                 long long cur_state = 0);
  // /sys/devices/virtual/powercap/intel-rapl/<zone> (name, enabled,
  // constraint_0_power_limit_uw, constraint_0_max_power_uw when > 0) and the class link
  // /sys/class/powercap/<zone>; also the control type /sys/class/powercap/intel-rapl.
  std::string add_rapl_zone(const std::string& zone, const std::string& name, long long limit_uw,
                            long long max_power_uw, bool enabled = true);
  // A thermal zone link (not a cooling device: discovery must ignore it).
  void add_thermal_zone(int n);
  // /dev/cpu_dma_latency as a regular file (the CPU latency backend writes 4 bytes at 0).
  void add_cpu_latency_node();
  // The s32 at the start of the CPU latency node file; nullopt when it is empty or absent.
  std::optional<std::int32_t> cpu_latency_node_value() const;
  // /dev/cpu_wakeup_latency as a regular file (Linux 6.19's node; the same ABI).
  void add_cpu_wakeup_latency_node();
  // The s32 at the start of that file; nullopt when it is empty or absent.
  std::optional<std::int32_t> cpu_wakeup_latency_node_value() const;

 private:
  std::string dir_;
  std::shared_ptr<backends::DiskSysfs> sysfs_;
};

// One write seen by RecordingSysfs: the path and the value (for a held node, 4 bytes shown as
// the decimal s32).
struct SysfsWrite {
  std::string path;
  std::string value;
  bool operator==(const SysfsWrite&) const = default;
};

// Forwards everything to `inner`; remembers every successful and failed write in order.
class RecordingSysfs final : public backends::SysfsRoot {
 public:
  explicit RecordingSysfs(std::shared_ptr<backends::SysfsRoot> inner) : inner_(std::move(inner)) {}

  std::vector<SysfsWrite> writes;  // successful writes, in order
  std::vector<SysfsWrite> failed;  // failed writes, in order
  int nodes_open = 0;              // held nodes currently open

  Status read(std::string_view path, std::string* text) override;
  Status write(std::string_view path, std::string_view value) override;
  Status list(std::string_view dir, std::vector<std::string>* names) override;
  Status canonical(std::string_view path, std::string* resolved) override;
  bool exists(std::string_view path) override;
  Status open_node(std::string_view path, std::unique_ptr<backends::HeldNode>* node) override;

 private:
  std::shared_ptr<backends::SysfsRoot> inner_;
};

// Forwards everything to `inner`, except reads and writes of chosen paths, which fail with a
// chosen errno (writes: as the kernel would, without touching the file).
class FaultInjectingSysfs : public backends::SysfsRoot {
 public:
  explicit FaultInjectingSysfs(std::shared_ptr<backends::SysfsRoot> inner)
      : inner_(std::move(inner)) {}

  void fail_writes(const std::string& path, int code) { write_faults_[path] = code; }
  void fail_reads(const std::string& path, int code) { read_faults_[path] = code; }
  // Fails writes of exactly `value` to `path` (as EINVAL for an out-of-range value).
  void fail_value(const std::string& path, const std::string& value, int code) {
    value_faults_[path + '\n' + value] = code;
  }
  void clear() {
    write_faults_.clear();
    read_faults_.clear();
    value_faults_.clear();
  }

  Status read(std::string_view path, std::string* text) override;
  Status write(std::string_view path, std::string_view value) override;
  Status list(std::string_view dir, std::vector<std::string>* names) override;
  Status canonical(std::string_view path, std::string* resolved) override;
  bool exists(std::string_view path) override;
  Status open_node(std::string_view path, std::unique_ptr<backends::HeldNode>* node) override;

 private:
  std::shared_ptr<backends::SysfsRoot> inner_;
  std::map<std::string, int, std::less<>> write_faults_;
  std::map<std::string, int, std::less<>> read_faults_;
  std::map<std::string, int, std::less<>> value_faults_;
};

// Rejects, as cpufreq on older kernels and devfreq do, a write that would leave a range's min
// above its max (scaling_min_freq / scaling_max_freq, min_freq / max_freq) with EINVAL, so a
// wrong write order shows as a failure. Counts the rejections.
class OrderCheckingSysfs final : public backends::SysfsRoot {
 public:
  explicit OrderCheckingSysfs(std::shared_ptr<backends::SysfsRoot> inner)
      : inner_(std::move(inner)) {}
  int rejected = 0;

  Status read(std::string_view path, std::string* text) override;
  Status write(std::string_view path, std::string_view value) override;
  Status list(std::string_view dir, std::vector<std::string>* names) override;
  Status canonical(std::string_view path, std::string* resolved) override;
  bool exists(std::string_view path) override;
  Status open_node(std::string_view path, std::unique_ptr<backends::HeldNode>* node) override;

 private:
  std::shared_ptr<backends::SysfsRoot> inner_;
};

}  // namespace perfqos::testing
