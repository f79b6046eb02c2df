// PolicyStore: the policy in force (perfqos/policy.h), swapped whole on reload (SIGHUP), and
// the one authorization entry point of every front end: the socket Service calls it on the loop
// thread, the FUSE workers call it from their own threads.
//
// Thread safety: every method may be called from any thread; a call sees either the old or the
// new policy, never a mix.
#pragma once

#include <sys/types.h>

#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "perfqos/policy.h"

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

  // The policy check for one request: may `caller` set device.knob (knob as users write it:
  // "latency", "min", "max", ...) to `value` (-1 = the default)? Ok, or EACCES naming the grant
  // that would be needed.
  Status authorize(const Caller& caller, std::string_view device, std::string_view knob,
                   std::int32_t value) const;
  // As authorize(), for any value (access(W_OK), or an open before any value is known).
  Status authorize_any(const Caller& caller, std::string_view device, std::string_view knob) const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const Policy> policy_;  // guarded by mutex_
};

}  // namespace perfqos::daemon
