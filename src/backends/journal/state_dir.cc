#include "backends/journal/state_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "backends/sysfs.h"
#include "util/errno_status.h"

namespace perfqos::daemon {

namespace {

// Parents are ordinary directories (0755, as /run is); the state directory gets `mode`.
Status make_dirs(const std::string& dir, mode_t dir_mode) {
  for (std::size_t i = 1; i <= dir.size(); ++i) {
    if (i != dir.size() && dir[i] != '/') continue;
    const std::string partial = dir.substr(0, i);
    const mode_t mode = i == dir.size() ? dir_mode : 0755;
    if (::mkdir(partial.c_str(), mode) != 0 && errno != EEXIST) {
      return errno_status(errno, "mkdir " + partial);
    }
  }
  return Status::Ok();
}

std::string octal(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

}  // namespace

Status StateDir::open(const std::string& path, std::shared_ptr<const StateDir>* out, mode_t mode) {
  std::string dir = path;
  while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
  if (Status s = make_dirs(dir, mode); !s.ok()) return s;
  // O_NOFOLLOW: a symbolic link in place of the directory is refused, not followed.
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) {
    const int err = errno;
    // With O_DIRECTORY the kernel reports a final symbolic link as ENOTDIR, not ELOOP.
    struct stat link {};
    if (err == ELOOP ||
        (err == ENOTDIR && ::lstat(dir.c_str(), &link) == 0 && S_ISLNK(link.st_mode))) {
      return Status::Error(ELOOP, "state directory " + dir + " is a symbolic link: refused");
    }
    return errno_status(err, "open the state directory " + dir);
  }
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_status(errno, "stat " + dir);
  const uid_t euid = ::geteuid();
  if (st.st_uid != euid) {
    return Status::Error(EPERM, "state directory " + dir + " is owned by uid " +
                                    std::to_string(st.st_uid) + ", not perfqosd's uid " +
                                    std::to_string(euid) + ": refused (chown it or remove it)");
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return Status::Error(EPERM, "state directory " + dir + " has mode " + octal(st.st_mode) +
                                    ": writable by group or others, refused (allowed: no group "
                                    "or other write, e.g. 0700)");
  }
  out->reset(new StateDir(std::move(dir), std::move(fd)));  // the constructor is private
  return Status::Ok();
}

}  // namespace perfqos::daemon
