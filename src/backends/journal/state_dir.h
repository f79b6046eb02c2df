// StateDir: the daemon's state directory (the restore journal, the instance lock), opened once
// and checked before anything in it is trusted (DESIGN §10).
//
// The directory is trusted only when it is a real directory (not a symbolic link), owned by the
// daemon's effective uid (root in production) and not writable by group or others: anyone else
// who could write there could plant a journal entry that makes the daemon rewrite any file, or
// swap the journal for a FIFO that hangs the start. Everything in it is reached through fd()
// (openat, renameat, unlinkat), so a path component swapped after the check cannot redirect it.
//
// Shared (const) by its users: the instance lock and the journal use the one descriptor.
//
// Thread safety: a StateDir is immutable after open(); fd() may be used from any thread.
#pragma once

#include <sys/types.h>

#include <memory>
#include <string>

#include "util/status.h"
#include "util/unique_fd.h"

namespace perfqos::daemon {

class StateDir {
 public:
  // Opens `path`, creating it (`mode`, 0700 unless the caller needs others to traverse it) and
  // missing parents (0755) first, and checks it. An existing directory keeps its mode.
  // Errors, with a message naming the directory and why it is refused:
  //   the errno of mkdir or open (ENOTDIR when a component is not a directory);
  //   ELOOP: `path` is a symbolic link;
  //   EPERM: owned by another uid than the daemon's euid, or writable by group or others.
  // On error *out is unchanged.
  static Status open(const std::string& path, std::shared_ptr<const StateDir>* out,
                     mode_t mode = 0700);

  StateDir(const StateDir&) = delete;
  StateDir& operator=(const StateDir&) = delete;

  // An O_RDONLY | O_DIRECTORY descriptor of the directory (usable with the *at calls and
  // fsync); valid for the object's life.
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

 private:
  StateDir(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::string path_;
  UniqueFd fd_;
};

}  // namespace perfqos::daemon
