#include "oci_hook/annotations.h"

#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>

#include "tools/cpu_devices.h"

namespace perfqos::oci {
namespace {

bool starts_with(const std::string& s, const char* prefix) {
  return s.compare(0, std::strlen(prefix), prefix) == 0;
}

Status bad(const std::string& key, const std::string& what) {
  return Status::Error(EINVAL, "annotation " + key + ": " + what);
}

// "disable" -> 0, "enable" -> none, "max_latency:N" -> N (decimal µs, 0..INT32_MAX).
Status parse_cstates(const std::string& value, std::optional<std::int32_t>* out) {
  constexpr std::string_view kMax = "max_latency:";
  if (value == "disable") {
    *out = 0;
    return Status::Ok();
  }
  if (value == "enable") {
    out->reset();
    return Status::Ok();
  }
  const std::string allowed =
      "must be \"disable\", \"enable\" or \"max_latency:N\" with N in µs, 0.." +
      std::to_string(std::numeric_limits<std::int32_t>::max()) + " (got \"" + value + "\")";
  if (value.compare(0, kMax.size(), kMax) != 0) return bad(kCrioCStatesKey, allowed);
  const char* first = value.data() + kMax.size();
  const char* last = value.data() + value.size();
  std::int32_t n = 0;
  const auto [end, ec] = std::from_chars(first, last, n);
  if (first == last || ec != std::errc() || end != last || n < 0) {
    return bad(kCrioCStatesKey, allowed);
  }
  *out = n;
  return Status::Ok();
}

}  // namespace

bool has_hook_annotations(const std::map<std::string, std::string>& annotations) {
  for (const auto& [key, value] : annotations) {
    if (starts_with(key, kPrefix) || key == kCrioCStatesKey) return true;
  }
  return false;
}

Status plan_from_annotations(const std::map<std::string, std::string>& annotations,
                             HookPlan* out) {
  HookPlan plan;
  for (const auto& [key, value] : annotations) {
    if (key == kCrioCStatesKey) {
      if (Status s = parse_cstates(value, &plan.cpu_resume_latency); !s.ok()) return s;
    } else if (!starts_with(key, kPrefix)) {
      continue;  // not ours
    } else if (key == kReasonKey) {
      plan.reason = value;  // checked by libperfqos (length, printable UTF-8)
    } else if (key == kProfileKey) {
      // The [[profile]] name syntax (perfqosd.toml(5)); which profiles exist is perfqosd's.
      const bool name_ok =
          !value.empty() && value.size() <= 32 &&
          value.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
      if (!name_ok) {
        return bad(key, "\"" + value + "\": a profile name is 1..32 of a-z, 0-9, _ and -");
      }
      plan.profile = value;
    } else if (starts_with(key, kRequestPrefix)) {
      if (key.size() == std::strlen(kRequestPrefix)) {
        return bad(key, "needs a name after \"request.\" (perfqos.io/request.NAME: \"SPEC\")");
      }
      PlannedRequest r;
      r.source = key;
      if (Status s = tools::parse_request_spec(value, &r.spec); !s.ok()) {
        return bad(key, s.message());
      }
      plan.requests.push_back(std::move(r));
    } else {
      return bad(key, std::string("unknown perfqos annotation: use ") + kRequestPrefix +
                          "NAME, " + kReasonKey + " or " + kProfileKey);
    }
  }
  *out = std::move(plan);
  return Status::Ok();
}

std::optional<PlannedRequest> cpu_request(const HookPlan& plan) {
  if (!plan.cpu_resume_latency) return std::nullopt;
  PlannedRequest r;
  r.source = kCrioCStatesKey;
  r.spec.device = tools::kCpusDevice;
  r.spec.knob = "resume_latency";
  r.spec.value = std::to_string(*plan.cpu_resume_latency);
  return r;
}

}  // namespace perfqos::oci
