// explain(): what EXPLAIN tells of one knob, said once for every front end that answers it (the
// socket's EXPLAIN, D-Bus' Explain): the target resolved as a request names it, Admission::judge's
// judgement of the caller's request (or of "some value"), and the requests that set the value
// on the end explained. Front ends only encode it.
//
// Thread safety: the thread that owns the Broker; the result is valid until the model changes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "admission/admission.h"
#include "model/broker.h"

namespace perfqos::admission {

struct Explanation {
  RequestTarget target;
  // A range named without an end and without a value: both ends are explained (the bounds
  // and the grants are those of its min end).
  bool both_ends = false;
  std::shared_ptr<Device> device;
  const Knob* knob = nullptr;  // of `device`, never null on success
  // judge()'s, with only the setters of the end explained (both ends' when both_ends).
  Judgement judgement;
};

// Explains `device`.`knob` (Admission::resolve's spelling, `end` apart) to `who`, whose holder
// holds `held` requests, judging an add of `value` when given. Fills `*out` only on success.
// ENODEV, EINVAL as Admission::resolve (a range with a value needs its end); a refusal of
// `value` is not an error but out->judgement.verdict.
Status explain(const Admission& admission, const Broker& broker, const Requester& who,
               std::size_t held, std::string_view device, std::string_view knob,
               std::optional<RangeEnd> end, std::optional<std::int32_t> value, Explanation* out);

}  // namespace perfqos::admission
