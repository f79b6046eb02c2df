// JournalIo: the system calls the restore journal makes on its state directory, behind one
// interface, as every knob file is behind SysfsRoot: so that a test can make any of them fail
// (an fsync that reports EIO, a rename on a full disk) and check that nothing is lost.
//
// Each call has its system call's contract: the same arguments, the same return value, errno
// left as the call leaves it. Names are relative to a directory descriptor (openat(2) and
// friends).
//
// Thread safety: system_journal_io() is stateless and may be used from any thread.
#pragma once

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>

namespace perfqos::daemon {

class JournalIo {
 public:
  virtual ~JournalIo() = default;
  virtual int openat(int dir, const char* name, int flags, mode_t mode) = 0;
  virtual int fstat(int fd, struct stat* st) = 0;
  virtual ssize_t read(int fd, void* buf, std::size_t n) = 0;
  virtual ssize_t write(int fd, const void* buf, std::size_t n) = 0;
  virtual int fsync(int fd) = 0;
  virtual int renameat(int dir, const char* from, const char* to) = 0;
  virtual int unlinkat(int dir, const char* name) = 0;
};

// The real system calls.
JournalIo& system_journal_io();

}  // namespace perfqos::daemon
