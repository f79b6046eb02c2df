// ConfigState: the config in force and what it drives: the policy (PolicyStore), the perf
// devices it declares, the cgroup bindings (with the cgroup watcher they need) and the
// per-cgroup data whose caps and floors come from it.
//
// Reload (SIGHUP): the files are read again; a config with any error changes nothing (the error
// is logged and the previous config stays). A good one replaces the policy at once for every
// front end, registers new [[device]]s and unregisters those no longer declared (their requests
// are dropped, as for any device that goes), replaces the config's bindings (identical ones
// are kept untouched) and recomputes the per-cgroup data's caps and floors. Requests already
// placed are NOT dropped, even when the new policy would refuse them: they stay until their
// holder removes them or goes away; any UPDATE is judged by the new policy. The reload logs how
// many requests the new policy would refuse. Admission decides that too, as it decides every
// request (Admission::refused_in_force of the admission set_admission wires): ConfigState only
// swaps the policy it judges by. Bindings place and drop their requests through it too. [daemon]
// settings need a restart.
//
// Thread safety: confined to the loop thread; policy() may be used from any thread.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "admission/admission.h"
#include "cgroup/cgroup_bindings.h"
#include "cgroup/cgroup_data_tracker.h"
#include "cgroup/cgroup_watcher.h"
#include "cgroup/cpuset_follower.h"
#include "daemon/event_loop.h"
#include "model/broker.h"
#include "policy/config.h"
#include "policy/policy_store.h"
#include "util/log.h"

namespace perfqos::daemon {

class ConfigState {
 public:
  // REQUIRES: broker, loop and log outlive this object.
  // `sysfs_root` is where cgroup CPU sets are read (CpusetFollower): "/" on a real system.
  ConfigState(Broker& broker, EventLoop& loop, const Logger& log, std::string path, bool required,
              std::string sysfs_root = "/");
  ~ConfigState();
  ConfigState(const ConfigState&) = delete;
  ConfigState& operator=(const ConfigState&) = delete;

  // Loads the config, registers its devices, finds cgroup2 and places the config's bindings.
  // A bad config or a device that cannot be registered is an error; no cgroup2 is a warning.
  // REQUIRES: set_admission() was called.
  Status start();
  // Reloads (see above); returns what kept the new config out, if anything.
  Status reload();
  // Drops every binding; the devices stay registered.
  void stop();
  // The admission over policy(): bindings place their requests through it, and a reload
  // reports its judgement. REQUIRES: it outlives this object.
  void set_admission(admission::Admission* admission) { admission_ = admission; }

  const PolicyStore& policy() const { return policy_; }
  // The [[profile]]s of the config in force; `on_profiles` runs after a reload replaced them.
  const std::vector<ProfileConfig>& profiles() const { return profiles_; }
  void set_on_profiles(std::function<void()> on_profiles) { on_profiles_ = std::move(on_profiles); }
  CgroupBindings* bindings() { return bindings_.get(); }
  // Null without cgroup2: no requests on a cgroup's CPUs.
  CpusetFollower* cpusets() { return cpusets_.get(); }
  // Null before start().
  CgroupDataTracker* cgroup_data() { return cgroup_data_.get(); }

 private:
  Status apply_devices(const Config& config, bool fatal);
  void report_refused() const;

  Broker& broker_;
  EventLoop& loop_;
  const Logger& log_;
  std::string path_;
  bool required_;
  PolicyStore policy_;
  std::vector<ProfileConfig> profiles_;
  std::function<void()> on_profiles_;
  std::set<std::string> devices_;  // registered from the config
  std::string sysfs_root_;
  std::unique_ptr<CgroupWatcher> watcher_;
  std::unique_ptr<CpusetFollower> cpusets_;  // before bindings_, which use it
  std::unique_ptr<CgroupBindings> bindings_;
  std::unique_ptr<CgroupDataTracker> cgroup_data_;
  admission::Admission* admission_ = nullptr;
};

}  // namespace perfqos::daemon
