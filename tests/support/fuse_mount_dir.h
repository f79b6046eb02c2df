// FuseMountDir: where a test's perfqosd mounts its FUSE tree: DIR/dev, DIR a fresh directory
// under /tmp, mode 0755 so that unprivileged test processes reach the nodes. When destroyed it
// detaches whatever is still mounted there and removes DIR: declare it before the
// DaemonProcess, which then stops first. mounted() reads /proc/self/mountinfo.
#pragma once

#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace perfqos::testing {

// Is something mounted at exactly `path`?
inline bool mounted(const std::string& path) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.find(" " + path + " ") != std::string::npos) return true;
  }
  return false;
}

class FuseMountDir {
 public:
  FuseMountDir() {
    char tmpl[] = "/tmp/perfqos-fuse-XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) return;
    dir_ = tmpl;
    ::chmod(dir_.c_str(), 0755);
    mount_ = dir_ + "/dev";
  }
  ~FuseMountDir() {
    // Never leave a mount behind, whatever happened (stacked mounts included).
    while (!mount_.empty() && mounted(mount_) && ::umount2(mount_.c_str(), MNT_DETACH) == 0) {
    }
    std::error_code ec;
    if (!dir_.empty()) std::filesystem::remove_all(dir_, ec);
  }
  FuseMountDir(const FuseMountDir&) = delete;
  FuseMountDir& operator=(const FuseMountDir&) = delete;

  // The mount point (not created: perfqosd makes it); empty if no directory could be made.
  const std::string& path() const { return mount_; }

 private:
  std::string dir_, mount_;
};

}  // namespace perfqos::testing
