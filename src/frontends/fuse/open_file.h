// FuseOpenFile: one open file description of the FUSE tree, which is one Holder (fuse_tree.h).
// Its address is the file handle the kernel gives back with every call on it.
//
// Thread safety: none; the loop thread serves FUSE (fuse_tree.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "frontends/fuse/inode_table.h"
#include "model/holder.h"
#include "model/perf_qos_handle.h"
#include "policy/connection_quota.h"

namespace perfqos::daemon {

struct FuseOpenFile {
  std::shared_ptr<FuseNode> node;
  pid_t opener = 0;  // and its cgroup and comm, for the admission of its own calls
  std::string cgroup;
  std::string comm;
  ConnectionQuota::Slot quota_slot;  // counts against the opener's uid (FuseTreeOptions)
  std::unique_ptr<Holder> holder;
  std::optional<RequestId> request;       // class node opened for writing
  std::unique_ptr<PerfQosHandle> handle;  // perf node; refers to *holder, so declared after it
  // Bytes the kernel moved the file position by for writes. The kernel's class node ignores the
  // position on write, so reads are answered at (position - written): open, write 4 bytes, read
  // gives the value, as on /dev/cpu_dma_latency.
  std::uint64_t written = 0;
};

}  // namespace perfqos::daemon
