// The floor of a FUSE round trip: a one-thread libfuse low-level server with one file, `node`,
// that takes open, write, ioctl and release and does no work at all. fuse_bench runs it beside
// perfqosd so that every FUSE path has its own floor, measured in the same rounds: what the
// kernel and libfuse cost for that call, with nothing of perfqos in it.
//
// Its open reply sets FOPEN_PARALLEL_DIRECT_WRITES, as perfqosd's does (libfuse 3.14 has no
// field for it, so the reply is the kernel's struct written out), so that writers of `node` are
// not serialized by the kernel's inode lock and the comparison is fair under load.
//
// serve_floor_fuse(MOUNTPOINT, READY_FD) mounts, writes one byte to READY_FD, serves until
// SIGTERM, unmounts and returns 0; 1 when it cannot mount. Run it in a child process.
#pragma once

#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <string>

namespace perfqos::bench::floor_fuse {

inline constexpr fuse_ino_t kNodeIno = 2;

inline struct stat attributes(fuse_ino_t ino) {
  struct stat st {};
  st.st_ino = ino;
  st.st_mode = ino == FUSE_ROOT_ID ? S_IFDIR | 0755 : S_IFREG | 0666;
  st.st_nlink = ino == FUSE_ROOT_ID ? 2 : 1;
  return st;
}

inline void lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  if (parent != FUSE_ROOT_ID || std::strcmp(name, "node") != 0) {
    fuse_reply_err(req, ENOENT);
    return;
  }
  fuse_entry_param e{};
  e.ino = kNodeIno;
  e.attr = attributes(kNodeIno);
  e.attr_timeout = e.entry_timeout = 60.0;
  fuse_reply_entry(req, &e);
}

inline void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info*) {
  const struct stat st = attributes(ino);
  fuse_reply_attr(req, &st, 60.0);
}

inline void open(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
  fuse_open_out out{};
  out.fh = 1;
  out.open_flags = FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES;
  iovec iov{&out, sizeof out};
  fuse_reply_iov(req, &iov, 1);
}

inline void write(fuse_req_t req, fuse_ino_t, const char*, size_t size, off_t, fuse_file_info*) {
  fuse_reply_write(req, size);
}

inline void ioctl(fuse_req_t req, fuse_ino_t, unsigned int, void*, fuse_file_info*, unsigned,
                  const void*, size_t, size_t) {
  fuse_reply_ioctl(req, 0, nullptr, 0);
}

inline void release(fuse_req_t req, fuse_ino_t, fuse_file_info*) {
  fuse_reply_err(req, 0);
}

inline int serve_floor_fuse(const std::string& mountpoint, int ready_fd) {
  fuse_lowlevel_ops ops{};
  ops.lookup = lookup;
  ops.getattr = getattr;
  ops.open = open;
  ops.write = write;
  ops.ioctl = ioctl;
  ops.release = release;
  std::string name = "floor_fuse", dash_o = "-o", options = "allow_other,fsname=floor_fuse";
  char* argv[] = {name.data(), dash_o.data(), options.data(), nullptr};
  fuse_args args = FUSE_ARGS_INIT(3, argv);
  fuse_session* session = fuse_session_new(&args, &ops, sizeof ops, nullptr);
  if (session == nullptr || fuse_session_mount(session, mountpoint.c_str()) != 0) return 1;
  fuse_set_signal_handlers(session);
  (void)!::write(ready_fd, "r", 1);
  ::close(ready_fd);
  fuse_session_loop(session);  // one thread: read, answer, read
  fuse_remove_signal_handlers(session);
  fuse_session_unmount(session);
  fuse_session_destroy(session);
  return 0;
}

}  // namespace perfqos::bench::floor_fuse
