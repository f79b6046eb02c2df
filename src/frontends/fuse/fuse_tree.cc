#include "frontends/fuse/fuse_tree.h"

#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>

#include "admission/peer_identity.h"
#include "frontends/fuse/class_node.h"
#include "frontends/fuse/perf_qos_node.h"
#include "model/device_specs.h"
#include "model/perf_qos_handle.h"
#include "util/errno_status.h"
#include "util/mountinfo.h"

namespace perfqos::daemon {

namespace {

constexpr std::uint64_t kRootIno = FUSE_ROOT_ID;
constexpr std::uint64_t kPerfDirIno = 2;
constexpr std::uint64_t kFirstClassIno = 3;
constexpr const char* kPerfDirName = "perf_qos";
constexpr const char* kFsType = "fuse.perfqos";
// Class nodes never change; what is under perf_qos changes with the registry, so the kernel
// must ask every time.
constexpr double kFixedTimeout = 60.0;
constexpr double kVolatileTimeout = 0.0;

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

struct FuseTree::Node {
  enum class Kind : std::uint8_t { kDir, kClass, kPerf };
  Kind kind = Kind::kDir;
  Ino ino = 0;
  Ino parent = kRootIno;
  std::string name;
  std::shared_ptr<Device> device;  // null for directories
  const Knob* knob = nullptr;      // the class's knob, or the range knob
  KnobId knob_id = KnobId::kLatency;
  // Set on the loop thread when the device leaves the registry; read anywhere.
  std::atomic<bool> gone{false};
};

struct FuseTree::OpenFile {
  std::shared_ptr<Node> node;
  pid_t opener = 0;  // and its cgroup and comm, for the admission of its own calls
  std::string cgroup;
  std::string comm;
  // The rest belongs to the loop thread.
  ConnectionQuota::Slot quota_slot;  // counts against the opener's uid (FuseTreeOptions)
  std::unique_ptr<Holder> holder;
  std::optional<RequestId> request;       // class node opened for writing
  std::unique_ptr<PerfQosHandle> handle;  // perf node; refers to *holder, so declared after it
  // Bytes the kernel moved the file position by for writes. The kernel's class node ignores the
  // position on write, so reads are answered at (position - written): open, write 4 bytes, read
  // gives the value, as on /dev/cpu_dma_latency.
  std::atomic<std::uint64_t> written{0};
};

// The libfuse callbacks: they find the tree in the request's userdata.
struct FuseHandlers {
  static FuseTree& tree(fuse_req_t req) { return *static_cast<FuseTree*>(fuse_req_userdata(req)); }
  static FuseTree::OpenFile& file(const fuse_file_info* fi) {
    return *reinterpret_cast<FuseTree::OpenFile*>(static_cast<std::uintptr_t>(fi->fh));
  }

  static struct stat attributes(const FuseTree::Node& node) {
    struct stat st {};
    st.st_ino = node.ino;
    st.st_uid = 0;
    st.st_gid = 0;
    if (node.kind == FuseTree::Node::Kind::kDir) {
      st.st_mode = S_IFDIR | 0755;
      st.st_nlink = 2;
    } else {
      // Others may read; writes are decided per call by the policy (no default_permissions).
      st.st_mode = S_IFREG | 0644;
      st.st_nlink = 1;
      st.st_size = node.kind == FuseTree::Node::Kind::kClass ? sizeof(std::int32_t) : 0;
    }
    static const std::time_t started = std::time(nullptr);
    st.st_atime = st.st_mtime = st.st_ctime = started;
    return st;
  }

  static double timeout(const FuseTree::Node& node) {
    // The root is not cached either, so that a stat() of a dead tree's root fails at once.
    return node.kind == FuseTree::Node::Kind::kPerf || node.ino == kPerfDirIno ||
                   node.ino == kRootIno
               ? kVolatileTimeout
               : kFixedTimeout;
  }

