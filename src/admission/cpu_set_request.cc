#include "admission/cpu_set_request.h"

#include <algorithm>
#include <cerrno>
#include <set>

namespace perfqos::admission {

std::string cpu_device(int cpu) {
  return "cpu" + std::to_string(cpu);
}

Status cpu_set_knob(std::string_view device, std::string_view knob, RequestTarget* out) {
  if (device != kCpusDevice) {
    return Status::Error(EINVAL, "device '" + std::string(device) +
                                     "': a request scoped to a cgroup's CPUs names the device "
                                     "'cpus' (cpus.resume_latency=0)");
  }
  KnobId id = KnobId::kResumeLatency;
  RangeEnd end = RangeEnd::kMin;
  if (!parse_knob_name(knob, &id, &end) || (id != KnobId::kResumeLatency && id != KnobId::kFlags)) {
    return Status::Error(EINVAL, "knob '" + std::string(knob) +
                                     "': a request on a cgroup's CPUs takes a per-CPU knob: "
                                     "resume_latency or flags");
  }
  *out = RequestTarget{};
  out->device = kCpusDevice;
  out->knob = id;
  out->end = end;
  return Status::Ok();
}

CpuSetRequest::CpuSetRequest(Admission& admission, Holder& holder, RequestTarget knob,
                             std::int32_t value, Place place, const daemon::Logger& log,
                             std::string what)
    : admission_(admission),
      holder_(holder),
      knob_(std::move(knob)),
      value_(value),
      place_(std::move(place)),
      log_(log),
      what_(std::move(what)) {}

CpuSetRequest::~CpuSetRequest() {
  drop_all(nullptr);
}

void CpuSetRequest::drop_all(RequestOutcome* out) {
  bool changed = false;
  bool first = true;
  for (const auto& [cpu, id] : placed_) {
    RequestOutcome one;
    (void)admission_.remove(holder_, id, &one);
    if (out != nullptr && first) *out = one;
    first = false;
    changed = changed || one.changed;
  }
  placed_.clear();
  if (out != nullptr) out->changed = changed;
}

Status CpuSetRequest::place_one(int cpu, RequestOutcome* out) {
  RequestTarget target = knob_;
  target.device = cpu_device(cpu);
  target.ancestor = false;
  if (Status s = place_(target, value_, out); !s.ok()) return s;
  placed_[cpu] = out->id;
  return Status::Ok();
}

void CpuSetRequest::drop_one(int cpu) {
  auto it = placed_.find(cpu);
  if (it == placed_.end()) return;
  (void)admission_.remove(holder_, it->second, nullptr);
  placed_.erase(it);
}

Status CpuSetRequest::place(const std::vector<int>& cpus, RequestOutcome* out) {
  if (cpus.empty()) {
    return Status::Error(EINVAL, what_ +
                                     ": the cgroup has no CPUs (it is gone, or its "
                                     "cpuset.cpus.effective is empty)");
  }
  *out = RequestOutcome{};
  bool changed = false;
  for (int cpu : cpus) {
    RequestOutcome one;
    if (Status s = place_one(cpu, &one); !s.ok()) {
      while (!placed_.empty()) drop_one(placed_.begin()->first);
      return Status::Error(s.code(), cpu_device(cpu) + ": " + s.message());
    }
    if (placed_.size() == 1) *out = one;
    changed = changed || one.changed;
  }
  out->changed = changed;
  return Status::Ok();
}

void CpuSetRequest::move_to(const std::vector<int>& cpus) {
  const std::set<int> wanted(cpus.begin(), cpus.end());
  std::vector<int> leaving;
  for (const auto& [cpu, id] : placed_) {
    if (wanted.count(cpu) == 0) leaving.push_back(cpu);
  }
  for (int cpu : leaving) drop_one(cpu);
  std::string failed;
  for (int cpu : wanted) {
    if (placed_.count(cpu) != 0) continue;
    RequestOutcome out;
    if (Status s = place_one(cpu, &out); !s.ok()) {
      failed += (failed.empty() ? "" : "; ") + cpu_device(cpu) + ": " + s.message();
    }
  }
  log_.info(what_ + ": CPUs now " + std::to_string(wanted.size()) + ", held on " +
            std::to_string(placed_.size()) +
            (leaving.empty() ? "" : ", " + std::to_string(leaving.size()) + " left"));
  if (!failed.empty()) log_.warning(what_ + ": not placed on " + failed);
}

Status CpuSetRequest::update(std::int32_t value, const Change& change, RequestOutcome* out) {
  const std::int32_t old = value_;
  std::vector<RequestId> done;
  bool changed = false;
  *out = RequestOutcome{};
  for (const auto& [cpu, id] : placed_) {
    RequestOutcome one;
    if (Status s = change(id, value, &one); !s.ok()) {
      for (RequestId back : done) (void)change(back, old, nullptr);
      return Status::Error(s.code(), cpu_device(cpu) + ": " + s.message());
    }
    if (done.empty()) *out = one;
    done.push_back(id);
    changed = changed || one.changed;
  }
  value_ = value;
  out->changed = changed;
  return Status::Ok();
}

}  // namespace perfqos::admission
