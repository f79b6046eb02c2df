#include "model/value_text.h"

#include <cerrno>
#include <charconv>
#include <climits>

namespace perfqos {

namespace {

bool is_latency_type(KnobId id) {
  return id == KnobId::kResumeLatency || id == KnobId::kLatencyTolerance;
}

bool parse_int32(std::string_view text, std::int32_t* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value, 10);
  return ec == std::errc() && ptr == end && !text.empty();
}

bool parse_flags(std::string_view text, std::int32_t* value) {
  *value = 0;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view word = text.substr(0, comma);
    if (word == "no_power_off") {
      *value |= kFlagNoPowerOff;
    } else if (word != "none") {
      return false;
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return true;
}

}  // namespace

Status parse_request_value(KnobId id, std::string_view text, std::string_view what,
                           std::int32_t* value) {
  if (text == "default" || text == "-1") {
    *value = kDefaultRequest;
    return Status::Ok();
  }
  if (is_latency_type(id) && text == "any") {
    *value = INT32_MAX;
    return Status::Ok();
  }
  std::int32_t parsed = 0;  // *value stays untouched on failure
  if (parse_int32(text, &parsed) || (id == KnobId::kFlags && parse_flags(text, &parsed))) {
    *value = parsed;
    return Status::Ok();
  }
  std::string accepted = "a decimal integer or 'default'";
  if (is_latency_type(id)) accepted += " or 'any'";
  if (id == KnobId::kFlags) accepted += " or flag names (no_power_off, none) joined by ','";
  if (id == KnobId::kLatencyTolerance && text == "auto") {
    return Status::Error(EINVAL, std::string(what) +
                                     ": 'auto' is what the knob reads with no request; release "
                                     "the request instead of asking for it");
  }
  return Status::Error(EINVAL, std::string(what) + ": cannot read '" + std::string(text) +
                                   "': expected " + accepted);
}

std::string format_value(KnobId id, std::int32_t value) {
  if (id == KnobId::kLatencyTolerance && value == -1) return "auto";
  if (is_latency_type(id) && value == INT32_MAX) return "any";
  if (id == KnobId::kFlags) {
    if (value == 0) return "none";
    if (value == kFlagNoPowerOff) return "no_power_off";
  }
  return std::to_string(value);
}

std::string describe_allowed(KnobId id, const ListSpec& spec) {
  if (spec.type == ListType::kFlags) {
    return spec.max_request == kFlagNoPowerOff && id == KnobId::kFlags
               ? "flags no_power_off or none, or -1"
               : "flag bits within mask " + std::to_string(spec.max_request) + ", or -1";
  }
  return std::to_string(spec.min_request) + ".." + std::to_string(spec.max_request) + " or -1";
}

Status out_of_range(std::string_view what, KnobId id, std::int32_t value, const ListSpec& spec) {
  return Status::Error(EINVAL, std::string(what) + ": value " + std::to_string(value) +
                                   " out of range: allowed " + describe_allowed(id, spec));
}

std::string join_choices(const std::vector<std::string>& choices) {
  std::string out;
  for (const std::string& c : choices) {
    if (!out.empty()) out += ", ";
    out += c;
  }
  return out;
}

Status parse_choice(const std::vector<std::string>& choices, std::string_view text,
                    std::string_view what, std::int32_t* value) {
  if (text == "default" || text == "-1") {
    *value = kDefaultRequest;
    return Status::Ok();
  }
  for (std::size_t i = 0; i < choices.size(); ++i) {
    if (choices[i] == text) {
      *value = static_cast<std::int32_t>(i);
      return Status::Ok();
    }
  }
  return Status::Error(EINVAL, std::string(what) + ": '" + std::string(text) +
                                   "' is not a choice here: allowed " + join_choices(choices) +
                                   " or default");
}

std::string format_choice(const std::vector<std::string>& choices, std::int32_t value) {
  if (value == kDefaultRequest) return "default";
  if (value >= 0 && static_cast<std::size_t>(value) < choices.size()) return choices[value];
  return std::to_string(value);
}

}  // namespace perfqos
