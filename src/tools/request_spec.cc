#include "tools/request_spec.h"

#include <cerrno>

#include "model/knob.h"

namespace perfqos::tools {

namespace {

// "'TEXT'", appended piece by piece: `"'" + std::string(text)` makes GCC 12 at -O3 report a bogus
// -Wrestrict overlap (GCC PR105329; see protocol/field_path.h).
std::string quoted(std::string_view text) {
  std::string q = "'";
  q += text;
  q += '\'';
  return q;
}

}  // namespace

Status parse_request_spec(std::string_view text, RequestSpec* out) {
  const std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0 || eq + 1 == text.size()) {
    return Status::Error(EINVAL, quoted(text) + ": expected DEVICE=VALUE or DEVICE.KNOB=VALUE");
  }
  std::string_view target = text.substr(0, eq);
  RequestSpec spec;
  spec.value = std::string(text.substr(eq + 1));
  std::size_t dot = target.rfind('.');
  KnobId id;
  RangeEnd end;
  // A named knob's end has a dot of its own: "policy0.epp.min".
  if (dot != std::string_view::npos && dot > 0) {
    const std::size_t before = target.rfind('.', dot - 1);
    if (before != std::string_view::npos && knob_name_has_end(target.substr(before + 1)) &&
        parse_knob_name(target.substr(before + 1), &id, &end) && is_named_knob(id)) {
      dot = before;
    }
  }
  if (dot != std::string_view::npos && parse_knob_name(target.substr(dot + 1), &id, &end)) {
    spec.device = std::string(target.substr(0, dot));
    spec.knob = std::string(target.substr(dot + 1));
  } else {
    spec.device = std::string(target);
  }
  if (spec.device.empty()) {
    return Status::Error(EINVAL,
                         quoted(text) + ": the device name is empty: expected DEVICE.KNOB=VALUE");
  }
  *out = std::move(spec);
  return Status::Ok();
}

}  // namespace perfqos::tools