  static HolderIdentity identity(fuse_req_t req) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    HolderIdentity id;
    id.kind = HolderKind::kFuse;
    id.pid = ctx->pid;
    id.uid = ctx->uid;
    id.gid = ctx->gid;
    id.comm = process_comm(ctx->pid);
    id.cgroup = process_cgroup(ctx->pid);
    return id;
  }

  // The caller of this request, for the admission (on the worker: it may read /proc). `file`,
  // when its opener is the caller, spares reading the cgroup (and gives the comm) again.
  static admission::Requester requester(fuse_req_t req, const FuseTree::OpenFile* file = nullptr) {
    const fuse_ctx* ctx = fuse_req_ctx(req);
    admission::Requester who;
    who.pid = ctx->pid;
    who.uid = ctx->uid;
    who.gid = ctx->gid;
    who.vouched_by = admission::Vouch::kFuseContext;
    if (file != nullptr && file->opener == ctx->pid) {
      who.cgroup = file->cgroup;
      who.comm = file->comm;
    } else {
      who.cgroup = process_cgroup(ctx->pid);
    }
    // Groups matter only to a grant that names one, and never to root: otherwise spare reading
    // them from /proc (14 µs a call here).
    if (tree(req).admission_->needs_groups(ctx->uid)) who.groups = supplementary_groups(req);
    return who;
  }

  // The caller's supplementary groups (libfuse reads them from /proc); none if unreadable.
  static std::vector<gid_t> supplementary_groups(fuse_req_t req) {
    std::vector<gid_t> groups(32);
    int n = fuse_req_getgroups(req, static_cast<int>(groups.size()), groups.data());
    if (n > static_cast<int>(groups.size())) {
      groups.resize(static_cast<std::size_t>(n));
      n = fuse_req_getgroups(req, n, groups.data());
    }
    groups.resize(n > 0 ? std::min(static_cast<std::size_t>(n), groups.size()) : 0);
    return groups;
  }

  static void reply_status(fuse_req_t req, const Status& s) {
    if (s.code() != EACCES && !s.ok()) {
      const fuse_ctx* ctx = fuse_req_ctx(req);
      tree(req).log_.debug("FUSE: pid " + std::to_string(ctx->pid) + ": " + s.message());
    }
    fuse_reply_err(req, s.code());
  }

  static void init(void* /*userdata*/, fuse_conn_info* conn) {
    // Requests are tiny: plain reads and writes, never splice.
    conn->want &= ~(FUSE_CAP_SPLICE_READ | FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
  }

  static void lookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
    std::shared_ptr<FuseTree::Node> node = tree(req).find_child(parent, name);
    if (!node) {
      // A negative entry is not cached either: a device may appear at any time.
      fuse_reply_err(req, ENOENT);
      return;
    }
    fuse_entry_param e{};
    e.ino = node->ino;
    e.generation = 1;
    e.attr = attributes(*node);
    e.attr_timeout = timeout(*node);
    e.entry_timeout = timeout(*node);
    fuse_reply_entry(req, &e);
  }

  static void getattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* /*fi*/) {
    std::shared_ptr<FuseTree::Node> node = tree(req).find(ino);
    if (!node) {
      fuse_reply_err(req, ENOENT);
      return;
    }
    const struct stat st = attributes(*node);
    fuse_reply_attr(req, &st, timeout(*node));
  }

  // O_TRUNC from a shell redirection arrives as a size change: there is nothing to truncate.
  static void setattr(fuse_req_t req, fuse_ino_t ino, struct stat* /*attr*/, int to_set,
                      fuse_file_info* fi) {
    if ((to_set & ~(FUSE_SET_ATTR_SIZE | FUSE_SET_ATTR_ATIME | FUSE_SET_ATTR_MTIME |
                    FUSE_SET_ATTR_ATIME_NOW | FUSE_SET_ATTR_MTIME_NOW | FUSE_SET_ATTR_CTIME)) !=
        0) {
      fuse_reply_err(req, EPERM);  // no chmod/chown
      return;
    }
    getattr(req, ino, fi);
  }

