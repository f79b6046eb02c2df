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

Status PolicyStore::authorize(const Caller& caller, std::string_view device, std::string_view knob,
                              std::int32_t value) const {
  return current()->authorize(caller, device, knob, value);
}

Status PolicyStore::authorize_any(const Caller& caller, std::string_view device,
                                  std::string_view knob) const {
  return current()->authorize_any(caller, device, knob);
}

}  // namespace perfqos::daemon
