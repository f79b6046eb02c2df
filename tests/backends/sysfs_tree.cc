#include "backends/sysfs_tree.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "util/errno_status.h"

namespace perfqos::testing {

namespace fs = std::filesystem;

SysfsTree::SysfsTree() {
  std::string tmpl = (fs::temp_directory_path() / "perfqos-sysfs-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = tmpl;
  sysfs_ = std::make_shared<backends::DiskSysfs>(dir_);
}

SysfsTree::~SysfsTree() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string SysfsTree::host(std::string_view path) const {
  return sysfs_->host_path(path);
}

void SysfsTree::write_file(std::string_view path, std::string_view content) {
  const fs::path p = host(path);
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::trunc);
  out << content << '\n';
  if (!out) throw std::runtime_error("cannot write " + p.string());
}

std::string SysfsTree::read_file(std::string_view path) const {
  std::ifstream in(host(path));
  if (!in) return "<missing>";
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(backends::trim(ss.str()));
}

void SysfsTree::make_dir(std::string_view path) {
  fs::create_directories(host(path));
}

void SysfsTree::make_link(std::string_view link, std::string_view target) {
  const fs::path l = host(link), t = host(target);
  fs::create_directories(l.parent_path());
  fs::create_symlink(t.lexically_relative(l.parent_path()), l);
}

void SysfsTree::remove(std::string_view path) {
  fs::remove(host(path));
}

void SysfsTree::remove_tree(std::string_view path) {
  fs::remove_all(host(path));
}

std::string SysfsTree::add_cpu(int n, std::optional<std::string> resume_latency,
                               std::optional<std::string> control) {
  const std::string dir = "/sys/devices/system/cpu/cpu" + std::to_string(n);
  make_dir(dir + "/power");
  write_file(dir + "/online", "1");
  if (resume_latency) write_file(dir + "/power/pm_qos_resume_latency_us", *resume_latency);
  if (control) write_file(dir + "/power/control", *control);
  return dir;
}

std::string SysfsTree::add_cpufreq_policy(int n, long long cpuinfo_min, long long cpuinfo_max,
                                          const std::vector<int>& cpus, long long scaling_min,
                                          long long scaling_max) {
  const std::string dir = "/sys/devices/system/cpu/cpufreq/policy" + std::to_string(n);
  write_file(dir + "/cpuinfo_min_freq", std::to_string(cpuinfo_min));
  write_file(dir + "/cpuinfo_max_freq", std::to_string(cpuinfo_max));
  write_file(dir + "/scaling_min_freq",
             std::to_string(scaling_min < 0 ? cpuinfo_min : scaling_min));
  write_file(dir + "/scaling_max_freq",
             std::to_string(scaling_max < 0 ? cpuinfo_max : scaling_max));
  std::string related;
  for (int c : cpus) related += (related.empty() ? "" : " ") + std::to_string(c);
  write_file(dir + "/related_cpus", related);
  write_file(dir + "/affected_cpus", related);
  return dir;
}

std::string SysfsTree::add_devfreq(const std::string& name, const std::string& device_dir,
                                   long long min_hz, long long max_hz,
                                   const std::vector<long long>& available,
                                   std::optional<std::string> parent_control) {
  const std::string dir = device_dir + "/devfreq/" + name;
  write_file(dir + "/min_freq", std::to_string(min_hz));
  write_file(dir + "/max_freq", std::to_string(max_hz));
  write_file(dir + "/cur_freq", std::to_string(max_hz));
  write_file(dir + "/governor", "simple_ondemand");
  if (!available.empty()) {
    std::string list;
    for (long long f : available) list += std::to_string(f) + " ";
    write_file(dir + "/available_frequencies", list);
  }
  if (parent_control) write_file(device_dir + "/power/control", *parent_control);
  make_link("/sys/class/devfreq/" + name, dir);
  return dir;
}

std::string SysfsTree::add_cooling_device(int n, const std::string& type, long long max_state,
                                          long long cur_state) {
  const std::string name = "cooling_device" + std::to_string(n);
  const std::string dir = "/sys/devices/virtual/thermal/" + name;
  write_file(dir + "/type", type);
  write_file(dir + "/max_state", std::to_string(max_state));
  write_file(dir + "/cur_state", std::to_string(cur_state));
  make_link("/sys/class/thermal/" + name, dir);
  return dir;
}

void SysfsTree::add_thermal_zone(int n) {
  const std::string name = "thermal_zone" + std::to_string(n);
  const std::string dir = "/sys/devices/virtual/thermal/" + name;
  write_file(dir + "/type", "x86_pkg_temp");
  write_file(dir + "/temp", "45000");
  make_link("/sys/class/thermal/" + name, dir);
}

std::string SysfsTree::add_rapl_zone(const std::string& zone, const std::string& name,
                                     long long limit_uw, long long max_power_uw, bool enabled) {
  const std::string type_dir = "/sys/devices/virtual/powercap/intel-rapl";
  if (!fs::exists(host(type_dir))) {
    write_file(type_dir + "/enabled", "1");
    make_link("/sys/class/powercap/intel-rapl", type_dir);
  }
  const std::string dir = type_dir + "/" + zone;
  write_file(dir + "/name", name);
  write_file(dir + "/enabled", enabled ? "1" : "0");
  write_file(dir + "/constraint_0_name", "long_term");
  write_file(dir + "/constraint_0_power_limit_uw", std::to_string(limit_uw));
  write_file(dir + "/constraint_0_time_window_us", "27983872");
  if (max_power_uw > 0) {
    write_file(dir + "/constraint_0_max_power_uw", std::to_string(max_power_uw));
  }
  make_link("/sys/class/powercap/" + zone, dir);
  return dir;
}

namespace {

void make_empty(const fs::path& p) {
  fs::create_directories(p.parent_path());
  std::ofstream out(p, std::ios::trunc);
}

std::optional<std::int32_t> leading_s32(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::int32_t v = 0;
  if (!in.read(reinterpret_cast<char*>(&v), sizeof v)) return std::nullopt;
  return v;
}

}  // namespace

void SysfsTree::add_cpu_latency_node() {
  make_empty(host(backends::kCpuLatencyNode));
}

std::optional<std::int32_t> SysfsTree::cpu_latency_node_value() const {
  return leading_s32(host(backends::kCpuLatencyNode));
}

void SysfsTree::add_cpu_wakeup_latency_node() {
  make_empty(host(backends::kCpuWakeupLatencyNode));
}

std::optional<std::int32_t> SysfsTree::cpu_wakeup_latency_node_value() const {
  return leading_s32(host(backends::kCpuWakeupLatencyNode));
}

namespace {

std::string shown_bytes(std::string_view bytes) {
  if (bytes.size() != sizeof(std::int32_t)) return std::string(bytes);
  std::int32_t v;
  std::memcpy(&v, bytes.data(), sizeof v);
  return std::to_string(v);
}

class RecordingNode final : public backends::HeldNode {
 public:
  RecordingNode(std::unique_ptr<backends::HeldNode> inner, std::string path, RecordingSysfs& log)
      : inner_(std::move(inner)), path_(std::move(path)), log_(log) {
    ++log_.nodes_open;
  }
  ~RecordingNode() override { --log_.nodes_open; }
  RecordingNode(const RecordingNode&) = delete;
  RecordingNode& operator=(const RecordingNode&) = delete;

