#include "frontends/dbus/broker_object.h"

#include <cerrno>
#include <optional>

#include "admission/spec_resolver.h"
#include "frontends/dbus/bus_errors.h"
#include "protocol/limits.h"

namespace perfqos::dbus {

namespace {

// A knob as GetEffective names it: "" for a device's only knob, "range"/"min"/"max", "epp", ...
const Knob* find_knob(const Device& device, const std::string& name) {
  if (name.empty()) {
    const auto knobs = device.knobs();
    return knobs.size() == 1 ? knobs[0] : nullptr;
  }
  KnobId id = KnobId::kRange;
  RangeEnd end;
  if (name != "range" && !parse_knob_name(name, &id, &end)) return nullptr;
  return device.knob(id);
}

}  // namespace

const sd_bus_vtable BrokerObject::kVtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD_WITH_ARGS("Hold", SD_BUS_ARGS("as", specs, "s", reason, "s", application_id),
                            SD_BUS_RESULT("u", cookie), &BrokerObject::on_hold,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS(
        "HoldProfile", SD_BUS_ARGS("s", profile, "s", reason, "s", application_id),
        SD_BUS_RESULT("u", cookie), &BrokerObject::on_hold_profile, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS(
        "HoldCpusOf", SD_BUS_ARGS("s", cgroup, "as", specs, "s", reason, "s", application_id),
        SD_BUS_RESULT("u", cookie), &BrokerObject::on_hold_cpus_of, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("Release", SD_BUS_ARGS("u", cookie), SD_BUS_NO_RESULT,
                            &BrokerObject::on_release, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("GetEffective", SD_BUS_ARGS("s", device, "s", knob),
                            SD_BUS_RESULT("i", min, "i", max), &BrokerObject::on_get_effective,
                            SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS("ListDevices", SD_BUS_NO_ARGS,
                            SD_BUS_RESULT("a(ssa(ssiiiias))", devices),
                            &BrokerObject::on_list_devices, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD_WITH_ARGS(
        "Explain", SD_BUS_ARGS("s", device, "s", knob, "s", value),
        SD_BUS_RESULT("s", explained, "s", unit, "i", effective_min, "i", effective_max, "i",
                      valid_min, "i", valid_max, "u", setters_total, "a(sisuussssu)", setters, "b",
                      unrestricted, "a(ssiis)", grants, "(sbibis)", cgroup_limit, "s",
                      verdict_error, "s", verdict_message, "b", would_change, "i", would_be_min,
                      "i", would_be_max),
        &BrokerObject::on_explain, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_PROPERTY("Holds", "a(uasssuu)", &BrokerObject::get_holds, 0,
                    SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
    SD_BUS_SIGNAL_WITH_ARGS("EffectiveChanged",
                            SD_BUS_ARGS("s", device, "s", knob, "i", min, "i", max), 0),
    SD_BUS_VTABLE_END};

BrokerObject::BrokerObject(BusContext& ctx, ProfileSource profiles)
    : ctx_(ctx), profiles_(std::move(profiles)) {}

BrokerObject::~BrokerObject() {
  if (registry_listener_ != 0) ctx_.broker.registry().unsubscribe(registry_listener_);
  for (auto& [device, knobs] : watched_) {
    for (auto& [knob, id] : knobs) knob->unsubscribe(id);
  }
  holds_.clear();  // each holder's requests go, and with them their effect on the knobs
  sd_bus_slot_unref(slot_);
}

Status BrokerObject::start() {
  if (int r =
          sd_bus_add_object_vtable(ctx_.bus, &slot_, kBrokerPath, kBrokerInterface, kVtable, this);
      r < 0) {
    return Status::Error(-r, std::string("adding ") + kBrokerPath + " to the bus");
  }
  for (const auto& device : ctx_.broker.registry().devices()) watch_device(device);
  registry_listener_ = ctx_.broker.registry().subscribe(
      [this](RegistryEvent event, const std::shared_ptr<Device>& device) {
        if (event == RegistryEvent::kAdded) {
          watch_device(device);
        } else {
          unwatch_device(*device);
        }
      });
  return Status::Ok();
}

void BrokerObject::watch_device(const std::shared_ptr<Device>& device) {
  auto& knobs = watched_[device.get()];
  const Device* d = device.get();
  for (const Knob* k : device->knobs()) {
    Knob* knob = device->knob(k->id());
    knobs.emplace_back(knob, knob->subscribe([this, d, knob](Range, Range now) {
      emit_effective(*d, *knob, now);
    }));
  }
}

void BrokerObject::unwatch_device(const Device& device) {
  auto it = watched_.find(&device);
  if (it == watched_.end()) return;
  for (auto& [knob, id] : it->second) knob->unsubscribe(id);
  watched_.erase(it);
}

void BrokerObject::emit_effective(const Device& device, const Knob& knob, Range value) {
  (void)sd_bus_emit_signal(ctx_.bus, kBrokerPath, kBrokerInterface, "EffectiveChanged", "ssii",
                           device.name().c_str(), knob_name(knob.id()), value.min, value.max);
}

void BrokerObject::holds_changed() {
  (void)sd_bus_emit_properties_changed(ctx_.bus, kBrokerPath, kBrokerInterface, "Holds", nullptr);
}

Status BrokerObject::read_specs(sd_bus_message* m, std::vector<std::string>* out) {
  std::vector<std::string>& specs = *out;
  if (int r = sd_bus_message_enter_container(m, 'a', "s"); r < 0) {
    return Status::Error(EINVAL, "specs: must be an array of strings");
  }
  for (;;) {
    const char* text = nullptr;
    const int r = sd_bus_message_read_basic(m, 's', &text);
    if (r < 0) return Status::Error(EINVAL, "specs: must be an array of strings");
    if (r == 0) break;
    if (specs.size() == kMaxSpecsPerHold) {
      return Status::Error(
          E2BIG, "specs: at most " + std::to_string(kMaxSpecsPerHold) + " SPECs per hold");
    }
    if (Status s = check_text("specs", text, kMaxSpecBytes); !s.ok()) return s;
    specs.emplace_back(text);
  }
  (void)sd_bus_message_exit_container(m);
  if (specs.empty())
    return Status::Error(EINVAL, "specs: at least one SPEC, as DEVICE[.KNOB]=VALUE");
  return Status::Ok();
}

Status BrokerObject::hold(sd_bus_message* m, std::uint32_t* cookie) {
  std::vector<std::string> specs;
  const char* reason = nullptr;
  const char* app_id = nullptr;
  if (Status s = read_specs(m, &specs); !s.ok()) return s;
  if (sd_bus_message_read(m, "ss", &reason, &app_id) < 0) {
    return Status::Error(EINVAL, "arguments: expected (as specs, s reason, s application_id)");
  }
  if (Status s = check_text("reason", reason, protocol::kMaxReason); !s.ok()) return s;
  if (Status s = check_text("application_id", app_id, protocol::kMaxAppId); !s.ok()) return s;

  const BusCaller* caller = nullptr;
  if (Status s = ctx_.callers.of(m, &caller); !s.ok()) return s;
  std::vector<ResolvedSpec> resolved;
  if (Status s = admission::resolve_specs(ctx_.broker, ctx_.admission, specs, kMaxSpecsPerHold,
                                          &resolved);
      !s.ok())
    return s;
  return place(*caller, resolved, false, std::move(specs), reason, app_id, cookie);
}

Status BrokerObject::hold_profile(sd_bus_message* m, std::uint32_t* cookie) {
  const char* name = nullptr;
  const char* reason = nullptr;
  const char* app_id = nullptr;
  if (sd_bus_message_read(m, "sss", &name, &reason, &app_id) < 0) {
    return Status::Error(EINVAL, "arguments: expected (s profile, s reason, s application_id)");
  }
  if (Status s = check_text("reason", reason, protocol::kMaxReason); !s.ok()) return s;
  if (Status s = check_text("application_id", app_id, protocol::kMaxAppId); !s.ok()) return s;
  std::optional<Profile> profile;
  std::string offered;
  for (Profile& p : profiles_()) {
    if (!admission::profile_offered(ctx_.broker, ctx_.admission, p)) continue;
    offered += (offered.empty() ? "" : ", ") + p.name;
    if (p.name == name) profile = std::move(p);
  }
  if (!profile) {
    return Status::Error(EINVAL, std::string("no profile '") + name + "' here: offered are " +
                                     (offered.empty() ? "none" : offered));
  }
  const BusCaller* caller = nullptr;
  if (Status s = ctx_.callers.of(m, &caller); !s.ok()) return s;
  if (Status s =
          admission::may_use_profile(ctx_.broker, ctx_.admission, caller->requester, *profile);
      !s.ok()) {
    return s;
  }
  std::vector<ResolvedSpec> resolved;
  if (Status s = admission::resolve_profile(ctx_.broker, ctx_.admission, *profile, &resolved);
      !s.ok()) {
    return s;
  }
  std::vector<std::string> specs;
  for (const ResolvedSpec& r : resolved) specs.push_back(r.text);
  return place(*caller, resolved, profile->anyone, std::move(specs), reason, app_id, cookie);
}

Status BrokerObject::place(const BusCaller& caller, const std::vector<ResolvedSpec>& requests,
                           bool open, std::vector<std::string> specs, const std::string& reason,
                           const std::string& app_id, std::uint32_t* cookie,
                           const std::string& cpus_of) {
  if (auto it = per_owner_.find(caller.name);
      it != per_owner_.end() && it->second >= kMaxHoldsPerName) {
    return Status::Error(
        EDQUOT, "holds: at most " + std::to_string(kMaxHoldsPerName) + " per bus connection");
  }
  Hold h;
  if (ctx_.quota != nullptr) {
    if (Status s = ctx_.quota->admit(caller.identity.uid, &h.slot); !s.ok()) return s;
  }
  h.holder = ctx_.broker.make_holder(caller.identity);
  for (const ResolvedSpec& r : requests) {
    RequestOutcome outcome;
    if (!cpus_of.empty()) {
      if (Status s = place_cpu_set(caller, r, cpus_of, reason, app_id, h); !s.ok()) return s;
      continue;
    }
    Status s = open ? ctx_.admission.place_bound(*h.holder, r.target, r.value, &outcome)
                    : ctx_.admission.add(caller.requester, *h.holder, r.target, r.value,
                                         std::nullopt, &outcome);
    if (!s.ok()) return Status::Error(s.code(), "'" + r.text + "': " + s.message());
    h.holder->annotate(outcome.id, reason, app_id);
  }
  h.owner = caller.name;
  h.specs = std::move(specs);
  h.reason = reason;
  h.app_id = app_id;
  h.uid = caller.identity.uid;
  h.pid = caller.identity.pid;
  while (next_cookie_ == 0 || holds_.count(next_cookie_) != 0) ++next_cookie_;
  *cookie = next_cookie_++;
  ++per_owner_[h.owner];
  holds_.emplace(*cookie, std::move(h));
  holds_changed();
  return Status::Ok();
}

int BrokerObject::on_hold_profile(sd_bus_message* m, void* self, sd_bus_error* error) {
  auto* o = static_cast<BrokerObject*>(self);
  std::uint32_t cookie = 0;
  if (Status s = o->hold_profile(m, &cookie); !s.ok()) return reply_error(error, s);
  return sd_bus_reply_method_return(m, "u", cookie);
}

int BrokerObject::on_hold(sd_bus_message* m, void* self, sd_bus_error* error) {
  auto* o = static_cast<BrokerObject*>(self);
  std::uint32_t cookie = 0;
  if (Status s = o->hold(m, &cookie); !s.ok()) return reply_error(error, s);
  return sd_bus_reply_method_return(m, "u", cookie);
}

int BrokerObject::on_release(sd_bus_message* m, void* self, sd_bus_error* error) {
  auto* o = static_cast<BrokerObject*>(self);
  std::uint32_t cookie = 0;
  if (sd_bus_message_read(m, "u", &cookie) < 0) {
    return reply_error(error, Status::Error(EINVAL, "arguments: expected (u cookie)"));
  }
  const char* sender = sd_bus_message_get_sender(m);
  auto it = o->holds_.find(cookie);
  // Another name's cookie reads as no hold at all: a caller learns nothing of others' holds.
  if (it == o->holds_.end() || sender == nullptr || it->second.owner != sender) {
    return reply_error(
        error, Status::Error(ENOENT, "no hold " + std::to_string(cookie) + " of this connection"));
  }
  if (--o->per_owner_[it->second.owner] == 0) o->per_owner_.erase(it->second.owner);
  o->holds_.erase(it);
  o->holds_changed();
  return sd_bus_reply_method_return(m, "");
}

void BrokerObject::owner_gone(const std::string& name) {
  if (per_owner_.erase(name) == 0) return;
  std::erase_if(holds_, [&](const auto& entry) { return entry.second.owner == name; });
  holds_changed();
}

int BrokerObject::on_get_effective(sd_bus_message* m, void* self, sd_bus_error* error) {
  auto* o = static_cast<BrokerObject*>(self);
  const char* device_name = nullptr;
  const char* knob_text = nullptr;
  if (sd_bus_message_read(m, "ss", &device_name, &knob_text) < 0) {
    return reply_error(error, Status::Error(EINVAL, "arguments: expected (s device, s knob)"));
  }
  const std::shared_ptr<Device> device = o->ctx_.broker.registry().find(device_name);
  if (!device) {
    return reply_error(error,
                       Status::Error(ENODEV, std::string("no device '") + device_name + "'"));
  }
  const Knob* knob = find_knob(*device, knob_text);
  if (knob == nullptr) {
    return reply_error(error,
                       Status::Error(EINVAL, std::string(device_name) + ": no knob '" + knob_text +
                                                 "': it has " + device->knob_names()));
  }
  const Range e = knob->effective_range();
  return sd_bus_reply_method_return(m, "ii", e.min, e.max);
}

int BrokerObject::on_list_devices(sd_bus_message* m, void* self, sd_bus_error*) {
  auto* o = static_cast<BrokerObject*>(self);
  sd_bus_message* reply = nullptr;
  int r = sd_bus_message_new_method_return(m, &reply);
  if (r < 0) return r;
  r = sd_bus_message_open_container(reply, 'a', "(ssa(ssiiiias))");
  for (const auto& device : o->ctx_.broker.registry().devices()) {
    if (r < 0) break;
    r = sd_bus_message_open_container(reply, 'r', "ssa(ssiiiias)");
    if (r >= 0)
      r = sd_bus_message_append(reply, "ss", device->name().c_str(), device->kind().c_str());
    if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "(ssiiiias)");
    for (const Knob* knob : device->knobs()) {
      if (r < 0) break;
      const Range e = knob->effective_range();
      Range allowed = knob->limits();
      if (!knob->is_range()) {
        const ListSpec spec = knob->spec();
        allowed = Range{spec.min_request, spec.max_request};
      }
      r = sd_bus_message_open_container(reply, 'r', "ssiiiias");
      if (r >= 0) {
        r = sd_bus_message_append(reply, "ssiiii", knob_name(knob->id()), knob->unit().c_str(),
                                  e.min, e.max, allowed.min, allowed.max);
      }
      if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "s");
      for (const std::string& word : knob->choices()) {
        if (r >= 0) r = sd_bus_message_append(reply, "s", word.c_str());
      }
      if (r >= 0) r = sd_bus_message_close_container(reply);
      if (r >= 0) r = sd_bus_message_close_container(reply);
    }
    if (r >= 0) r = sd_bus_message_close_container(reply);
    if (r >= 0) r = sd_bus_message_close_container(reply);
  }
  if (r >= 0) r = sd_bus_message_close_container(reply);
  if (r >= 0) r = sd_bus_send(nullptr, reply, nullptr);
  sd_bus_message_unref(reply);
  return r;
}

int BrokerObject::get_holds(sd_bus*, const char*, const char*, const char*, sd_bus_message* reply,
                            void* self, sd_bus_error*) {
  auto* o = static_cast<BrokerObject*>(self);
  int r = sd_bus_message_open_container(reply, 'a', "(uasssuu)");
  for (const auto& [cookie, h] : o->holds_) {
    if (r < 0) break;
    r = sd_bus_message_open_container(reply, 'r', "uasssuu");
    if (r >= 0) r = sd_bus_message_append(reply, "u", cookie);
    if (r >= 0) r = sd_bus_message_open_container(reply, 'a', "s");
    for (const std::string& spec : h.specs) {
      if (r >= 0) r = sd_bus_message_append(reply, "s", spec.c_str());
    }
    if (r >= 0) r = sd_bus_message_close_container(reply);
    if (r >= 0) {
      r = sd_bus_message_append(reply, "ssuu", h.reason.c_str(), h.app_id.c_str(), h.uid,
                                static_cast<std::uint32_t>(h.pid));
    }
    if (r >= 0) r = sd_bus_message_close_container(reply);
  }
  if (r >= 0) r = sd_bus_message_close_container(reply);
  return r;
}

}  // namespace perfqos::dbus
