#include "backends/knobs/uclamp_backend.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>

namespace perfqos::backends {

std::string uclamp_percent(std::int32_t normal, bool round_up, bool max_word) {
  normal = std::clamp(normal, 0, kPerfNormalMax);
  if (max_word && normal == kPerfNormalMax) return "max";
  const long long scaled = static_cast<long long>(normal) * 10000;  // hundredths of a percent
  const long long hundredths = round_up ? (scaled + kPerfNormalMax - 1) / kPerfNormalMax
                                        : scaled / kPerfNormalMax;
  char text[16];
  std::snprintf(text, sizeof text, "%lld.%02lld", hundredths / 100, hundredths % 100);
  return text;
}

UclampBackend::UclampBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                             const std::string& cgroup_dir)
    : min_{KnobFile(root, journal, cgroup_dir + "/cpu.uclamp.min"), {}, {}},
      max_{KnobFile(std::move(root), std::move(journal), cgroup_dir + "/cpu.uclamp.max"), {}, {}} {}

Status UclampBackend::apply_value(const Device&, KnobId knob, std::int32_t) {
  return Status::Error(EINVAL, min_.file.path() + ": utilization clamps are a range, not " +
                                   knob_name(knob));
}

// `text` null: the original goes back.
Status UclampBackend::write_end(End& end, std::optional<std::string> text) {
  if (!end.original) {
    std::string now;
    if (Status s = end.file.read(&now); !s.ok()) return s;
    end.original = std::string(trim(now));
    end.written = *end.original;
  }
  const std::string target = text ? *text : *end.original;
  if (target == end.written) return Status::Ok();
  Status s = end.file.write(target);
  end.written = s.ok() ? target : "";
  return s;
}

Status UclampBackend::apply_range(const Device&, KnobId, Range range) {
  const bool floor = range.min > 0, cap = range.max < kPerfNormalMax;
  Status s = write_end(min_, floor ? std::optional(uclamp_percent(range.min, true, true))
                                   : std::nullopt);
  Status t = write_end(max_, cap ? std::optional(uclamp_percent(range.max, false, true))
                                 : std::nullopt);
  return s.ok() ? t : s;
}

}  // namespace perfqos::backends
