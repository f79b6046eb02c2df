#include "daemon/config_state.h"

#include <cerrno>

#include "cgroup/cgroup_mount.h"

namespace perfqos::daemon {

ConfigState::ConfigState(Broker& broker, EventLoop& loop, const Logger& log, std::string path,
                         bool required, std::string sysfs_root)
    : broker_(broker),
      loop_(loop),
      log_(log),
      path_(std::move(path)),
      required_(required),
      sysfs_root_(std::move(sysfs_root)) {}

ConfigState::~ConfigState() {
  stop();
}

Status ConfigState::apply_devices(const Config& config, bool fatal) {
  std::set<std::string> wanted;
  for (const DeviceSpec& spec : config.devices) wanted.insert(spec.name);
  for (const std::string& name : devices_) {
    if (wanted.count(name) == 0) {
      (void)broker_.unregister_device(name);
      log_.info("config: device " + name + " no longer declared: unregistered");
    }
  }
  std::erase_if(devices_, [&](const std::string& n) { return wanted.count(n) == 0; });
  for (const DeviceSpec& spec : config.devices) {
    if (devices_.count(spec.name) != 0) continue;
    if (Status s = broker_.register_device(spec); !s.ok()) {
      if (fatal) return Status::Error(s.code(), "config: device " + spec.name + ": " + s.message());
      log_.warning("config: device " + spec.name + ": " + s.message());
      continue;
    }
    devices_.insert(spec.name);
  }
  return Status::Ok();
}

Status ConfigState::start() {
  if (admission_ == nullptr) return Status::Error(EINVAL, "config: no admission wired");
  Config config;
  if (Status s = load_config(path_, required_, &config); !s.ok()) return s;
  if (Status s = apply_devices(config, true); !s.ok()) return s;
  policy_.set(config.policy());
  profiles_ = config.profiles;
  std::string mount;
  if (Status s = find_cgroup2_mount(&mount); s.ok()) {
    watcher_ = std::make_unique<CgroupWatcher>(loop_, log_, mount);
    if (Status w = watcher_->start(); !w.ok()) {
      log_.warning("cgroup watcher: " + w.message() + ": no cgroup-bound requests");
      watcher_.reset();
    }
    cpusets_ = std::make_unique<CpusetFollower>(loop_, log_, sysfs_root_, mount);
  } else {
    log_.warning(s.message() + ": no cgroup-bound requests");
  }
  bindings_ =
      std::make_unique<CgroupBindings>(broker_, *admission_, watcher_.get(), log_, &policy_);
  bindings_->set_cpusets(cpusets_.get());
  bindings_->set_config_bindings(config.bindings);
  cgroup_data_ =
      std::make_unique<CgroupDataTracker>(broker_.registry(), policy_, watcher_.get(), log_);
  log_.info("config: " +
            (config.files.empty()
                 ? std::string("none (built-in default: root writes, others read)")
                 : std::to_string(config.files.size()) + " file(s) from " + path_) +
            ", " + std::to_string(config.grants.size()) + " grants");
  return Status::Ok();
}

Status ConfigState::reload() {
  Config config;
  if (Status s = load_config(path_, required_, &config); !s.ok()) {
    log_.warning("reload: " + s.message() + ": keeping the previous config");
    return s;
  }
  (void)apply_devices(config, false);
  policy_.set(config.policy());
  profiles_ = config.profiles;
  if (on_profiles_) on_profiles_();
  if (bindings_) bindings_->set_config_bindings(config.bindings);
  if (cgroup_data_) cgroup_data_->refresh();
  log_.info("reload: config applied: " + std::to_string(config.grants.size()) + " grants, " +
            std::to_string(config.bindings.size()) + " bindings");
  report_refused();
  return Status::Ok();
}

void ConfigState::report_refused() const {
  if (admission_ == nullptr) return;
  const std::size_t refused = admission_->refused_in_force();
  if (refused > 0) {
    log_.warning("reload: " + std::to_string(refused) +
                 " requests in force would be refused by the new policy; they stay until their "
                 "holders remove them, and updates to them are checked");
  }
}

void ConfigState::stop() {
  if (bindings_) bindings_->clear();
}

}  // namespace perfqos::daemon
