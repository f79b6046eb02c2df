// CgroupBindings: cgroup-bound requests (DESIGN §8). A binding is a request held by a cgroup
// v2 cgroup rather than a connection: it is in force while the cgroup is populated, dropped
// when the cgroup empties or is removed, and placed again when it fills (or is created and
// filled) again. Bindings come from the config ([[bind]]) or from clients (BIND); a client's
// binding outlives its connection and lasts until UNBIND, unless it is transient (protocol
// version 3, for containers): a transient binding is removed for good, its quota slot given
// back, when its cgroup empties after having been populated or is removed, so a cgroup that
// lived once (a container's) leaves nothing behind and needs no UNBIND. Each active binding is one
// Holder of kind kCgroupBinding (identity: the binder's uid/gid, pid 0, comm "cgroup-binding", the
// bound cgroup), so `status` shows it like any request.
//
// Authorization: admission decides the value against the binder's grants before bind()
// (Admission::admit_binding, called by the Service); bind() itself decides which cgroup the
// binder may bind and how many bindings it may make (cgroup_bind_access.h: a non-root binder
// only a cgroup delegated to it or its own, within quotas.max_bindings_per_uid and
// quotas.max_bindings of the current policy). unbind() lets root remove any binding and others
// only the ones they made, and gives the slot back. The request a binding places when its
// cgroup fills (and drops when it empties) goes to the Broker directly: that is the binding's
// holder acting on what was admitted at BIND time (or written by the administrator).
//
// A binding whose device is gone when its cgroup fills, or whose request the broker refuses,
// stays inactive and logs why; it is tried again on the next fill.
//
// Thread safety: confined to the loop thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "admission/admission.h"
#include "cgroup/cgroup_watcher.h"
#include "cgroup/cpus_of_request.h"
#include "model/broker.h"
#include "policy/config.h"
#include "policy/policy_store.h"
#include "policy/uid_tally.h"
#include "util/log.h"

namespace perfqos::daemon {

class CgroupBindings {
 public:
  struct Binding {
    std::uint32_t id = 0;
    std::string cgroup;
    RequestTarget target;
    std::int32_t value = -1;
    uid_t uid = 0;
    gid_t gid = 0;
    std::string origin;  // "file:line" for the config's, "" for a client's
    std::string reason;  // as BIND gave them (protocol version 2); kept on the request
    std::string app_id;
    bool transient = false;  // removed when its cgroup empties after being populated, or goes
    // "" or the cgroup whose CPUs the request is placed on (version 4): `target` then names
    // device "cpus" and the per-CPU knob; the request follows that cgroup's CPUs while active.
    std::string cpus_of;
    bool active() const { return holder != nullptr && holder->size() > 0; }

   private:
    friend class CgroupBindings;
    std::uint64_t watch_id = 0;
    bool was_populated = false;  // a transient binding ends at the next emptying
    std::unique_ptr<Holder> holder;
    std::unique_ptr<CpusOfRequest> spread;       // cpus_of: its requests, in `holder`; goes first
    std::optional<admission::Requester> binder;  // a client's cpus_of: judges CPUs that join
    bool container = false;  // a runtime hook's: CPUs that join are judged by [[container]]
    UidTally::Slot counted;                      // a client binding's place in the quotas' counts
  };

  // `watcher` null: no cgroup2 here; bind() answers EOPNOTSUPP and config bindings are ignored
  // with a warning. `policy` null: no binding quotas. Requests are placed and dropped through
  // `admission` (Admission::place_bound, remove); the broker gives holders and devices.
  // REQUIRES: broker, admission, watcher, log and policy outlive this object.
  CgroupBindings(Broker& broker, admission::Admission& admission, CgroupWatcher* watcher,
                 const Logger& log, const PolicyStore* policy = nullptr);
  ~CgroupBindings();
  CgroupBindings(const CgroupBindings&) = delete;
  CgroupBindings& operator=(const CgroupBindings&) = delete;

  // Binds `target`=`value` to `cgroup` for `binder`. EINVAL: bad cgroup path; ENOENT: no such
  // cgroup; EACCES: not a cgroup this binder may bind; EDQUOT: over a binding quota;
  // EOPNOTSUPP: no cgroup2; the broker's errors when the cgroup is populated and the request
  // cannot be placed. On any error nothing is bound. `*out` tells whether it took effect now.
  // `reason` and `app_id` (checked by the caller) go with the request each time it is placed.
  // `transient`: see above; a transient binding on a cgroup that is populated now ends at its
  // next emptying, on one that is empty now when it has filled and emptied again.
  // `cpus_of` (version 4): the request (target device "cpus", see cpu_set_knob) is placed on
  // each CPU of that cgroup while `cgroup` is populated, and follows its CPUs; the caller has
  // judged the CPUs it has now (admit_binding on each), CPUs that join are judged as they join.
  // EOPNOTSUPP without set_cpusets(). `container`: a runtime hook's binding (judged by the
  // [[container]] policy, and so are the CPUs that join a cpus_of one).
  Status bind(const HolderIdentity& binder, const std::string& cgroup, const RequestTarget& target,
              std::int32_t value, std::uint32_t* id, RequestOutcome* out,
              const std::string& reason = {}, const std::string& app_id = {},
              bool transient = false, const std::string& cpus_of = {}, bool container = false);
  // ENOENT: no such binding; EPERM: not root and not the binder, or a binding of the config.
  Status unbind(std::uint32_t id, uid_t who, RequestOutcome* out);

  // Where cpus_of bindings read and follow their CPUs. REQUIRES: outlives this object.
  void set_cpusets(CpusetFollower* cpusets) { cpusets_ = cpusets; }

  // Makes the config's bindings those of `config`: identical ones are kept as they are, others
  // are removed or added. Bindings of clients are not touched. Bad entries are logged, skipped.
  void set_config_bindings(const std::vector<BindingConfig>& bindings);

  std::vector<const Binding*> bindings() const;
  // Client bindings (those of BIND, not of the config) in force: of `uid`, and in all.
  std::size_t client_bindings(uid_t uid) const { return client_tally_.held(uid); }
  std::size_t client_bindings() const { return client_tally_.total(); }
  // Drops every binding (and so every bound request); for shutdown.
  void clear();

 private:
  void on_state(std::uint32_t id, CgroupState state);
  Status activate(Binding& b, RequestOutcome* out);
  Status activate_cpus_of(Binding& b, RequestOutcome* out);
  Status resolve(const BindingConfig& c, RequestTarget* target) const;

  Broker& broker_;
  admission::Admission& admission_;
  CgroupWatcher* watcher_;
  CpusetFollower* cpusets_ = nullptr;
  const Logger& log_;
  const PolicyStore* policy_;
  std::uint32_t next_id_ = 1;
  UidTally client_tally_;  // client bindings per binder uid; declared first, destroyed last
  std::map<std::uint32_t, std::unique_ptr<Binding>> bindings_;
};

// EINVAL unless `cgroup` is an absolute cgroup v2 path without "." or ".." components.
Status check_cgroup_path(const std::string& cgroup);

}  // namespace perfqos::daemon
