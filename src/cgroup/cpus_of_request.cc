#include "cgroup/cpus_of_request.h"

#include <cerrno>

#include "cgroup/cgroup_bindings.h"

namespace perfqos::daemon {

Status CpusOfRequest::start(CpusetFollower& follower, const std::string& cgroup,
                            std::unique_ptr<admission::CpuSetRequest> request, RequestOutcome* out,
                            std::unique_ptr<CpusOfRequest>* made) {
  if (Status s = check_cgroup_path(cgroup); !s.ok()) {
    return Status::Error(EINVAL, "cpus_of: " + s.message());
  }
  if (!follower.exists(cgroup)) {
    return Status::Error(ENOENT, "cpus_of: no cgroup " + cgroup + " under " + follower.mount());
  }
  std::unique_ptr<CpusOfRequest> r(new CpusOfRequest(follower, cgroup, std::move(request)));
  std::vector<int> now;
  admission::CpuSetRequest* set = r->request_.get();
  if (Status s = follower.follow(
          cgroup, [set](const std::vector<int>& cpus) { set->move_to(cpus); }, &now,
          &r->follow_id_);
      !s.ok()) {
    return s;
  }
  if (Status s = set->place(now, out); !s.ok()) return s;  // the destructor unfollows
  *made = std::move(r);
  return Status::Ok();
}

CpusOfRequest::~CpusOfRequest() {
  if (follow_id_ != 0) follower_.unfollow(follow_id_);
}

}  // namespace perfqos::daemon
