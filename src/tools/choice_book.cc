#include "tools/choice_book.h"

#include <cstring>

namespace perfqos::tools {

namespace {

bool has_named_knob(const perfqos_device_info& d) {
  for (std::size_t k = 0; k < d.knob_count; ++k) {
    if (std::strcmp(d.knobs[k].unit, kChoiceUnit) == 0) return true;
  }
  return false;
}

}  // namespace

client::Status ChoiceBook::load(client::Client& c, const std::vector<perfqos_device_info>& devices) {
  if (loaded_) return client::Status::Ok();
  bool needed = false;
  for (const perfqos_device_info& d : devices) needed = needed || has_named_knob(d);
  if (!needed) return client::Status::Ok();
  std::vector<perfqos_knob_choices> all;
  if (client::Status s = c.list_choices(&all); !s.ok()) return s;
  for (const perfqos_knob_choices& k : all) {
    std::vector<std::string>& w = words_[std::string(k.device) + "." + k.knob];
    for (std::size_t i = 0; i < k.count && i < PERFQOS_MAX_CHOICES; ++i) w.emplace_back(k.names[i]);
  }
  loaded_ = true;
  return client::Status::Ok();
}

client::Status ChoiceBook::load(client::Client& c, const perfqos_device_info& device) {
  return load(c, std::vector<perfqos_device_info>{device});
}

std::vector<std::string> ChoiceBook::words(const std::string& device,
                                           const std::string& knob) const {
  auto it = words_.find(device + "." + knob);
  return it == words_.end() ? std::vector<std::string>{} : it->second;
}

KnobValues ChoiceBook::values(const std::string& device, const perfqos_knob_info& knob) const {
  return KnobValues::of(knob, words(device, knob.name));
}

}  // namespace perfqos::tools
