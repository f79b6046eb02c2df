#include "daemon/instance_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>

#include "backends/sysfs.h"
#include "util/errno_status.h"

namespace perfqos::daemon {

namespace {

// The pid the holder wrote, or "unknown" (it may be between its flock and its write).
std::string holder_pid(int fd) {
  char buf[32];
  const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
  if (n <= 0) return "unknown";
  std::string text(buf, static_cast<std::size_t>(n));
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  long long pid = 0;
  if (!backends::parse_int64(text, &pid) || pid <= 0) return "unknown";
  return std::to_string(pid);
}

}  // namespace

Status InstanceLock::acquire(const StateDir& dir, InstanceLock* out) {
  const std::string path = dir.path() + "/" + kInstanceLockFileName;
  // O_NOFOLLOW | O_NONBLOCK: a symbolic link or a FIFO in its place is refused, never followed
  // or waited on.
  UniqueFd fd(::openat(dir.fd(), kInstanceLockFileName,
                       O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600));
  if (!fd) return errno_status(errno, "open the instance lock " + path);
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return errno_status(errno, "stat " + path);
  if (!S_ISREG(st.st_mode) || st.st_uid != ::geteuid()) {
    return Status::Error(
        EPERM, "instance lock " + path + " is not a regular file owned by perfqosd's uid: refused");
  }
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    if (err == EWOULDBLOCK) {
      return Status::Error(EBUSY, "another perfqosd (pid " + holder_pid(fd.get()) +
                                      ") holds the state directory " + dir.path() + " (lock " +
                                      path + "): not starting, nothing changed");
    }
    return errno_status(err, "flock " + path);
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) != 0) return errno_status(errno, "truncate " + path);
  const ssize_t n = ::pwrite(fd.get(), pid.data(), pid.size(), 0);
  if (n != static_cast<ssize_t>(pid.size()))
    return errno_status(n < 0 ? errno : EIO, "write " + path);
  *out = InstanceLock(std::move(fd));
  return Status::Ok();
}

}  // namespace perfqos::daemon
