#include "cgroup/cgroup_mount.h"

#include <cerrno>
#include <vector>

#include "util/mountinfo.h"

namespace perfqos::daemon {

Status find_cgroup2_mount(std::string* mount, const std::string& mountinfo) {
  std::vector<MountEntry> entries;
  if (Status s = read_mountinfo(&entries, mountinfo); !s.ok()) return s;
  for (const MountEntry& e : entries) {
    if (e.fs_type == "cgroup2") {
      *mount = e.mount_point;
      return Status::Ok();
    }
  }
  return Status::Error(ENOENT, "no cgroup2 file system in " + mountinfo);
}

}  // namespace perfqos::daemon
