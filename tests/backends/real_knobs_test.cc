// The backends against this machine's real kernel knobs, skipped where a knob is absent:
//   /dev/cpu_dma_latency: while we hold a request the kernel's aggregate (read back through a
//   second open) is min(ours, what it was); after we release it, what it was.
//   /dev/cpu_wakeup_latency (Linux 6.19, CONFIG_PM_QOS_CPU_SYSTEM_WAKEUP): the same.
//   /sys/devices/system/cpu/cpuN/power/pm_qos_resume_latency_us: written through the backend in
//   the sysfs spelling; the original value is put back even when the test fails.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <optional>

#include "backends/knobs/cpu_latency_backend.h"
#include "backends/knobs/resume_latency_backend.h"
#include "model/broker.h"
#include "model/device_specs.h"

namespace perfqos::backends {
namespace {

// The kernel's current CPU latency aggregate, read through our own open of the node. Opening
// the node adds a default request (2000 s), which never lowers the aggregate.
std::optional<std::int32_t> kernel_cpu_latency(const char* node = kCpuLatencyNode) {
  const int fd = ::open(node, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::int32_t v = 0;
  const ssize_t n = ::read(fd, &v, sizeof v);
  ::close(fd);
  if (n != sizeof v) return std::nullopt;
  return v;
}

TEST(RealKnobsTest, CpuLatencyNodeHoldsOurValueUntilReleased) {
  if (::access(kCpuLatencyNode, W_OK) != 0) {
    GTEST_SKIP() << kCpuLatencyNode << " is absent or not writable here: " << std::strerror(errno);
  }
  const std::optional<std::int32_t> before = kernel_cpu_latency();
  ASSERT_TRUE(before.has_value()) << "cannot read the aggregate from " << kCpuLatencyNode;
  const std::int32_t ours = 37;  // µs: short, harmless for the length of a test

  Broker broker;
  auto backend = std::make_shared<CpuLatencyBackend>(std::make_shared<DiskSysfs>("/"));
  ASSERT_TRUE(broker.register_device(pm_qos_class_spec(PmQosClass::kCpuDmaLatency), backend).ok());
  {
    auto holder = broker.make_holder(HolderIdentity{});
    Status s = broker.add(*holder, RequestTarget{"cpu_dma_latency", KnobId::kLatency}, ours,
                          std::nullopt, nullptr);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(backend->holding());
    EXPECT_EQ(kernel_cpu_latency(), std::min(ours, *before));
    holder.reset();  // drops the request: the backend closes the node
  }
  EXPECT_FALSE(backend->holding());
  EXPECT_EQ(kernel_cpu_latency(), before);
}

TEST(RealKnobsTest, CpuWakeupLatencyNodeHoldsOurValueUntilReleased) {
  if (::access(kCpuWakeupLatencyNode, F_OK) != 0) {
    GTEST_SKIP() << "this kernel has no /dev/cpu_wakeup_latency (Linux 6.19, "
                    "CONFIG_PM_QOS_CPU_SYSTEM_WAKEUP)";
  }
  if (::access(kCpuWakeupLatencyNode, W_OK) != 0) {
    GTEST_SKIP() << kCpuWakeupLatencyNode << " is not writable here: " << std::strerror(errno);
  }
  const std::optional<std::int32_t> before = kernel_cpu_latency(kCpuWakeupLatencyNode);
  ASSERT_TRUE(before.has_value()) << "cannot read the aggregate from " << kCpuWakeupLatencyNode;
  const std::int32_t ours = 37;

  Broker broker;
  auto backend = make_cpu_wakeup_latency_backend(std::make_shared<DiskSysfs>("/"));
  ASSERT_TRUE(
      broker.register_device(pm_qos_class_spec(PmQosClass::kCpuWakeupLatency), backend).ok());
  {
    auto holder = broker.make_holder(HolderIdentity{});
    Status s = broker.add(*holder, RequestTarget{"cpu_wakeup_latency", KnobId::kLatency}, ours,
                          std::nullopt, nullptr);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(kernel_cpu_latency(kCpuWakeupLatencyNode), std::min(ours, *before));
    holder.reset();
  }
  EXPECT_EQ(kernel_cpu_latency(kCpuWakeupLatencyNode), before);
}

// Puts a sysfs file's value back on scope exit, whatever happened.
class RestoreOnExit {
 public:
  RestoreOnExit(DiskSysfs& fs, std::string path, std::string value)
      : fs_(fs), path_(std::move(path)), value_(std::move(value)) {}
  ~RestoreOnExit() {
    Status s = fs_.write(path_, value_);
    EXPECT_TRUE(s.ok()) << "could not restore " << path_ << ": " << s.message();
  }
  RestoreOnExit(const RestoreOnExit&) = delete;
  RestoreOnExit& operator=(const RestoreOnExit&) = delete;

 private:
  DiskSysfs& fs_;
  std::string path_, value_;
};

TEST(RealKnobsTest, ResumeLatencyOfARealCpu) {
  auto fs = std::make_shared<DiskSysfs>("/");
  std::string path;
  for (int cpu : {1, 0}) {  // prefer a CPU other than the boot CPU
    const std::string p =
        "/sys/devices/system/cpu/cpu" + std::to_string(cpu) + "/power/pm_qos_resume_latency_us";
    if (::access(p.c_str(), W_OK) == 0) {
      path = p;
      break;
    }
  }
  if (path.empty()) GTEST_SKIP() << "no writable pm_qos_resume_latency_us on cpu0 or cpu1";
  std::string original;
  ASSERT_TRUE(fs->read(path, &original).ok());
  RestoreOnExit restore(*fs, path, original);

  Broker broker;
  ASSERT_TRUE(
      broker
          .register_device(DeviceSpec{"cpuX", "cpu", "", PerfUnit::kNone, {resume_latency_knob()}},
                           std::make_shared<ResumeLatencyBackend>(fs, nullptr, path))
          .ok());
  auto holder = broker.make_holder(HolderIdentity{});
  RequestOutcome out;
  ASSERT_TRUE(
      broker.add(*holder, RequestTarget{"cpuX", KnobId::kResumeLatency}, 123, std::nullopt, &out)
          .ok());
  std::string now;
  ASSERT_TRUE(fs->read(path, &now).ok());
  EXPECT_EQ(now, "123");
  ASSERT_TRUE(broker.update(*holder, out.id, 0, nullptr).ok());
  ASSERT_TRUE(fs->read(path, &now).ok());
  EXPECT_EQ(now, "n/a");  // 0 µs: no power saving at all
  ASSERT_TRUE(broker.remove(*holder, out.id, nullptr).ok());
  ASSERT_TRUE(fs->read(path, &now).ok());
  EXPECT_EQ(now, "0");  // no constraint
  // The kernel refuses what the engine never produces, with its errno, not a crash.
  Status bad = fs->write(path, "-5");
  EXPECT_EQ(bad.code(), EINVAL) << bad.message();
}

}  // namespace
}  // namespace perfqos::backends
