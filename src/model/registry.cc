#include "model/registry.h"

namespace perfqos {

std::shared_ptr<Device> Registry::find(std::string_view name) const {
  auto it = devices_.find(name);
  return it == devices_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<Device>> Registry::devices() const {
  std::vector<std::shared_ptr<Device>> out;
  out.reserve(devices_.size());
  for (const auto& [name, device] : devices_) out.push_back(device);
  return out;
}

std::uint64_t Registry::subscribe(Listener listener) {
  listeners_.emplace_back(next_listener_, std::move(listener));
  return next_listener_++;
}

bool Registry::unsubscribe(std::uint64_t id) {
  return std::erase_if(listeners_, [id](const auto& l) { return l.first == id; }) > 0;
}

void Registry::insert(std::shared_ptr<Device> device) {
  auto [it, inserted] = devices_.emplace(device->name(), std::move(device));
  if (inserted) emit(RegistryEvent::kAdded, it->second);
}

void Registry::erase(const std::string& name) {
  auto it = devices_.find(name);
  if (it == devices_.end()) return;
  std::shared_ptr<Device> device = std::move(it->second);
  devices_.erase(it);
  emit(RegistryEvent::kRemoved, device);
}

void Registry::emit(RegistryEvent event, const std::shared_ptr<Device>& device) const {
  // A copy: a listener may unsubscribe itself.
  const auto listeners = listeners_;
  for (const auto& [id, listener] : listeners) listener(event, device);
}

}  // namespace perfqos
