#include "backends/journal/journal_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace perfqos::daemon {

namespace {

class SystemJournalIo final : public JournalIo {
 public:
  int openat(int dir, const char* name, int flags, mode_t mode) override {
    return ::openat(dir, name, flags, mode);
  }
  int fstat(int fd, struct stat* st) override { return ::fstat(fd, st); }
  ssize_t read(int fd, void* buf, std::size_t n) override { return ::read(fd, buf, n); }
  ssize_t write(int fd, const void* buf, std::size_t n) override { return ::write(fd, buf, n); }
  int fsync(int fd) override { return ::fsync(fd); }
  int renameat(int dir, const char* from, const char* to) override {
    return ::renameat(dir, from, dir, to);
  }
  int unlinkat(int dir, const char* name) override { return ::unlinkat(dir, name, 0); }
};

}  // namespace

JournalIo& system_journal_io() {
  static SystemJournalIo io;
  return io;
}

}  // namespace perfqos::daemon
