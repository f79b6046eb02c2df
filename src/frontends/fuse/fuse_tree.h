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
// admission. The worker gathers the caller's identity; the decision is made on the loop thread
// inside the one executor hop the call makes anyway (access(W_OK) hops for it too, uncounted).
//
// Threads. The libfuse low-level session runs on `threads` worker threads of its own, each
// waiting in epoll (EPOLLEXCLUSIVE on the non-blocking /dev/fuse descriptor, plus a stop eventfd).
// Workers never touch the model: whatever changes or inspects requests runs on the daemon's loop
// thread through the LoopExecutor (the worker blocks, the loop never does). Reads of effective
// values, limits and units are answered on the worker from the lock-free Knob::effective() /
// effective_range() of a std::shared_ptr<Device> the node keeps, so readers never wait for the
// loop.
//
// Inode table. Fixed numbers for the root (1), perf_qos (2) and the four classes (3..6); perf
// devices get numbers from a 64-bit counter that is never reused, so a number an open file or
// the kernel's cache still refers to can never name another device. The table follows Registry
// events on the loop thread and is guarded by a mutex for the workers. Entries under perf_qos
// are never cached by the kernel (timeout 0), so a device that goes disappears at once.
//
// A device that goes: its node is marked gone and leaves the table; files still open on it keep
// the node (and the Device object, so lock-free reads stay valid) and answer ENODEV to every
// read, write and ioctl until closed, even if a device of the same name comes back.
//
// Mounting: allow_other; the mountpoint is created 0755 if missing. A stale mount there (stat
// fails with ENOTCONN: a crashed instance) is detached and replaced; a live perfqos mount there
// (another instance) is EBUSY. stop() (and the destructor) unmounts.
//
// Thread safety: construct, start(), stop() and destroy on the loop thread; the FUSE handlers
// run on the workers as described.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "admission/admission.h"
#include "daemon/loop_executor.h"
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
  int threads = 4;
  // What decides writes, SETs and write-opens, and counts them per cgroup (the socket's,
  // DESIGN §2); used on the loop thread. Null: the tree's own over the default policy (root
  // may do anything, others may only read), counting nothing.
  admission::Admission* admission = nullptr;
  // The connections-per-uid quota (shared with the socket): an open that may hold requests, a
  // class node for writing or any perf node, is one connection of the caller's uid while the
  // file is open; over the quota the open fails with EUSERS. Null: no quota.
  ConnectionQuota* connection_quota = nullptr;
};

class FuseTree {
 public:
  // REQUIRES: `broker`, `executor` and `log` outlive the tree; `executor` is started.
  FuseTree(Broker& broker, LoopExecutor& executor, const Logger& log, FuseTreeOptions options);
  ~FuseTree();
  FuseTree(const FuseTree&) = delete;
  FuseTree& operator=(const FuseTree&) = delete;

  // Mounts and starts the workers. Errors: EBUSY (a live perfqos mount is there), or what
  // creating the mountpoint or mounting failed with (EPERM without privilege, ENOENT without
  // /dev/fuse, ...). On error nothing stays mounted.
  Status start();

  // Stops the workers, shuts the executor down (its callers are the workers: a worker waiting
  // for the loop gets its task run or ESHUTDOWN), unmounts, and drops every open file's
  // requests. Open descriptors then fail with ENOTCONN. Idempotent.
  void stop();

  const std::string& mountpoint() const { return options_.mountpoint; }

 private:
  friend struct FuseHandlers;

  Status prepare_mountpoint();
  void worker();

  Broker& broker_;
  LoopExecutor& executor_;
  const Logger& log_;
  FuseTreeOptions options_;
  PolicyStore default_policy_;                           // of own_admission_
  std::unique_ptr<admission::Admission> own_admission_;  // when options_ gives none
  admission::Admission* admission_ = nullptr;
  std::uint64_t registry_listener_ = 0;
  bool subscribed_ = false;

  fuse_session* session_ = nullptr;
  UniqueFd stop_fd_;
  std::vector<std::thread> workers_;
  std::atomic<bool> lost_{false};  // the kernel ended the session (e.g. unmounted by hand)
  // Workers not yet out of their loop: the last one out of a lost session drops the open files.
  std::atomic<int> running_workers_{0};

  InodeTable table_;  // follows the registry on the loop thread; read by the workers

  // Loop thread only (and stop() after the workers are joined).
  std::unordered_map<const FuseOpenFile*, std::unique_ptr<FuseOpenFile>> files_;
};

}  // namespace perfqos::daemon
