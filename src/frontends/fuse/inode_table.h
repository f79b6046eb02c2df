// InodeTable: the FUSE tree's nodes by inode number (fuse_tree.h, "Inode table"): fixed
// numbers for the root (1), perf_qos (2) and the PM QoS classes in kPmQosClasses order (3..7:
// cpu_wakeup_latency, appended, is 7; perf numbers start at 16); perf devices get
// numbers from a 64-bit counter that is never reused, so a number an open file or the kernel's
// cache still holds can never name another device.
//
// Thread safety: none; the tree uses it on the loop thread, which follows Registry events and
// serves FUSE. A node is immutable once published, but for `gone`.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "model/device.h"

namespace perfqos::daemon {

using Ino = std::uint64_t;          // fuse_ino_t
inline constexpr Ino kRootIno = 1;  // FUSE_ROOT_ID
inline constexpr Ino kPerfDirIno = 2;
inline constexpr Ino kFirstClassIno = 3;
inline constexpr const char* kPerfDirName = "perf_qos";

struct FuseNode {
  enum class Kind : std::uint8_t { kDir, kClass, kPerf };
  Kind kind = Kind::kDir;
  Ino ino = 0;
  Ino parent = kRootIno;
  std::string name;
  std::shared_ptr<Device> device;  // null for directories
  const Knob* knob = nullptr;      // the class's knob, or the range or named knob
  KnobId knob_id = KnobId::kLatency;
  // A class node whose kernel twin refuses every negative write, -1 included, with EINVAL
  // (/dev/cpu_wakeup_latency); the older class nodes take -1 as the default.
  bool refuses_negative = false;
  // Set when the device leaves the registry.
  bool gone = false;
};

class InodeTable {
 public:
  // The root and perf_qos, no device yet.
  InodeTable() { reset(); }
  // Back to the root and perf_qos only: the tree stopped. Loop thread.
  void reset();

  // The nodes of `device` if the tree shows it: a PM QoS class (with its one knob), or a perf
  // node for each range knob, the frequency or performance range as perf_qos/DEVICE and a named
  // knob (a range over its choices' indices) as perf_qos/DEVICE.KNOB (policy0.epp), or as
  // perf_qos/DEVICE when it is the device's only knob (platform_profile). Others are ignored.
  void add_device(const std::shared_ptr<Device>& device);
  // Marks the device's nodes gone and drops them; open files keep their node.
  void remove_device(const std::shared_ptr<Device>& device);

  // Null when no node has that number (any more).
  std::shared_ptr<FuseNode> find(Ino ino) const;
  std::shared_ptr<FuseNode> find_child(Ino parent, const std::string& name) const;
  // (name, node) of the children of a directory, in name order.
  std::vector<std::pair<std::string, std::shared_ptr<FuseNode>>> children(Ino dir) const;

 private:
  void add_perf_nodes(const std::shared_ptr<Device>& device);
  // Publishes `node` in both indexes.
  void insert(std::shared_ptr<FuseNode> node);

  std::map<Ino, std::shared_ptr<FuseNode>> nodes_;
  // (parent, name) -> node, for LOOKUP: every open by path looks its name up, so this must not
  // cost a walk over 10 k devices (issue #15). Children in name order.
  std::map<std::pair<Ino, std::string>, std::shared_ptr<FuseNode>, std::less<>> by_name_;
  Ino next_perf_ino_ = 16;
};

}  // namespace perfqos::daemon
