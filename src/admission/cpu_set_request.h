// CpuSetRequest: one request spread over a set of CPUs that may change (`--cpus-of CGROUP`,
// issue #17 point 3): the same value on the same knob of each device cpuN, N in the set, all
// held by one holder. When the set changes (CpusetFollower), CPUs that join get the request
// and CPUs that leave lose it; the other requests are not touched.
//
// Each CPU's request is placed through the front end's Place function, so that it is judged
// exactly as `cpuN.KNOB=V` written by the same caller would be (Admission::add for a client,
// Admission::place_bound for a cgroup binding). The first placement is all or nothing; a move
// is best effort: a CPU whose request fails (no such device, a grant that names other CPUs) is
// logged and tried again at the next move.
//
// Thread safety: confined to the thread that owns the Broker.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "admission/admission.h"
#include "model/broker.h"
#include "util/log.h"

namespace perfqos::admission {

// The device name of CPU `cpu` ("cpu3").
std::string cpu_device(int cpu);

// The word a CPU-set request names as its device ("cpus.resume_latency=0").
inline constexpr char kCpusDevice[] = "cpus";

// The knob a CPU-set request places on each CPU: `device` must be "cpus" and `knob` a per-CPU
// knob (resume_latency, flags). EINVAL names the field and what is allowed.
Status cpu_set_knob(std::string_view device, std::string_view knob, RequestTarget* out);

class CpuSetRequest {
 public:
  // Places `value` on `target` (a cpuN device) in the holder; fills `*out` on success.
  using Place =
      std::function<Status(const RequestTarget& target, std::int32_t value, RequestOutcome* out)>;
  // Changes the holder's request `id` to `value`.
  using Change = std::function<Status(RequestId id, std::int32_t value, RequestOutcome* out)>;

  // `knob` is the template: its device is ignored, its knob and end are used on every CPU.
  // `what` names the request in log lines ("pid 42 (arecord) cpus of /x.scope: resume_latency").
  // REQUIRES: admission, holder and log outlive this object.
  CpuSetRequest(Admission& admission, Holder& holder, RequestTarget knob, std::int32_t value,
                Place place, const daemon::Logger& log, std::string what);
  // Drops every request it placed.
  ~CpuSetRequest();
  CpuSetRequest(const CpuSetRequest&) = delete;
  CpuSetRequest& operator=(const CpuSetRequest&) = delete;

  // Places the request on every CPU of `cpus`, all or nothing: the first failure removes what
  // was placed and is returned, naming the CPU. EINVAL when `cpus` is empty. `*out` is the
  // outcome on the first CPU, with changed set if any CPU's effective value changed.
  Status place(const std::vector<int>& cpus, RequestOutcome* out);
  // Fits the placed requests to `cpus` (see above).
  void move_to(const std::vector<int>& cpus);
  // Changes every placed request to `value`, all or nothing (a failure puts back the old value
  // on those already changed); later moves place the new value.
  Status update(std::int32_t value, const Change& change, RequestOutcome* out);
  // Drops every CPU's request now; `*out` says whether any effective value changed (its
  // effective value is the first CPU's). `out` may be null.
  void drop_all(RequestOutcome* out);

  std::int32_t value() const { return value_; }
  const RequestTarget& knob() const { return knob_; }
  // The CPUs that hold the request now, and the request on each.
  const std::map<int, RequestId>& placed() const { return placed_; }

 private:
  Status place_one(int cpu, RequestOutcome* out);
  void drop_one(int cpu);

  Admission& admission_;
  Holder& holder_;
  RequestTarget knob_;
  std::int32_t value_;
  Place place_;
  const daemon::Logger& log_;
  std::string what_;
  std::map<int, RequestId> placed_;
};

}  // namespace perfqos::admission
