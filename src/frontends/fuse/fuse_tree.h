// FuseTree: perfqosd's FUSE device tree (DESIGN §5), mounted at /run/perfqos/dev by default:
//
//   cpu_dma_latency, network_latency,      the kernel's PM QoS class-node ABI (class_node.h):
//   network_throughput, memory_bandwidth,  open for writing adds a request at the default,
//   cpu_wakeup_latency                     write sets it, read gives the effective value
//                                          (cpu_wakeup_latency, as Linux 6.19's node, refuses
//                                          every negative write, -1 included)
//   perf_qos/<device>                      the perf QoS ioctl ABI (perfqos/perf_qos_ioctl.h) for
//                                          every device with a range knob, following the registry
//
// One open file description is one Holder (HolderKind::kFuse, the opener's pid, uid, gid, comm
// and cgroup), made at open and destroyed at release, which the kernel sends when the last
// descriptor sharing it closes: fork, dup and SCM_RIGHTS share its requests.
//
// Admission decides (admission/admission.h), the one the socket uses (FuseTreeOptions::admission):
// a write, a SET_MIN/SET_MAX and an open for writing of a class node are judged with the
// *caller* of that call (Vouch::kFuseContext: its pid, uid, gid, cgroup, and supplementary
// groups only when Admission::needs_groups), so a descriptor passed to another process carries
// no rights; refusals are EACCES, logged and counted in the caller's per-cgroup data by the
// admission. What /proc says of a caller is kept briefly per thread id (caller_cache.h).
//
// Threads: none of its own. The daemon's loop thread, which owns the model, serves /dev/fuse
// from the same EventLoop: the kernel's request is read, decided and answered in one callback,
// with no hand-off between threads (issue #15: the four wake-ups of a worker pool handing work
// to the loop and back cost ~35 µs each on a 2-CPU VM, 27-32x a raw ping-pong; served here, a
// SET costs about 1.1x that ping-pong, as a do-nothing libfuse server does). One request per
// callback, so that the socket, D-Bus and timers interleave with a flood of FUSE calls. Nothing
// here blocks: /dev/fuse is non-blocking, /proc reads are brief, and no handler waits for another
// FUSE request (the tree never asks the kernel to invalidate an entry, which could wait for a
// lookup only this thread would answer).
//
// Inode table. Fixed numbers for the root (1), perf_qos (2) and the four classes (3..6); perf
// devices get numbers from a 64-bit counter that is never reused, so a number an open file or
// the kernel's cache still refers to can never name another device. The table follows Registry
// events. Entries under perf_qos are never cached by the kernel (timeout 0), so a device that
// goes disappears at once; the class nodes and perf_qos itself never go and are cached.
//
// A device that goes: its node is marked gone and leaves the table; files still open on it keep
// the node (and the Device object, so lock-free reads stay valid) and answer ENODEV to every
// read, write and ioctl until closed, even if a device of the same name comes back.
//
// Mounting: allow_other; the mountpoint is created 0755 if missing. A stale mount there (stat
// fails with ENOTCONN: a crashed instance) is detached and replaced; a live perfqos mount there
// (another instance) is EBUSY. stop() (and the destructor) unmounts.
//
// Thread safety: confined to the loop thread: construct, start(), stop() and destroy there; the
// FUSE handlers run there too, in the loop's callback.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "admission/admission.h"
#include "daemon/event_loop.h"
#include "frontends/fuse/caller_cache.h"
#include "frontends/fuse/inode_table.h"
#include "model/broker.h"
#include "policy/connection_quota.h"
#include "policy/policy_store.h"
#include "util/log.h"
#include "util/unique_fd.h"

struct fuse_session;

namespace perfqos::daemon {
struct FuseOpenFile;
}

namespace perfqos::daemon {

struct FuseTreeOptions {
  std::string mountpoint = "/run/perfqos/dev";
  // What decides writes, SETs and write-opens, and counts them per cgroup (the socket's,
  // DESIGN §2). Null: the tree's own over the default policy (root
  // may do anything, others may only read), counting nothing.
  admission::Admission* admission = nullptr;
  // The connections-per-uid quota (shared with the socket): an open that may hold requests, a
  // class node for writing or any perf node, is one connection of the caller's uid while the
  // file is open; over the quota the open fails with EUSERS. Null: no quota.
  ConnectionQuota* connection_quota = nullptr;
};

class FuseTree {
 public:
  // REQUIRES: `broker`, `loop` and `log` outlive the tree; `loop` is initialized.
  FuseTree(Broker& broker, EventLoop& loop, const Logger& log, FuseTreeOptions options);
  ~FuseTree();
  FuseTree(const FuseTree&) = delete;
  FuseTree& operator=(const FuseTree&) = delete;

  // Mounts and starts serving in the loop. Errors: EBUSY (a live perfqos mount is there), or what
  // creating the mountpoint or mounting failed with (EPERM without privilege, ENOENT without
  // /dev/fuse, ...). On error nothing stays mounted.
  Status start();

  // Stops serving, unmounts, and drops every open file's requests. Open descriptors then fail
  // with ENOTCONN. Idempotent.
  void stop();

  const std::string& mountpoint() const { return options_.mountpoint; }

 private:
  friend struct FuseHandlers;

  Status prepare_mountpoint();
  // The loop's callback for /dev/fuse: one kernel request, or the end of the session.
  void serve();
  // The kernel ended the session (e.g. unmounted by hand): stop watching, drop the open files.
  void lose_session();

  Broker& broker_;
  EventLoop& loop_;
  const Logger& log_;
  FuseTreeOptions options_;
  PolicyStore default_policy_;                           // of own_admission_
  std::unique_ptr<admission::Admission> own_admission_;  // when options_ gives none
  admission::Admission* admission_ = nullptr;
  std::uint64_t registry_listener_ = 0;
  bool subscribed_ = false;

  fuse_session* session_ = nullptr;
  bool serving_ = false;  // /dev/fuse is watched by the loop
  struct Buffer;          // the request being served (a libfuse fuse_buf, sized on first use)
  std::unique_ptr<Buffer> buf_;

  InodeTable table_;  // follows the registry
  CallerCache callers_;
  std::unordered_map<const FuseOpenFile*, std::unique_ptr<FuseOpenFile>> files_;
};

}  // namespace perfqos::daemon
