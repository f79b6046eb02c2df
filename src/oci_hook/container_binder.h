// Binds a container's requests to its cgroup, all or nothing: each PlannedRequest is resolved
// against the daemon's description of its device (the SPEC value read with tools/value_input,
// as perfqosctl reads it), then bound as a container's (perfqos_bind_container): transient, so
// that it ends when the container's cgroup empties or is removed, and judged by the daemon's
// [[container]] policy rather than by the hook's being root. When one fails, the ones bound before
// it are unbound and the error says which annotation failed and why.
//
// Every call is bounded by the Deadline (the client's timeout is set to what is left of it).
//
// Thread safety: one ContainerBinder per thread, as its Client.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "oci_hook/annotations.h"
#include "oci_hook/hook_failure.h"
#include "perfqos/client.hpp"

namespace perfqos::oci {

class ContainerBinder {
 public:
  // REQUIRES: `client` is connected and outlives this object; so does `deadline`.
  ContainerBinder(client::Client& client, const Deadline& deadline)
      : client_(client), deadline_(deadline) {}

  // The requests of profile `name` as perfqosd resolves them (perfqos_profile), each with its
  // value read already; the source names the profile annotation. `*absent` gets how many were
  // skipped for a device that is not there.
  std::optional<HookError> profile_requests(const std::string& name,
                                            std::vector<PlannedRequest>* out, std::size_t* absent);

  // Binds every request of `requests` to `cgroup` with `note`; on success `*ids` holds the
  // binding ids in order. On failure nothing stays bound (as far as the daemon answers). A
  // request on device "cpus" goes on the CPUs of `cgroup` (perfqos_bind_cpus_of): the daemon
  // places it on each CPU of the container's cpuset and follows it.
  std::optional<HookError> bind_all(const std::vector<PlannedRequest>& requests,
                                    const std::string& cgroup, const client::Client::Note& note,
                                    std::vector<std::uint32_t>* ids);

 private:
  struct Resolved {
    std::string knob;  // as sent: "" = the device's only knob
    std::int32_t value = 0;
  };
  std::optional<HookError> resolve(const PlannedRequest& r, Resolved* out);
  // Sets the client's timeout to what is left; an error when nothing is.
  std::optional<HookError> arm_timeout();
  // A daemon's error on `what` as a HookError of the right class.
  HookError daemon_error(const std::string& what, const client::Status& s) const;

  client::Client& client_;
  const Deadline& deadline_;
};

// True for the errors of libperfqos that mean no (timely) answer: the daemon is down, closed
// the connection or did not answer.
bool is_unreachable(int code);

}  // namespace perfqos::oci
