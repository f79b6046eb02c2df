#include "backends/journal/journal_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "backends/sysfs.h"
#include "util/errno_status.h"

namespace perfqos::daemon {

namespace {

Status refused(int code, const std::string& path, const std::string& why) {
  return Status::Error(code, "restore journal " + path + " " + why +
                                 ": not trusted (allowed: a regular file owned by perfqosd's "
                                 "uid, not writable by group or others)");
}

Status write_all(JournalIo& io, int fd, std::string_view text, const std::string& path) {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = io.write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status(errno, "write " + path);
    done += static_cast<std::size_t>(n);
  }
  return Status::Ok();
}

}  // namespace

Status read_journal_file(const StateDir& dir, const std::string& name, std::string* text,
                         bool* exists, JournalIo& io) {
  const std::string path = dir.path() + "/" + name;
  *exists = false;
  UniqueFd fd(io.openat(dir.fd(), name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0));
  if (!fd) {
    if (errno == ENOENT) return Status::Ok();
    if (errno == ELOOP) return refused(ELOOP, path, "is a symbolic link");
    return errno_status(errno, "open " + path);
  }
  struct stat st {};
  if (io.fstat(fd.get(), &st) != 0) return errno_status(errno, "stat " + path);
  if (!S_ISREG(st.st_mode)) return refused(EPERM, path, "is not a regular file");
  if (st.st_uid != ::geteuid()) {
    return refused(EPERM, path, "is owned by uid " + std::to_string(st.st_uid));
  }
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    return refused(EPERM, path, "is writable by group or others");
  }
  if (static_cast<std::size_t>(st.st_size) > kMaxJournalBytes) {
    return Status::Error(EFBIG, "restore journal " + path + " is " + std::to_string(st.st_size) +
                                    " bytes: refused (allowed: at most " +
                                    std::to_string(kMaxJournalBytes) + ")");
  }
  std::string data;
  char buf[8192];
  for (;;) {
    const ssize_t n = io.read(fd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno_status(errno, "read " + path);
    if (n == 0) break;
    data.append(buf, static_cast<std::size_t>(n));
    // It may grow after the fstat: the bound holds for what is read.
    if (data.size() > kMaxJournalBytes) {
      return Status::Error(EFBIG, "restore journal " + path + " grew past " +
                                      std::to_string(kMaxJournalBytes) + " bytes: refused");
    }
  }
  *text = std::move(data);
  *exists = true;
  return Status::Ok();
}

Status write_journal_file(const StateDir& dir, const std::string& name, std::string_view text,
                          JournalIo& io) {
  const std::string tmp = name + ".tmp";
  const std::string tmp_path = dir.path() + "/" + tmp;
  // A temp left by a crash mid-write, or anything planted there: unlinkat removes a link
  // itself, never its target.
  if (io.unlinkat(dir.fd(), tmp.c_str()) != 0 && errno != ENOENT) {
    return errno_status(errno, "remove the stale " + tmp_path);
  }
  UniqueFd fd(
      io.openat(dir.fd(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return errno_status(errno, "create " + tmp_path);
  Status s = write_all(io, fd.get(), text, tmp_path);
  if (s.ok() && io.fsync(fd.get()) != 0) s = errno_status(errno, "fsync " + tmp_path);
  if (s.ok() && io.renameat(dir.fd(), tmp.c_str(), name.c_str()) != 0) {
    s = errno_status(errno, "rename " + tmp_path + " to " + dir.path() + "/" + name);
  }
  if (!s.ok()) {
    (void)io.unlinkat(dir.fd(), tmp.c_str());
    return s;
  }
  if (io.fsync(dir.fd()) != 0) return errno_status(errno, "fsync " + dir.path());
  return Status::Ok();
}

Status remove_journal_file(const StateDir& dir, const std::string& name, JournalIo& io) {
  if (io.unlinkat(dir.fd(), name.c_str()) != 0 && errno != ENOENT) {
    return errno_status(errno, "remove " + dir.path() + "/" + name);
  }
  if (io.fsync(dir.fd()) != 0) return errno_status(errno, "fsync " + dir.path());
  return Status::Ok();
}

}  // namespace perfqos::daemon
