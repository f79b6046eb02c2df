#include "daemon/policy_store.h"

namespace perfqos::daemon {

void PolicyStore::set(Policy policy) {
  auto next = std::make_shared<const Policy>(std::move(policy));
  std::lock_guard lock(mutex_);
  policy_.swap(next);
}

std::shared_ptr<const Policy> PolicyStore::current() const {
  std::lock_guard lock(mutex_);
  return policy_;
}

Status PolicyStore::authorize(uid_t uid, gid_t gid, const std::string& cgroup,
                              std::string_view device, std::string_view knob,
                              std::int32_t value) const {
  return current()->authorize(Caller{uid, gid, cgroup}, device, knob, value);
}

Status PolicyStore::authorize_any(uid_t uid, gid_t gid, const std::string& cgroup,
                                  std::string_view device, std::string_view knob) const {
  return current()->authorize_any(Caller{uid, gid, cgroup}, device, knob);
}

}  // namespace perfqos::daemon