  static void access(fuse_req_t req, fuse_ino_t ino, int mask) {
    std::shared_ptr<FuseTree::Node> node = tree(req).find(ino);
    if (!node) {
      fuse_reply_err(req, ENOENT);
      return;
    }
    if ((mask & X_OK) != 0 && node->kind != FuseTree::Node::Kind::kDir) {
      fuse_reply_err(req, EACCES);
      return;
    }
    if ((mask & W_OK) == 0 || node->kind == FuseTree::Node::Kind::kDir) {
      fuse_reply_err(req, 0);
      return;
    }
    // May the caller hold requests here at all: asked on the loop thread, not counted.
    FuseTree& t = tree(req);
    const admission::Requester who = requester(req);
    const Status s = t.executor_.call([&]() -> Status {
      return t.admission_->may_hold(who, node->name, node->knob_id, RangeEnd::kMin, false);
    });
    fuse_reply_err(req, s.code());
  }

  static void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                      fuse_file_info* /*fi*/) {
    FuseTree& t = tree(req);
    std::shared_ptr<FuseTree::Node> dir = t.find(ino);
    if (!dir || dir->kind != FuseTree::Node::Kind::kDir) {
      fuse_reply_err(req, dir ? ENOTDIR : ENOENT);
      return;
    }
    std::vector<std::pair<std::string, struct stat>> entries;
    struct stat self = attributes(*dir);
    entries.emplace_back(".", self);
    struct stat up = self;
    up.st_ino = dir->parent;
    entries.emplace_back("..", up);
    for (const auto& [name, node] : t.children(ino)) entries.emplace_back(name, attributes(*node));
    std::vector<char> buf(size);
    std::size_t used = 0;
    for (std::size_t i = static_cast<std::size_t>(std::max<off_t>(off, 0)); i < entries.size();
         ++i) {
      const std::size_t n =
          fuse_add_direntry(req, buf.data() + used, size - used, entries[i].first.c_str(),
                            &entries[i].second, static_cast<off_t>(i + 1));
      if (n > size - used) break;
      used += n;
    }
    fuse_reply_buf(req, buf.data(), used);
  }

  static void open(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
    FuseTree& t = tree(req);
    std::shared_ptr<FuseTree::Node> node = t.find(ino);
    if (!node) {
      fuse_reply_err(req, ENOENT);
      return;
    }
    if (node->kind == FuseTree::Node::Kind::kDir) {
      fuse_reply_err(req, EISDIR);
      return;
    }
    const bool is_class = node->kind == FuseTree::Node::Kind::kClass;
    const bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
    auto owned = std::make_unique<FuseTree::OpenFile>();
    owned->node = node;
    FuseTree::OpenFile* f = owned.get();
    HolderIdentity who = identity(req);
    owned->opener = who.pid;
    owned->cgroup = who.cgroup;
    owned->comm = who.comm;
    const bool holds_at_open = is_class && writing;
    admission::Requester asker;
    if (holds_at_open) {
      asker = admission::Requester::of(who, admission::Vouch::kFuseContext);
      if (t.admission_->needs_groups(who.uid)) asker.groups = supplementary_groups(req);
    }
    Status s = t.executor_.call([&]() -> Status {
      if (node->gone.load(std::memory_order_relaxed)) {
        return device_gone(node->name);
      }
      // Admitted into a local slot: a refused open's file dies on the worker, slot-less.
      ConnectionQuota::Slot slot;
      // The tree's own part of an open: the connection quota, then the holder.
      const auto reserve = [&](Holder** holder) -> Status {
        if (t.options_.connection_quota != nullptr && (writing || !is_class)) {
          if (Status q = t.options_.connection_quota->admit(who.uid, &slot); !q.ok()) {
            t.log_.info("FUSE: pid " + std::to_string(who.pid) + " (" + who.comm +
                        ") refused an open of " + node->name + ": " + q.message());
            return q;
          }
        }
        f->holder = t.broker_.make_holder(std::move(who));
        if (holder != nullptr) *holder = f->holder.get();
        return Status::Ok();
      };
      if (holds_at_open) {
        // As the kernel: the open itself is a request, at the default value.
        RequestOutcome out;
        if (Status r = t.admission_->add_at_open(asker, RequestTarget{node->name, node->knob_id},
                                                 reserve, &out);
            !r.ok()) {
          f->holder.reset();  // here, on the loop thread
          return r;
        }
        f->request = out.id;
      } else {
        if (Status r = reserve(nullptr); !r.ok()) return r;
        if (!is_class) {
          f->handle = std::make_unique<PerfQosHandle>(t.broker_, *f->holder, node->name);
        }
      }
      f->quota_slot = std::move(slot);
      t.files_.emplace(f, std::move(owned));
      return Status::Ok();
    });
    if (!s.ok()) {
      reply_status(req, s);
      return;
    }
    fi->fh = reinterpret_cast<std::uintptr_t>(f);
    fi->direct_io = 1;  // values change under any page cache
    fi->keep_cache = 0;
    if (fuse_reply_open(req, fi) != 0) {
      // The opener was interrupted and will never release this file: drop it now.
      (void)t.executor_.call([&]() -> Status {
        t.files_.erase(f);
        return Status::Ok();
      });
    }
  }

  static void release(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
    FuseTree& t = tree(req);
    FuseTree::OpenFile* f = &file(fi);
    // ESHUTDOWN: stop() drops the file itself.
    (void)t.executor_.call([&]() -> Status {
      t.files_.erase(f);  // destroys the holder: its requests go
      return Status::Ok();
    });
    fuse_reply_err(req, 0);
  }

  static void read(fuse_req_t req, fuse_ino_t /*ino*/, size_t size, off_t off, fuse_file_info* fi) {
    const FuseTree::Node& node = *file(fi).node;
    if (node.gone.load(std::memory_order_acquire)) {
      fuse_reply_err(req, ENODEV);
      return;
    }
    if (off < 0) {
      fuse_reply_err(req, EINVAL);
      return;
    }
    if (node.kind == FuseTree::Node::Kind::kClass) {
      const std::uint64_t written = file(fi).written.load(std::memory_order_relaxed);
      const auto position = static_cast<std::uint64_t>(off);
      char bytes[sizeof(std::int32_t)];
      const std::size_t n = read_class_node(
          node.knob->effective(), position > written ? position - written : 0, size, bytes);
      fuse_reply_buf(req, bytes, n);
      return;
    }
    const std::string text = perf_node_summary(node.knob->effective_range(), node.knob->limits(),
                                               node.device->perf_unit());
    const std::size_t start = std::min(text.size(), static_cast<std::size_t>(off));
    fuse_reply_buf(req, text.data() + start, std::min(size, text.size() - start));
  }

  static void write(fuse_req_t req, fuse_ino_t /*ino*/, const char* data, size_t size,
                    off_t /*off*/, fuse_file_info* fi) {
    FuseTree& t = tree(req);
    FuseTree::OpenFile* f = &file(fi);
    const FuseTree::Node& node = *f->node;
    if (node.gone.load(std::memory_order_acquire)) {
      fuse_reply_err(req, ENODEV);
      return;
    }
    if (node.kind != FuseTree::Node::Kind::kClass) {
      fuse_reply_err(req, EINVAL);  // a perf node takes ioctls; the RFC's device has no write
      return;
    }
    std::int32_t value = 0;
    if (const int err = parse_class_node_write(data, size, &value); err != 0) {
      fuse_reply_err(req, err);
      return;
    }
    const admission::Requester who = requester(req, f);
    Status s = t.executor_.call([&]() -> Status {
      if (node.gone.load(std::memory_order_relaxed)) {
        return device_gone(node.name);
      }
      if (!f->request) return Status::Error(EBADF, node.name + ": not open for writing");
      return t.admission_->update(who, *f->holder, *f->request, value, nullptr);
    });
    if (!s.ok()) {
      reply_status(req, s);
      return;
    }
    f->written.fetch_add(size, std::memory_order_relaxed);
    fuse_reply_write(req, size);
  }

  static void ioctl(fuse_req_t req, fuse_ino_t /*ino*/, unsigned int cmd, void* /*arg*/,
                    fuse_file_info* fi, unsigned /*flags*/, const void* in_buf, size_t in_bufsz,
                    size_t out_bufsz) {
    FuseTree& t = tree(req);
    FuseTree::OpenFile* f = &file(fi);
    const FuseTree::Node& node = *f->node;
    PerfIoctl command;
    if (node.kind != FuseTree::Node::Kind::kPerf || decode_perf_ioctl(cmd, &command) != 0) {
      fuse_reply_err(req, ENOTTY);
      return;
    }
    // The kernel sized both buffers from the command (a restricted ioctl); check anyway, so that
    // nothing is read that was not given and nothing written that was not asked for.
    if (in_bufsz != (command.is_set() ? command.size : 0) ||
        out_bufsz != (command.is_set() ? 0 : command.size)) {
      fuse_reply_err(req, ENOTTY);
      return;
    }
    if (node.gone.load(std::memory_order_acquire)) {
      fuse_reply_err(req, ENODEV);
      return;
    }
    const bool min_end = command.op == PerfIoctlOp::kSetMin || command.op == PerfIoctlOp::kGetMin ||
                         command.op == PerfIoctlOp::kGetEffectiveMin;
    const RangeEnd end = min_end ? RangeEnd::kMin : RangeEnd::kMax;
    PerfAnswer answer;
    Status s;
    switch (command.op) {
      case PerfIoctlOp::kSetMin:
      case PerfIoctlOp::kSetMax: {
        const std::int32_t value = perf_ioctl_value(in_buf, in_bufsz);
        const admission::Requester who = requester(req, f);
        s = t.executor_.call([&]() -> Status {
          if (node.gone.load(std::memory_order_relaxed)) {
            return device_gone(node.name);
          }
          return t.admission_->set_perf(who, *f->handle, end, value, nullptr);
        });
        if (!s.ok()) {
          reply_status(req, s);
          return;
        }
        fuse_reply_ioctl(req, 0, nullptr, 0);
        return;
      }
      case PerfIoctlOp::kGetMin:
      case PerfIoctlOp::kGetMax:
        s = t.executor_.call([&]() -> Status {
          if (node.gone.load(std::memory_order_relaxed)) {
            return device_gone(node.name);
          }
          return f->handle->get(end, &answer.value);
        });
        break;
      case PerfIoctlOp::kGetEffectiveMin:
      case PerfIoctlOp::kGetEffectiveMax: {
        const Range r = node.knob->effective_range();
        answer.value = min_end ? r.min : r.max;
        break;
      }
      case PerfIoctlOp::kGetUnit:
      case PerfIoctlOp::kGetLimits:
        answer.limits = node.knob->limits();
        answer.unit = node.device->perf_unit();
        break;
    }
    if (!s.ok()) {
      reply_status(req, s);
      return;
    }
    char out[sizeof(std::int32_t) * 4];
    const std::size_t n = encode_perf_answer(command, answer, out);
    fuse_reply_ioctl(req, 0, out, n);
  }

  static fuse_lowlevel_ops operations() {
    fuse_lowlevel_ops ops{};
    ops.init = init;
    ops.lookup = lookup;
    ops.getattr = getattr;
    ops.setattr = setattr;
    ops.access = access;
    ops.readdir = readdir;
    ops.open = open;
    ops.release = release;
    ops.read = read;
    ops.write = write;
    ops.ioctl = ioctl;
    return ops;
  }
};

