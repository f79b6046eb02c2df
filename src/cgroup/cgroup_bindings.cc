#include "cgroup/cgroup_bindings.h"

#include <cerrno>
#include <sstream>

#include "cgroup/cgroup_bind_access.h"
#include "model/knob.h"

namespace perfqos::daemon {

Status check_cgroup_path(const std::string& cgroup) {
  bool ok = !cgroup.empty() && cgroup[0] == '/' && cgroup.size() < 4096 &&
            cgroup.find('\0') == std::string::npos;
  std::istringstream parts(cgroup);
  for (std::string part; ok && std::getline(parts, part, '/');) {
    if (part == "." || part == "..") ok = false;
  }
  if (ok) return Status::Ok();
  return Status::Error(EINVAL, "cgroup \"" + cgroup +
                                   "\": must be an absolute cgroup v2 path (relative to the "
                                   "cgroup2 mount) without . or .. components");
}

CgroupBindings::CgroupBindings(Broker& broker, admission::Admission& admission,
                               CgroupWatcher* watcher, const Logger& log, const PolicyStore* policy)
    : broker_(broker), admission_(admission), watcher_(watcher), log_(log), policy_(policy) {}

CgroupBindings::~CgroupBindings() {
  clear();
}

Status CgroupBindings::activate(Binding& b, RequestOutcome* out) {
  if (!b.holder) {
    HolderIdentity identity;
    identity.kind = HolderKind::kCgroupBinding;
    identity.uid = b.uid;
    identity.gid = b.gid;
    identity.comm = "cgroup-binding";
    identity.cgroup = b.cgroup;
    b.holder = broker_.make_holder(std::move(identity));
  }
  if (b.holder->size() > 0) return Status::Ok();
  Status s = b.cpus_of.empty() ? admission_.place_bound(*b.holder, b.target, b.value, out)
                               : activate_cpus_of(b, out);
  if (!s.ok()) {
    b.holder.reset();
    return s;
  }
  if (!b.reason.empty() || !b.app_id.empty()) {
    for (const HeldRequest* r : b.holder->requests())
      b.holder->annotate(r->id(), b.reason, b.app_id);
  }
  return s;
}

Status CgroupBindings::activate_cpus_of(Binding& b, RequestOutcome* out) {
  if (cpusets_ == nullptr) {
    return Status::Error(EOPNOTSUPP, "cpus_of: this perfqosd does not follow cgroup CPUs");
  }
  Holder& holder = *b.holder;
  const std::optional<admission::Requester>* binder = &b.binder;
  const bool container = b.container;
  auto place = [this, &holder, binder, container](const RequestTarget& target, std::int32_t value,
                                                  RequestOutcome* placed) {
    // A client's binding is judged on every CPU it takes; the config's is the administrator's.
    if (binder->has_value()) {
      const Status s = container ? admission_.admit_container_binding(**binder, target, value)
                                 : admission_.admit_binding(**binder, target, value);
      if (!s.ok()) return s;
    }
    return admission_.place_bound(holder, target, value, placed);
  };
  const std::string what =
      "binding " + std::to_string(b.id) + " (" + b.cgroup + ": cpus of " + b.cpus_of + ")";
  return CpusOfRequest::start(*cpusets_, b.cpus_of,
                              std::make_unique<admission::CpuSetRequest>(
                                  admission_, holder, b.target, b.value, place, log_, what),
                              out, &b.spread);
}

void CgroupBindings::on_state(std::uint32_t id, CgroupState state) {
  auto it = bindings_.find(id);
  if (it == bindings_.end()) return;
  Binding& b = *it->second;
  const std::string what = "binding " + std::to_string(id) + " (" + b.cgroup + ": " +
                           b.target.device + "." + knob_request_name(b.target.knob, b.target.end) +
                           "=" + std::to_string(b.value) + ")";
  if (b.transient && (state == CgroupState::kMissing || b.was_populated)) {
    // Its cgroup lived once: the binding goes for good (the watcher copes with this listener
    // unwatching itself); the holder drops the request, the slot goes back to the tally.
    watcher_->unwatch(b.watch_id);
    bindings_.erase(it);
    log_.info(what + ": transient, cgroup " + to_string(state) + ", binding removed");
    return;
  }
  if (state == CgroupState::kPopulated) {
    b.was_populated = true;
    RequestOutcome out;
    if (Status s = activate(b, &out); !s.ok()) {
      log_.warning(what + ": cgroup populated but the request failed: " + s.message());
    } else {
      log_.info(what + ": cgroup populated, request placed");
    }
  } else if (b.holder) {
    b.spread.reset();
    b.holder.reset();
    log_.info(what + ": cgroup " + to_string(state) + ", request dropped");
  }
}

Status CgroupBindings::bind(const HolderIdentity& binder, const std::string& cgroup,
                            const RequestTarget& target, std::int32_t value, std::uint32_t* id,
                            RequestOutcome* out, const std::string& reason,
                            const std::string& app_id, bool transient, const std::string& cpus_of,
                            bool container) {
  if (watcher_ == nullptr) {
    return Status::Error(EOPNOTSUPP, "bind: no cgroup2 file system is mounted on this system");
  }
  if (!cpus_of.empty() && cpusets_ == nullptr) {
    return Status::Error(EOPNOTSUPP, "bind: cpus_of: this perfqosd does not follow cgroup CPUs");
  }
  if (Status s = check_cgroup_path(cgroup); !s.ok()) return s;
  if (watcher_->read_state(cgroup) == CgroupState::kMissing) {
    return Status::Error(ENOENT, "bind: no cgroup " + cgroup + " under " + watcher_->mount());
  }
  if (Status s = may_bind_cgroup(binder, watcher_->mount(), cgroup); !s.ok()) return s;
  if (policy_ != nullptr) {
    const Status s = admit_binding(policy_->current()->quotas(), binder.uid,
                                   client_tally_.held(binder.uid), client_tally_.total());
    if (!s.ok()) {
      log_.debug("bind " + cgroup + " refused: " + s.message());  // a client can repeat it
      return s;
    }
  }
  auto b = std::make_unique<Binding>();
  b->id = next_id_++;
  b->cgroup = cgroup;
  b->target = target;
  b->value = value;
  b->uid = binder.uid;
  b->gid = binder.gid;
  b->reason = reason;
  b->app_id = app_id;
  b->transient = transient;
  b->cpus_of = cpus_of;
  b->container = container;
  if (!cpus_of.empty() && (binder.uid != 0 || container)) {
    b->binder = admission::Requester::of(binder, admission::Vouch::kPeerCred);
  }
  const std::uint32_t bid = b->id;
  CgroupState now = CgroupState::kMissing;
  b->watch_id = watcher_->watch(
      cgroup, [this, bid](const std::string&, CgroupState state) { on_state(bid, state); }, &now);
  *out = RequestOutcome{};
  if (now == CgroupState::kPopulated) {
    if (Status s = activate(*b, out); !s.ok()) {
      watcher_->unwatch(b->watch_id);
      return s;
    }
    b->was_populated = true;
  }
  *id = bid;
  bindings_.emplace(bid, std::move(b));
  bindings_.at(bid)->counted = client_tally_.take(binder.uid);
  log_.info("binding " + std::to_string(bid) + ": " + cgroup + " " + target.device + "." +
            knob_request_name(target.knob, target.end) + "=" + std::to_string(value) + " by uid " +
            std::to_string(binder.uid) + (transient ? " transient" : "") +
            (now == CgroupState::kPopulated ? " (active)" : ""));
  return Status::Ok();
}

Status CgroupBindings::unbind(std::uint32_t id, uid_t who, RequestOutcome* out) {
  auto it = bindings_.find(id);
  if (it == bindings_.end()) {
    return Status::Error(ENOENT, "unbind: no binding " + std::to_string(id));
  }
  Binding& b = *it->second;
  if (!b.origin.empty()) {
    return Status::Error(EPERM, "unbind: binding " + std::to_string(id) +
                                    " comes from the config (" + b.origin +
                                    "): edit the config and reload instead");
  }
  if (who != 0 && who != b.uid) {
    return Status::Error(EPERM, "unbind: binding " + std::to_string(id) + " belongs to uid " +
                                    std::to_string(b.uid) + ": only it or root may remove it");
  }
  *out = RequestOutcome{};
  if (b.spread) {
    b.spread->request().drop_all(out);
    b.spread.reset();
  } else if (b.holder && b.holder->size() > 0) {
    const RequestId request = b.holder->requests().front()->id();
    (void)admission_.remove(*b.holder, request, out);
  }
  watcher_->unwatch(b.watch_id);
  bindings_.erase(it);
  return Status::Ok();
}

Status CgroupBindings::resolve(const BindingConfig& c, RequestTarget* target) const {
  if (!c.cpus_of.empty()) return admission::cpu_set_knob(c.device, c.knob, target);
  std::shared_ptr<Device> device = broker_.registry().find(c.device);
  if (!device) return Status::Error(ENODEV, "no device '" + c.device + "'");
  target->device = c.device;
  if (c.knob.empty()) {
    const auto knobs = device->knobs();
    if (knobs.size() != 1 || knobs[0]->is_range()) {
      return Status::Error(EINVAL, c.device + ": name a knob: it has " + device->knob_names());
    }
    target->knob = knobs[0]->id();
    return Status::Ok();
  }
  if (!parse_knob_name(c.knob, &target->knob, &target->end) ||
      device->knob(target->knob) == nullptr) {
    return Status::Error(
        EINVAL, c.device + "." + c.knob + ": no such knob: it has " + device->knob_names());
  }
  return Status::Ok();
}

void CgroupBindings::set_config_bindings(const std::vector<BindingConfig>& configs) {
  std::vector<bool> kept(configs.size(), false);
  for (auto it = bindings_.begin(); it != bindings_.end();) {
    Binding& b = *it->second;
    bool keep = false;
    if (b.origin.empty()) {
      keep = true;
    } else {
      for (std::size_t i = 0; i < configs.size() && !keep; ++i) {
        RequestTarget t;
        if (kept[i] || configs[i].cgroup != b.cgroup || configs[i].value != b.value ||
            configs[i].cpus_of != b.cpus_of || !resolve(configs[i], &t).ok()) {
          continue;
        }
        if (t.device == b.target.device && t.knob == b.target.knob && t.end == b.target.end) {
          kept[i] = keep = true;
          b.origin = configs[i].origin;
          b.reason = configs[i].reason;  // a reload may change the notes of a request in force
          b.app_id = configs[i].app_id;
          if (b.holder) {
            for (const HeldRequest* r : b.holder->requests())
              b.holder->annotate(r->id(), b.reason, b.app_id);
          }
        }
      }
    }
    if (keep) {
      ++it;
    } else {
      if (watcher_ != nullptr) watcher_->unwatch(b.watch_id);
      it = bindings_.erase(it);  // its holder drops the request
    }
  }
  for (std::size_t i = 0; i < configs.size(); ++i) {
    if (kept[i]) continue;
    const BindingConfig& c = configs[i];
    if (watcher_ == nullptr) {
      log_.warning(c.origin + ": [[bind]] ignored: no cgroup2 file system is mounted");
      continue;
    }
    auto b = std::make_unique<Binding>();
    if (Status s = resolve(c, &b->target); !s.ok()) {
      log_.warning(c.origin + ": [[bind]] ignored: " + s.message());
      continue;
    }
    b->id = next_id_++;
    b->cgroup = c.cgroup;
    b->value = c.value;
    b->origin = c.origin;
    b->cpus_of = c.cpus_of;
    b->reason = c.reason;
    b->app_id = c.app_id;
    const std::uint32_t bid = b->id;
    CgroupState now = CgroupState::kMissing;
    b->watch_id = watcher_->watch(
        c.cgroup, [this, bid](const std::string&, CgroupState state) { on_state(bid, state); },
        &now);
    Binding& ref = *b;
    bindings_.emplace(bid, std::move(b));
    if (now == CgroupState::kPopulated) on_state(bid, now);
    log_.info(c.origin + ": binding " + std::to_string(ref.id) + " on " + c.cgroup + " (" +
              to_string(now) + ")");
  }
}

void CgroupBindings::clear() {
  for (auto& [id, b] : bindings_) {
    if (watcher_ != nullptr) watcher_->unwatch(b->watch_id);
  }
  bindings_.clear();
}

std::vector<const CgroupBindings::Binding*> CgroupBindings::bindings() const {
  std::vector<const Binding*> out;
  for (const auto& [id, b] : bindings_) out.push_back(b.get());
  return out;
}

}  // namespace perfqos::daemon
