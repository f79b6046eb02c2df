// The container state an OCI runtime writes on a hook's stdin (OCI runtime spec, "State"): the
// fields perfqos-oci-hook uses, read with nlohmann-json and checked. Unknown fields are ignored
// (the spec lets runtimes add their own); the ones we read must have the spec's types.
//
// Thread safety: pure functions.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "util/status.h"

namespace perfqos::oci {

// The largest state document accepted; a runtime's is a few KiB (annotations included).
inline constexpr std::size_t kMaxStateBytes = 1024 * 1024;

struct ContainerState {
  std::string id;      // "id": the container's id ("" when absent: only used in messages)
  int pid = 0;         // "pid": the container's init process in the runtime's pid namespace
  std::string status;  // "status": "creating", "created", "running", ... ("" when absent)
  std::map<std::string, std::string> annotations;  // "annotations", empty when absent
};

// Parses `text`. EINVAL names the field and what it must be ("state: pid must be a positive
// integer", "state: annotations.\"x\" must be a string", "state: not JSON: ..."). `pid` is not
// required here: a hook with nothing to do never needs it (need_pid checks it).
Status parse_container_state(std::string_view text, ContainerState* out);

// EINVAL unless `state.pid` is > 0.
Status need_pid(const ContainerState& state);

}  // namespace perfqos::oci
