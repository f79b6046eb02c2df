#include "policy/policy.h"

#include <fnmatch.h>

#include <algorithm>
#include <cerrno>

namespace perfqos {

namespace {

std::string who(const Caller& c) {
  return "uid " + std::to_string(c.uid) + " (gid " + std::to_string(c.gid) +
         (c.cgroup.empty() ? "" : ", cgroup " + c.cgroup) + ")";
}

std::string target_text(std::string_view device, std::string_view knob) {
  return std::string(device) + "." + std::string(knob);
}

// The grant that would admit the request, as config lines to paste (keys of docs/config.md).
std::string needed_grant(const Caller& c, std::string_view device, std::string_view knob,
                         std::optional<std::int32_t> value) {
  std::string text = "add to the perfqosd config:\n  [[grant]]\n  users = [" +
                     std::to_string(c.uid) + "]  # or groups = [" + std::to_string(c.gid) + "]" +
                     (c.cgroup.empty() ? "" : ", or cgroups = [\"" + c.cgroup + "\"]") +
                     "\n  device = \"" + std::string(device) + "\"\n  knob = \"" +
                     std::string(knob) + "\"";
  if (value && *value != -1) {
    text += "\n  min = " + std::to_string(*value) + "\n  max = " + std::to_string(*value);
  }
  return text;
}

}  // namespace

bool glob_matches(const std::string& pattern, const std::string& text) {
  return ::fnmatch(pattern.c_str(), text.c_str(), 0) == 0;
}

bool knob_matches(std::string_view pattern, std::string_view knob) {
  if (pattern == "*" || pattern == knob) return true;
  if (pattern == "range") return knob == "min" || knob == "max" || knob == "range";
  // A named knob's name covers both its ends: "epp" matches "epp.min" and "epp.max".
  return knob.size() == pattern.size() + 4 && knob.substr(0, pattern.size()) == pattern &&
         (knob.substr(pattern.size()) == ".min" || knob.substr(pattern.size()) == ".max");
}

bool Grant::matches_caller(const Caller& caller) const {
  if (std::find(uids.begin(), uids.end(), caller.uid) != uids.end()) return true;
  const auto granted_group = [&](gid_t g) {
    return std::find(gids.begin(), gids.end(), g) != gids.end();
  };
  if (granted_group(caller.gid) ||
      std::any_of(caller.groups.begin(), caller.groups.end(), granted_group)) {
    return true;
  }
  if (caller.cgroup.empty()) return false;
  return std::any_of(cgroups.begin(), cgroups.end(),
                     [&](const std::string& g) { return glob_matches(g, caller.cgroup); });
}

bool Grant::matches_target(std::string_view device_name, std::string_view knob_name) const {
  return glob_matches(device, std::string(device_name)) && knob_matches(knob, knob_name);
}

Status Policy::authorize(const Caller& caller, std::string_view device, std::string_view knob,
                         std::int32_t value) const {
  if (caller.uid == 0) return Status::Ok();
  const std::string what = target_text(device, knob) + "=" + std::to_string(value);
  std::string ranges;
  bool granted = false;
  for (const Grant& g : grants_) {
    if (!g.matches_caller(caller) || !g.matches_target(device, knob)) continue;
    if (value == -1 || (g.min <= value && value <= g.max)) {
      granted = true;
      break;
    }
    ranges += (ranges.empty() ? "" : ", ") + std::to_string(g.min) + ".." + std::to_string(g.max) +
              " (" + g.origin + ")";
  }
  if (!granted && !ranges.empty()) {  // a grant applies, but not to this value
    return Status::Error(EACCES, what + ": outside the grants of " + who(caller) + ": they allow " +
                                     ranges + "; to allow it, " +
                                     needed_grant(caller, device, knob, value));
  }
  if (!granted) {
    return Status::Error(EACCES, what + ": uid " + std::to_string(caller.uid) +
                                     " may only read: not granted to " + who(caller) +
                                     "; to grant it, " + needed_grant(caller, device, knob, value));
  }
  if (value == -1) return Status::Ok();
  const CgroupLimit limit = limits_for(caller.cgroup, device, knob);
  if (limit.floor && value < *limit.floor) {
    return Status::Error(EACCES, what + ": below the floor " + std::to_string(*limit.floor) +
                                     " of cgroup " + caller.cgroup + " (" + limit.origin + ")");
  }
  if (limit.cap && value > *limit.cap) {
    return Status::Error(EACCES, what + ": above the cap " + std::to_string(*limit.cap) +
                                     " of cgroup " + caller.cgroup + " (" + limit.origin + ")");
  }
  return Status::Ok();
}

Status Policy::authorize_any(const Caller& caller, std::string_view device,
                             std::string_view knob) const {
  if (caller.uid == 0) return Status::Ok();
  for (const Grant& g : grants_) {
    if (g.matches_caller(caller) && g.matches_target(device, knob)) return Status::Ok();
  }
  return Status::Error(EACCES, target_text(device, knob) + ": uid " + std::to_string(caller.uid) +
                                   " may only read: not granted to " + who(caller) +
                                   "; to grant it, " +
                                   needed_grant(caller, device, knob, std::nullopt));
}

CgroupLimit Policy::limits_for(std::string_view cgroup, std::string_view device,
                               std::string_view knob) const {
  CgroupLimit out;
  out.cgroup = std::string(cgroup);
  out.device = std::string(device);
  out.knob = std::string(knob);
  if (cgroup.empty()) return out;
  const std::string cg(cgroup), dev(device);
  for (const CgroupLimit& l : limits_) {
    if (!glob_matches(l.cgroup, cg) || !glob_matches(l.device, dev) || !knob_matches(l.knob, knob))
      continue;
    if (l.floor && (!out.floor || *l.floor > *out.floor)) out.floor = l.floor;
    if (l.cap && (!out.cap || *l.cap < *out.cap)) out.cap = l.cap;
    out.origin += (out.origin.empty() ? "" : ", ") + l.origin;
  }
  return out;
}

bool Policy::names_groups() const {
  return std::any_of(grants_.begin(), grants_.end(),
                     [](const Grant& g) { return !g.gids.empty(); });
}

Status Policy::admit_request(const Caller& caller, std::size_t held) const {
  const std::uint32_t limit = quotas_.max_requests_per_holder;
  if (limit == 0 || (caller.uid == 0 && !quotas_.apply_to_root) || held < limit) {
    return Status::Ok();
  }
  return Status::Error(EDQUOT, "quota: this holder already has " + std::to_string(held) +
                                   " requests, the most quotas.max_requests_per_holder = " +
                                   std::to_string(limit) + " allows for " + who(caller));
}

Status Policy::admit_connection(uid_t uid, std::size_t open) const {
  const std::uint32_t limit = quotas_.max_connections_per_uid;
  if (limit == 0 || (uid == 0 && !quotas_.apply_to_root) || open < limit) return Status::Ok();
  return Status::Error(EUSERS, "quota: uid " + std::to_string(uid) + " already has " +
                                   std::to_string(open) +
                                   " connections, the most quotas.max_connections_per_uid = " +
                                   std::to_string(limit) + " allows");
}

}  // namespace perfqos
