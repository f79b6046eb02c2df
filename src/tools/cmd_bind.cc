// perfqosctl bind and unbind: requests held while a cgroup is populated.
#include <cstdio>
#include <string>
#include <vector>

#include "tools/commands.h"
#include "tools/cpu_devices.h"

namespace perfqos::tools {

int cmd_bind(const Options& o, const std::string& cgroup, const std::vector<std::string>& texts) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::vector<ResolvedSpec> specs;
  if (int rc = resolve_specs(c, texts, &specs, o.cpus_of)) return rc;
  std::vector<std::uint32_t> bound;
  for (const ResolvedSpec& r : specs) {
    std::uint32_t id = 0;
    const client::Status s =
        r.spec.device == kCpusDevice ? c.bind_cpus_of(cgroup, o.cpus_of, r.knob, r.value, o.note,
                                                 o.transient ? PERFQOS_BIND_TRANSIENT : 0u, &id)
        : o.transient ? c.bind_transient(cgroup, r.spec.device, r.knob, r.value, o.note, &id)
                      : c.bind(cgroup, r.spec.device, r.knob, r.value, o.note, &id);
    if (!s.ok()) {
      // All or nothing, as `hold`: the SPECs bound before this one are given back.
      for (std::uint32_t done : bound) (void)c.unbind(done);
      return fail(s.message());
    }
    bound.push_back(id);
  }
  for (std::uint32_t id : bound) std::printf("%u\n", id);
  return 0;
}

int cmd_unbind(const Options& o, std::uint32_t id) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  if (client::Status s = c.unbind(id); !s.ok()) return fail(s.message());
  return 0;
}

}  // namespace perfqos::tools