FuseTree::FuseTree(Broker& broker, LoopExecutor& executor, const Logger& log,
                   FuseTreeOptions options)
    : broker_(broker), executor_(executor), log_(log), options_(std::move(options)) {
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
  const fuse_lowlevel_ops ops = FuseHandlers::operations();
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
  stop_fd_.reset(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!stop_fd_) {
    const int err = errno;
    fuse_session_unmount(session_);
    fuse_session_destroy(session_);
    session_ = nullptr;
    return errno_status(err, "eventfd");
  }

  {
    auto root = std::make_shared<Node>();
    root->ino = kRootIno;
    root->parent = kRootIno;
    auto perf_dir = std::make_shared<Node>();
    perf_dir->ino = kPerfDirIno;
    perf_dir->parent = kRootIno;
    perf_dir->name = kPerfDirName;
    std::lock_guard<std::mutex> lock(table_mutex_);
    nodes_[kRootIno] = root;
    nodes_[kPerfDirIno] = perf_dir;
  }
  for (const auto& device : broker_.registry().devices()) add_device(device);
  registry_listener_ = broker_.registry().subscribe(
      [this](RegistryEvent event, const std::shared_ptr<Device>& device) {
        if (event == RegistryEvent::kAdded) {
          add_device(device);
        } else {
          remove_device(device);
        }
      });
  subscribed_ = true;

  running_workers_ = std::max(1, options_.threads);
  for (int i = 0; i < std::max(1, options_.threads); ++i)
    workers_.emplace_back([this] { worker(); });
  log_.info("FUSE: serving " + options_.mountpoint + " with " +
            std::to_string(std::max(1, options_.threads)) + " threads");
  return Status::Ok();
}

