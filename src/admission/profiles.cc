#include "admission/profiles.h"

#include <algorithm>
#include <cerrno>

#include "tools/cpu_set_spec.h"
#include "tools/request_spec.h"

namespace perfqos::admission {

namespace {

bool has_choice(const Knob& knob, const std::string& word) {
  const auto& c = knob.choices();
  return std::find(c.begin(), c.end(), word) != c.end();
}

}  // namespace

std::vector<Profile> builtin_profiles(const Broker& broker) {
  Profile saver{"power-saver", {}, true, "built in"};
  Profile balanced{"balanced", {}, true, "built in"};
  Profile performance{"performance", {}, true, "built in"};
  for (const auto& device : broker.registry().devices()) {
    const std::string& name = device->name();
    if (const Knob* epp = device->knob(KnobId::kEpp)) {
      if (has_choice(*epp, "power")) saver.requests.push_back(name + ".epp.max=power");
      if (has_choice(*epp, "performance")) {
        performance.requests.push_back(name + ".epp.min=performance");
      }
    }
    if (const Knob* profile = device->knob(KnobId::kProfile)) {
      for (const char* low : {"low-power", "quiet", "cool"}) {
        if (has_choice(*profile, low)) {
          saver.requests.push_back(name + ".profile.max=" + low);
          break;
        }
      }
      if (has_choice(*profile, "performance")) {
        performance.requests.push_back(name + ".profile.min=performance");
      }
    }
  }
  return {saver, balanced, performance};
}

std::vector<Profile> profiles_in_force(const Broker& broker,
                                       const std::vector<daemon::ProfileConfig>& configured) {
  std::vector<Profile> profiles = builtin_profiles(broker);
  for (const daemon::ProfileConfig& c : configured) {
    Profile p{c.name, c.requests, c.anyone, c.origin};
    auto it = std::find_if(profiles.begin(), profiles.end(),
                           [&](const Profile& q) { return q.name == c.name; });
    if (it != profiles.end()) {
      *it = std::move(p);
    } else {
      profiles.push_back(std::move(p));
    }
  }
  return profiles;
}

Status resolve_profile(const Broker& broker, const Admission& admission, const Profile& profile,
                       std::vector<ResolvedSpec>* out, std::size_t* absent) {
  std::vector<std::string> expanded;  // cpus[LIST].KNOB=V is one SPEC per CPU, each skipped alone
  if (Status s = tools::expand_cpu_sets(profile.requests, tools::kMaxRequestsPerCommand, &expanded);
      !s.ok()) {
    return Status::Error(s.code(), "profile " + profile.name + ": " + s.message());
  }
  std::vector<std::string> present;
  std::size_t skipped = 0;
  for (const std::string& text : expanded) {
    tools::RequestSpec spec;
    if (Status s = tools::parse_request_spec(text, &spec); !s.ok()) {
      return Status::Error(s.code(), "profile " + profile.name + ": " + s.message());
    }
    // "DEVICE.KNOB=V" parses as device "DEVICE" or, for a device name with dots, longer.
    const std::size_t dot = spec.device.rfind('.');
    const bool exists = broker.registry().find(spec.device) != nullptr ||
                        (spec.knob.empty() && dot != std::string::npos &&
                         broker.registry().find(spec.device.substr(0, dot)) != nullptr);
    if (exists) {
      present.push_back(text);
    } else {
      ++skipped;
    }
  }
  if (absent != nullptr) *absent = skipped;
  Status s = resolve_specs(broker, admission, present, tools::kMaxRequestsPerCommand, out);
  return s.ok() ? s : Status::Error(s.code(), "profile " + profile.name + ": " + s.message());
}

Status may_use_profile(const Broker& broker, const Admission& admission, const Requester& who,
                       const Profile& profile) {
  if (profile.anyone || who.uid == 0) return Status::Ok();
  std::vector<ResolvedSpec> requests;
  if (Status s = resolve_profile(broker, admission, profile, &requests); !s.ok()) return s;
  for (const ResolvedSpec& r : requests) {
    Judgement j;
    if (Status s = admission.judge(who, 0, r.target, r.value, &j); !s.ok()) return s;
    if (!j.verdict.ok()) {
      return Status::Error(j.verdict.code(), "profile " + profile.name + ": '" + r.text +
                                                 "': " + j.verdict.message());
    }
  }
  return Status::Ok();
}

bool profile_offered(const Broker& broker, const Admission& admission, const Profile& profile) {
  if (profile.requests.empty()) return true;
  std::vector<ResolvedSpec> resolved;
  return resolve_profile(broker, admission, profile, &resolved).ok() && !resolved.empty();
}

}  // namespace perfqos::admission
