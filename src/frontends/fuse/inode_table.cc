#include "frontends/fuse/inode_table.h"

#include <algorithm>
#include <iterator>

#include "model/device_specs.h"

namespace perfqos::daemon {

// Class numbers are fixed by position in kPmQosClasses and must never reach the perf counter's
// first number (next_perf_ino_ starts at 16), or a class could take a perf device's old number.
static_assert(kFirstClassIno + std::size(kPmQosClasses) <= 16);

void InodeTable::reset() {
  auto root = std::make_shared<FuseNode>();
  root->ino = kRootIno;
  root->parent = kRootIno;
  auto perf_dir = std::make_shared<FuseNode>();
  perf_dir->ino = kPerfDirIno;
  perf_dir->parent = kRootIno;
  perf_dir->name = kPerfDirName;
  nodes_.clear();
  by_name_.clear();
  nodes_[kRootIno] = std::move(root);  // the root is nobody's child
  insert(std::move(perf_dir));
}

void InodeTable::insert(std::shared_ptr<FuseNode> node) {
  // A name taken twice (a device named as another's named knob) keeps the first, as the
  // walk over inode numbers did.
  by_name_.try_emplace({node->parent, node->name}, node);
  nodes_[node->ino] = std::move(node);
}

void InodeTable::add_device(const std::shared_ptr<Device>& device) {
  if (device->kind() != "class" && device->kind() != kModelOnlyKind) {
    add_perf_nodes(device);
    return;
  }
  auto node = std::make_shared<FuseNode>();
  node->name = device->name();
  node->device = device;
  for (std::size_t i = 0; i < std::size(kPmQosClasses); ++i) {
    if (device->name() != to_string(kPmQosClasses[i])) continue;
    const std::vector<const Knob*> knobs = device->knobs();
    if (knobs.size() != 1) return;
    node->kind = FuseNode::Kind::kClass;
    node->ino = kFirstClassIno + i;
    node->parent = kRootIno;
    node->knob = knobs[0];
    node->knob_id = knobs[0]->id();
    node->refuses_negative = kPmQosClasses[i] == PmQosClass::kCpuWakeupLatency;
  }
  if (node->kind == FuseNode::Kind::kDir) return;  // nothing to show for this device
  insert(std::move(node));
}

void InodeTable::add_perf_nodes(const std::shared_ptr<Device>& device) {
  const std::vector<const Knob*> knobs = device->knobs();
  std::vector<std::shared_ptr<FuseNode>> made;
  for (const Knob* knob : knobs) {
    if (!is_range_knob(knob->id())) continue;
    auto node = std::make_shared<FuseNode>();
    // The ioctls speak one range per node; a named knob's range is over its choices' indices.
    node->name = knob->id() == KnobId::kRange || knobs.size() == 1
                     ? device->name()
                     : device->name() + "." + knob_name(knob->id());
    node->device = device;
    node->kind = FuseNode::Kind::kPerf;
    node->ino = next_perf_ino_++;
    node->parent = kPerfDirIno;
    node->knob = knob;
    node->knob_id = knob->id();
    made.push_back(std::move(node));
  }
  for (auto& node : made) insert(std::move(node));
}

void InodeTable::remove_device(const std::shared_ptr<Device>& device) {
  for (auto it = nodes_.begin(); it != nodes_.end();) {
    if (it->second->device == device) {
      it->second->gone = true;
      if (auto named =
              by_name_.find(std::pair<Ino, std::string>(it->second->parent, it->second->name));
          named != by_name_.end() && named->second == it->second) {
        by_name_.erase(named);
      }
      it = nodes_.erase(it);
    } else {
      ++it;
    }
  }
}

std::shared_ptr<FuseNode> InodeTable::find(Ino ino) const {
  auto it = nodes_.find(ino);
  return it == nodes_.end() ? nullptr : it->second;
}

std::shared_ptr<FuseNode> InodeTable::find_child(Ino parent, const std::string& name) const {
  auto it = by_name_.find(std::pair<Ino, std::string>(parent, name));
  return it == by_name_.end() ? nullptr : it->second;
}

std::vector<std::pair<std::string, std::shared_ptr<FuseNode>>> InodeTable::children(Ino dir) const {
  std::vector<std::pair<std::string, std::shared_ptr<FuseNode>>> out;
  for (auto it = by_name_.lower_bound(std::pair<Ino, std::string>(dir, ""));
       it != by_name_.end() && it->first.first == dir; ++it) {
    out.emplace_back(it->first.second, it->second);
  }
  return out;
}

}  // namespace perfqos::daemon
