#include "admission/explanation.h"

#include <cerrno>
#include <string>
#include <vector>

namespace perfqos::admission {

Status explain(const Admission& admission, const Broker& broker, const Requester& who,
               std::size_t held, std::string_view device, std::string_view knob,
               std::optional<RangeEnd> end, std::optional<std::int32_t> value, Explanation* out) {
  Explanation x;
  Status s = admission.resolve(device, knob, end, &x.target);
  if (s.code() == EINVAL && !value && !end &&
      admission.resolve(device, knob, RangeEnd::kMin, &x.target).ok() &&
      x.target.knob == KnobId::kRange) {
    s = Status::Ok();
    x.both_ends = true;
  }
  if (s.ok()) s = admission.judge(who, held, x.target, value, &x.judgement);
  if (!s.ok()) return s;
  x.device = broker.registry().find(x.target.device);
  x.knob = x.device ? x.device->knob(x.target.knob) : nullptr;
  if (x.knob == nullptr) {
    return Status::Error(ENODEV, "explain: no device '" + std::string(device) + "'");
  }
  if (x.knob->is_range() && !x.both_ends) {
    std::erase_if(x.judgement.setters,
                  [&](const HeldRequest* r) { return r->end() != x.target.end; });
  }
  *out = std::move(x);
  return Status::Ok();
}

}  // namespace perfqos::admission
