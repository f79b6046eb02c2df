// Policy: who may place which requests (DESIGN §8). An immutable value built from the config;
// the daemon swaps in a new one on reload.
//
// Authorization of one request (authorize()):
//   1. uid 0 may do anything.
//   2. Anyone else needs a Grant that matches them (their uid is in `uids`, or their primary or
//      one of their supplementary groups is in `gids`, or their cgroup matches one of `cgroups`)
//      and the target (device glob and knob) and whose [min, max] contains the value. A value of -1
//      ("default") imposes nothing: any matching grant admits it whatever its range.
//   3. Then, per-cgroup limits (CgroupLimit, the caps and floors of the per-cgroup data) bound
//      what non-root members of a matching cgroup may ask on that device knob: floor <= value
//      <= cap. Every matching limit applies (they intersect).
// Refusals are EACCES; the message names the target, the value, who asked, and the grant that
// would be needed (or the cgroup limit that was exceeded).
//
// What a container's runtime hook binds for the container is judged apart, by the container
// rules alone (authorize_container(), container_policy.h): root's "anything" does not apply.
//
// Quotas (struct Quotas): requests per holder (EDQUOT), connections per uid and in all (EUSERS),
// queued bytes, subscriptions and bindings per uid and in all; 0 means unlimited. uid 0 is
// exempt unless `apply_to_root`.
//
// Globs are fnmatch(3) patterns without FNM_PATHNAME: `*` also matches `/`, so
// "/user.slice/*" matches every cgroup below /user.slice. Knob names are the names users write:
// "latency", "throughput", "bandwidth", "resume_latency", "latency_tolerance", "flags", "min",
// "max"; "*" matches every knob and "range" both "min" and "max".
//
// Thread safety: immutable after construction; any number of threads may call the const
// methods concurrently.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "policy/container_policy.h"
#include "util/status.h"

namespace perfqos {

// Who asks: the caller's credentials and cgroup v2 path ("/user.slice/...", "" if unknown).
struct Caller {
  uid_t uid = 0;
  gid_t gid = 0;  // primary group
  std::string cgroup;
  std::vector<gid_t> groups{};  // supplementary groups
};

struct Grant {
  std::vector<uid_t> uids;
  std::vector<gid_t> gids;
  std::vector<std::string> cgroups;  // globs
  std::string device = "*";          // glob
  std::string knob = "*";
  std::int32_t min = 0;
  std::int32_t max = INT32_MAX;
  std::string origin;  // "file:line", for messages

  bool matches_caller(const Caller& caller) const;
  bool matches_target(std::string_view device, std::string_view knob) const;
};

// Per-cgroup caps and floors on one device knob (the per-cgroup data's configured part).
struct CgroupLimit {
  std::string cgroup;  // glob
  std::string device;  // glob
  std::string knob = "*";
  std::optional<std::int32_t> floor;
  std::optional<std::int32_t> cap;
  std::string origin;
};

// Every bound a local user could otherwise push without limit (DESIGN §10). 0 = unlimited.
// Per-uid and per-holder bounds exempt uid 0 unless `apply_to_root`; so do the global ones,
// which count every caller but refuse only those not exempt. The defaults bound everything.
struct Quotas {
  std::uint32_t max_requests_per_holder = 4096;  // EDQUOT
  std::uint32_t max_connections_per_uid = 1024;  // socket connections + FUSE files; EUSERS
  std::uint32_t max_connections = 16384;         // all uids together; EUSERS
  std::uint32_t max_queued_bytes_per_connection = 1 << 20;  // replies and notifications
  std::uint32_t max_queued_bytes_per_uid = 16 << 20;        // a uid's connections together
  std::uint32_t max_queued_bytes = 256 << 20;               // every connection together
  std::uint32_t max_subscriptions_per_uid = 64;             // subscribed connections; EDQUOT
  std::uint32_t max_subscriptions = 4096;
  std::uint32_t max_bindings_per_uid = 64;  // cgroup-bound requests made by clients; EDQUOT
  std::uint32_t max_bindings = 4096;
  bool apply_to_root = false;
};

class Policy {
 public:
  // Root writes, everyone else reads, containers ask what default_container_rules() allow.
  Policy() = default;
  Policy(std::vector<Grant> grants, std::vector<CgroupLimit> limits, Quotas quotas,
         std::vector<ContainerRule> containers = default_container_rules())
      : grants_(std::move(grants)),
        limits_(std::move(limits)),
        quotas_(quotas),
        containers_(std::move(containers)) {}

  // Ok when `caller` may place (or change a request to) `value` on device.knob; EACCES
  // otherwise (see the file comment). `knob` as users write it ("latency", "min", ...).
  Status authorize(const Caller& caller, std::string_view device, std::string_view knob,
                   std::int32_t value) const;
  // Ok when a container may have `value` bound on device.knob for it by its runtime's hook;
  // EACCES otherwise (container_policy.h). Whoever relays it, the container rules decide.
  Status authorize_container(std::string_view device, std::string_view knob,
                             std::int32_t value) const {
    return perfqos::authorize_container(containers_, device, knob, value);
  }
  // Ok when some value may be placed on device.knob by `caller` (for access(W_OK) and opens
  // that do not carry a value yet); EACCES otherwise.
  Status authorize_any(const Caller& caller, std::string_view device, std::string_view knob) const;

  // The caps and floors on device.knob for members of `cgroup` (the intersection of every
  // matching CgroupLimit); nullopt ends when none says so.
  CgroupLimit limits_for(std::string_view cgroup, std::string_view device,
                         std::string_view knob) const;

  // EDQUOT when a holder of `caller` already holding `held` requests may not add one more.
  Status admit_request(const Caller& caller, std::size_t held) const;
  // EUSERS when `uid` already has `open` connections and may not open one more.
  Status admit_connection(uid_t uid, std::size_t open) const;

  // True when some grant names a group: only then can a caller's groups change a decision, so
  // a front end that must read them from /proc may skip it otherwise.
  bool names_groups() const;

  const std::vector<Grant>& grants() const { return grants_; }
  const std::vector<CgroupLimit>& cgroup_limits() const { return limits_; }
  const Quotas& quotas() const { return quotas_; }
  const std::vector<ContainerRule>& container_rules() const { return containers_; }

 private:
  std::vector<Grant> grants_;
  std::vector<CgroupLimit> limits_;
  Quotas quotas_;
  std::vector<ContainerRule> containers_ = default_container_rules();
};

// "*" and "range" aware knob match: does pattern `pattern` cover knob `knob`?
bool knob_matches(std::string_view pattern, std::string_view knob);
// fnmatch(3) without flags.
bool glob_matches(const std::string& pattern, const std::string& text);

}  // namespace perfqos