void FuseTree::worker() {
  UniqueFd epoll(::epoll_create1(EPOLL_CLOEXEC));
  epoll_event fuse_event{};
  fuse_event.events = EPOLLIN | EPOLLEXCLUSIVE;  // one worker per request, no thundering herd
  fuse_event.data.fd = fuse_session_fd(session_);
  epoll_event stop_event{};
  stop_event.events = EPOLLIN;  // level-triggered and never read: wakes every worker
  stop_event.data.fd = stop_fd_.get();
  if (!epoll || ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, fuse_event.data.fd, &fuse_event) != 0 ||
      ::epoll_ctl(epoll.get(), EPOLL_CTL_ADD, stop_fd_.get(), &stop_event) != 0) {
    log_.error(errno_status(errno, "FUSE: worker cannot wait").message());
    running_workers_.fetch_sub(1);
    return;
  }
  fuse_buf buf{};
  for (;;) {
    epoll_event ready[2];
    const int n = ::epoll_wait(epoll.get(), ready, 2, -1);
    if (n < 0) {
      if (errno == EINTR) continue;
      log_.error(errno_status(errno, "FUSE: epoll_wait").message());
      break;
    }
    bool stopping = false;
    for (int i = 0; i < n; ++i) stopping |= ready[i].data.fd == stop_fd_.get();
    if (stopping) break;
    const int got = fuse_session_receive_buf(session_, &buf);
    if (got == -EAGAIN || got == -EINTR) continue;  // another worker took it
    if (got <= 0) {
      if (fuse_session_exited(session_)) {
        if (!lost_.exchange(true)) {
          log_.warning("FUSE: " + options_.mountpoint + " was unmounted from outside perfqosd");
          const std::uint64_t one = 1;
          (void)!::write(stop_fd_.get(), &one, sizeof one);  // the session is over for all
        }
        break;
      }
      continue;
    }
    fuse_session_process_buf(session_, &buf);
  }
  std::free(buf.mem);
  // The kernel ended the session: no release comes for the files still open here (one whose
  // last close raced a lazy unmount's end was dropped with it), so their requests would stay
  // until exit. The last worker out, when no handler can use a file any more, drops them.
  if (running_workers_.fetch_sub(1) == 1 && lost_.load()) {
    (void)executor_.call([this]() -> Status {
      if (!files_.empty()) {
        log_.warning("FUSE: dropping the requests of " + std::to_string(files_.size()) +
                     " files left open when the session ended");
      }
      files_.clear();
      return Status::Ok();
    });
  }
}

