#include "policy/policy_store.h"

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

}  // namespace perfqos::daemon
