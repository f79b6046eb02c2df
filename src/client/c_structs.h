// Conversions between protocol messages and the structs of include/perfqos/client.h, and the
// knob naming of the C API ("min"/"max" name the ends of the range knob).
#pragma once

#include "perfqos/client.h"
#include "protocol/messages.h"

namespace perfqos::clientlib {

struct KnobAddress {
  std::string knob;  // wire knob name: "range" for "min"/"max"
  protocol::End end = protocol::End::kNone;
};
// NULL -> "" (the device's only knob); "min"/"max" -> "range" with that end.
KnobAddress knob_address(const char* knob);

void to_c(const protocol::Effective& in, perfqos_effective* out);
void to_c(const protocol::Change& in, perfqos_change* out);
void to_c(const protocol::DeviceInfo& in, perfqos_device_info* out);
void to_c(const protocol::HolderEntry& in, perfqos_holder_info* out);
void to_c(const protocol::HolderEntry& in, perfqos_holder_note_info* out);
void to_c(const protocol::CgroupDataEntry& in, perfqos_cgroup_info* out);
void to_c(const protocol::ExplainReply& in, perfqos_explain_info* out);
void to_c(const protocol::BindingEntry& in, perfqos_binding_info* out);
void to_c(const protocol::ProfileEntry& in, perfqos_profile_request* out);
void to_c(const protocol::Notification& in, std::uint32_t dropped, perfqos_event* out);
void to_c(const protocol::Notification& in, perfqos_event_cause* out);

// One named knob of one device, for perfqos_list_choices.
struct NamedKnob {
  const protocol::DeviceInfo* device;
  const protocol::KnobInfo* knob;
};
void to_c(const NamedKnob& in, perfqos_knob_choices* out);

}  // namespace perfqos::clientlib