  Status write(std::string_view bytes) override {
    Status s = inner_->write(bytes);
    (s.ok() ? log_.writes : log_.failed).push_back(SysfsWrite{path_, shown_bytes(bytes)});
    return s;
  }

 private:
  std::unique_ptr<backends::HeldNode> inner_;
  std::string path_;
  RecordingSysfs& log_;
};

}  // namespace

Status RecordingSysfs::read(std::string_view path, std::string* text) {
  return inner_->read(path, text);
}
Status RecordingSysfs::write(std::string_view path, std::string_view value) {
  Status s = inner_->write(path, value);
  (s.ok() ? writes : failed).push_back(SysfsWrite{std::string(path), std::string(value)});
  return s;
}
Status RecordingSysfs::list(std::string_view dir, std::vector<std::string>* names) {
  return inner_->list(dir, names);
}
Status RecordingSysfs::canonical(std::string_view path, std::string* resolved) {
  return inner_->canonical(path, resolved);
}
bool RecordingSysfs::exists(std::string_view path) {
  return inner_->exists(path);
}
Status RecordingSysfs::open_node(std::string_view path, std::unique_ptr<backends::HeldNode>* node) {
  std::unique_ptr<backends::HeldNode> inner;
  if (Status s = inner_->open_node(path, &inner); !s.ok()) return s;
  *node = std::make_unique<RecordingNode>(std::move(inner), std::string(path), *this);
  return Status::Ok();
}

Status FaultInjectingSysfs::read(std::string_view path, std::string* text) {
  if (auto it = read_faults_.find(path); it != read_faults_.end()) {
    return Status::Error(
        it->second, "read " + std::string(path) + ": " + errno_text(it->second) + " (injected)");
  }
  return inner_->read(path, text);
}
Status FaultInjectingSysfs::write(std::string_view path, std::string_view value) {
  int code = 0;
  if (auto it = write_faults_.find(path); it != write_faults_.end()) code = it->second;
  if (auto it = value_faults_.find(std::string(path) + '\n' + std::string(value));
      it != value_faults_.end())
    code = it->second;
  if (code != 0) {
    return Status::Error(code, "write '" + std::string(value) + "' to " + std::string(path) + ": " +
                                   errno_text(code) + " (injected)");
  }
  return inner_->write(path, value);
}
Status FaultInjectingSysfs::list(std::string_view dir, std::vector<std::string>* names) {
  return inner_->list(dir, names);
}
Status FaultInjectingSysfs::canonical(std::string_view path, std::string* resolved) {
  return inner_->canonical(path, resolved);
}
bool FaultInjectingSysfs::exists(std::string_view path) {
  return inner_->exists(path);
}
Status FaultInjectingSysfs::open_node(std::string_view path,
                                      std::unique_ptr<backends::HeldNode>* node) {
  if (auto it = write_faults_.find(path); it != write_faults_.end()) {
    return Status::Error(
        it->second, "open " + std::string(path) + ": " + errno_text(it->second) + " (injected)");
  }
  return inner_->open_node(path, node);
}

Status OrderCheckingSysfs::write(std::string_view path, std::string_view value) {
  const std::string p(path);
  const bool is_min = p.ends_with("min_freq"), is_max = p.ends_with("max_freq");
  if ((is_min || is_max) && !p.ends_with("cpuinfo_min_freq") && !p.ends_with("cpuinfo_max_freq")) {
    std::string sibling = p;
    sibling.replace(sibling.size() - 8, 3, is_min ? "max" : "min");
    std::string other;
    long long v = 0, o = 0;
    if (inner_->read(sibling, &other).ok() && backends::parse_int64(other, &o) &&
        backends::parse_int64(value, &v) && (is_min ? v > o : v < o)) {
      ++rejected;
      return Status::Error(
          EINVAL, "write '" + std::string(value) + "' to " + p + ": min above max (order check)");
    }
  }
  return inner_->write(path, value);
}
Status OrderCheckingSysfs::read(std::string_view path, std::string* text) {
  return inner_->read(path, text);
}
Status OrderCheckingSysfs::list(std::string_view dir, std::vector<std::string>* names) {
  return inner_->list(dir, names);
}
Status OrderCheckingSysfs::canonical(std::string_view path, std::string* resolved) {
  return inner_->canonical(path, resolved);
}
bool OrderCheckingSysfs::exists(std::string_view path) {
  return inner_->exists(path);
}
Status OrderCheckingSysfs::open_node(std::string_view path,
                                     std::unique_ptr<backends::HeldNode>* node) {
  return inner_->open_node(path, node);
}

}  // namespace perfqos::testing
