// The FUSE tree's libfuse low-level callbacks (fuse_tree.h says what each node does). They run
// on the daemon's loop thread, inside the EventLoop callback that read the kernel's request, so
// each decides and answers at once.
#include "frontends/fuse/fuse_handlers.h"

#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstring>
#include <ctime>
#include <optional>

#include "frontends/fuse/class_node.h"
#include "frontends/fuse/fuse_caller.h"
#include "frontends/fuse/perf_qos_node.h"
#include "model/device_specs.h"
#include "model/perf_qos_handle.h"

#include "frontends/fuse/fuse_tree.h"
#include "frontends/fuse/open_file.h"

namespace perfqos::daemon {

namespace {

// The open reply, written as the kernel's struct fuse_open_out because libfuse 3.14 has no
// field for FOPEN_PARALLEL_DIRECT_WRITES (3.15 adds one). Without that flag the kernel holds the
// node's inode lock across each direct write's whole round trip, so every writer of a class
// node queues behind the others (issue #15: 64 writers went from 9.5 k to 20 k ops/s with it).
// Direct I/O because values change under any page cache. Kernels before 6.2 ignore the flag.
int reply_open(fuse_req_t req, std::uint64_t fh) {
  fuse_open_out out{};
  out.fh = fh;
  out.open_flags = FOPEN_DIRECT_IO | FOPEN_PARALLEL_DIRECT_WRITES;
  iovec iov{&out, sizeof out};
  return fuse_reply_iov(req, &iov, 1);
}

// Class nodes and the perf_qos directory never change; what is under perf_qos changes with the
// registry, so the kernel must ask every time.
constexpr double kFixedTimeout = 60.0;
constexpr double kVolatileTimeout = 0.0;

}  // namespace

// The libfuse callbacks: they find the tree in the request's userdata.
struct FuseHandlers {
  static FuseTree& tree(fuse_req_t req) { return *static_cast<FuseTree*>(fuse_req_userdata(req)); }
  static FuseOpenFile& file(const fuse_file_info* fi) {
    return *reinterpret_cast<FuseOpenFile*>(static_cast<std::uintptr_t>(fi->fh));
  }

  static struct stat attributes(const FuseNode& node) {
    struct stat st {};
    st.st_ino = node.ino;
    st.st_uid = 0;
    st.st_gid = 0;
    if (node.kind == FuseNode::Kind::kDir) {
      st.st_mode = S_IFDIR | 0755;
      st.st_nlink = 2;
    } else {
      // Others may read; writes are decided per call by the policy (no default_permissions).
      st.st_mode = S_IFREG | 0644;
      st.st_nlink = 1;
      st.st_size = node.kind == FuseNode::Kind::kClass ? sizeof(std::int32_t) : 0;
    }
    static const std::time_t started = std::time(nullptr);
    st.st_atime = st.st_mtime = st.st_ctime = started;
    return st;
  }

  static double timeout(const FuseNode& node) {
    // The root is not cached either, so that a stat() of a dead tree's root fails at once.
    return node.kind == FuseNode::Kind::kPerf || node.ino == kRootIno ? kVolatileTimeout
                                                                      : kFixedTimeout;
  }

  static admission::Requester requester(fuse_req_t req, const FuseOpenFile* file = nullptr) {
    FuseTree& t = tree(req);
    return fuse_requester(req, t.admission_->needs_groups(fuse_req_ctx(req)->uid), t.callers_,
                          file);
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
    std::shared_ptr<FuseNode> node = tree(req).table_.find_child(parent, name);
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
    std::shared_ptr<FuseNode> node = tree(req).table_.find(ino);
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
    std::shared_ptr<FuseNode> node = tree(req).table_.find(ino);
    if (!node) {
      fuse_reply_err(req, ENOENT);
      return;
    }
    if ((mask & X_OK) != 0 && node->kind != FuseNode::Kind::kDir) {
      fuse_reply_err(req, EACCES);
      return;
    }
    if ((mask & W_OK) == 0 || node->kind == FuseNode::Kind::kDir) {
      fuse_reply_err(req, 0);
      return;
    }
    // May the caller hold requests here at all: not counted.
    const Status s = tree(req).admission_->may_hold(requester(req), node->device->name(),
                                                    node->knob_id, RangeEnd::kMin, false);
    fuse_reply_err(req, s.code());
  }

