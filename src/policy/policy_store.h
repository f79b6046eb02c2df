// PolicyStore: the policy in force (perfqos/policy.h), swapped whole on reload (SIGHUP). It
// decides nothing itself: the Admission (admission/admission.h) judges every front end's
// requests against one current() snapshot; the quotas and cgroup data read it too.
//
// Thread safety: every method may be called from any thread; a call sees either the old or the
// new policy, never a mix.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "policy/policy.h"

namespace perfqos::daemon {

class PolicyStore {
 public:
  PolicyStore() : policy_(std::make_shared<const Policy>()) {}
  explicit PolicyStore(Policy policy)
      : policy_(std::make_shared<const Policy>(std::move(policy))) {}
  PolicyStore(const PolicyStore&) = delete;
  PolicyStore& operator=(const PolicyStore&) = delete;

  void set(Policy policy);
  std::shared_ptr<const Policy> current() const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Policy> policy_;  // guarded by mutex_
};

}  // namespace perfqos::daemon
