// Registry: the live devices by name, in name order, with "added"/"removed" events.
//
// Devices enter and leave only through Broker::register_device / unregister_device; the
// Registry is the read side (lookup, iteration) and the event source that front ends follow
// (FUSE nodes appear and disappear with it).
//
// Events are called on the model's thread, after the change: kAdded once the device is fully
// set up, kRemoved once its requests are dropped. A listener may read the registry but must not
// register or unregister devices from inside the callback.
//
// Thread safety: confined to the thread that owns the Broker.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "model/device.h"

namespace perfqos {

enum class RegistryEvent : std::uint8_t { kAdded, kRemoved };

class Registry {
 public:
  using Listener = std::function<void(RegistryEvent event, const std::shared_ptr<Device>& device)>;

  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Null when no device has that name.
  std::shared_ptr<Device> find(std::string_view name) const;
  // Every device, in name order.
  std::vector<std::shared_ptr<Device>> devices() const;
  std::size_t size() const { return devices_.size(); }

  std::uint64_t subscribe(Listener listener);
  bool unsubscribe(std::uint64_t id);

 private:
  friend class Broker;
  void insert(std::shared_ptr<Device> device);
  void erase(const std::string& name);
  void emit(RegistryEvent event, const std::shared_ptr<Device>& device) const;

  std::map<std::string, std::shared_ptr<Device>, std::less<>> devices_;
  std::vector<std::pair<std::uint64_t, Listener>> listeners_;
  std::uint64_t next_listener_ = 1;
};

}  // namespace perfqos
