// perfqosctl rescan: ask the daemon to rediscover devices.
#include <cstdio>

#include "tools/commands.h"

namespace perfqos::tools {

int cmd_rescan(const Options& o) {
  Client c;
  if (int rc = connect(o, &c)) return rc;
  std::uint32_t added = 0, removed = 0;
  if (client::Status s = c.rescan(&added, &removed); !s.ok()) return fail(s.message());
  std::printf("%u devices added, %u removed\n", added, removed);
  return 0;
}

}  // namespace perfqos::tools
