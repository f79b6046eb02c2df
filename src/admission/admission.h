// Admission: the one path every front end takes to place, change or drop a request (DESIGN §2
// layer 4). A front end decodes, identifies its caller (a Requester) and names a target; from
// there this unit alone decides:
//
//   knob resolved (resolve) -> policy checked against one snapshot -> quotas -> the refusal or
//   the admission counted in the caller's per-cgroup data -> Broker (or PerfQosHandle) called
//   -> one Status back.
//
// Nothing else calls the Broker's add/update/remove for a client, and nothing else asks the
// policy whether a client may write. Removing a request is never refused: a holder may always
// let go of what it holds.
//
// Errors (the Broker's are passed through unchanged, see broker.h):
//   ENODEV   no such device
//   EINVAL   the device has no such knob, or the knob and the range end contradict each other
//            (the message names device.knob and the knobs the device has)
//   EACCES   the policy refuses the caller (the message names the grant that would be needed,
//            or the [[container]] entry for a container's binding)
//   EDQUOT   over quotas.max_requests_per_holder
//   ENOENT   the holder has no request with that id
// A refused call changes nothing but the refusal counters: the caller's per-cgroup data (policy
// decisions) and the tally() of its front end (every decision, with its errno).
//
// Thread safety: confined to the thread that owns the Broker (the daemon's loop thread, which
// serves FUSE too). needs_groups() may be called from any thread.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admission/admission_tally.h"
#include "model/broker.h"
#include "model/perf_qos_handle.h"
#include "policy/policy_store.h"
#include "util/log.h"

namespace perfqos::admission {

// How a front end knows who its caller is. Identity always comes from the kernel or the bus,
// never from what the caller says about itself.
enum class Vouch : std::uint8_t {
  kPeerCred,     // SO_PEERCRED of a socket connection, at connect time
  kFrameCred,    // SCM_CREDENTIALS of the frame that carries the request
  kFuseContext,  // the FUSE request's context (the kernel's view of the calling thread)
  kBus,          // the message bus' GetConnectionCredentials
  kConfig,       // the administrator's config (cgroup bindings of [[bind]])
};
const char* to_string(Vouch vouch);
// The front end a vouch stands for (SO_PEERCRED and SCM_CREDENTIALS are both the socket).
FrontEnd front_end_of(Vouch vouch);

// The caller of one request.
struct Requester {
  pid_t pid = 0;
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups{};  // supplementary groups; may be left empty when !needs_groups()
  std::string cgroup;           // cgroup v2 path, "" when unknown
  std::string comm;             // for messages; may be empty
  Vouch vouched_by = Vouch::kPeerCred;

  static Requester of(const HolderIdentity& id, Vouch vouched_by);
  Caller caller() const { return Caller{uid, gid, cgroup, groups}; }
};

// Where per-cgroup data counts what members of a cgroup asked for (cgroup/ implements it).
class AdmissionCounter {
 public:
  virtual ~AdmissionCounter() = default;
  virtual void record(const std::string& device, const std::string& cgroup, bool admitted) = 0;
};

// What an add would do, judged without doing it (EXPLAIN).
struct Judgement {
  Status verdict;             // what the add would answer: ok, EINVAL, EACCES or EDQUOT
  bool would_change = false;  // verdict ok: the effective value would change
  Range would_be;             // verdict ok: the effective value after it ({v, v} one-valued)
  bool unrestricted = false;  // uid 0: the policy admits anything (quotas aside)
  std::vector<Grant> grants;  // the grants of the caller on the target, in config order
  CgroupLimit limit;          // the caps and floors on the target for the caller's cgroup
  // The requests that set (SUM, FLAGS: contribute to) the effective value now; both ends of a
  // range. Valid until the model changes.
  std::vector<const HeldRequest*> setters;
};

class Admission {
 public:
  // REQUIRES: broker, policy and log outlive the admission.
  Admission(Broker& broker, const daemon::PolicyStore& policy, const daemon::Logger& log);
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // Optional; REQUIRES: outlives the admission (or is reset to null first).
  void set_counter(AdmissionCounter* counter) { counter_ = counter; }

  // The target a request names: `knob` as users write it ("" for a device's only knob, "min",
  // "max", "range", "latency", ...) with the range end given separately, if at all (`end`;
  // "min"/"max" carry their own). Fills `*target` only on success.
  // ENODEV, EINVAL (see the file comment).
  Status resolve(std::string_view device, std::string_view knob, std::optional<RangeEnd> end,
                 RequestTarget* target) const;

