// CpusOfRequest: a request scoped to the CPUs of a cgroup (`--cpus-of CGROUP`, issue #17 point
// 3): a CpuSetRequest that follows the cgroup's cpuset.cpus.effective (CpusetFollower) for as
// long as it lives. Dropping it drops every CPU's request and stops following.
//
// Used by every holder kind: a socket connection (ADD with cpus_of), a cgroup binding (BIND
// with cpus_of, placed while the bound cgroup is populated) and a D-Bus name (HoldCpusOf).
//
// Thread safety: confined to the loop thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "admission/cpu_set_request.h"
#include "cgroup/cpuset_follower.h"

namespace perfqos::daemon {

class CpusOfRequest {
 public:
  // Follows `cgroup` and places `request` on its CPUs now, all or nothing. EINVAL: a bad
  // cgroup path, or a cgroup with no CPUs; ENOENT: no such cgroup; else the first CPU's
  // failure. On error nothing is placed or followed and `*made` is untouched.
  // REQUIRES: follower outlives the result.
  static Status start(CpusetFollower& follower, const std::string& cgroup,
                      std::unique_ptr<admission::CpuSetRequest> request, RequestOutcome* out,
                      std::unique_ptr<CpusOfRequest>* made);
  ~CpusOfRequest();
  CpusOfRequest(const CpusOfRequest&) = delete;
  CpusOfRequest& operator=(const CpusOfRequest&) = delete;

  admission::CpuSetRequest& request() { return *request_; }
  const admission::CpuSetRequest& request() const { return *request_; }
  const std::string& cgroup() const { return cgroup_; }

 private:
  CpusOfRequest(CpusetFollower& follower, std::string cgroup,
                std::unique_ptr<admission::CpuSetRequest> request)
      : follower_(follower), cgroup_(std::move(cgroup)), request_(std::move(request)) {}

  CpusetFollower& follower_;
  std::string cgroup_;
  std::unique_ptr<admission::CpuSetRequest> request_;
  std::uint64_t follow_id_ = 0;
};

}  // namespace perfqos::daemon
