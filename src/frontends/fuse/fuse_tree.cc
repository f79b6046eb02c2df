#include "frontends/fuse/fuse_tree.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "frontends/fuse/fuse_handlers.h"
#include "frontends/fuse/open_file.h"
#include "util/errno_status.h"
#include "util/mountinfo.h"

namespace perfqos::daemon {

namespace {

constexpr const char* kFsType = "fuse.perfqos";

// True when a perfqos FUSE file system is mounted at `path` (in this mount namespace).
bool perfqos_mounted_at(const std::string& path) {
  std::vector<MountEntry> mounts;
  if (!read_mountinfo(&mounts).ok()) return false;
  for (const MountEntry& m : mounts) {
    if (m.mount_point == path && m.fs_type == kFsType) return true;
  }
  return false;
}

}  // namespace

struct FuseTree::Buffer {
  fuse_buf buf{};
  ~Buffer() { std::free(buf.mem); }
};

FuseTree::FuseTree(Broker& broker, EventLoop& loop, const Logger& log, FuseTreeOptions options)
    : broker_(broker), loop_(loop), log_(log), options_(std::move(options)) {
  if (options_.admission == nullptr) {
    own_admission_ = std::make_unique<admission::Admission>(broker_, default_policy_, log_);
  }
  admission_ = options_.admission != nullptr ? options_.admission : own_admission_.get();
}

FuseTree::~FuseTree() {
  stop();
}

Status FuseTree::prepare_mountpoint() {
  const std::string& path = options_.mountpoint;
  // Stacked stale mounts (several crashes) are detached one by one. statfs(), not stat(): the
  // kernel answers stat() from the root's cached attributes while they last, even when the
  // server is dead, but always sends statfs() to the server, so a dead one answers ENOTCONN.
  for (int i = 0; i < 16; ++i) {
    struct statfs fs {};
    if (::statfs(path.c_str(), &fs) == 0) break;
    if (errno != ENOTCONN) break;
    log_.warning("FUSE: " + path + " is a stale mount (a crashed perfqosd?): detaching it");
    if (::umount2(path.c_str(), MNT_DETACH) != 0) {
      return errno_status(errno, "unmounting the stale mount at " + path);
    }
  }
  if (perfqos_mounted_at(path)) {
    return Status::Error(EBUSY, "FUSE: another perfqosd serves " + path);
  }
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return errno_status(ec.value(), "creating " + path);
  ::chmod(path.c_str(), 0755);
  return Status::Ok();
}

Status FuseTree::start() {
  if (session_ != nullptr) return Status::Ok();
  if (Status s = prepare_mountpoint(); !s.ok()) return s;

  std::string name = "perfqosd";
  std::string dash_o = "-o";
  std::string mount_options = "allow_other,fsname=perfqos,subtype=perfqos";
  char* argv[] = {name.data(), dash_o.data(), mount_options.data(), nullptr};
  fuse_args args = FUSE_ARGS_INIT(3, argv);
  const fuse_lowlevel_ops ops = fuse_tree_operations();
  session_ = fuse_session_new(&args, &ops, sizeof ops, this);
  fuse_opt_free_args(&args);
  if (session_ == nullptr) return Status::Error(EINVAL, "FUSE: cannot create the session");
  if (fuse_session_mount(session_, options_.mountpoint.c_str()) != 0) {
    fuse_session_destroy(session_);
    session_ = nullptr;
    const bool no_device = ::access("/dev/fuse", R_OK | W_OK) != 0;
    return Status::Error(no_device ? ENODEV : EPERM,
                         "FUSE: cannot mount " + options_.mountpoint +
                             (no_device ? ": /dev/fuse is missing or not accessible"
                                        : " (libfuse's message above says why)"));
  }
  const int fd = fuse_session_fd(session_);
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  buf_ = std::make_unique<Buffer>();
  if (Status s = loop_.watch(fd, EPOLLIN, [this](std::uint32_t) { serve(); }); !s.ok()) {
    fuse_session_unmount(session_);
    fuse_session_destroy(session_);
    session_ = nullptr;
    return s;
  }
  serving_ = true;

  for (const auto& device : broker_.registry().devices()) table_.add_device(device);
  registry_listener_ = broker_.registry().subscribe(
      [this](RegistryEvent event, const std::shared_ptr<Device>& device) {
        if (event == RegistryEvent::kAdded) {
          table_.add_device(device);
        } else {
          table_.remove_device(device);
        }
      });
  subscribed_ = true;
  log_.info("FUSE: serving " + options_.mountpoint);
  return Status::Ok();
}

void FuseTree::serve() {
  const int got = fuse_session_receive_buf(session_, &buf_->buf);
  if (got == -EAGAIN || got == -EINTR) return;  // nothing after all: wait for the next one
  if (got > 0) {
    fuse_session_process_buf(session_, &buf_->buf);
    return;
  }
  // 0 or ENODEV: the kernel ended the session; other errors (ENOENT: an interrupted request
  // the kernel took back) leave it alive.
  if (fuse_session_exited(session_)) lose_session();
}

void FuseTree::lose_session() {
  log_.warning("FUSE: " + options_.mountpoint + " was unmounted from outside perfqosd");
  loop_.unwatch(fuse_session_fd(session_));
  serving_ = false;
  // No release comes for the files still open here, so their requests would stay until exit.
  if (!files_.empty()) {
    log_.warning("FUSE: dropping the requests of " + std::to_string(files_.size()) +
                 " files left open when the session ended");
  }
  files_.clear();
}

void FuseTree::stop() {
  if (session_ == nullptr) return;
  if (serving_) loop_.unwatch(fuse_session_fd(session_));
  serving_ = false;
  fuse_session_unmount(session_);
  fuse_session_destroy(session_);
  session_ = nullptr;
  if (subscribed_) broker_.registry().unsubscribe(registry_listener_);
  subscribed_ = false;
  files_.clear();  // every open file's holder: their requests go
  table_.reset();
  log_.info("FUSE: unmounted " + options_.mountpoint);
}

}  // namespace perfqos::daemon