  static void readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
                      fuse_file_info* /*fi*/) {
    FuseTree& t = tree(req);
    std::shared_ptr<FuseNode> dir = t.table_.find(ino);
    if (!dir || dir->kind != FuseNode::Kind::kDir) {
      fuse_reply_err(req, dir ? ENOTDIR : ENOENT);
      return;
    }
    std::vector<std::pair<std::string, struct stat>> entries;
    struct stat self = attributes(*dir);
    entries.emplace_back(".", self);
    struct stat up = self;
    up.st_ino = dir->parent;
    entries.emplace_back("..", up);
    for (const auto& [name, node] : t.table_.children(ino))
      entries.emplace_back(name, attributes(*node));
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
    std::shared_ptr<FuseNode> node = t.table_.find(ino);
    if (!node) {
      fuse_reply_err(req, ENOENT);
      return;
    }
    if (node->kind == FuseNode::Kind::kDir) {
      fuse_reply_err(req, EISDIR);
      return;
    }
    const bool is_class = node->kind == FuseNode::Kind::kClass;
    const bool writing = (fi->flags & O_ACCMODE) != O_RDONLY;
    auto owned = std::make_unique<FuseOpenFile>();
    owned->node = node;
    FuseOpenFile* f = owned.get();
    HolderIdentity who = fuse_caller_identity(req, t.callers_);
    owned->opener = who.pid;
    owned->cgroup = who.cgroup;
    owned->comm = who.comm;
    const bool holds_at_open = is_class && writing;
    admission::Requester asker;
    if (holds_at_open) asker = requester(req, f);
    const Status s = [&]() -> Status {
      if (node->gone) {
        return device_gone(node->name);
      }
      // Admitted into a local slot: a refused open's file dies slot-less.
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
          f->holder.reset();
          return r;
        }
        f->request = out.id;
      } else {
        if (Status r = reserve(nullptr); !r.ok()) return r;
        if (!is_class) {
          f->handle = std::make_unique<PerfQosHandle>(t.broker_, *f->holder, node->device->name(),
                                                      node->knob_id);
        }
      }
      f->quota_slot = std::move(slot);
      t.files_.emplace(f, std::move(owned));
      return Status::Ok();
    }();
    if (!s.ok()) {
      reply_status(req, s);
      return;
    }
    fi->fh = reinterpret_cast<std::uintptr_t>(f);
    // The opener was interrupted and will never release this file: drop it now.
    if (reply_open(req, fi->fh) != 0) t.files_.erase(f);
  }

  static void release(fuse_req_t req, fuse_ino_t /*ino*/, fuse_file_info* fi) {
    tree(req).files_.erase(&file(fi));  // destroys the holder: its requests go
    fuse_reply_err(req, 0);
  }

  static void read(fuse_req_t req, fuse_ino_t /*ino*/, size_t size, off_t off, fuse_file_info* fi) {
    const FuseNode& node = *file(fi).node;
    if (node.gone) {
      fuse_reply_err(req, ENODEV);
      return;
    }
    if (off < 0) {
      fuse_reply_err(req, EINVAL);
      return;
    }
    if (node.kind == FuseNode::Kind::kClass) {
      const std::uint64_t written = file(fi).written;
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
    FuseOpenFile* f = &file(fi);
    const FuseNode& node = *f->node;
    if (node.gone) {
      fuse_reply_err(req, ENODEV);
      return;
    }
    if (node.kind != FuseNode::Kind::kClass) {
      fuse_reply_err(req, EINVAL);  // a perf node takes ioctls; the RFC's device has no write
      return;
    }
    std::int32_t value = 0;
    if (const int err = parse_class_node_write(data, size, &value); err != 0) {
      fuse_reply_err(req, err);
      return;
    }
    if (value < 0 && node.refuses_negative) {
      fuse_reply_err(req, EINVAL);
      return;
    }
    const Status s = f->request ? t.admission_->update(requester(req, f), *f->holder, *f->request,
                                                       value, nullptr)
                                : Status::Error(EBADF, node.name + ": not open for writing");
    if (!s.ok()) {
      reply_status(req, s);
      return;
    }
    f->written += size;
    fuse_reply_write(req, size);
  }

  static void ioctl(fuse_req_t req, fuse_ino_t /*ino*/, unsigned int cmd, void* /*arg*/,
                    fuse_file_info* fi, unsigned /*flags*/, const void* in_buf, size_t in_bufsz,
                    size_t out_bufsz) {
    FuseTree& t = tree(req);
    FuseOpenFile* f = &file(fi);
    const FuseNode& node = *f->node;
    PerfIoctl command;
    if (node.kind != FuseNode::Kind::kPerf || decode_perf_ioctl(cmd, &command) != 0) {
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
    if (node.gone) {
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
        s = t.admission_->set_perf(requester(req, f), *f->handle, end, value, nullptr);
        if (!s.ok()) {
          reply_status(req, s);
          return;
        }
        fuse_reply_ioctl(req, 0, nullptr, 0);
        return;
      }
      case PerfIoctlOp::kGetMin:
      case PerfIoctlOp::kGetMax:
        s = f->handle->get(end, &answer.value);
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

fuse_lowlevel_ops fuse_tree_operations() {
  return FuseHandlers::operations();
}

}  // namespace perfqos::daemon