void FuseTree::stop() {
  if (session_ == nullptr) return;
  const std::uint64_t one = 1;
  (void)!::write(stop_fd_.get(), &one, sizeof one);
  executor_.shutdown();  // a worker waiting for the loop gets its task run, later ones ESHUTDOWN
  for (std::thread& w : workers_) w.join();
  workers_.clear();
  fuse_session_unmount(session_);
  fuse_session_destroy(session_);
  session_ = nullptr;
  if (subscribed_) broker_.registry().unsubscribe(registry_listener_);
  subscribed_ = false;
  files_.clear();  // every open file's holder: their requests go
  {
    std::lock_guard<std::mutex> lock(table_mutex_);
    nodes_.clear();
  }
  log_.info("FUSE: unmounted " + options_.mountpoint);
}

void FuseTree::add_device(const std::shared_ptr<Device>& device) {
  auto node = std::make_shared<Node>();
  node->name = device->name();
  node->device = device;
  if (device->kind() == "class") {
    for (std::size_t i = 0; i < std::size(kPmQosClasses); ++i) {
      if (device->name() != to_string(kPmQosClasses[i])) continue;
      const std::vector<const Knob*> knobs = device->knobs();
      if (knobs.size() != 1) return;
      node->kind = Node::Kind::kClass;
      node->ino = kFirstClassIno + i;
      node->parent = kRootIno;
      node->knob = knobs[0];
      node->knob_id = knobs[0]->id();
    }
  } else if (const Knob* range = device->knob(KnobId::kRange)) {
    node->kind = Node::Kind::kPerf;
    node->ino = next_perf_ino_++;
    node->parent = kPerfDirIno;
    node->knob = range;
    node->knob_id = KnobId::kRange;
  }
  if (node->kind == Node::Kind::kDir) return;  // nothing to show for this device
  std::lock_guard<std::mutex> lock(table_mutex_);
  nodes_[node->ino] = std::move(node);
}

