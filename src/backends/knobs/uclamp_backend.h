// UclampBackend: a cgroup v2 cgroup's utilization clamps (cpu.uclamp.min, cpu.uclamp.max; Linux
// 5.4 with CONFIG_UCLAMP_TASK_GROUP) as a perf QoS range in unit `normal` 0..1024, the
// scheduler's capacity scale. The files hold percentages with two decimals ("12.34") or "max".
//
//   the floor (effective min) -> cpu.uclamp.min, rounded up to the next 0.01 % so that it is met;
//   the cap (effective max)   -> cpu.uclamp.max, rounded down; 1024 is written as "max".
// An end at its limit (min 0, max 1024: nobody asks) puts back what the file held before our
// first write of it (journaled). Each file is written only when its text changes.
//
// Errors: EINVAL for a one-valued knob; the file's read or write errno otherwise.
//
// Thread safety: the thread that owns the model.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "backends/knob_file.h"
#include "model/device.h"

namespace perfqos::backends {

// "29.98" for 307 rounded down, "30.00" rounded up; "max" for 1024 when `max_word`.
std::string uclamp_percent(std::int32_t normal, bool round_up, bool max_word);

class UclampBackend final : public DeviceBackend {
 public:
  // `cgroup_dir`: e.g. "/sys/fs/cgroup/batch.slice".
  UclampBackend(std::shared_ptr<SysfsRoot> root, std::shared_ptr<KnobJournal> journal,
                const std::string& cgroup_dir);

  Status apply_value(const Device& device, KnobId knob, std::int32_t value) override;
  Status apply_range(const Device& device, KnobId knob, Range range) override;

 private:
  struct End {
    KnobFile file;
    std::optional<std::string> original;  // read before the first write
    std::string written;                  // "" = unknown
  };
  static Status write_end(End& end, std::optional<std::string> text);

  End min_;
  End max_;
};

}  // namespace perfqos::backends
