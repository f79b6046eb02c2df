#include "backends/knobs/resume_latency_backend.h"

#include <cerrno>
#include <climits>

namespace perfqos::backends {

std::string format_resume_latency(std::int32_t value) {
  if (value == INT_MAX) return "0";
  if (value == 0) return "n/a";
  return std::to_string(value);
}

bool parse_resume_latency(std::string_view text, std::int32_t* value) {
  text = trim(text);
  if (text == "n/a") {
    *value = 0;
    return true;
  }
  long long v = 0;
  if (!parse_int64(text, &v) || v < 0 || v > INT_MAX) return false;
  *value = v == 0 ? INT_MAX : static_cast<std::int32_t>(v);
  return true;
}

ResumeLatencyBackend::ResumeLatencyBackend(std::shared_ptr<SysfsRoot> root,
                                           std::shared_ptr<KnobJournal> journal, std::string path)
    : file_(std::move(root), std::move(journal), std::move(path)) {}

Status ResumeLatencyBackend::apply_value(const Device&, KnobId knob, std::int32_t value) {
  if (knob != KnobId::kResumeLatency) {
    return Status::Error(
        EINVAL, file_.path() + ": only resume_latency can be applied here, not " + knob_name(knob));
  }
  if (value < 0) return Status::Error(EINVAL, file_.path() + ": negative resume latency");
  return file_.write(format_resume_latency(value));
}

Status ResumeLatencyBackend::apply_range(const Device&, KnobId, Range) {
  return Status::Error(EINVAL, file_.path() + ": resume latency has no range");
}

}  // namespace perfqos::backends
