// SysfsRoot: every file access of the backends layer (DESIGN §2 layer 3), behind one interface
// so that tests point the backends at a generated tree (ninja's DiskInterface idea).
//
// Paths are absolute as on a running system ("/sys/devices/system/cpu/cpu0/..."); an
// implementation maps them onto its root. Errors come back as a Status whose code is the errno
// of the failing call (ENOENT, EACCES, EINVAL, EBUSY, ...) and whose message names the file and,
// for writes, the value.
//
// Thread safety: implementations in this layer are not synchronised; use one from the thread
// that owns the model.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace perfqos::backends {

inline constexpr char kCpuLatencyNode[] = "/dev/cpu_dma_latency";
// Linux 6.19, CONFIG_PM_QOS_CPU_SYSTEM_WAKEUP: the same user ABI as kCpuLatencyNode.
inline constexpr char kCpuWakeupLatencyNode[] = "/dev/cpu_wakeup_latency";

// A kernel node held open for writing (the CPU latency QoS node): the request it carries lives
// exactly as long as the object (the kernel drops it when the file is closed, or we die).
class HeldNode {
 public:
  virtual ~HeldNode() = default;
  // Writes `bytes` with one write(2). Errors as SysfsRoot::write.
  virtual Status write(std::string_view bytes) = 0;
};

class SysfsRoot {
 public:
  virtual ~SysfsRoot() = default;

  // The whole (small) file, leading and trailing whitespace removed.
  virtual Status read(std::string_view path, std::string* text) = 0;
  // Writes `value` with one write(2) on a fresh open (O_WRONLY | O_TRUNC, never creating the
  // file). The kernel's errno comes back unchanged.
  virtual Status write(std::string_view path, std::string_view value) = 0;
  // The entries of a directory (without "." and ".."), sorted by name.
  virtual Status list(std::string_view dir, std::vector<std::string>* names) = 0;
  // `path` with every symbolic link resolved, as an absolute path in the same namespace as the
  // argument ("/sys/class/devfreq/gpu" -> "/sys/devices/platform/gpu/devfreq/gpu").
  virtual Status canonical(std::string_view path, std::string* resolved) = 0;
  // True when `path` names an existing file or directory (following links).
  virtual bool exists(std::string_view path) = 0;
  // Opens a kernel node for writing and keeps it open (see HeldNode).
  virtual Status open_node(std::string_view path, std::unique_ptr<HeldNode>* node) = 0;
};

// The real file system, rooted at `prefix` ("/" for the running system; a temp directory in
// tests): path "/sys/x" means prefix + "/sys/x". Symbolic links inside the tree must be
// relative (as sysfs's are) to stay inside the prefix.
class DiskSysfs final : public SysfsRoot {
 public:
  explicit DiskSysfs(std::string prefix = "/");

  const std::string& prefix() const { return prefix_; }
  // The host path for `path` (prefix + path).
  std::string host_path(std::string_view path) const;

  Status read(std::string_view path, std::string* text) override;
  Status write(std::string_view path, std::string_view value) override;
  Status list(std::string_view dir, std::vector<std::string>* names) override;
  Status canonical(std::string_view path, std::string* resolved) override;
  bool exists(std::string_view path) override;
  Status open_node(std::string_view path, std::unique_ptr<HeldNode>* node) override;

 private:
  std::string prefix_;  // without a trailing '/'; empty for "/"
};

// `text` without leading and trailing ASCII whitespace.
std::string_view trim(std::string_view text);
// Parses a decimal integer (optionally signed); false on anything else.
bool parse_int64(std::string_view text, long long* value);
// "/a/b/c" -> "/a/b"; "/a" -> "/".
std::string parent_path(std::string_view path);
// "/a/b/c" -> "c".
std::string base_name(std::string_view path);

}  // namespace perfqos::backends