  // Places `value` on `target` for `holder`, asked by `who`. `*outcome` is filled on success.
  Status add(const Requester& who, Holder& holder, const RequestTarget& target, std::int32_t value,
             std::optional<Deadline> expiry, RequestOutcome* outcome);
  // Changes `holder`'s request `id` to `value`; `outcome` may be null.
  Status update(const Requester& who, Holder& holder, RequestId id, std::int32_t value,
                RequestOutcome* outcome);
  // Drops `holder`'s request `id`; never refused by policy. `outcome` may be null.
  Status remove(Holder& holder, RequestId id, RequestOutcome* outcome);
  // Sets one end of a perf QoS device through `handle` (the RFC's SET_MIN/SET_MAX): the RFC's
  // own rules (EALREADY, the hard limits) after the policy's. `changed` may be null.
  Status set_perf(const Requester& who, PerfQosHandle& handle, RangeEnd end, std::int32_t value,
                  bool* changed);

  // The open of a PM QoS class node for writing, which stands for a request at the default
  // value (kDefaultRequest) as in the kernel: judged as may_hold() (no value is known yet);
  // once the policy admits it, `reserve` does the front end's own part of the open (its
  // connection quota) and gives the holder (its refusal is returned as is and counts nothing);
  // then the quota and the Broker. Counted refused when the policy refuses, admitted when the
  // request is placed. `*outcome` is filled on success.
  Status add_at_open(const Requester& who, const RequestTarget& target,
                     const std::function<Status(Holder**)>& reserve, RequestOutcome* outcome);

  // May `who` hold requests on device.knob at all (some value)? For opens and access(W_OK),
  // before a value is known. The decision (admitted or refused) is counted when `count` is set.
  Status may_hold(const Requester& who, std::string_view device, KnobId knob, RangeEnd end,
                  bool count);
  // The policy check of a cgroup-bound request `who` asks to place; counted like an add. The
  // bindings' own rules (which cgroups, how many) are CgroupBindings'.
  Status admit_binding(const Requester& who, const RequestTarget& target, std::int32_t value);
  // The policy check of a cgroup-bound request a container runtime's hook asks for a container
  // (BIND with `container` set): judged by the container rules alone ([[container]],
  // policy/container_policy.h), whoever relays it; root's "anything" does not apply. Only root
  // may relay (the hook runs as root): anyone else gets EACCES. Counted like an add.
  Status admit_container_binding(const Requester& who, const RequestTarget& target,
                                 std::int32_t value);

  // Places the request of a cgroup binding when its cgroup fills. Its policy check was made
  // when it was bound (admit_binding, or the administrator's config for [[bind]]); what is
  // left is the Broker's own checks. `*outcome` is filled on success.
  Status place_bound(Holder& holder, const RequestTarget& target, std::int32_t value,
                     RequestOutcome* outcome);

  // Judges an add of `value` on `target` (resolved by resolve()) by `who`, whose holder holds
  // `held` requests; nullopt judges "some value", as may_hold(). Exactly add's checks: the
  // knob and the value's range, the policy (one snapshot), the quota. Changes nothing, counts
  // nothing, logs nothing. Returns ENODEV when the device is gone (`*out` untouched); otherwise
  // Ok with the verdict in out->verdict.
  Status judge(const Requester& who, std::size_t held, const RequestTarget& target,
               std::optional<std::int32_t> value, Judgement* out) const;

  // How many requests in force the policy now in force would refuse (after a reload). Bound
  // requests of the config and in-process holders are not counted.
  std::size_t refused_in_force() const;

  // What was admitted and refused, per front end and reason (admission_tally.h).
  const AdmissionTally& tally() const { return tally_; }

  // Whether the policy's decision for `uid` can depend on supplementary groups, so a front end
  // that must read them from /proc may skip it otherwise. Any thread.
  bool needs_groups(uid_t uid) const;

 private:
  Status authorize(const Requester& who, const Policy& policy, const std::string& device,
                   KnobId knob, RangeEnd end, std::optional<std::int32_t> value, bool count);
  // Counts the decision `s` in the tally and returns it.
  Status counted(FrontEnd front_end, Status s);

  Broker& broker_;
  const daemon::PolicyStore& policy_;
  const daemon::Logger& log_;
  AdmissionCounter* counter_ = nullptr;
  AdmissionTally tally_;
};

}  // namespace perfqos::admission
