// The mount table of a process (/proc/PID/mountinfo, proc(5)), parsed once for everyone who
// asks where something is mounted: the cgroup v2 hierarchy, a FUSE tree left by a crashed run.
//
// Thread safety: free functions over their arguments; read_mountinfo opens the file anew.
#pragma once

#include <string>
#include <vector>

#include "util/status.h"

namespace perfqos {

struct MountEntry {
  std::string mount_point;  // unescaped: "\040" is back to a space
  std::string fs_type;      // "cgroup2", "fuse.perfqos", ...
};

// One line of mountinfo: "id parent major:minor root mountpoint options [optional...] - fstype
// source superoptions". False for a line without a mount point or a "-" separator.
bool parse_mountinfo_line(const std::string& line, MountEntry* out);

// Every entry of `path`, in file order. ENOENT when the file cannot be read; *out is then
// empty. Lines that do not parse are skipped.
Status read_mountinfo(std::vector<MountEntry>* out,
                      const std::string& path = "/proc/self/mountinfo");

}  // namespace perfqos