void FuseTree::remove_device(const std::shared_ptr<Device>& device) {
  std::lock_guard<std::mutex> lock(table_mutex_);
  for (auto it = nodes_.begin(); it != nodes_.end(); ++it) {
    if (it->second->device == device) {
      it->second->gone.store(true, std::memory_order_release);
      nodes_.erase(it);
      return;
    }
  }
}

std::shared_ptr<FuseTree::Node> FuseTree::find(Ino ino) const {
  std::lock_guard<std::mutex> lock(table_mutex_);
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? nullptr : it->second;
}

std::shared_ptr<FuseTree::Node> FuseTree::find_child(Ino parent, const std::string& name) const {
  std::lock_guard<std::mutex> lock(table_mutex_);
  for (const auto& [ino, node] : nodes_) {
    if (ino != kRootIno && node->parent == parent && node->name == name) return node;
  }
  return nullptr;
}

std::vector<std::pair<std::string, std::shared_ptr<FuseTree::Node>>> FuseTree::children(
    Ino dir) const {
  std::vector<std::pair<std::string, std::shared_ptr<Node>>> out;
  {
    std::lock_guard<std::mutex> lock(table_mutex_);
    for (const auto& [ino, node] : nodes_) {
      if (ino != kRootIno && node->parent == dir) out.emplace_back(node->name, node);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  return out;
}

}  // namespace perfqos::daemon
